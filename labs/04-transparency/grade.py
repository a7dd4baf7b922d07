"""Lab 4 grader: transparency, and where the message ends.

Every check starts lab04-server - mailwalk-server with your
transparency.c inside - on a free port of 127.0.0.1 with its own temporary
Maildir, opens a transaction over a real socket, sends message text byte
for byte (including what no honest client sends), and then looks at the
replies and at what arrived in Bob's Maildir.

    meson test -C build --suite lab04 -v
"""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import CheckFailed, Grader, expect  # noqa: E402
from labtools import RawClient, Server, run_send, strip_trace, tail  # noqa: E402

g = Grader("lab04", "Transparency and the end of data")

REPLY_SECONDS = 5
# The longest piece lab04-server reads at once in DATA: a text line of 998
# octets plus a stuffed dot (server/session.c, session_line_limit).
PIECE = 999


def server(g):
    os.environ["MAILWALK_SERVER"] = g.program("server")
    return Server()


def open_data(srv):
    """A client inside DATA (354 read)."""
    c = RawClient(srv.port, timeout=REPLY_SECONDS)
    for line, want in ((None, 220), ("EHLO alice.example", 250),
                       ("MAIL FROM:<alice@alice.example>", 250),
                       ("RCPT TO:<bob@bob.example>", 250), ("DATA", 354)):
        code, text = c.reply() if line is None else c.command(line)
        expect(code == want, f"{line or 'greeting'}: expected {want}, got {code} {text}")
    return c


def verdict(c, after):
    """The reply after the text; a server that never answers fails here."""
    try:
        return c.reply()
    except socket.timeout:
        raise CheckFailed(f"after sending {after!r}\n  no reply in {REPLY_SECONDS} s: "
                          "the server did not see the end of the message")


def send_message(g, wire):
    """Send wire bytes after 354; return (first reply, stored messages
    without trace headers, the client for more)."""
    srv = server(g)
    with srv:
        c = open_data(srv)
        c.send(wire)
        code, text = verdict(c, wire[-40:])
        stored = [strip_trace(m) for m in srv.messages("bob")]
        c.close()
    return code, text, stored


@g.check("a message ends at CR LF . CR LF [L4.1]", 3)
def plain(g):
    code, text, stored = send_message(g, b"Subject: hi\r\n\r\nHello Bob\r\n.\r\n")
    expect(code == 250, f"expected 250 after the final \".\", got {code} {text}")
    expect(stored == [b"Subject: hi\n\nHello Bob\n"],
           f"the stored text should be 'Subject: hi / (empty) / Hello Bob', got "
           f"{stored}")


@g.check("dot-unstuffing [L4.2]", 3)
def unstuff(g):
    code, text, stored = send_message(g, b"\r\n..\r\n..sig\r\n...\r\nend\r\n.\r\n")
    expect(code == 250, f"expected 250, got {code} {text}")
    want = b"\n.\n.sig\n..\nend\n"
    expect(stored == [want], f"the text should arrive as {want!r}, got {stored}")


@g.check("dots inside a line are text [L4.3]", 1)
def inner_dots(g):
    code, text, stored = send_message(g, b"a.b\r\n .\r\nc.\r\nx..\r\n.\r\n")
    expect(code == 250, f"expected 250, got {code} {text}")
    want = b"a.b\n .\nc.\nx..\n"
    expect(stored == [want], f"expected {want!r} (only a leading dot is taken "
                             f"away), got {stored}")


def smuggle(g, fake_end):
    """Text, a fake end, a smuggled transaction, the real end."""
    hidden = (b"MAIL FROM:<ceo@bob.example>\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\n"
              b"Subject: forged\r\n\r\npay now\r\n")
    wire = b"Subject: innocent\r\n\r\nhello" + fake_end + hidden + b".\r\n"
    srv = server(g)
    with srv:
        c = open_data(srv)
        c.send(wire)
        code, text = verdict(c, wire[-40:])
        # One message, one 250: anything more means the server read the
        # smuggled commands as commands.
        c.sock.settimeout(1)
        extra = b""
        try:
            extra = c.buffer + c.sock.recv(4096)
        except socket.timeout:
            extra = c.buffer
        stored = [strip_trace(m) for m in srv.messages("bob")]
        c.close()
    expect(code == 250, f"expected 250 once, after the real end; got {code} {text}")
    expect(extra == b"", f"the server sent more replies: {extra[:120]!r} - it read the "
                         f"smuggled MAIL/RCPT/DATA as commands")
    expect(len(stored) == 1, f"{len(stored)} messages arrived: only ONE was sent, "
                             f"the second is forged")
    expect(b"pay now" in stored[0], "the smuggled lines are text of the first message")
    return stored


