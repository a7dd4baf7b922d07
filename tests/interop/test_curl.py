"""Interop: curl's SMTP client -> mailwalk-server.

curl sends a file as the message text: `curl smtp://host:port/helo-name
--mail-from A --mail-rcpt B --upload-file msg.txt`. It dot-stuffs, but it
sends the file's line endings as they are unless told --crlf, which makes it
the peer to show what a server does with bare LF (RFC 5321 §2.3.8).
"""

import os
import subprocess
import sys
import tempfile
import unittest

from interop import (delivered, maildir_empty, need, run, security_server,
                     users_file)
from mailwalk_test import Server

CURL = None  # set in __main__ (exit 77 if curl or its SMTP support is missing)
ALICE = "alice@alice.example"


class CurlTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-curl-")

    def tearDown(self):
        self.tmp.cleanup()

    def curl(self, server, content, *args, rcpts=("bob@bob.example",),
             expect_rc=0):
        path = os.path.join(self.tmp.name, "message.txt")
        with open(path, "wb") as f:
            f.write(content)
        cmd = [CURL, "--silent", "--show-error", "--verbose",
               "--max-time", "20",
               "--url", f"smtp://127.0.0.1:{server.port}/client.example",
               "--mail-from", ALICE, "--upload-file", path]
        for r in rcpts:
            cmd += ["--mail-rcpt", r]
        result = run(cmd + list(args))
        log = result.stderr.decode("utf-8", "replace")
        self.assertEqual(result.returncode, expect_rc, log)
        return log

    def test_crlf_file_with_dots(self):
        # A file that already has CR LF: sent as is, dots doubled by curl.
        content = (b"From: Alice <alice@alice.example>\r\nTo: bob@bob.example\r\n"
                   b"Subject: curl\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n")
        with Server() as server:
            log = self.curl(server, content)
            (d,) = delivered(server, "bob")
        self.assertIn("> EHLO client.example", log)
        self.assertEqual(d.message, content.replace(b"\r\n", b"\n"))
        self.assertEqual(d.return_path, ALICE)
        self.assertIn("for <bob@bob.example>", d.received)

    def test_lf_file_with_crlf_option(self):
        # --crlf: curl turns each LF into CR LF, so the server sees proper
        # lines; the stored file is the original byte for byte.
        content = b"Subject: lf + --crlf\n\n.leading dot\nline two\n"
        with Server() as server:
            self.curl(server, content, "--crlf")
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, content)

    def test_lf_file_as_is(self):
        # Without --crlf the lines end in bare LF. The server keeps each bare
        # LF as a line end, but (against SMTP smuggling, see server/data.c)
        # a line only *starts* after CR LF: ".dot" after a bare LF is neither
        # stuffed by curl nor unstuffed by us. curl then ends with CR LF "."
        # CR LF; the CR LF is an empty line of its own after "end\n".
        content = b"Subject: bare LF\n\n.dot after bare LF\nend\n"
        with Server() as server:
            self.curl(server, content)
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, content + b"\n")

    def test_file_without_final_newline(self):
        # curl adds the CR LF before the final dot; nothing else is added.
        content = b"Subject: no newline at the end\r\n\r\nlast line"
        with Server() as server:
            self.curl(server, content)
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, b"Subject: no newline at the end\n\nlast line\n")

    def test_several_recipients(self):
        content = b"Subject: two\r\n\r\nfor bob and carol\r\n"
        with Server() as server:
            self.curl(server, content, rcpts=("bob@bob.example", "carol@bob.example"))
            (to_bob,) = delivered(server, "bob")
            (to_carol,) = delivered(server, "carol")
        for d in (to_bob, to_carol):
            self.assertEqual(d.message, b"Subject: two\n\nfor bob and carol\n")
            self.assertNotIn(" for <", d.received)

    def test_utf8_8bit_body(self):
        content = ("Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n"
                   "Ünïcödé über alles? Нет. 中文 ✓\r\n").encode()
        with Server() as server:
            self.curl(server, content)
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, content.replace(b"\r\n", b"\n"))

    def test_relay_refused(self):
        # 550 at RCPT: curl gives up (exit 55, "failed sending data") and
        # nothing is stored.
        with Server() as server:
            log = self.curl(server, b"Subject: x\r\n\r\nx\r\n",
                            rcpts=("mallory@elsewhere.example",), expect_rc=55)
            self.assertTrue(maildir_empty(server))
        self.assertIn("< 550 5.7.1", log)



