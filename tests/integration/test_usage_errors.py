"""Bad usage: a clear error on stderr, the documented exit code (2 in every
program), and nothing created on disk.

Each case runs a program in an empty temporary folder with a --maildir or
--queue inside it, and then checks that the folder is still empty: a typo
on the command line must not leave a half-made Maildir or a certificate
behind. The fix for the ports lives in one place (common/host_port.c), so
one table covers --listen, --submission, --smtps and --server.
"""

import os
import subprocess
import tempfile
import unittest

from mailwalk_test import Server, RawClient, program

SERVER = program("MAILWALK_SERVER", "server/mailwalk-server")
SEND = program("MAILWALK_SEND", "client/mailwalk-send")
READ = program("MAILWALK_READ", "client/mailwalk-read")
QUEUE = program("MAILWALK_QUEUE", "server/mailwalk-queue")

PORT_RANGE = "the port must be a number from 0 to 65535"
EXPECTED = "expected HOST:PORT, like 127.0.0.1:2525 or [::1]:2525"
USAGE = 2


def run_in_empty_folder(test, argv):
    """Run argv (with {dir} replaced by a fresh empty folder) and return
    stderr; assert exit status 2 and that the folder is still empty."""
    with tempfile.TemporaryDirectory(prefix="mailwalk-usage-") as folder:
        argv = [a.replace("{dir}", folder) for a in argv]
        r = subprocess.run(argv, cwd=folder, capture_output=True, text=True,
                           timeout=10, stdin=subprocess.DEVNULL)
        test.assertEqual(r.returncode, USAGE, f"{argv}: {r.stdout}{r.stderr}")
        test.assertEqual(r.stdout, "", argv)
        test.assertEqual(sorted(os.listdir(folder)), [],
                         f"{argv} created files before its usage error")
        return r.stderr


class PortTest(unittest.TestCase):
    """A port above 65535 or not a number is an error, not its low 16 bits
    (getaddrinfo() quietly turned 99999 into 34463 and 100561 into 35025)."""

    def test_server_listen_ports(self):
        for option in ("--listen", "--submission", "--smtps"):
            for address, why in (("127.0.0.1:99999", PORT_RANGE),
                                 ("127.0.0.1:65536", PORT_RANGE),
                                 ("127.0.0.1:smtp", PORT_RANGE),
                                 ("[::1]:100561", PORT_RANGE),
                                 ("127.0.0.1", EXPECTED)):
                with self.subTest(option=option, address=address):
                    err = run_in_empty_folder(
                        self, [SERVER, option, address, "--maildir", "{dir}/mail"])
                    self.assertEqual(err.splitlines()[0],
                                     f"mailwalk-server: {option} {address}: {why}")
                    self.assertEqual(err.splitlines()[1],
                                     "Try 'mailwalk-server --help'.")

    def test_listen_without_port_makes_no_certificate(self):
        # It used to exit 1 after making the classroom certificate in
        # <maildir>/.state; the docs say 2 for a bad command line.
        err = run_in_empty_folder(self, [SERVER, "--listen", "127.0.0.1",
                                         "--maildir", "{dir}/mail"])
        self.assertIn(EXPECTED, err)

    def test_send_server_port(self):
        for address, why in (("127.0.0.1:100561", PORT_RANGE),
                             ("127.0.0.1:65536", PORT_RANGE),
                             ("localhost", EXPECTED)):
            with self.subTest(address=address):
                err = run_in_empty_folder(self, [SEND, "--server", address, "--from",
                                                 "a@a.example", "--to", "b@b.example",
                                                 "--body", "x"])
                self.assertEqual(err.splitlines()[0],
                                 f"mailwalk-send: --server {address}: {why}")

    def test_port_65535_is_still_a_port(self):
        # The boundary: the largest port is accepted by the parser (the
        # connection is then refused: nothing listens there, exit 3).
        r = subprocess.run([SEND, "--server", "127.0.0.1:65535", "--from",
                            "a@a.example", "--to", "b@b.example", "--body", "x",
                            "--timeout", "5"], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 3, r.stderr)


