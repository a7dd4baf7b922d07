"""Integration: STARTTLS, implicit TLS, AUTH and the submission rules.

Each test starts its own mailwalk-server on loopback and talks to it with
Python's ssl module over real sockets: RFC 3207 (STARTTLS), RFC 8314
(implicit TLS), RFC 4954 with RFC 4616 (AUTH PLAIN) and LOGIN, RFC 6409
(submission). The users file is made with `mailwalk-server --hash-password`,
the documented way.
"""

import base64
import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import unittest

from mailwalk_test import WAIT_SECONDS, RawClient, Server, program

PASSWORD = "correct horse"


def plain(user, password):
    """AUTH PLAIN's initial response (RFC 4616): NUL user NUL password."""
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def hash_password(password):
    """What `mailwalk-server --hash-password` prints for password."""
    out = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                          "--hash-password"], input=password.encode() + b"\n",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=WAIT_SECONDS, check=True)
    return out.stdout.decode().strip()


def read_to_end(client):
    """Everything the server sends until it closes (a TLS alert, perhaps);
    a reset counts as closed too. Bounded by the socket's timeout."""
    data = client.buffer
    try:
        while True:
            chunk = client.sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


class TlsClient(RawClient):
    """A RawClient that can turn on TLS, trusting only the server's own
    certificate (the classroom way: no verification switched off)."""

    def __init__(self, server, port=None, implicit=False):
        super().__init__(port or server.port)
        self.context = ssl.create_default_context(cafile=server.cert_path)
        if implicit:
            self.start_tls()

    def start_tls(self):
        # Anything left unread from before would be plaintext: there must
        # be none (the server must not have said more than its 220).
        assert self.buffer == b"", self.buffer
        self.sock = self.context.wrap_socket(self.sock, server_hostname="localhost")


class SecurityTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.users_dir = __import__("tempfile").TemporaryDirectory()
        cls.users = os.path.join(cls.users_dir.name, "users")
        with open(cls.users, "w") as f:
            f.write("# made with mailwalk-server --hash-password\n")
            f.write("alice:" + hash_password(PASSWORD) + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.users_dir.cleanup()

    def server(self, *args):
        return Server("--users", self.users, "--submission", "127.0.0.1:0",
                      "--smtps", "127.0.0.1:0", *args)

    def starttls(self, server, port=None):
        c = TlsClient(server, port)
        self.assertEqual(c.reply()[0], 220)
        code, lines = c.command("EHLO alice.example")
        self.assertIn("STARTTLS", lines)
        self.assertNotIn("AUTH PLAIN LOGIN", lines)
        self.assertEqual(c.command("STARTTLS"), (220, ["2.0.0 Ready to start TLS"]))
        c.start_tls()
        return c

    # ----- the certificate --------------------------------------------

    def test_fingerprint_printed_is_the_certificates(self):
        with self.server() as server:
            self.assertTrue(server.cert_path.endswith("/.state/tls-cert.pem"))
            with self.starttls(server) as c:
                der = c.sock.getpeercert(binary_form=True)
            want = hashlib.sha256(der).hexdigest().upper()
            self.assertEqual(server.fingerprint.replace(":", ""), want)
            self.assertEqual(os.stat(server.cert_path.replace("cert", "key")).st_mode
                             & 0o777, 0o600)

    def test_certificate_is_kept_and_given_files_used(self):
        with self.server() as first:
            state = os.path.join(first.dir, "state")
            with self.server("--state-dir", state) as second:
                fp = second.fingerprint
                cert, key = second.cert_path, os.path.join(state, "tls-key.pem")
                self.assertEqual(cert, os.path.join(state, "tls-cert.pem"))
                with self.server("--state-dir", state) as third:
                    self.assertEqual(third.fingerprint, fp)  # made once, reused
                with self.server("--tls-cert", cert, "--tls-key", key) as fourth:
                    self.assertEqual(fourth.fingerprint, fp)
                    self.assertEqual(fourth.cert_path, cert)
                    self.assertFalse(os.path.exists(
                        os.path.join(fourth.maildir, ".state")))
                # Kept from a start under another name: a warning says so.
                with self.server("--state-dir", state, "--hostname",
                                 "mx.other.example") as fifth:
                    self.assertEqual(fifth.fingerprint, fp)
                    fifth.proc.terminate()
                    fifth.proc.wait(WAIT_SECONDS)
                    err = fifth.proc.stderr.read().decode()
                    self.assertIn("is not for mx.other.example", err)

    # ----- STARTTLS (RFC 3207) ----------------------------------------

    def test_starttls_then_ehlo_again_and_deliver(self):
        with self.server() as server:
            with self.starttls(server) as c:
                # §4.2: no new greeting; the session starts over.
                self.assertEqual(c.command("MAIL FROM:<a@alice.example>")[0], 503)
                code, lines = c.command("EHLO alice.example")
                self.assertNotIn("STARTTLS", lines)
                self.assertIn("AUTH PLAIN LOGIN", lines)
                self.assertEqual(c.command("MAIL FROM:<a@alice.example>")[0], 250)
                self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)
                self.assertEqual(c.command("DATA")[0], 354)
                self.assertEqual(c.command("Subject: sealed\r\n\r\nhi\r\n.")[0], 250)
                self.assertEqual(c.command("QUIT")[0], 221)
            (msg,) = server.messages("bob")
            self.assertIn(b" with ESMTPS id ", msg)
            tls = [e for e in server.events() if e["event"] == "tls"]
            self.assertEqual(len(tls), 1)
            self.assertEqual(tls[0]["result"], "ok")
            self.assertRegex(tls[0]["protocol"], r"^TLSv1\.[23] with \w+")
            self.assertEqual(tls[0]["discarded_bytes"], "0")

    def test_starttls_twice_and_with_arguments(self):
        with self.server() as server:
            c = TlsClient(server)
            c.reply()
            c.command("EHLO alice.example")
            self.assertEqual(c.command("STARTTLS please")[0], 501)
            self.assertEqual(c.command("STARTTLS")[0], 220)
            c.start_tls()
            c.command("EHLO alice.example")
            self.assertEqual(c.command("STARTTLS"),
                             (503, ["5.5.1 TLS is already active"]))
            c.close()

    def test_pipelined_bytes_after_starttls_are_not_obeyed(self):
        # CVE-2011-0411: a man in the middle appends a plaintext command
        # behind STARTTLS. It must not count as if it came through TLS.
        with self.server() as server:
            c = TlsClient(server)
            c.reply()
            c.command("EHLO alice.example")
            c.send("STARTTLS\r\nMAIL FROM:<x@evil.example>\r\n")
            self.assertEqual(c.reply()[0], 220)
            c.start_tls()
            c.command("EHLO alice.example")
            # Had MAIL been obeyed, RCPT would be accepted now.
            self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 503)
            self.assertEqual(c.command("MAIL FROM:<a@alice.example>")[0], 250)
            c.close()
            time.sleep(0.2)
            (tls,) = [e for e in server.events() if e["event"] == "tls"]
            self.assertEqual(tls["discarded_bytes"], str(len("MAIL FROM:<x@evil.example>\r\n")))
            self.assertNotIn("x@evil.example",
                             " ".join(e.get("text", "") for e in server.events()))

    def test_failed_handshake_is_logged_and_closed(self):
        with self.server() as server:
            c = TlsClient(server)
            c.reply()
            c.command("EHLO alice.example")
            self.assertEqual(c.command("STARTTLS")[0], 220)
            c.send(b"this is not a TLS ClientHello\r\n")
            rest = read_to_end(c)  # a TLS alert at most, then the end
            self.assertNotIn(b"\r\n", rest)
            c.close()
            time.sleep(0.2)
            (tls,) = [e for e in server.events() if e["event"] == "tls"]
            self.assertEqual(tls["result"], "failed")

    def test_require_tls(self):
        with self.server("--require-tls") as server:
            with RawClient(server.port) as c:
                c.reply()
                c.command("EHLO alice.example")
                self.assertEqual(c.command("MAIL FROM:<a@alice.example>"),
                                 (530, ["5.7.0 Must issue a STARTTLS command first"]))
            with self.starttls(server) as c:
                c.command("EHLO alice.example")
                self.assertEqual(c.command("MAIL FROM:<a@alice.example>")[0], 250)

    # ----- AUTH (RFC 4954) ----------------------------------------------

    def test_auth_before_tls_is_538(self):
        with self.server() as server:
            with RawClient(server.ports["submission"][0]) as c:
                c.reply()
                code, lines = c.command("EHLO alice.example")
                self.assertFalse(any(l.startswith("AUTH") for l in lines))
                code, _ = c.command("AUTH PLAIN " + plain("alice", PASSWORD))
                self.assertEqual(code, 538)
                self.assertEqual(c.command("MAIL FROM:<alice@bob.example>")[0], 530)

    def test_auth_plain_and_login(self):
        with self.server() as server:
            port = server.ports["submission"][0]
            with self.starttls(server, port) as c:
                c.command("EHLO alice.example")
                self.assertEqual(c.command("AUTH PLAIN " + plain("alice", PASSWORD)),
                                 (235, ["2.7.0 Authentication successful"]))
                self.assertEqual(c.command("AUTH PLAIN " + plain("alice", PASSWORD))[0],
                                 503)
            with self.starttls(server, port) as c:
                c.command("EHLO alice.example")
                self.assertEqual(c.command("AUTH LOGIN"), (334, ["VXNlcm5hbWU6"]))
                self.assertEqual(c.command(base64.b64encode(b"alice").decode()),
                                 (334, ["UGFzc3dvcmQ6"]))
                self.assertEqual(c.command(base64.b64encode(PASSWORD.encode()).decode())[0],
                                 235)
            time.sleep(0.2)
            auths = [e for e in server.events() if e["event"] == "auth"]
            self.assertEqual([(e["user"], e["mechanism"], e["result"]) for e in auths],
                             [("alice", "PLAIN", "ok"), ("alice", "LOGIN", "ok")])
            # Never a password in the log, not even base64-encoded.
            with open(server.log_path, encoding="utf-8") as f:
                log = f.read()
            for secret in (PASSWORD, plain("alice", PASSWORD),
                           base64.b64encode(PASSWORD.encode()).decode()):
                self.assertNotIn(secret, log)

    def test_wrong_password_then_421(self):
        # No pause before the answer any more: a worker kept asleep is a
        # worker a guesser takes from everyone else (the old server
        # answered the Nth failure after N seconds). Guessers are slowed
        # by the counters all workers share (test_server_lockout.py).
        with self.server() as server:
            # What one password check costs here (PBKDF2; slow under ASan).
            with self.starttls(server, server.ports["submission"][0]) as c:
                c.command("EHLO alice.example")
                started = time.monotonic()
                self.assertEqual(c.command("AUTH PLAIN " + plain("alice", PASSWORD))[0],
                                 235)
                one_check = time.monotonic() - started
            with self.starttls(server, server.ports["submission"][0]) as c:
                c.command("EHLO alice.example")
                took = []
                for guess, want in (("guess1", 535), ("guess2", 535), ("guess3", 421)):
                    started = time.monotonic()
                    code, lines = c.command("AUTH PLAIN " + plain("alice", guess))
                    took.append(time.monotonic() - started)
                    self.assertEqual(code, want)
                self.assertEqual(lines, ["4.7.0 localhost Too many failed logins, "
                                         "closing connection"])
                self.assertTrue(c.closed())
                # Each answer costs one check, not seconds more.
                for t in took:
                    self.assertLess(t, one_check + 2.5, (took, one_check))
            time.sleep(0.2)
            results = [e["result"] for e in server.events() if e["event"] == "auth"]
            self.assertEqual(results, ["ok"] + ["failed"] * 3)

    def test_auth_lines_up_to_12288_octets(self):
        # RFC 4954 §4: AUTH answers may be far longer than a 512-octet
        # command. 12000 octets must arrive whole (here: a user name of
        # NULs, refused as a login, 535); longer ones get 500 5.5.6.
        with self.server() as server:
            with self.starttls(server, server.ports["submission"][0]) as c:
                c.command("EHLO alice.example")
                self.assertEqual(c.command("AUTH LOGIN")[0], 334)
                self.assertEqual(c.command("A" * 12000)[0], 535)
                self.assertEqual(c.command("AUTH LOGIN")[0], 334)
                self.assertEqual(c.command("A" * 20000),
                                 (500, ["5.5.6 Authentication exchange line is too long"]))
                self.assertEqual(c.command("NOOP")[0], 250)  # nothing else was said

    # ----- submission (RFC 6409) and relaying ---------------------------

    def test_submission_mail_before_auth_530(self):
        with self.server() as server:
            with self.starttls(server, server.ports["submission"][0]) as c:
                c.command("EHLO alice.example")
                self.assertEqual(c.command("MAIL FROM:<alice@bob.example>"),
                                 (530, ["5.7.0 Authentication required"]))
                c.command("AUTH PLAIN " + plain("alice", PASSWORD))
                self.assertEqual(c.command("MAIL FROM:<alice@bob.example>")[0], 250)
                code, lines = c.command("RCPT TO:<carol@carol.example>")
                self.assertEqual(code, 451)
                self.assertIn("no outgoing queue", lines[0])
                self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)
                self.assertEqual(c.command("DATA")[0], 354)
                self.assertEqual(c.command("Subject: x\r\n\r\nbody\r\n.")[0], 250)
            (msg,) = server.messages("bob")
            self.assertIn(b" with ESMTPSA id ", msg)
            time.sleep(0.2)
            (delivered,) = [e for e in server.events() if e["event"] == "delivered"]
            self.assertEqual(delivered["user"], "alice")

    def test_relay_attempts_without_auth_refused(self):
        with self.server() as server:
            with RawClient(server.port) as c:  # the plain (port 25) role
                c.reply()
                c.command("EHLO mallory.example")
                self.assertEqual(c.command("MAIL FROM:<m@mallory.example>")[0], 250)
                code, lines = c.command("RCPT TO:<victim@elsewhere.example>")
                self.assertEqual(code, 550)
                self.assertTrue(lines[0].startswith("5.7.1 "))
            with RawClient(server.ports["submission"][0]) as c:
                c.reply()
                c.command("EHLO mallory.example")
                self.assertEqual(c.command("MAIL FROM:<m@mallory.example>")[0], 530)
                self.assertEqual(c.command("RCPT TO:<victim@elsewhere.example>")[0], 503)

    def test_implicit_tls_port(self):
        with self.server() as server:
            c = TlsClient(server, server.ports["smtps"][0], implicit=True)
            code, lines = c.reply()
            self.assertEqual(code, 220)  # the greeting is already sealed
            code, lines = c.command("EHLO alice.example")
            self.assertNotIn("STARTTLS", lines)
            self.assertIn("AUTH PLAIN LOGIN", lines)
            self.assertEqual(c.command("MAIL FROM:<alice@bob.example>")[0], 530)
            c.close()
            # Plaintext on the TLS port gets no SMTP at all.
            with RawClient(server.ports["smtps"][0]) as raw:
                raw.send("EHLO plain.example\r\n")
                rest = read_to_end(raw)  # a TLS alert at most, never 220/250
                self.assertFalse(rest.startswith(b"2"), rest)
                self.assertNotIn(b"\r\n", rest)

    def test_overflow_on_the_tls_port_is_closed_not_answered_in_plaintext(self):
        # One worker, kept busy by a TLS client on the smtps port. The next
        # client there must get no plaintext 421 (RFC 8314 §3.3: on that
        # port everything is inside TLS): the parent just closes.
        with self.server("--max-sessions", "1") as server:
            busy = TlsClient(server, server.ports["smtps"][0], implicit=True)
            self.assertEqual(busy.reply()[0], 220)
            with RawClient(server.ports["smtps"][0]) as late:
                self.assertEqual(read_to_end(late), b"")
            # On the plain port the same overflow is told why, in SMTP.
            with RawClient(server.port) as late:
                code, lines = late.reply()
                self.assertEqual((code, lines[0][:6]), (421, "4.3.2 "))
            self.assertEqual(busy.command("NOOP")[0], 250)
            busy.close()

    def test_hash_password_format(self):
        hashed = hash_password("x")
        self.assertRegex(hashed, r"^pbkdf2-sha256\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")
        self.assertNotEqual(hashed, hash_password("x"))  # a new salt each time
        empty = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                                "--hash-password"], input=b"", stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=WAIT_SECONDS)
        self.assertEqual(empty.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
