"""The sender-SMTP library against a scripted fake server: replies no
well-behaved server sends, and the exit codes they must lead to."""

from mailwalk_client_test import ScriptedServer, check, send

GREETING = (None, b"220 fake.example ESMTP\r\n")
EHLO_OK = ("EHLO", b"250-fake.example\r\n250 8BITMIME\r\n")


def run(script, *extra):
    server = ScriptedServer(script)
    r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
             "--to", "bob@bob.example", "--body", "hi", "--timeout", "5", *extra)
    server.join()
    check(server.error is None, server.error)
    return r, server.received


def malformed_reply():
    # §4.2.1: every line of a multi-line reply has the same code.
    r, _ = run([GREETING, ("EHLO", b"250-fake.example\r\n251 mixed codes\r\n")])
    check(r.returncode == 3, f"exit {r.returncode}")
    check(b"malformed" in r.stderr and b"250 to 251" in r.stderr, r.stderr)
    r, _ = run([GREETING, ("EHLO", b"HTTP/1.1 400 Bad Request\r\n")])
    check(r.returncode == 3 and b"not an SMTP reply" in r.stderr, r.stderr)


def greeting_421_is_temporary():
    r, received = run([(None, b"421 4.3.2 fake.example busy, try later\r\n"),
                       ("QUIT", b"221 bye\r\n")])
    check(r.returncode == 4, f"exit {r.returncode}")
    check(b"421 4.3.2" in r.stderr and b"try again later" in r.stderr, r.stderr)
    check(received == [b"QUIT"], received)  # §4.1.1.10: still say QUIT


def data_refusals():
    envelope = [GREETING, EHLO_OK, ("MAIL FROM:<alice@alice.example>", b"250 ok\r\n"),
                ("RCPT TO:<bob@bob.example>", b"250 ok\r\n"),
                ("DATA", b"354 go\r\n"), ("HI", b""), (".", None)]
    for reply, code in ((b"451 4.3.0 disk trouble\r\n", 4),
                        (b"554 5.6.0 content refused\r\n", 5)):
        script = envelope[:-1] + [(".", reply), ("QUIT", b"221 bye\r\n")]
        r, received = run(script, "--raw")
        check(r.returncode == code, f"exit {r.returncode} for {reply!r}")
        check(b"refused the message" in r.stderr, r.stderr)
        check(received[-2:] == [b".", b"QUIT"], received)


def ehlo_refused_falls_back_to_helo():
    script = [GREETING, ("EHLO", b"502 5.5.1 EHLO not implemented\r\n"),
              ("HELO", b"250 fake.example\r\n"),
              # HELO: no extensions, so no SIZE= or BODY= parameters.
              ("MAIL FROM:<alice@alice.example>", b"250 ok\r\n"),
              ("RCPT TO:<bob@bob.example>", b"250 ok\r\n"),
              ("DATA", b"354 go\r\n"), ("HI", b""), (".", b"250 taken\r\n"),
              ("QUIT", b"221 bye\r\n")]
    r, received = run(script, "--helo", "alice.example", "--raw")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
    check(b"MAIL FROM:<alice@alice.example>" in received, received)
    check(b"HELO alice.example" in received, received)


def connection_dropped():
    r, _ = run([GREETING, ("EHLO", None)])
    check(r.returncode == 3, f"exit {r.returncode}")
    check(b"broke off" in r.stderr and b"closed the connection" in r.stderr, r.stderr)


def no_reply_times_out():
    r, _ = run([GREETING, EHLO_OK, ("MAIL", b"")], "--timeout", "1")
    check(r.returncode == 3 and b"timed out" in r.stderr, r.stderr)


if __name__ == "__main__":
    malformed_reply()
    greeting_421_is_temporary()
    data_refusals()
    ehlo_refused_falls_back_to_helo()
    connection_dropped()
    no_reply_times_out()
    print("ok")
