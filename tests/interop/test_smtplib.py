"""Interop: Python's smtplib (the standard library client) -> mailwalk-server.

smtplib is the client many students meet first. Each test starts its own
server, sends with smtplib the way a program would, and then checks the
Maildir file byte for byte (after the trace headers, see interop.py).
"""

import email
import email.policy
import smtplib
import sys
import unittest
from email.message import EmailMessage

from interop import delivered, lf, maildir_empty, security_server, users_file
from mailwalk_test import WAIT_SECONDS, Server

ALICE = "alice@alice.example"
BOB = "bob@bob.example"


def connect(server):
    return smtplib.SMTP("127.0.0.1", server.port, local_hostname="client.example",
                        timeout=WAIT_SECONDS)


def text(*lines):
    """Message bytes as they go on the wire: CR LF line endings."""
    return b"".join(line + b"\r\n" for line in lines)


class SmtplibTest(unittest.TestCase):

    def test_sendmail_exact_bytes(self):
        msg = text(b"From: Alice <alice@alice.example>",
                   b"To: Bob <bob@bob.example>",
                   b"Subject: hello",
                   b"",
                   b"Hi Bob,",
                   b"",
                   b"  indented line, trailing spaces   ",
                   b"Alice")
        with Server() as server:
            with connect(server) as smtp:
                refused = smtp.sendmail(ALICE, [BOB], msg)
            self.assertEqual(refused, {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, lf(msg))
        self.assertEqual(d.return_path, ALICE)
        self.assertIn("from client.example ([127.0.0.1])", d.received)
        self.assertIn("with ESMTP", d.received)
        self.assertIn("for <bob@bob.example>", d.received)

    def test_send_message_strips_bcc_but_delivers_to_it(self):
        # The envelope (RCPT TO) and the header (To:, Bcc:) are different
        # things: send_message puts Bcc into the envelope and removes the
        # Bcc: header, so Carol gets the letter without Bob seeing her name.
        m = EmailMessage()
        m["From"] = "Alice <alice@alice.example>"
        m["To"] = "Bob <bob@bob.example>"
        m["Bcc"] = "carol@bob.example"
        m["Subject"] = "envelope vs header"
        m.set_content("Bob sees no Bcc.\n")
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.send_message(m), {})
            (to_bob,) = delivered(server, "bob")
            (to_carol,) = delivered(server, "carol")
        self.assertEqual(to_bob.message, to_carol.message)
        got = email.message_from_bytes(to_bob.message, policy=email.policy.default)
        self.assertIsNone(got["Bcc"])
        self.assertEqual(got["Subject"], "envelope vs header")
        self.assertEqual(got["To"], "Bob <bob@bob.example>")
        self.assertEqual(got.get_content(), "Bob sees no Bcc.\n")
        # Several recipients: no "for <...>" clause (RFC 5321 §7.6).
        self.assertNotIn(" for <", to_bob.received)

    def test_sendmail_several_recipients(self):
        msg = text(b"Subject: to three", b"", b"same text for all")
        rcpts = [BOB, "carol@bob.example", "Dave@bob.example"]
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.sendmail(ALICE, rcpts, msg), {})
            for box in ("bob", "carol", "dave"):  # local parts fold to lower case
                (d,) = delivered(server, box)
                self.assertEqual(d.message, lf(msg), box)

    def test_sendmail_some_recipients_refused(self):
        # One RCPT refused (not our domain: no open relay), one accepted:
        # sendmail reports the refused one and the message still goes.
        msg = text(b"Subject: partly", b"", b"body")
        with Server() as server:
            with connect(server) as smtp:
                refused = smtp.sendmail(ALICE, [BOB, "mallory@elsewhere.example"],
                                        msg)
            self.assertEqual(list(refused), ["mallory@elsewhere.example"])
            code, reply = refused["mallory@elsewhere.example"]
            self.assertEqual(code, 550)
            self.assertTrue(reply.startswith(b"5.7.1"), reply)
            (d,) = delivered(server, "bob")
            self.assertEqual(d.message, lf(msg))

    def test_sendmail_all_recipients_refused(self):
        with Server() as server:
            with connect(server) as smtp:
                with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
                    smtp.sendmail(ALICE, ["x@elsewhere.example"], b"Subject: x\r\n\r\nx\r\n")
                self.assertEqual(cm.exception.recipients["x@elsewhere.example"][0], 550)
                self.assertEqual(smtp.noop()[0], 250)  # the session goes on
            self.assertTrue(maildir_empty(server))

    def test_ehlo_and_extensions(self):
        with Server("--max-size", "123456") as server:
            with connect(server) as smtp:
                code, _ = smtp.ehlo()
                self.assertEqual(code, 250)
                self.assertTrue(smtp.does_esmtp)
                for ext in ("size", "8bitmime", "pipelining",
                            "enhancedstatuscodes", "smtputf8", "help"):
                    self.assertTrue(smtp.has_extn(ext), ext)
                # TLS on offer; AUTH only inside it (RFC 4954 §4).
                self.assertTrue(smtp.has_extn("starttls"))
                self.assertFalse(smtp.has_extn("auth"))
                self.assertEqual(smtp.esmtp_features["size"], "123456")

    def test_helo_only_session(self):
        # An old-style client: HELO, no extensions; Received says "SMTP".
        msg = text(b"Subject: helo", b"", b"plain SMTP")
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.helo()[0], 250)
                self.assertFalse(smtp.does_esmtp)
                self.assertEqual(smtp.sendmail(ALICE, [BOB], msg), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, lf(msg))
        self.assertIn("with SMTP ", d.received)

    def test_verify(self):
        with Server() as server:
            with connect(server) as smtp:
                # No --mailboxes: the server will not tell (RFC 5321 §3.5.3).
                self.assertEqual(smtp.verify("bob")[0], 252)
        with Server("--mailboxes", "bob,carol") as server:
            with connect(server) as smtp:
                code, reply = smtp.verify("bob")
                self.assertEqual(code, 250)
                self.assertIn(b"bob@bob.example", reply)
                self.assertEqual(smtp.verify("mallory")[0], 550)

    def test_help(self):
        with Server() as server:
            with connect(server) as smtp:
                listing = smtp.help()
                for verb in (b"HELO", b"EHLO", b"MAIL", b"RCPT", b"DATA",
                             b"RSET", b"NOOP", b"QUIT", b"VRFY"):
                    self.assertIn(verb, listing)
                self.assertIn(b"RFC 5321", smtp.help("DATA"))
                # An unknown verb: smtplib returns the 504 text, not an error.
                smtp.putcmd("help", "FROBNICATE")
                self.assertEqual(smtp.getreply()[0], 504)

    def test_dot_stuffing(self):
        # smtplib doubles a leading "." (RFC 5321 §4.5.2); the server must
        # undo it, and a line of just "." inside the text must not end it.
        msg = text(b"Subject: dots", b"", b".leading dot", b"..two dots",
                   b".", b"...", b"after the lone dot", b". space")
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.sendmail(ALICE, [BOB], msg), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, lf(msg))

    def test_8bitmime_utf8_body(self):
        body = "Grüße aus Köln — ĉu vi parolas Esperanton? 日本語 ✉\n".encode()
        msg = text(b"Subject: 8bit", b"MIME-Version: 1.0",
                   b"Content-Type: text/plain; charset=utf-8",
                   b"Content-Transfer-Encoding: 8bit", b"", body.rstrip(b"\n"),
                   b"\xff\xfe raw octets, not even UTF-8")
        with Server() as server:
            with connect(server) as smtp:
                smtp.ehlo()
                self.assertTrue(smtp.has_extn("8bitmime"))
                self.assertEqual(smtp.sendmail(ALICE, [BOB], msg,
                                               mail_options=["BODY=8BITMIME"]), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, lf(msg))

    def test_smtputf8_address(self):
        # A non-ASCII sender: send_message sees it and asks for SMTPUTF8
        # (RFC 6531); the Received header then says UTF8SMTP.
        m = EmailMessage()
        m["From"] = "Ålice <ålice@alice.example>"
        m["To"] = BOB
        m["Subject"] = "Grüße"
        m.set_content("Hej Bob, hälsningar från Ålice\n")
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.send_message(m), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.return_path, "ålice@alice.example")
        self.assertIn("with UTF8SMTP", d.received)
        got = email.message_from_bytes(d.message, policy=email.policy.default)
        self.assertEqual(got["Subject"], "Grüße")
        self.assertEqual(got["From"], "Ålice <ålice@alice.example>")
        self.assertEqual(got.get_content(), "Hej Bob, hälsningar från Ålice\n")

    def test_smtputf8_explicit_mail_option(self):
        msg = text(b"Subject: explicit", b"", "Olá".encode())
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.sendmail("josé@alice.example", [BOB], msg,
                                               mail_options=["SMTPUTF8",
                                                             "BODY=8BITMIME"]), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.return_path, "josé@alice.example")
        self.assertEqual(d.message, lf(msg))

    def test_size_too_big_refused_at_mail(self):
        # smtplib adds SIZE=<n> to MAIL by itself when the server offers
        # SIZE (RFC 1870), so the server can refuse before any text is sent.
        msg = text(b"Subject: big", b"", *[b"x" * 998] * 70)  # ~70 KB
        with Server("--max-size", "65536") as server:  # the RFC's minimum
            with connect(server) as smtp:
                with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
                    smtp.sendmail(ALICE, [BOB], msg)
                self.assertEqual(cm.exception.smtp_code, 552)
                # A message under the limit still goes in the same session.
                small = text(b"Subject: small", b"", b"ok")
                self.assertEqual(smtp.sendmail(ALICE, [BOB], small), {})
            (d,) = delivered(server, "bob")
            self.assertEqual(d.message, lf(small))

    def test_size_lie_refused_after_data(self):
        # A client that declares SIZE=100 and then sends more: the limit is
        # enforced on the real text, and the answer comes after the dot.
        msg = text(b"Subject: liar", b"", *[b"x" * 998] * 70)  # ~70 KB
        with Server("--max-size", "65536") as server:
            with connect(server) as smtp:
                smtp.ehlo()
                self.assertEqual(smtp.mail(ALICE, ["SIZE=100"])[0], 250)
                self.assertEqual(smtp.rcpt(BOB)[0], 250)
                code, reply = smtp.data(msg)
                self.assertEqual(code, 552, reply)
                self.assertEqual(smtp.noop()[0], 250)
            self.assertEqual(server.messages("bob"), [])
            self.assertEqual(server.files_in("bob", "tmp"), [])

    def test_size_parameter_over_limit_explicit(self):
        with Server("--max-size", "70000") as server:
            with connect(server) as smtp:
                smtp.ehlo()
                code, reply = smtp.mail(ALICE, ["SIZE=70001"])
                self.assertEqual(code, 552)
                self.assertTrue(reply.startswith(b"5.3.4"), reply)
                self.assertEqual(smtp.mail(ALICE, ["SIZE=70000"])[0], 250)

    def test_long_line_and_large_message(self):
        # A 5000-octet line (over the 1000 of RFC 5321 §4.5.3.1.6; the
        # server takes it in pieces and stores it whole) and ~1 MB of text.
        lines = [b"Subject: large", b"", b"L" * 5000]
        lines += [b"%06d " % i + b"abcdefghij" * 10 for i in range(10000)]
        msg = text(*lines)
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.sendmail(ALICE, [BOB], msg), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.message, lf(msg))

    def test_several_messages_one_session_and_rset(self):
        msgs = [text(b"Subject: %d" % i, b"", b"message %d" % i) for i in range(3)]
        with Server() as server:
            with connect(server) as smtp:
                smtp.ehlo()
                smtp.mail(ALICE)
                smtp.rcpt(BOB)
                self.assertEqual(smtp.rset()[0], 250)  # nothing sent
                for m in msgs:
                    self.assertEqual(smtp.sendmail(ALICE, [BOB], m), {})
            got = delivered(server, "bob", count=3)
        self.assertEqual(sorted(d.message for d in got), sorted(lf(m) for m in msgs))

    def test_null_sender_bounce(self):
        # MAIL FROM:<> is a bounce; Return-Path is then empty.
        msg = text(b"Subject: Undelivered Mail", b"", b"bounce")
        with Server() as server:
            with connect(server) as smtp:
                self.assertEqual(smtp.sendmail("<>", [BOB], msg), {})
            (d,) = delivered(server, "bob")
        self.assertEqual(d.return_path, "")
        self.assertEqual(d.message, lf(msg))



