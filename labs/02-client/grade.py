"""Lab 2 grader: the client.

The C checks (labs/02-client/checks.c) call each of your functions with a
socket whose other end is the check itself, and compare the bytes you
send with what RFC 5321 says. The rest run lab02-send - mailwalk-send with
your client.c inside - against a real mailwalk-server (its own port, its
own temporary Maildir) and look at what arrived in Bob's mailbox.

    meson test -C build --suite lab02 -v
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import Grader, expect  # noqa: E402
from labtools import (Server, run_send, scripted_run, strip_trace,  # noqa: E402
                      tail)

g = Grader("lab02", "The client")

g.c_check("HELO", 1, "helo")
g.c_check("EHLO reads the extensions", 2, "ehlo")
g.c_check("EHLO falls back to HELO", 2, "ehlo_fallback")
g.c_check("MAIL FROM, null path, SIZE=", 2, "mail_from")
g.c_check("RCPT TO", 1, "rcpt_to")
g.c_check("DATA: 354, text, verdict", 3, "data")
g.c_check("QUIT", 1, "quit")
g.c_check("dot-stuffing (C)", 3, "dot_stuffing")
g.c_check("CR LF line endings (C)", 2, "crlf")


def deliver(g, body=None, raw=None, to=("bob@bob.example",), extra=()):
    """Send with lab02-send to a fresh mailwalk-server; return (status,
    output, the messages in bob's mailbox with the trace headers off)."""
    with Server() as server:
        kwargs = {"raw": raw} if raw is not None else {"body": body or "Hello Bob"}
        status, out, err = run_send(g.program("send"), server.port, *extra, to=to,
                                    **kwargs)
        stored = [strip_trace(m) for m in server.messages("bob")]
    return status, out + err, stored


@g.check("lab02-send delivers to mailwalk-server", 3)
def delivers(g):
    status, out, stored = deliver(g)
    expect(status == 0, f"exit status {status}, expected 0:\n{tail(out)}")
    expect(len(stored) == 1, f"{len(stored)} messages in bob's Maildir, expected 1")
    expect(stored[0].endswith(b"\n\nHello Bob\n"),
           f"the text arrived as {stored[0][-80:]!r}")


@g.check('a line of just "." arrives whole', 3)
def lone_dot(g):
    message = b"Subject: dots\r\n\r\nbefore\r\n.\r\n.hidden\r\n..two\r\nafter\r\n"
    status, out, stored = deliver(g, raw=message)
    expect(status == 0, f"exit status {status}, expected 0:\n{tail(out)}")
    expect(len(stored) == 1, f"{len(stored)} messages arrived, expected 1")
    want = b"before\n.\n.hidden\n..two\nafter\n"
    expect(stored[0].endswith(want), f"the text should end {want!r},\n"
           f"it arrived as {stored[0][-60:]!r} (was every leading dot doubled?)")


@g.check("bare LF in the text becomes CR LF", 2)
def bare_lf(g):
    script = [(None, b"220 fake.example\r\n"),
              ("EHLO", b"250 fake.example\r\n"),
              ("MAIL", b"250 ok\r\n"), ("RCPT", b"250 ok\r\n"),
              ("DATA", b"354 go\r\n"),
              ("Subject: x", b""), ("", b""), ("one", b""), ("two", b""),
              ("three", b""), (".", b"250 taken\r\n"), ("QUIT", b"221 bye\r\n")]
    status, out, err, received = scripted_run(
        g.program("send"), script, raw=b"Subject: x\n\none\ntwo\rthree")
    expect(status == 0, f"exit status {status}:\n{tail(out + err)}")
    bad = [line for line in received if b"\n" in line or b"\r" in line]
    expect(not bad, f"lines with a bare LF or CR inside reached the server: {bad}")


@g.check("two recipients, one refused: the other gets it", 2)
def partial(g):
    status, out, stored = deliver(g, to=("bob@bob.example", "nobody@elsewhere.example"))
    expect(status == 1, f"exit status {status}, expected 1 (partly delivered):\n"
                        f"{tail(out)}")
    expect(len(stored) == 1, "bob should have the message")


@g.check("pipelining: MAIL, RCPT, DATA in one go", 1)
def pipelining(g):
    status, out, stored = deliver(g, extra=("--pipelining",))
    expect(status == 0 and len(stored) == 1, f"exit status {status}:\n{tail(out)}")


@g.check("HELO only (--no-ehlo)", 1)
def helo_only(g):
    status, out, stored = deliver(g, extra=("--no-ehlo",))
    expect(status == 0 and len(stored) == 1, f"exit status {status}:\n{tail(out)}")
    expect("C: HELO " in out, f"no HELO in the transcript:\n{tail(out)}")


if __name__ == "__main__":
    sys.exit(g.main())