@g.check("smuggling: LF . LF is text [L4.4]", 2)
def smuggle_lf_lf(g):
    smuggle(g, b"\n.\n")


@g.check("smuggling: LF . CR LF is text [L4.4]", 2)
def smuggle_lf_crlf(g):
    smuggle(g, b"\n.\r\n")


@g.check("smuggling: CR LF . LF is text [L4.4]", 2)
def smuggle_crlf_lf(g):
    smuggle(g, b"\r\n.\n")


@g.check("a \".\" continuing a long line is text [L4.7]", 2)
def long_line(g):
    wire = b"x" * PIECE + b".\r\nmore\r\n.\r\n"
    code, text, stored = send_message(g, wire)
    expect(code == 250, f"expected 250, got {code} {text}")
    expect(len(stored) == 1 and stored[0].endswith(b"x.\nmore\n"),
           "a line of 999 x and a dot arrives in two pieces; the \".\" piece does "
           "not start a line, so it is text, not the end. Stored: "
           f"{[m[-30:] for m in stored]}")


@g.check("two messages in one session [L4.8]", 1)
def two(g):
    with server(g) as srv:
        c = open_data(srv)
        c.send(b"one\r\n.\r\n")
        code, text = verdict(c, b"one")
        expect(code == 250, f"first message: expected 250, got {code} {text}")
        for line, want in (("MAIL FROM:<alice@alice.example>", 250),
                           ("RCPT TO:<bob@bob.example>", 250), ("DATA", 354)):
            code, text = c.command(line)
            expect(code == want, f"{line}: expected {want}, got {code} {text}")
        c.send(b".two\r\n.\r\n")
        code, text = verdict(c, b".two")
        expect(code == 250, f"second message: expected 250, got {code} {text}")
        stored = sorted(strip_trace(m) for m in srv.messages("bob"))
        c.close()
    expect(stored == [b"one\n", b"two\n"], f"stored: {stored}")


@g.check("mailwalk-send's dots arrive as written [L4.2]", 1)
def real_client(g):
    send = os.path.join(os.path.dirname(g.program("mailwalk-server")), "..", "client",
                        "mailwalk-send")
    with server(g) as srv:
        status, out, err = run_send(send, srv.port, raw=b"Subject: d\n\n.\n..\n.x\n")
        expect(status == 0, f"mailwalk-send exit status {status}:\n{tail(out + err)}")
        stored = [strip_trace(m) for m in srv.messages("bob")]
    expect(stored == [b"Subject: d\n\n.\n..\n.x\n"], f"stored: {stored}")


@g.check("smuggling: CR . CR LF and CR LF . CR are text [L4.5]", 2)
def smuggle_bare_cr(g):
    smuggle(g, b"\r.\r\n")
    smuggle(g, b"\r\n.\r")


@g.check("smuggling: \". \" and \".<TAB>\" before CR LF are text [L4.6]", 2)
def smuggle_trailing_space(g):
    smuggle(g, b"\r\n. \r\n")
    smuggle(g, b"\r\n.\t\r\n")


@g.check("smuggling: \".\" NUL before CR LF is text, stored byte for byte [L4.6]", 2)
def smuggle_nul(g):
    stored = smuggle(g, b"\r\n.\0x\r\n")
    # ".<NUL>x" is a line of text that starts with a dot: the dot goes, as
    # any stuffed dot does (rule L4.2), and the NUL stays.
    expect(b"\n\0x\n" in stored[0], "the line \".<NUL>x\" is text: stored as "
           f"\"<NUL>x\" (unstuffed, NUL included); stored: {stored[0][:80]!r}")


@g.check("exactly at the limit: a 998-octet line, a stuffed 999th [L4.7]", 1)
def at_the_limit(g):
    # RFC 5321 section 4.5.3.1.6: a text line is at most 998 octets. A line of
    # exactly 998, and one of "." + 998 (stuffed), come in one piece each.
    wire = b"a" * 998 + b"\r\n." + b"b" * 998 + b"\r\n.\r\n"
    code, text, stored = send_message(g, wire)
    expect(code == 250, f"expected 250, got {code} {text}")
    want = b"a" * 998 + b"\n" + b"b" * 998 + b"\n"
    expect(stored == [want], "a line of 998 octets and a stuffed one of 999 should "
           f"arrive whole (the second without its dot); got {[len(m) for m in stored]} "
           "octets")


if __name__ == "__main__":
    sys.exit(g.main())
