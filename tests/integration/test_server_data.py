"""The message text after DATA, over real sockets, checked in the Maildir.

RFC 5321 section 4.1.1.4: only CR LF "." CR LF ends the text. Section 4.5.2:
the client doubles a leading dot and we take it away. Section 4.5.3.1.6:
text lines over 1000 octets are kept whole. And the SMTP smuggling lesson
(CVE-2023-51764..51766): a "." next to a bare LF or CR is text, never the end.
"""

import socket
import time
import unittest

from mailwalk_test import RawClient, Server, WAIT_SECONDS


def body_of(message):
    """The stored message without our trace headers."""
    lines = message.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), message
    i = 2
    while lines[i].startswith(b"\t"):
        i += 1
    return b"\n".join(lines[i:])


class DataTest(unittest.TestCase):

    def setUp(self):
        self.server = Server("--max-size", "100000")
        self.client = RawClient(self.server.port)
        c = self.client
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.command("EHLO alice.example")[0], 250)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.server.tmp.cleanup()

    def start_data(self):
        c = self.client
        self.assertEqual(c.command("MAIL FROM:<alice@alice.example>")[0], 250)
        self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)
        self.assertEqual(c.command("DATA")[0], 354)

    def deliver(self, text):
        """Send text (which must end the data itself) and return the reply."""
        self.start_data()
        self.client.send(text)
        return self.client.reply()

    def only_body(self):
        [message] = self.server.messages("bob")
        self.assertEqual(self.server.files_in("bob", "tmp"), [])
        return body_of(message)

    def assert_still_in_data(self):
        """Nothing has been answered: the server still reads text."""
        self.client.sock.settimeout(0.3)
        try:
            data = self.client.sock.recv(100)
            self.fail("server replied during DATA: %r" % data)
        except socket.timeout:
            pass
        finally:
            self.client.sock.settimeout(WAIT_SECONDS)

    # -----------------------------------------------------------------

    def test_unstuffing(self):
        code, _ = self.deliver(b"..\r\n...\r\n..leading\r\n.x\r\nmid.dle\r\n.\r\n")
        self.assertEqual(code, 250)
        self.assertEqual(self.only_body(), b".\n..\n.leading\nx\nmid.dle\n")

    def test_crlf_stored_as_lf(self):
        self.assertEqual(self.deliver(b"a\r\n\r\nb\r\n.\r\n")[0], 250)
        self.assertEqual(self.only_body(), b"a\n\nb\n")

    def test_smuggling_lf_dot_lf(self):
        # LF . LF: Postfix/Sendmail-style smuggling. Must stay text.
        self.start_data()
        self.client.send(b"Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<forged@x>\r\n")
        self.assert_still_in_data()
        self.client.send(b".\r\n")
        self.assertEqual(self.client.reply()[0], 250)
        self.assertEqual(self.only_body(),
                         b"Subject: one\n\nfirst\n.\nMAIL FROM:<forged@x>\n")

    def test_smuggling_lf_dot_crlf(self):
        self.start_data()
        self.client.send(b"first\n.\r\nsecond\r\n")
        self.assert_still_in_data()
        self.client.send(b".\r\n")
        self.assertEqual(self.client.reply()[0], 250)
        self.assertEqual(self.only_body(), b"first\n.\nsecond\n")

    def test_smuggling_crlf_dot_lf(self):
        self.start_data()
        self.client.send(b"first\r\n.\nsecond\r\n")
        self.assert_still_in_data()
        self.client.send(b".\r\n")
        self.assertEqual(self.client.reply()[0], 250)
        self.assertEqual(self.only_body(), b"first\n.\nsecond\n")

    def test_smuggling_cr_dot_crlf(self):
        self.start_data()
        self.client.send(b"first\r.\r\nsecond\r\n")
        self.assert_still_in_data()
        self.client.send(b".\r\n")
        self.assertEqual(self.client.reply()[0], 250)
        self.assertEqual(self.only_body(), b"first\r.\nsecond\n")

    def test_smuggled_transaction_is_not_run(self):
        # The whole attack in one write: nothing after the fake end may be
        # taken as commands, so only one message, with the forgery inside.
        self.start_data()
        self.client.send(b"real\r\n\n.\nMAIL FROM:<admin@bob.example>\r\n"
                         b"RCPT TO:<bob@bob.example>\r\nDATA\r\nforged\r\n"
                         b".\r\n")
        self.assertEqual(self.client.reply()[0], 250)
        self.assertEqual(self.client.command("NOOP")[0], 250)   # no stray replies
        self.assertEqual(self.only_body(),
                         b"real\n\n.\nMAIL FROM:<admin@bob.example>\n"
                         b"RCPT TO:<bob@bob.example>\nDATA\nforged\n")

    def test_nul_and_8bit_kept(self):
        text = b"\x00\x01\xff\xfe caf\xc3\xa9 \x80\r\n\x00\r\n"
        self.assertEqual(self.deliver(text + b".\r\n")[0], 250)
        self.assertEqual(self.only_body(), b"\x00\x01\xff\xfe caf\xc3\xa9 \x80\n\x00\n")

    def test_long_text_lines_kept_whole(self):
        # Section 4.5.3.1.6 is 1000 octets with CRLF; we store longer
        # lines intact (4.5.3.1: avoid limits where possible).
        exact = b"x" * 998
        longer = b"." + b"y" * 4999
        text = exact + b"\r\n." + longer + b"\r\nend\r\n.\r\n"
        self.assertEqual(self.deliver(text)[0], 250)
        self.assertEqual(self.only_body(), exact + b"\n" + longer + b"\nend\n")

    def test_size_over_limit_552(self):
        # RFC 1870: over --max-size gets 552 5.3.4 after the dot, nothing is
        # stored, and the session can go on.
        line = b"z" * 998 + b"\r\n"
        code, lines = self.deliver(line * 101 + b".\r\n")
        self.assertEqual((code, lines[0][:6]), (552, "5.3.4 "))
        self.assertEqual(self.server.files_in("bob", "new"), [])
        self.assertEqual(self.server.files_in("bob", "tmp"), [])
        self.assertEqual(self.deliver(line * 99 + b".\r\n")[0], 250)
        self.assertEqual(len(self.server.messages("bob")), 1)

    def test_declared_size_over_limit_552(self):
        code, lines = self.client.command("MAIL FROM:<alice@alice.example> SIZE=100001")
        self.assertEqual((code, lines[0][:6]), (552, "5.3.4 "))
        self.assertEqual(self.client.command("MAIL FROM:<alice@alice.example> "
                                             "SIZE=100000")[0], 250)

    def test_disconnect_mid_data_leaves_nothing(self):
        self.start_data()
        self.client.send(b"Subject: never finished\r\n\r\n" + b"w" * 50000)
        self.client.send(b"\r\n.")   # almost the end, but not quite
        self.client.sock.shutdown(socket.SHUT_RDWR)
        self.client.close()
        # The session process notices, discards the file and exits; wait
        # (boundedly) for both to be visible.
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            events = [e["event"] for e in self.server.events()]
            if "disconnect" in events and not self.server.files_in("bob", "tmp"):
                break
            time.sleep(0.05)
        self.assertIn("disconnect", events)
        self.assertEqual(self.server.files_in("bob", "new"), [])
        self.assertEqual(self.server.files_in("bob", "tmp"), [])


if __name__ == "__main__":
    unittest.main()
