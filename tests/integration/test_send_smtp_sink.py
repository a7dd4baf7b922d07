"""mailwalk-send against Postfix's smtp-sink, a second independent server:
with pipelining, without 8BITMIME (the body must be quoted-printable), and
without ESMTP at all (EHLO refused: the client must fall back to HELO)."""

import email
import email.policy
import glob
import os
import subprocess
import sys
import tempfile
import time

from mailwalk_client_test import SKIP, check, free_port, send

SMTP_SINK = "/usr/sbin/smtp-sink"


def start_sink(directory, *flags):
    """smtp-sink on a free loopback port, dumping each message into
    directory. Returns (process, port)."""
    for _attempt in range(5):
        port = free_port()
        # -u: smtp-sink refuses to run as root without dropping privileges.
        proc = subprocess.Popen([SMTP_SINK, "-u", "nobody", "-d",
                                 os.path.join(directory, "%M."), *flags,
                                 f"127.0.0.1:{port}", "10"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break  # port taken meanwhile? try another
            try:
                import socket
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc, port
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError("smtp-sink did not start")


def dumped(directory):
    """The messages smtp-sink dumped: the text after its own header lines."""
    result = []
    deadline = time.monotonic() + 10
    while not glob.glob(os.path.join(directory, "*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        with open(path, "rb") as f:
            data = f.read()
        # X-Client-Addr ... then a three-line Received:, then the message.
        head, _, rest = data.partition(b"\nReceived: ")
        lines = rest.split(b"\n")
        i = 1
        while lines[i][:1] in (b" ", b"\t"):
            i += 1
        message = b"\n".join(lines[i:])
        check(message.endswith(b"\n\n"), message)  # smtp-sink adds an empty line
        result.append((head, message[:-1]))
    return result


def run(flags, args, raw):
    with tempfile.TemporaryDirectory(prefix="mailwalk-sink-") as d:
        os.chmod(d, 0o777)  # smtp-sink writes as nobody
        proc, port = start_sink(d, *flags)
        try:
            r = send("--server", f"127.0.0.1:{port}", "--from", "alice@alice.example",
                     "--to", "bob@bob.example", *args, input=raw)
            return r, dumped(d)
        finally:
            proc.terminate()
            proc.wait(10)


def main():
    if not os.access(SMTP_SINK, os.X_OK):
        print("smtp-sink is not installed: skipped")
        sys.exit(SKIP)

    # 1. Pipelining: smtp-sink offers it; bytes arrive exactly.
    raw = b"Subject: sink\n\n.\n..\n.end\ntext"
    r, got = run([], ["--raw", "--pipelining"], raw)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
    check(b"PIPELINING (RFC 2920)" in r.stdout, r.stdout)
    check(len(got) == 1, got)
    check(got[0][1] == b"Subject: sink\n\n.\n..\n.end\ntext\n", got[0][1])

    # 2. No 8BITMIME (-8): a UTF-8 body must travel quoted-printable.
    r, got = run(["-8"], ["--subject", "déjà vu", "--body", "déjà vu, Bob\n"], b"")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
    check(b"BODY=8BITMIME" not in r.stdout, r.stdout)
    check(b"quoted-printable" in r.stdout, r.stdout)
    message = got[0][1]
    check(all(b < 128 for b in message), message)
    check(b"d=C3=A9j=C3=A0 vu, Bob" in message, message)
    msg = email.message_from_bytes(message, policy=email.policy.default)
    check(msg.get_content() == "déjà vu, Bob\n", repr(msg.get_content()))
    check(str(msg["Subject"]) == "déjà vu", msg["Subject"])

    # 3. No ESMTP (-e): EHLO is refused, HELO works, no parameters are sent.
    r, got = run(["-e"], ["--body", "plain old SMTP\n"], b"")
    out = r.stdout.decode()
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
    check("C: EHLO " in out and "C: HELO " in out and "fall back to HELO" in out, out)
    check("SIZE=" not in out, out)
    check(b"X-Client-Proto: SMTP" in got[0][0], got[0][0])
    check(got[0][1].endswith(b"\n\nplain old SMTP\n"), got[0][1])
    print("ok")


if __name__ == "__main__":
    main()
