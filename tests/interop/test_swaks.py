"""Interop: swaks (the "Swiss Army Knife for SMTP") -> mailwalk-server.

swaks prints the whole dialogue (" -> " what it sent, "<-  " what it got),
which is why the docs use it to show SMTP to students. These tests run it
the way the docs do and check what arrived in the Maildir byte for byte.
"""

import os
import sys
import tempfile
import unittest

from interop import (delivered, maildir_empty, need, run, security_server,
                     users_file)
from mailwalk_test import Server

SWAKS = None  # set in __main__ (exit 77 if swaks is missing)
ALICE = "alice@alice.example"


class SwaksTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-swaks-")

    def tearDown(self):
        self.tmp.cleanup()

    def data_file(self, content):
        """A --data file. It ends in "\\n.\\n": swaks takes a closing dot
        as given, so the text arrives without an added empty line."""
        path = os.path.join(self.tmp.name, "data.txt")
        with open(path, "wb") as f:
            f.write(content + b".\n")
        return "@" + path

    def swaks(self, server, *args, to="bob@bob.example", expect_rc=0):
        cmd = [SWAKS, "--server", f"127.0.0.1:{server.port}",
               "--helo", "client.example", "--from", ALICE, "--to", to]
        result = run(cmd + list(args))
        transcript = result.stdout.decode("utf-8", "replace")
        self.assertEqual(result.returncode, expect_rc,
                         transcript + result.stderr.decode("utf-8", "replace"))
        return transcript

    def test_plain_message(self):
        content = (b"From: Alice <alice@alice.example>\n"
                   b"To: Bob <bob@bob.example>\n"
                   b"Subject: swaks says hello\n"
                   b"\n"
                   b"Hello Bob,\n\n  with an indented line\t(and a tab)\nAlice\n")
        with Server() as server:
            transcript = self.swaks(server, "--data", self.data_file(content))
            (d,) = delivered(server, "bob")
        self.assertIn("<-  220 ", transcript)
        self.assertIn(" -> EHLO client.example", transcript)
        self.assertIn("<-  221 ", transcript)
        self.assertEqual(d.message, content)
        self.assertEqual(d.return_path, ALICE)
        self.assertIn("from client.example ([127.0.0.1])", d.received)
        self.assertIn("with ESMTP", d.received)

    def test_default_swaks_message(self):
        # swaks's own test message: headers it fills in, body "This is a
        # test mailing". We cannot know its Date/Message-Id, so check parts.
        with Server() as server:
            self.swaks(server)
            (d,) = delivered(server, "bob")
        self.assertIn(b"\nTo: bob@bob.example\n", b"\n" + d.message)
        self.assertIn(b"\nFrom: alice@alice.example\n", d.message)
        header, _, body = d.message.partition(b"\n\n")
        self.assertIn(b"X-Mailer: swaks", header)
        self.assertEqual(body.strip(b"\n"), b"This is a test mailing")
        self.assertNotIn(b"\r", d.message)

    def test_pipelining(self):
        # --pipeline: MAIL, both RCPTs and DATA leave in one go (RFC 2920),
        # the replies come back in order.
        content = b"Subject: pipelined\n\none trip for four commands\n"
        with Server() as server:
            transcript = self.swaks(server, "--pipeline",
                                    "--data", self.data_file(content),
                                    to="bob@bob.example,carol@bob.example")
            (to_bob,) = delivered(server, "bob")
            (to_carol,) = delivered(server, "carol")
        lines = [l for l in transcript.splitlines() if l.startswith((" -> ", "<-  "))]
        start = lines.index(" -> MAIL FROM:<alice@alice.example>")
        self.assertEqual(lines[start:start + 8], [
            " -> MAIL FROM:<alice@alice.example>",
            " -> RCPT TO:<bob@bob.example>",
            " -> RCPT TO:<carol@bob.example>",
            " -> DATA",
            "<-  250 2.1.0 Sender <alice@alice.example> OK",
            "<-  250 2.1.5 Recipient <bob@bob.example> OK",
            "<-  250 2.1.5 Recipient <carol@bob.example> OK",
            "<-  354 End data with <CR><LF>.<CR><LF>",
        ])
        self.assertEqual(to_bob.message, content)
        self.assertEqual(to_carol.message, content)

    def test_pipelining_with_a_refused_recipient(self):
        # In a pipeline a refused RCPT does not stop the others.
        content = b"Subject: partly\n\nfor bob only\n"
        with Server() as server:
            transcript = self.swaks(server, "--pipeline",
                                    "--data", self.data_file(content),
                                    to="mallory@elsewhere.example,bob@bob.example")
            (d,) = delivered(server, "bob")
        self.assertIn("<** 550 5.7.1 Relaying denied", transcript)
        self.assertEqual(d.message, content)

    def test_dot_stuffing(self):
        # swaks doubles leading dots on the wire (its transcript shows
        # "..leading"); we must store them single again.
        content = (b"Subject: dots\n\n.leading dot\n..two dots\n.\n"
                   b"a line after a lone dot\n. dot space\n")
        with Server() as server:
            transcript = self.swaks(server, "--data", self.data_file(content))
            (d,) = delivered(server, "bob")
        self.assertIn(" -> ..leading dot", transcript)
        self.assertIn(" -> ...two dots", transcript)
        self.assertEqual(d.message, content)

    def test_utf8_8bit_body(self):
        content = ("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nMIME-Version: 1.0\n"
                   "Content-Type: text/plain; charset=utf-8\n"
                   "Content-Transfer-Encoding: 8bit\n\n"
                   "Grüße, Ærøskøbing, Привет, 你好, 🙂\n").encode()
        with Server() as server:
            self.swaks(server, "--data", self.data_file(content))
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, content)

    def test_helo_protocol(self):
        # --protocol SMTP: HELO instead of EHLO; Received says "with SMTP".
        content = b"Subject: old school\n\nRFC 821 style\n"
        with Server() as server:
            transcript = self.swaks(server, "--protocol", "SMTP",
                                    "--data", self.data_file(content))
            (d,) = delivered(server, "bob")
        self.assertIn(" -> HELO client.example", transcript)
        self.assertIn("with SMTP ", d.received)
        self.assertEqual(d.message, content)

    def test_relay_refused(self):
        # Not our domain: 550 5.7.1 at RCPT; swaks exits 24 ("RCPT failed").
        with Server() as server:
            transcript = self.swaks(server, to="mallory@elsewhere.example",
                                    expect_rc=24)
            self.assertTrue(maildir_empty(server))
        self.assertIn("<** 550 5.7.1", transcript)

    def test_quit_after_rcpt_leaves_nothing(self):
        with Server() as server:
            self.swaks(server, "--quit-after", "RCPT")
            self.assertTrue(maildir_empty(server))



