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

from gradelib import CheckFailed, Grader, expect  # noqa: E402
from labtools import (Server, run_send, scripted_run, strip_trace,  # noqa: E402
                      tail)

g = Grader("lab02", "The client")

# Each check names the rules of the handout (labs/02-client/README.md,
# "Rules") it enforces, in brackets; tests/labs/test_rules_traced.py holds
# the two lists together.
g.c_check("HELO [L2.1]", 1, "helo")
g.c_check("EHLO reads the extensions [L2.1]", 2, "ehlo")
g.c_check("EHLO falls back to HELO [L2.2]", 2, "ehlo_fallback")
g.c_check("MAIL FROM, null path, SIZE= [L2.3]", 2, "mail_from")
g.c_check("over-long MAIL and RCPT are refused, never overrun [L2.4]", 2,
          "format_bounds")
g.c_check("RCPT TO [L2.5]", 1, "rcpt_to")
g.c_check("DATA: 354, text, verdict [L2.6]", 3, "data")
g.c_check("QUIT [L2.10]", 1, "quit")
g.c_check("dot-stuffing (C) [L2.7]", 3, "dot_stuffing")
g.c_check("CR LF line endings (C) [L2.8]", 2, "crlf")

def deliver(g, body=None, raw=None, to=("bob@bob.example",), extra=()):
    """Send with lab02-send to a fresh mailwalk-server; return (status,
    output, the messages in bob's mailbox with the trace headers off)."""
    with Server() as server:
        kwargs = {"raw": raw} if raw is not None else {"body": body or "Hello Bob"}
        status, out, err = run_send(g.program("send"), server.port, *extra, to=to,
                                    **kwargs)
        stored = [strip_trace(m) for m in server.messages("bob")]
    return status, out + err, stored


@g.check("lab02-send delivers to mailwalk-server [L2.6]", 3)
def delivers(g):
    status, out, stored = deliver(g)
    expect(status == 0, f"exit status {status}, expected 0:\n{tail(out)}")
    expect(len(stored) == 1, f"{len(stored)} messages in bob's Maildir, expected 1")
    expect(stored[0].endswith(b"\n\nHello Bob\n"),
           f"the text arrived as {stored[0][-80:]!r}")


@g.check('a line of just "." arrives whole [L2.7]', 3)
def lone_dot(g):
    message = b"Subject: dots\r\n\r\nbefore\r\n.\r\n.hidden\r\n..two\r\nafter\r\n"
    status, out, stored = deliver(g, raw=message)
    expect(status == 0, f"exit status {status}, expected 0:\n{tail(out)}")
    expect(len(stored) == 1, f"{len(stored)} messages arrived, expected 1")
    want = b"before\n.\n.hidden\n..two\nafter\n"
    expect(stored[0].endswith(want), f"the text should end {want!r},\n"
           f"it arrived as {stored[0][-60:]!r} (was every leading dot doubled?)")


@g.check("bare LF in the text becomes CR LF [L2.8]", 2)
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


@g.check("two recipients, one refused: the other gets it [L2.5]", 2)
def partial(g):
    status, out, stored = deliver(g, to=("bob@bob.example", "nobody@elsewhere.example"))
    expect(status == 1, f"exit status {status}, expected 1 (partly delivered):\n"
                        f"{tail(out)}")
    expect(len(stored) == 1, "bob should have the message")


@g.check("pipelining: MAIL, RCPT, DATA in one go [L2.3]", 1)
def pipelining(g):
    status, out, stored = deliver(g, extra=("--pipelining",))
    expect(status == 0 and len(stored) == 1, f"exit status {status}:\n{tail(out)}")


@g.check("HELO only (--no-ehlo) [L2.1]", 1)
def helo_only(g):
    status, out, stored = deliver(g, extra=("--no-ehlo",))
    expect(status == 0 and len(stored) == 1, f"exit status {status}:\n{tail(out)}")
    expect("C: HELO " in out, f"no HELO in the transcript:\n{tail(out)}")


@g.check('a first line of just "." arrives whole [L2.7]', 2)
def first_line_dot(g):
    # The first line of the text follows DATA's 354 reply: it starts a line
    # on the wire as much as any other, and its dot must be doubled too.
    status, out, stored = deliver(g, raw=b".\r\nafter the dot\r\n")
    expect(status == 0, f"exit status {status}, expected 0:\n{tail(out)}")
    expect(len(stored) == 1 and stored[0].endswith(b".\nafter the dot\n"),
           "a message whose first line is \".\" should arrive whole; it arrived as "
           f"{[m[-40:] for m in stored]} (was the first line's dot doubled?)")


@g.check("no verdict after the final dot: gives up [L2.9]", 2, seconds=40)
def no_verdict(g):
    # A server that reads the dot and never answers. With --timeout 2 the
    # client must give up on its own, long before the grader does.
    limit = 10
    script = [(None, b"220 fake.example\r\n"), ("EHLO", b"250 fake.example\r\n"),
              ("MAIL", b"250 ok\r\n"), ("RCPT", b"250 ok\r\n"),
              ("DATA", b"354 go\r\n"), ("hi", b"")]
    # First with a verdict: the client must deliver at all.
    status, out, err, _ = scripted_run(g.program("send"), script + [
        (".", b"250 taken\r\n"), ("QUIT", b"221 bye\r\n")], "--timeout", "2")
    expect(status == 0, f"with a server that answers: exit status {status}, "
                        f"expected 0\n{tail(out + err)}")
    script += [(".", b"")]
    try:
        status, out, err, _ = scripted_run(g.program("send"), script, "--timeout", "2",
                                           seconds=limit)
    except CheckFailed:
        raise CheckFailed(f"no answer within {limit} s after the final dot, and "
                          "lab02-send was still waiting: a reply must be awaited "
                          "for a limited time (RFC 5321 section 4.5.3.2; --timeout 2)")
    expect(status not in (0, 1), f"the verdict never came: the message was not "
                                 f"delivered, but the exit status is {status}")


@g.check("hostile addresses: over-long --from and --to [L2.4]", 1)
def long_addresses(g):
    with Server() as server:
        status, out, err = run_send(g.program("send"), server.port)
        expect(status == 0 and len(server.messages("bob")) == 1,
               f"first, a letter with short addresses: exit status {status}, "
               f"expected 0\n{tail(out + err)}")
        for kind, kwargs in (("--from", {"sender": "a" * 600 + "@alice.example"}),
                             ("--to", {"to": ("b" * 600 + "@bob.example",)})):
            status, out, err = run_send(g.program("send"), server.port, **kwargs)
            expect(status > 1, f"a {kind} of 600 characters cannot be sent: expected "
                               f"an error, got exit status {status}\n{tail(out + err)}")
        expect(len(server.messages("bob")) == 1, "a message with an over-long "
                                                 "address arrived")


if __name__ == "__main__":
    sys.exit(g.main())
