"""mailwalk-send against a real, independent SMTP server: aiosmtpd, with a
handler that stores what arrives. Checks the envelope and the message bytes
exactly as aiosmtpd received them (after it removed the stuffing dots)."""

import sys

from mailwalk_client_test import AsyncioServer, SKIP, check, send

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    print("aiosmtpd is not installed: skipped")
    sys.exit(SKIP)


class StoringHandler:
    """Keeps every envelope; refuses recipients at refused.example."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class AiosmtpdServer(AsyncioServer):
    """aiosmtpd on 127.0.0.1, on a port the kernel picks, in a thread."""

    def __init__(self):
        self.handler = StoringHandler()
        super().__init__(lambda: SMTP(self.handler, enable_SMTPUTF8=True,
                                      decode_data=False, hostname="aiosmtpd.example"))


def main():
    server = AiosmtpdServer()
    try:
        raw = b"Subject: to aiosmtpd\n\n.\n.x\nline \xe2\x98\x95\nlast"
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--to", "nope@refused.example",
                 "--to", "carol@carol.example", "--raw", "--pipelining", input=raw)
        err = r.stderr.decode()
        check(r.returncode == 1, f"exit {r.returncode}: {err}")
        check("nope@refused.example refused: 550 5.1.1" in err, err)
        out = r.stdout.decode()
        # aiosmtpd does not offer PIPELINING: one command at a time.
        check("did not offer PIPELINING" in out, out)
        check(len(server.handler.envelopes) == 1, server.handler.envelopes)
        env = server.handler.envelopes[0]
        check(env.mail_from == "alice@alice.example", env.mail_from)
        check(env.rcpt_tos == ["bob@bob.example", "carol@carol.example"], env.rcpt_tos)
        # The parameters went out because aiosmtpd advertised SIZE and 8BITMIME.
        check("BODY=8BITMIME" in env.mail_options, env.mail_options)
        check(any(o.startswith("SIZE=") for o in env.mail_options), env.mail_options)
        expected = (b"Subject: to aiosmtpd\r\n\r\n.\r\n.x\r\nline \xe2\x98\x95\r\n"
                    b"last\r\n")
        check(env.original_content == expected,
              f"got {env.original_content!r}\nexpected {expected!r}")
        size = int(next(o for o in env.mail_options if o.startswith("SIZE="))[5:])
        check(size == len(expected), f"SIZE={size}, message is {len(expected)}")

        # A built message, read back with Python's email package.
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--subject", "Olá", "--body", "Olá, Bob!\n")
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
        import email
        import email.policy
        msg = email.message_from_bytes(server.handler.envelopes[1].original_content,
                                       policy=email.policy.default)
        check(str(msg["Subject"]) == "Olá", msg["Subject"])
        text = msg.get_content().replace("\r\n", "\n")
        check(text == "Olá, Bob!\n", repr(text))
    finally:
        server.stop()
    print("ok")


if __name__ == "__main__":
    main()