class SmtplibSecurityTest(unittest.TestCase):
    """smtplib's starttls(), login() and SMTP_SSL against the server, with
    an ssl context that trusts exactly the server's own certificate."""

    PASSWORD = "py pass"

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-smtplib-tls-")
        cls.users = users_file(cls.tmp.name, "alice", cls.PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def context(self, server):
        import ssl
        return ssl.create_default_context(cafile=server.cert_path)

    def test_starttls_login_send(self):
        with security_server(self.users) as server:
            with smtplib.SMTP("localhost", server.ports["submission"][0],
                              local_hostname="client.example",
                              timeout=WAIT_SECONDS) as smtp:
                smtp.ehlo()
                self.assertFalse(smtp.has_extn("auth"))
                smtp.starttls(context=self.context(server))
                smtp.ehlo()
                self.assertEqual(smtp.esmtp_features["auth"].split(),
                                 ["PLAIN", "LOGIN"])
                self.assertFalse(smtp.has_extn("starttls"))
                code, _ = smtp.login("alice", self.PASSWORD)
                self.assertEqual(code, 235)
                smtp.sendmail("alice@bob.example", ["bob@bob.example"],
                              text(b"Subject: py", b"", b"sealed"))
            (d,) = delivered(server, "bob")
        self.assertIn("with ESMTPSA id", d.received)
        self.assertEqual(d.message, b"Subject: py\n\nsealed\n")

    def test_smtp_ssl_implicit_tls(self):
        with security_server(self.users) as server:
            with smtplib.SMTP_SSL("localhost", server.ports["smtps"][0],
                                  local_hostname="client.example",
                                  context=self.context(server),
                                  timeout=WAIT_SECONDS) as smtp:
                smtp.login("alice", self.PASSWORD)
                smtp.sendmail("alice@bob.example", ["bob@bob.example"],
                              text(b"Subject: 465", b"", b"implicit"))
            (d,) = delivered(server, "bob")
        self.assertIn("with ESMTPSA id", d.received)

    def test_login_before_tls_not_possible(self):
        with security_server(self.users) as server:
            with smtplib.SMTP("localhost", server.ports["submission"][0],
                              timeout=WAIT_SECONDS) as smtp:
                with self.assertRaises(smtplib.SMTPNotSupportedError):
                    smtp.login("alice", self.PASSWORD)  # AUTH not advertised
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                    smtp.sendmail("alice@bob.example", ["bob@bob.example"], b"x\r\n")
                self.assertEqual(caught.exception.smtp_code, 530)

    def test_wrong_password(self):
        with security_server(self.users) as server:
            with smtplib.SMTP("localhost", server.ports["submission"][0],
                              timeout=WAIT_SECONDS) as smtp:
                smtp.starttls(context=self.context(server))
                with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                    smtp.login("alice", "guess")
                self.assertEqual(caught.exception.smtp_code, 535)
            self.assertTrue(maildir_empty(server))

    def test_relay_without_auth_refused(self):
        with security_server(self.users) as server:
            with connect(server) as smtp:
                with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
                    smtp.sendmail("m@mallory.example", ["v@elsewhere.example"], b"x\r\n")
            (code, _), = caught.exception.recipients.values()
            self.assertEqual(code, 550)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
