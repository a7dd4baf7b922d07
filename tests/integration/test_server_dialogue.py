"""Whole SMTP dialogues with mailwalk-server over real sockets.

Each test starts its own server (tests/support/mailwalk_test.py), talks raw
bytes to it as a client would, and then reads the Maildir files to check
what was really stored, byte for byte. RFC 5321 section numbers in the
comments say which rule each check comes from.
"""

import re
import socket
import unittest

from mailwalk_test import RawClient, Server

# STARTTLS: the server always has a certificate (its own, made on first
# start); AUTH is only listed inside TLS (test_server_security.py).
EHLO_LINES = ["SIZE 10485760", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES",
              "SMTPUTF8", "STARTTLS", "HELP"]


def body_of(message):
    """The stored message without our two trace headers (Return-Path and
    the folded Received header)."""
    lines = message.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), message
    assert lines[1].startswith(b"Received: from "), message
    i = 2
    while lines[i].startswith(b"\t"):
        i += 1
    return b"\n".join(lines[i:])


class DialogueTest(unittest.TestCase):

    def setUp(self):
        self.server = Server()
        self.client = RawClient(self.server.port)
        code, lines = self.client.reply()
        self.assertEqual(code, 220)
        self.assertTrue(lines[0].startswith("localhost ESMTP"), lines)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.server.tmp.cleanup()

    def send_message(self, sender, recipients, text):
        c = self.client
        self.assertEqual(c.command("MAIL FROM:<%s>" % sender)[0], 250)
        for r in recipients:
            self.assertEqual(c.command("RCPT TO:<%s>" % r)[0], 250)
        self.assertEqual(c.command("DATA")[0], 354)
        c.send(text)
        return c.reply()

    # -----------------------------------------------------------------

    def test_ehlo_lists_the_extensions(self):
        code, lines = self.client.command("EHLO alice.example")
        self.assertEqual(code, 250)
        self.assertEqual(lines[0], "localhost Hello alice.example [127.0.0.1]")
        self.assertEqual(lines[1:], EHLO_LINES)

    def test_full_dialogue_stores_exact_bytes(self):
        c = self.client
        c.command("EHLO alice.example")
        code, lines = self.send_message(
            "alice@alice.example", ["bob@bob.example"],
            b"From: alice@alice.example\r\nTo: bob@bob.example\r\n"
            b"Subject: Hello\r\n\r\nHi Bob,\r\n..dots\r\nbye\r\n.\r\n")
        self.assertEqual(code, 250)
        self.assertTrue(lines[0].startswith("2.0.0 "), lines)
        self.assertEqual(c.command("QUIT")[0], 221)
        self.assertTrue(c.closed())

        [message] = self.server.messages("bob")
        head = message.split(b"\n")
        self.assertEqual(head[0], b"Return-Path: <alice@alice.example>")
        self.assertEqual(head[1], b"Received: from alice.example ([127.0.0.1])")
        self.assertRegex(head[2], rb"^\tby localhost \(mailwalk-server\) with ESMTP "
                                  rb"id [0-9]+\.[0-9]+\.[0-9]+\.1$")
        self.assertRegex(head[3], rb"^\tfor <bob@bob.example>; \w{3}, \d\d \w{3} "
                                  rb"\d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
        self.assertEqual(body_of(message),
                         b"From: alice@alice.example\nTo: bob@bob.example\n"
                         b"Subject: Hello\n\nHi Bob,\n.dots\nbye\n")
        self.assertEqual(self.server.files_in("bob", "tmp"), [])
        self.assertEqual(self.server.files_in("bob", "cur"), [])

    def test_null_sender_and_two_messages(self):
        c = self.client
        c.command("HELO alice.example")
        self.assertEqual(self.send_message("", ["bob@bob.example"],
                                           "bounce\r\n.\r\n")[0], 250)
        self.assertEqual(self.send_message("alice@alice.example",
                                           ["bob@bob.example"],
                                           "second\r\n.\r\n")[0], 250)
        first, second = self.server.messages("bob")
        self.assertTrue(first.startswith(b"Return-Path: <>\n"))
        self.assertIn(b" with SMTP id ", first)   # HELO, not EHLO
        self.assertEqual(body_of(first), b"bounce\n")
        self.assertEqual(body_of(second), b"second\n")

    def test_pipelining_replies_in_order(self):
        # RFC 2920: all commands in one write; the replies come in order.
        c = self.client
        c.send(b"EHLO alice.example\r\nMAIL FROM:<alice@alice.example>\r\n"
               b"RCPT TO:<bob@bob.example>\r\nRCPT TO:<eve@evil.example>\r\n"
               b"RCPT TO:<carol@bob.example>\r\nDATA\r\n")
        codes = [c.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250, 250, 250, 550, 250, 354])
        c.send(b"Subject: piped\r\n\r\ntext\r\n.\r\nNOOP\r\nRSET\r\n"
               b"RCPT TO:<bob@bob.example>\r\nQUIT\r\n")
        codes = [c.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 250, 503, 221])
        self.assertEqual(len(self.server.messages("bob")), 1)
        self.assertEqual(len(self.server.messages("carol")), 1)

    def test_bytes_behind_quit_do_not_turn_the_close_into_a_reset(self):
        # A client that sends more behind QUIT than the server reads: the
        # server must still end with 221 and an orderly close (FIN), not a
        # reset (RST) that could destroy the 221 before the client reads
        # it (RFC 9293 §3.6.1). 40 KB is more than the server's 16 KiB
        # read buffer, so most of it is still in the kernel at the close.
        c = self.client
        c.send(b"QUIT\r\n" + b"x" * 40000)
        self.assertEqual(c.reply()[0], 221)
        self.assertTrue(c.closed())  # EOF: a reset would raise, and say False

    def test_case_insensitive_commands(self):
        c = self.client
        self.assertEqual(c.command("ehlo alice.example")[0], 250)
        self.assertEqual(c.command("mail from:<alice@alice.example>")[0], 250)
        self.assertEqual(c.command("rCpT tO:<Bob@BOB.Example>")[0], 250)
        self.assertEqual(c.command("data")[0], 354)
        self.assertEqual(c.command(".")[0], 250)
        # Bob and bob are one mailbox (a SIMPLIFICATION, see cmd_rcpt.c).
        self.assertEqual(len(self.server.messages("bob")), 1)

    def test_503_out_of_sequence(self):
        c = self.client
        for line in ["MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>",
                     "DATA"]:
            code, lines = c.command(line)
            self.assertEqual((code, lines[0][:6]), (503, "5.5.1 "), line)
        c.command("EHLO alice.example")
        self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 503)
        self.assertEqual(c.command("DATA")[0], 503)
        c.command("MAIL FROM:<alice@alice.example>")
        self.assertEqual(c.command("MAIL FROM:<alice@alice.example>")[0], 503)
        self.assertEqual(c.command("DATA")[0], 503)
        # RSET and EHLO close the transaction: RCPT is out of order again.
        c.command("RCPT TO:<bob@bob.example>")
        self.assertEqual(c.command("RSET")[0], 250)
        self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 503)
        c.command("MAIL FROM:<alice@alice.example>")
        self.assertEqual(c.command("EHLO alice.example")[0], 250)
        self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 503)

    def test_501_syntax_errors(self):
        c = self.client
        self.assertEqual(c.command("HELO")[0], 501)
        self.assertEqual(c.command("EHLO")[0], 501)
        c.command("EHLO alice.example")
        for line in ["MAIL", "MAIL FROM:", "MAIL FROM:alice@alice.example",
                     "MAIL FROM:<alice@alice.example", "MAIL FROM:<@alice.example>",
                     "MAIL FROM:<alice@alice..example>",
                     "MAIL FROM:<alice@alice.example> SIZE=big",
                     "MAIL FROM:<alice@alice.example> BODY=BINARYMIME"]:
            code, lines = c.command(line)
            self.assertEqual(code, 501, line)
            self.assertRegex(lines[0], r"^5\.\d\.\d ")
        c.command("MAIL FROM:<alice@alice.example>")
        for line in ["RCPT", "RCPT TO:bob@bob.example", "RCPT TO:<bob>", "RCPT TO:<>",
                     "RCPT TO:<bob@bob.example"]:
            self.assertEqual(c.command(line)[0], 501, line)
        self.assertEqual(c.command("RSET please")[0], 501)
        c.command("RCPT TO:<bob@bob.example>")
        self.assertEqual(c.command("DATA now")[0], 501)
        self.assertEqual(c.command("DATA")[0], 354)   # the session goes on

    def test_555_unknown_parameters(self):
        c = self.client
        c.command("EHLO alice.example")
        self.assertEqual(c.command("MAIL FROM:<alice@alice.example> ENVID=x")[0], 555)
        self.assertEqual(c.command("MAIL FROM:<alice@alice.example> SIZE=100 "
                                   "BODY=8BITMIME")[0], 250)
        self.assertEqual(c.command("RCPT TO:<bob@bob.example> NOTIFY=NEVER")[0], 555)
        self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)

    def test_500_unknown_commands(self):
        c = self.client
        for line in ["XYZZY", "", "MAILFROM:<a@b.example>", "TURN", "HELLO x"]:
            code, lines = c.command(line)
            self.assertEqual(code, 500, line)
            self.assertTrue(lines[0].startswith("5.5.2 "), lines)
        self.assertEqual(c.command("NOOP")[0], 250)

    def test_no_open_relay(self):
        c = self.client
        c.command("EHLO alice.example")
        c.command("MAIL FROM:<alice@alice.example>")
        for rcpt in ["carol@carol.example", "bob@bob.example.net",
                     "bob@[127.0.0.1]", "@bob.example:carol@carol.example"]:
            code, lines = c.command("RCPT TO:<%s>" % rcpt)
            self.assertEqual((code, lines[0][:6]), (550, "5.7.1 "), rcpt)
        self.assertEqual(c.command("DATA")[0], 503)

    def test_source_route_is_ignored(self):
        c = self.client
        c.command("EHLO alice.example")
        self.assertEqual(self.send_message("@relay.example:alice@alice.example",
                                           ["@relay.example:bob@bob.example"],
                                           "routed\r\n.\r\n")[0], 250)
        [message] = self.server.messages("bob")
        self.assertTrue(message.startswith(b"Return-Path: <alice@alice.example>\n"))

    def test_553_names_that_cannot_be_mailboxes(self):
        c = self.client
        c.command("EHLO alice.example")
        c.command("MAIL FROM:<alice@alice.example>")
        for rcpt in ['"../etc"@bob.example', "a/b@bob.example", "a%b@bob.example"]:
            code, lines = c.command("RCPT TO:<%s>" % rcpt)
            self.assertEqual(code, 553, rcpt)
        # RFC 6531 section 3.5: UTF-8 without SMTPUTF8 gets X.6.7.
        c.send(b"RCPT TO:<j\xc3\xb6rg@bob.example>\r\n")
        code, lines = c.reply()
        self.assertEqual((code, lines[0][:6]), (553, "5.6.7 "))

    def test_smtputf8_is_honoured(self):
        # RFC 6531: after MAIL ... SMTPUTF8, UTF-8 addresses and headers are
        # fine, and the trace header says "with UTF8SMTP" (section 3.7.3).
        c = self.client
        c.command("EHLO alice.example")
        c.send("MAIL FROM:<j\u00f6rg@alice.example> SMTPUTF8\r\n".encode())
        self.assertEqual(c.reply()[0], 250)
        c.send("RCPT TO:<Zo\u00eb@bob.example>\r\n".encode())
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.command("DATA")[0], 354)
        c.send("Subject: gr\u00fc\u00dfe\r\n\r\nhi\r\n.\r\n".encode())
        self.assertEqual(c.reply()[0], 250)
        [message] = self.server.messages("zo\u00eb")
        self.assertTrue(message.startswith("Return-Path: <j\u00f6rg@alice.example>\n"
                                           .encode()))
        self.assertIn(b" with UTF8SMTP id ", message)
        self.assertEqual(body_of(message), "Subject: gr\u00fc\u00dfe\n\nhi\n".encode())
        # Broken UTF-8 is not an address at all (RFC 6531 section 3.3).
        c.send(b"MAIL FROM:<alice@alice.example> SMTPUTF8\r\n")
        c.reply()
        c.send(b"RCPT TO:<zo\xeb@bob.example>\r\n")
        self.assertEqual(c.reply()[0], 501)

    def test_vrfy_and_help(self):
        c = self.client
        code, lines = c.command("VRFY bob")
        self.assertEqual((code, lines[0][:6]), (252, "2.5.2 "))
        self.assertEqual(c.command("VRFY")[0], 501)
        code, lines = c.command("HELP")
        self.assertEqual(code, 214)
        for verb in ["HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP",
                     "VRFY", "HELP", "QUIT"]:
            self.assertTrue(any(l.startswith("2.0.0 " + verb) for l in lines), verb)
        code, lines = c.command("HELP data")
        self.assertEqual(code, 214)
        self.assertIn("DATA", lines[0])
        self.assertEqual(c.command("HELP NOSUCH")[0], 504)

    def test_enhanced_codes_on_every_reply(self):
        # RFC 2034 section 3: every 2xx/4xx/5xx reply after EHLO, other than
        # the EHLO reply itself, starts with a status code of its class.
        c = self.client
        c.command("EHLO alice.example")
        for line in ["NOOP", "HELP", "VRFY bob", "EXPN staff", "BOGUS", "DATA",
                     "MAIL FROM:<alice@alice.example>", "RCPT TO:<x@y.example>",
                     "RCPT TO:<bob@bob.example>", "RSET", "MAIL FROM:<bad>",
                     "QUIT"]:
            code, lines = c.command(line)
            for text in lines:
                self.assertRegex(text, r"^%d\.\d{1,3}\.\d{1,3} " % (code // 100),
                                 "%s -> %d %s" % (line, code, text))


class MailboxesTest(unittest.TestCase):
    """--mailboxes: only listed mailboxes exist; postmaster always does."""

    def test_mailboxes_vrfy_and_postmaster(self):
        with Server("--mailboxes", "bob,carol") as server, \
                RawClient(server.port) as c:
            c.reply()
            c.command("EHLO alice.example")
            self.assertEqual(c.command("VRFY bob")[0], 250)
            self.assertEqual(c.command("VRFY <carol@bob.example>")[0], 250)
            code, lines = c.command("VRFY dave")
            self.assertEqual((code, lines[0][:6]), (550, "5.1.1 "))

            c.command("MAIL FROM:<alice@alice.example>")
            self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)
            code, lines = c.command("RCPT TO:<dave@bob.example>")
            self.assertEqual((code, lines[0][:6]), (550, "5.1.1 "))
            # RFC 5321 section 4.5.1: postmaster, with or without a domain.
            self.assertEqual(c.command("RCPT TO:<postmaster>")[0], 250)
            self.assertEqual(c.command("RCPT TO:<Postmaster@bob.example>")[0], 250)
            self.assertEqual(c.command("DATA")[0], 354)
            c.send("Subject: to bob and the postmaster\r\n\r\nhi\r\n.\r\n")
            self.assertEqual(c.reply()[0], 250)
            self.assertEqual(len(server.messages("bob")), 1)
            self.assertEqual(len(server.messages("postmaster")), 1)
            self.assertEqual(server.messages("dave"), [])


if __name__ == "__main__":
    unittest.main()