class SwaksSecurityTest(unittest.TestCase):
    """STARTTLS (--tls), implicit TLS (--tlsc) and AUTH (--auth) with swaks,
    which checks our certificate against the one the server printed."""

    PASSWORD = "s3cret words"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-swaks-tls-")
        cls.users = users_file(cls.tmp.name, "alice", cls.PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def swaks(self, server, port, *args, expect_rc=0):
        cmd = [SWAKS, "--server", f"127.0.0.1:{port}", "--helo", "client.example",
               "--from", "alice@bob.example", "--to", "bob@bob.example",
               "--tls-verify", "--tls-ca-path", server.cert_path,
               "--tls-sni", "localhost"]
        result = run(cmd + list(args))
        transcript = result.stdout.decode("utf-8", "replace")
        self.assertEqual(result.returncode, expect_rc,
                         transcript + result.stderr.decode("utf-8", "replace"))
        return transcript

    def auth(self, mechanism, password=None):
        return ["--auth", mechanism, "--auth-user", "alice",
                "--auth-password", password or self.PASSWORD]

    def test_starttls(self):
        with security_server(self.users) as server:
            t = self.swaks(server, server.port, "--tls")
            (d,) = delivered(server, "bob")
        self.assertIn(" -> STARTTLS", t)
        self.assertIn("<-  220 2.0.0 Ready to start TLS", t)
        self.assertIn("=== TLS started with cipher", t)
        self.assertIn("with ESMTPS id", d.received)

    def test_starttls_and_auth_on_submission(self):
        for mechanism in ("PLAIN", "LOGIN"):
            with self.subTest(mechanism=mechanism):
                with security_server(self.users) as server:
                    t = self.swaks(server, server.ports["submission"][0], "--tls",
                                   *self.auth(mechanism))
                    (d,) = delivered(server, "bob")
                self.assertIn("~> AUTH " + mechanism, t)
                self.assertIn("<~  235 2.7.0 Authentication successful", t)
                self.assertIn("with ESMTPSA id", d.received)

    def test_implicit_tls_with_auth(self):
        with security_server(self.users) as server:
            t = self.swaks(server, server.ports["smtps"][0], "--tlsc",
                           *self.auth("PLAIN"))
            (d,) = delivered(server, "bob")
        self.assertNotIn("STARTTLS", t)
        self.assertIn("<~  220 ", t)  # "~" : the greeting came through TLS
        self.assertIn("with ESMTPSA id", d.received)

    def test_wrong_password(self):
        with security_server(self.users) as server:
            t = self.swaks(server, server.ports["submission"][0], "--tls",
                           *self.auth("PLAIN", "guess"), expect_rc=28)
            self.assertTrue(maildir_empty(server))
        self.assertIn("<~* 535 5.7.8", t)

    def test_auth_without_tls_not_offered(self):
        # Before TLS the server does not list AUTH, so swaks will not send
        # the password at all (exit 28: authentication not possible).
        with security_server(self.users) as server:
            t = self.swaks(server, server.ports["submission"][0],
                           *self.auth("PLAIN"), expect_rc=28)
            self.assertTrue(maildir_empty(server))
        self.assertNotRegex(t, r"<-  250[- ]AUTH")
        self.assertNotIn(" -> AUTH", t)


if __name__ == "__main__":
    SWAKS = need("swaks")
    unittest.main(argv=sys.argv[:1], verbosity=2)
