"""Lab 1 grader: reading replies.

The C checks (labs/01-replies/checks.c) call your parser line by line; the
rest run lab01-send - mailwalk-send with your smtp_reply.c inside - against
a real mailwalk-server and against a fake server that sends multi-line
replies where a one-line reader would lose its place.

    meson test -C build --suite lab01 --print-errorlogs     (or -v)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import Grader, expect  # noqa: E402
from labtools import Server, run_send, scripted_run, tail  # noqa: E402

g = Grader("lab01", "Reading replies")

# Each check names the rules of the handout (labs/01-replies/README.md,
# "Rules") it enforces, in brackets; tests/labs/test_rules_traced.py holds
# the two lists together.
g.c_check("one-line reply [L1.2 L1.4]", 2, "one_line")
g.c_check("bare code (\"250\") [L1.2]", 1, "bare_code")
g.c_check("multi-line reply [L1.2 L1.4]", 3, "multi_line")
g.c_check("not a reply: malformed [L1.1]", 2, "malformed")
g.c_check("code changes inside a reply [L1.3]", 1, "code_changes")
g.c_check("enhanced status code (5.1.1) [L1.5]", 2, "enhanced_code")
g.c_check("the line is len bytes: no NUL needed, NUL inside [L1.6]", 1, "exact_length")
g.c_check("classify by first digit [L1.7]", 2, "meaning")
g.c_check("first line [L1.8]", 1, "first_line")
g.c_check("EHLO extensions [L1.9]", 3, "extensions")
g.c_check("bounded: long and endless replies, exact limits [L1.10]", 2, "bounded")

GREETING_MULTI = (None, b"220-fake.example ESMTP\r\n220-a greeting of\r\n"
                        b"220 three lines\r\n")
EHLO_MULTI = ("EHLO", b"250-fake.example Hello\r\n250-SIZE 1000000\r\n"
                      b"250-8BITMIME\r\n250 HELP\r\n")


def envelope(rcpt_reply):
    return [GREETING_MULTI, EHLO_MULTI,
            ("MAIL FROM:<alice@alice.example>", b"250 2.1.0 ok\r\n"),
            ("RCPT TO:<bob@bob.example>", rcpt_reply)]


@g.check("lab01-send delivers to mailwalk-server [L1.11]", 3)
def delivers(g):
    with Server() as server:
        status, out, err = run_send(g.program("send"), server.port)
        expect(status == 0, f"lab01-send exit status {status}, expected 0:\n"
                            f"{tail(out + err)}")
        expect(len(server.messages("bob")) == 1, "the message did not arrive in "
               "bob's Maildir")


@g.check("multi-line greeting and EHLO keep the dialogue in step [L1.11]", 3)
def in_step(g):
    script = envelope(b"250-2.1.5 bob is\r\n250 2.1.5 here\r\n") + [
        ("DATA", b"354 go ahead\r\n"), ("HELLO", b""),
        (".", b"250-2.0.0 taken\r\n250 2.0.0 for delivery\r\n"),
        ("QUIT", b"221 2.0.0 bye\r\n")]
    status, out, err, received = scripted_run(g.program("send"), script, "--helo",
                                              "alice.example", raw=b"HELLO\r\n")
    expect(status == 0, f"exit status {status}, expected 0 (delivered):\n"
                        f"{tail(out + err)}")
    expect(received[-1:] == [b"QUIT"], f"the server received {received}")


@g.check("4xx and 5xx told apart (exit status 4 and 5) [L1.12]", 2)
def classify(g):
    quit_ = ("QUIT", b"221 bye\r\n")
    status, out, err, _ = scripted_run(
        g.program("send"), envelope(b"450 4.2.1 mailbox busy, later\r\n") + [quit_])
    expect(status == 4, f"RCPT got 450: exit status should be 4 (temporary), got "
                        f"{status}\n{tail(err)}")
    status, out, err, _ = scripted_run(
        g.program("send"),
        envelope(b"550-5.1.1 no such user\r\n550 5.1.1 here\r\n") + [quit_])
    expect(status == 5, f"RCPT got 550: exit status should be 5 (permanent), got "
                        f"{status}\n{tail(err)}")


if __name__ == "__main__":
    sys.exit(g.main())
