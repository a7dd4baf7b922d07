"""Lab 3 grader: the server's commands and state machine.

Every check starts lab03-server - mailwalk-server with your commands.c
inside - on a free port of 127.0.0.1 with its own temporary Maildir, and
talks to it over a real socket, the way a client (or you, with nc -C)
would. The last check sends it a letter with the real mailwalk-send.

    meson test -C build --suite lab03 -v
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import CheckFailed, Grader, expect  # noqa: E402
from labtools import RawClient, Server, run_send, tail  # noqa: E402

g = Grader("lab03", "The server: commands and states")

REPLY_SECONDS = 5


def server(g):
    os.environ["MAILWALK_SERVER"] = g.program("server")
    return Server()


def session(srv):
    """A connected client that has read the 220 greeting."""
    c = RawClient(srv.port, timeout=REPLY_SECONDS)
    code, lines = c.reply()
    expect(code == 220, f"the greeting should be 220, got {code} {lines}")
    return c


def say(c, line, want, why=""):
    """Send one command; the reply's code must be want."""
    try:
        code, lines = c.command(line)
    except OSError as e:
        raise CheckFailed(f"C: {line}\n  no reply ({e})")
    expect(code == want, f"C: {line}\n  expected {want}{' ' + why if why else ''}, "
                         f"got: {code} {' / '.join(lines)}")
    return lines


def envelope(c):
    say(c, "EHLO alice.example", 250)
    say(c, "MAIL FROM:<alice@alice.example>", 250)
    say(c, "RCPT TO:<bob@bob.example>", 250)


@g.check("HELO: one-line 250 [L3.1]", 2)
def helo(g):
    with server(g) as srv, session(srv) as c:
        lines = say(c, "HELO alice.example", 250)
        expect(len(lines) == 1, f"HELO's reply has one line, got {lines}")
        expect("alice.example" in lines[0], f"greet the client by name: {lines}")


@g.check("EHLO: multi-line 250 with extensions [L3.1]", 3)
def ehlo(g):
    with server(g) as srv, session(srv) as c:
        lines = say(c, "EHLO alice.example", 250)
        expect(len(lines) >= 3, f"EHLO's reply lists extensions, one per line; got "
                                f"{lines}")
        keywords = [l.split(" ")[0].upper() for l in lines[1:]]
        for k in ("SIZE", "8BITMIME", "PIPELINING"):
            expect(k in keywords, f"EHLO should offer {k}; it offered {keywords}")


@g.check("HELO/EHLO without a name: 501 [L3.2]", 1)
def hello_syntax(g):
    with server(g) as srv, session(srv) as c:
        say(c, "HELO", 501)
        say(c, "EHLO", 501)


@g.check("a whole transaction is delivered [L3.10]", 3)
def transaction(g):
    with server(g) as srv:
        with session(srv) as c:
            envelope(c)
            say(c, "DATA", 354)
            c.send("Subject: lab 3\r\n\r\nHello Bob\r\n.\r\n")
            code, lines = c.reply()
            expect(code == 250, f"after the final \".\": expected 250, got {code} {lines}")
            say(c, "QUIT", 221)
        expect(len(srv.messages("bob")) == 1, "the message is not in bob's Maildir")


@g.check("MAIL before HELO: 503 [L3.3]", 2)
def mail_before_hello(g):
    with server(g) as srv, session(srv) as c:
        say(c, "MAIL FROM:<alice@alice.example>", 503, "(say HELO or EHLO first)")


@g.check("RCPT before MAIL: 503 [L3.4]", 2)
def rcpt_before_mail(g):
    with server(g) as srv, session(srv) as c:
        say(c, "EHLO alice.example", 250)
        say(c, "RCPT TO:<bob@bob.example>", 503, "(no MAIL yet)")


@g.check("DATA before RCPT: 503 [L3.4]", 2)
def data_before_rcpt(g):
    with server(g) as srv, session(srv) as c:
        say(c, "EHLO alice.example", 250)
        say(c, "DATA", 503, "(no transaction)")
        say(c, "MAIL FROM:<alice@alice.example>", 250)
        say(c, "DATA", 503, "(no recipient yet)")


@g.check("MAIL inside a transaction: 503 [L3.4]", 1)
def mail_twice(g):
    with server(g) as srv, session(srv) as c:
        say(c, "EHLO alice.example", 250)
        say(c, "MAIL FROM:<alice@alice.example>", 250)
        say(c, "MAIL FROM:<eve@alice.example>", 503, "(a transaction is open)")