class UsersFileTest(unittest.TestCase):
    """A missing or malformed --users file stops the server at once; it used
    to start, and every AUTH got 454."""

    def test_missing_users_file(self):
        err = run_in_empty_folder(self, [SERVER, "--users", "{dir}/no-such-file",
                                         "--maildir", "{dir}/mail"])
        self.assertRegex(err, r"^mailwalk-server: --users .*no-such-file: "
                              r"No such file or directory\n")

    def test_malformed_users_file(self):
        with tempfile.NamedTemporaryFile("w", prefix="mailwalk-users-",
                                         suffix=".txt") as users:
            users.write("# the classroom\nalice:not-a-hash\n")
            users.flush()
            err = run_in_empty_folder(self, [SERVER, "--users", users.name,
                                             "--maildir", "{dir}/mail"])
            self.assertIn(f"--users {users.name} line 2: not name:pbkdf2-sha256", err)

    def test_users_file_without_users(self):
        with tempfile.NamedTemporaryFile("w", prefix="mailwalk-users-") as users:
            users.write("# nobody yet\n")
            users.flush()
            err = run_in_empty_folder(self, [SERVER, "--users", users.name,
                                             "--maildir", "{dir}/mail"])
            self.assertIn("nobody could log in", err)


class QueueTest(unittest.TestCase):

    def test_list_with_flush(self):
        err = run_in_empty_folder(self, [QUEUE, "--queue", "{dir}", "--list",
                                         "--flush"])
        self.assertEqual(err, "mailwalk-queue: --list and --flush do not go "
                              "together: give one\nTry 'mailwalk-queue --help'.\n")


class UnknownOptionTest(unittest.TestCase):
    """One wording for an unknown option in every program."""

    def test_same_words_everywhere(self):
        for path, name, extra in ((SERVER, "mailwalk-server", ["--maildir", "{dir}/m"]),
                                  (SEND, "mailwalk-send", []),
                                  (READ, "mailwalk-read", []),
                                  (QUEUE, "mailwalk-queue", ["--queue", "{dir}"])):
            with self.subTest(program=name):
                err = run_in_empty_folder(self, [path] + extra + ["--frobnicate"])
                self.assertEqual(err, f"{name}: unknown option or missing value: "
                                      f"'--frobnicate'\nTry '{name} --help'.\n")

    def test_version_in_every_help(self):
        for path in (SERVER, SEND, READ, QUEUE):
            with self.subTest(program=os.path.basename(path)):
                r = subprocess.run([path, "--help"], capture_output=True, text=True,
                                   timeout=10)
                self.assertEqual(r.returncode, 0)
                self.assertRegex(r.stdout, r"\n  --version +show the version and exit\n")
                self.assertRegex(r.stdout, r"\n  --help +show this help and exit\n")


class CatchAllTest(unittest.TestCase):
    """--domain '*': the classroom catch-all. Every domain is delivered
    here, by local part; nothing is ever relayed."""

    def deliver(self, server, recipient):
        with RawClient(server.port) as c:
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(c.command("EHLO student.example")[0], 250)
            self.assertEqual(c.command("MAIL FROM:<alice@anywhere.example>")[0], 250)
            code = c.command(f"RCPT TO:<{recipient}>")[0]
            if code != 250:
                return code
            self.assertEqual(c.command("DATA")[0], 354)
            self.assertEqual(c.command("Subject: hi\r\n\r\nhello\r\n.")[0], 250)
            c.command("QUIT")
            return 250

    def test_any_domain_is_delivered_locally(self):
        with Server("--domain", "*", domain=None) as server:
            for rcpt in ("bob@bob.example", "carol@gmail.example",
                         "dave@[127.0.0.1]"):
                with self.subTest(rcpt=rcpt):
                    self.assertEqual(self.deliver(server, rcpt), 250)
            server.wait_for_messages("bob")
            server.wait_for_messages("carol")
            server.wait_for_messages("dave")

    def test_without_star_other_domains_are_refused(self):
        with Server("--domain", "bob.example", domain=None) as server:
            self.assertEqual(self.deliver(server, "carol@gmail.example"), 550)

    def test_star_never_relays(self):
        err = run_in_empty_folder(self, [SERVER, "--domain", "*", "--queue",
                                         "{dir}/queue", "--maildir", "{dir}/mail"])
        self.assertIn("leave out --queue", err)


if __name__ == "__main__":
    unittest.main()