class CurlSecurityTest(unittest.TestCase):
    """curl with --ssl-reqd (STARTTLS or give up), smtps:// (implicit TLS)
    and --user (AUTH), trusting exactly the server's own certificate."""

    PASSWORD = "curl pass"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-curl-tls-")
        cls.users = users_file(cls.tmp.name, "alice", cls.PASSWORD)
        cls.message = os.path.join(cls.tmp.name, "message.txt")
        with open(cls.message, "wb") as f:
            f.write(b"Subject: sealed\r\n\r\nover TLS\r\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def curl(self, server, scheme, port, *args, expect_rc=0):
        # The certificate names "localhost"; --resolve keeps us on 127.0.0.1.
        cmd = [CURL, "--silent", "--show-error", "--verbose", "--max-time", "20",
               "--url", f"{scheme}://localhost:{port}/client.example",
               "--resolve", f"localhost:{port}:127.0.0.1",
               "--cacert", server.cert_path,
               "--mail-from", "alice@bob.example", "--mail-rcpt", "bob@bob.example",
               "--upload-file", self.message]
        result = run(cmd + list(args))
        log = result.stderr.decode("utf-8", "replace")
        self.assertEqual(result.returncode, expect_rc, log)
        return log

    def test_ssl_reqd_starttls(self):
        with security_server(self.users) as server:
            log = self.curl(server, "smtp", server.port, "--ssl-reqd")
            (d,) = delivered(server, "bob")
        self.assertIn("> STARTTLS", log)
        self.assertIn("< 220 2.0.0 Ready to start TLS", log)
        self.assertIn("with ESMTPS id", d.received)

    def test_submission_with_user(self):
        with security_server(self.users) as server:
            log = self.curl(server, "smtp", server.ports["submission"][0],
                            "--ssl-reqd", "--user", "alice:" + self.PASSWORD)
            (d,) = delivered(server, "bob")
        self.assertIn("< 235 2.7.0", log)
        self.assertIn("with ESMTPSA id", d.received)

    def test_smtps_with_user(self):
        with security_server(self.users) as server:
            log = self.curl(server, "smtps", server.ports["smtps"][0],
                            "--user", "alice:" + self.PASSWORD)
            (d,) = delivered(server, "bob")
        self.assertNotIn("STARTTLS", log)
        self.assertIn("with ESMTPSA id", d.received)

    def test_wrong_password(self):
        # 535: curl says "Login denied" (exit 67) and sends no mail.
        with security_server(self.users) as server:
            log = self.curl(server, "smtp", server.ports["submission"][0],
                            "--ssl-reqd", "--user", "alice:guess", expect_rc=67)
            self.assertTrue(maildir_empty(server))
        self.assertIn("< 535 5.7.8", log)

    def test_mail_without_auth_on_submission(self):
        # No --user: curl goes straight to MAIL, which needs AUTH (530).
        with security_server(self.users) as server:
            log = self.curl(server, "smtp", server.ports["submission"][0],
                            "--ssl-reqd", expect_rc=55)
            self.assertTrue(maildir_empty(server))
        self.assertIn("< 530 5.7.0 Authentication required", log)


def curl_speaks_smtp(path):
    out = subprocess.run([path, "--version"], stdout=subprocess.PIPE, timeout=10)
    return b" smtp" in out.stdout


if __name__ == "__main__":
    CURL = need("curl")
    if not curl_speaks_smtp(CURL):
        print("SKIP: this curl was built without SMTP", file=sys.stderr)
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