@g.check("RSET forgets the transaction [L3.5]", 2)
def rset(g):
    with server(g) as srv, session(srv) as c:
        envelope(c)
        say(c, "RSET", 250)
        say(c, "DATA", 503, "(RSET forgot the recipients)")
        say(c, "RCPT TO:<bob@bob.example>", 503, "(RSET forgot MAIL)")
        say(c, "MAIL FROM:<alice@alice.example>", 250, "(the hello stays after RSET)")
        say(c, "RSET now", 501, "(RSET takes no arguments)")


@g.check("HELO and EHLO inside a transaction start afresh [L3.6]", 2)
def ehlo_resets(g):
    for hello in ("EHLO", "HELO"):
        with server(g) as srv, session(srv) as c:
            envelope(c)
            say(c, f"{hello} alice.example", 250)
            say(c, "DATA", 503, f"({hello} ended the transaction: RFC 5321 section "
                                "4.1.4, HELO and EHLO both start afresh)")
            say(c, "RCPT TO:<bob@bob.example>", 503, f"(no MAIL since the {hello})")


@g.check("before HELO: NOOP, RSET, HELP and QUIT work; MAIL, RCPT, DATA 503 [L3.3]", 2)
def before_hello(g):
    with server(g) as srv, session(srv) as c:
        # RFC 5321 section 4.1.4: NOOP, HELP, EXPN, VRFY and RSET may come at
        # any time; MAIL, RCPT and DATA need a hello first.
        say(c, "NOOP", 250, "(NOOP is allowed before HELO)")
        say(c, "RSET", 250, "(RSET is allowed before HELO, section 4.1.4)")
        say(c, "HELP", 214, "(HELP is allowed before HELO)")
        say(c, "MAIL FROM:<alice@alice.example>", 503, "(say HELO or EHLO first, "
                                                       "even after RSET)")
        say(c, "RCPT TO:<bob@bob.example>", 503, "(say HELO or EHLO first)")
        say(c, "DATA", 503, "(say HELO or EHLO first)")
        say(c, "QUIT", 221)


@g.check("hostile command lines: a 300-letter verb, 16 letters, 15 letters [L3.8]", 2)
def long_verb(g):
    with server(g) as srv, session(srv) as c:
        # No verb is longer than 8 letters; a client may still send 300.
        for verb in ("X" * 300, "Y" * 16, "Z" * 15, "W" * 300 + " with arguments"):
            say(c, verb, 500, f"(a verb of {len(verb.split()[0])} letters is unknown; "
                              "the server must answer and live on)")
        say(c, "NOOP", 250, "(the session goes on after junk)")
        say(c, "EHLO alice.example", 250)


@g.check("unknown verb: 500; verbs in any case [L3.7]", 2)
def unknown(g):
    with server(g) as srv, session(srv) as c:
        say(c, "EHLO alice.example", 250)
        say(c, "FROB nicate", 500)
        say(c, "mail from:<alice@alice.example>", 250, "(verbs are case-insensitive, "
                                                       "RFC 5321 section 2.4)")
        say(c, "rcpt TO:<bob@bob.example>", 250)


@g.check("NUL byte or no verb: 500 [L3.8]", 1)
def junk(g):
    with server(g) as srv, session(srv) as c:
        say(c, "NO\0OP", 500)
        say(c, "", 500)


@g.check("NOOP anywhere; DATA with arguments: 501 [L3.9]", 1)
def noop(g):
    with server(g) as srv, session(srv) as c:
        say(c, "NOOP", 250)
        envelope(c)
        say(c, "NOOP", 250)
        say(c, "DATA now", 501)
        say(c, "DATA", 354, "(the transaction is still open)")


@g.check("QUIT: 221 and the connection closes [L3.11]", 2)
def quit_(g):
    with server(g) as srv, session(srv) as c:
        say(c, "EHLO alice.example", 250)
        say(c, "QUIT", 221)
        expect(c.closed(), "after 221 the server should close the connection")


@g.check("mailwalk-send delivers to lab03-server [L3.10]", 2)
def real_client(g):
    send = os.path.join(os.path.dirname(g.program("mailwalk-server")), "..", "client",
                        "mailwalk-send")
    with server(g) as srv:
        status, out, err = run_send(send, srv.port, "--pipelining")
        expect(status == 0, f"mailwalk-send exit status {status}:\n{tail(out + err)}")
        expect(len(srv.messages("bob")) == 1, "the message is not in bob's Maildir")


if __name__ == "__main__":
    sys.exit(g.main())
