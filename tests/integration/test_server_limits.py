"""Limits and hostile input: what a server must survive (RFC 5321 4.5.3).

Overlong command lines, megabytes without a line ending, NUL bytes, many
recipients, idle and slow clients, too many clients at once. Each test
checks the reply codes the RFC names, and that the server keeps serving.
"""

import os
import socket
import time
import unittest

from mailwalk_test import RawClient, Server, WAIT_SECONDS


def session_pid(server):
    """The worker process serving the newest session: the "pid" of the
    last "connect" event in the server's log."""
    connects = [e for e in server.events() if e["event"] == "connect"]
    if not connects:
        raise AssertionError("no connect event in the log")
    return connects[-1]["pid"]


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class CommandLineLimitTest(unittest.TestCase):

    def setUp(self):
        self.server = Server()
        self.client = RawClient(self.server.port)
        self.assertEqual(self.client.reply()[0], 220)
        self.assertEqual(self.client.command("EHLO alice.example")[0], 250)

    def tearDown(self):
        self.client.close()
        self.server.stop()
        self.server.tmp.cleanup()

    def test_512_octets_is_a_command_513_is_not(self):
        c = self.client
        line = "NOOP " + "x" * (512 - 5 - 2)         # 512 with CRLF
        self.assertEqual(c.command(line)[0], 250)
        code, lines = c.command(line + "x")           # 513 with CRLF
        self.assertEqual((code, lines[0][:6]), (500, "5.5.2 "))
        # The session goes on, and the long line was not half-obeyed.
        self.assertEqual(c.command("MAIL FROM:<alice@alice.example>")[0], 250)
        code, _ = c.command("RCPT TO:<bob@bob.example>" + " " * 600)
        self.assertEqual(code, 500)
        self.assertEqual(c.command("DATA")[0], 503)   # that RCPT did not count

    def test_megabytes_without_line_end_memory_bounded(self):
        c = self.client
        pid = session_pid(self.server)
        before = vm_rss_kib(pid)
        chunk = b"A" * 65536
        for _ in range(64):                           # 4 MiB, no CRLF
            c.send(chunk)
        c.send(b"\x00\xff junk \x80")
        self.assertEqual(c.command("")[0], 500)       # the CRLF ends it: one 500
        after = vm_rss_kib(pid)
        self.assertLess(after - before, 1024,
                        "session grew from %d to %d KiB" % (before, after))
        self.assertEqual(c.command("NOOP")[0], 250)

    def test_megabyte_line_inside_data(self):
        c = self.client
        pid = session_pid(self.server)
        c.command("MAIL FROM:<alice@alice.example>")
        c.command("RCPT TO:<bob@bob.example>")
        self.assertEqual(c.command("DATA")[0], 354)
        before = vm_rss_kib(pid)
        for _ in range(32):                           # 2 MiB in one line
            c.send(b"B" * 65536)
        c.send(b"\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertLess(vm_rss_kib(pid) - before, 1024)
        [message] = self.server.messages("bob")
        self.assertTrue(message.endswith(b"\n" + b"B" * (32 * 65536) + b"\n"))

    def test_nul_bytes_and_junk_in_commands(self):
        c = self.client
        c.send(b"NOOP\x00\r\n")
        self.assertEqual(c.reply()[0], 500)
        c.send(b"\xff\xfe\xfd\r\n")
        self.assertEqual(c.reply()[0], 500)
        c.send(b"MAIL FROM:<al\x00ice@alice.example>\r\n")
        self.assertEqual(c.reply()[0], 500)
        c.send(b"MAIL FROM:<al\x7fice@alice.example>\r\n")
        self.assertEqual(c.reply()[0], 501)
        c.send(b"\x00" * 2000 + b"\r\n")
        self.assertEqual(c.reply()[0], 500)
        self.assertEqual(c.command("NOOP")[0], 250)


class RecipientLimitTest(unittest.TestCase):

    def rcpt_codes(self, server, count):
        with RawClient(server.port) as c:
            c.reply()
            c.command("EHLO alice.example")
            c.command("MAIL FROM:<alice@alice.example>")
            # Pipelined, as a real client would send 101 RCPTs.
            c.send("".join("RCPT TO:<user%d@bob.example>\r\n" % i
                           for i in range(1, count + 1)))
            replies = [c.reply() for _ in range(count)]
            self.assertEqual(c.command("DATA")[0], 354)
            self.assertEqual(c.command(".")[0], 250)
            return replies

    def test_100_accepted_101st_gets_452(self):
        with Server() as server:
            # 100 users who have mailboxes already: new names are made at
            # most SESSION_MAX_NEW_MAILBOXES per session (issue 12).
            for i in range(1, 101):
                for sub in ("tmp", "new", "cur"):
                    os.makedirs(os.path.join(server.maildir, f"user{i}", sub),
                                mode=0o700)
            replies = self.rcpt_codes(server, 101)
            self.assertEqual([r[0] for r in replies[:100]], [250] * 100)
            self.assertEqual(replies[100][0], 452)
            self.assertTrue(replies[100][1][0].startswith("4.5.3 "))
            self.assertEqual(len(server.messages("user100")), 1)
            self.assertEqual(server.messages("user101"), [])

    def test_max_recipients_3(self):
        with Server("--max-recipients", "3") as server:
            replies = self.rcpt_codes(server, 5)
            self.assertEqual([r[0] for r in replies], [250, 250, 250, 452, 452])


class TimeoutTest(unittest.TestCase):

    def test_idle_client_gets_421_while_others_are_served(self):
        with Server("--timeout", "1") as server, RawClient(server.port) as idle:
            self.assertEqual(idle.reply()[0], 220)
            started = time.monotonic()
            # Meanwhile another client is served at once.
            with RawClient(server.port) as busy:
                self.assertEqual(busy.reply()[0], 220)
                busy.command("EHLO alice.example")
                busy.command("MAIL FROM:<alice@alice.example>")
                busy.command("RCPT TO:<bob@bob.example>")
                busy.command("DATA")
                self.assertEqual(busy.command("meanwhile\r\n.")[0], 250)
            busy_done = time.monotonic() - started
            code, lines = idle.reply()
            waited = time.monotonic() - started
            self.assertEqual((code, lines[0][:6]), (421, "4.4.2 "))
            self.assertLess(busy_done, waited)   # served before the 421
            self.assertGreater(waited, 0.8)
            self.assertLess(waited, 5)
            self.assertTrue(idle.closed())
            self.assertEqual(len(server.messages("bob")), 1)

    def test_slow_client_times_out_too(self):
        # A client that sends one byte now and then, never a whole line,
        # must not hold its session (and a --max-sessions slot) forever.
        with Server("--timeout", "2") as server, RawClient(server.port) as slow:
            self.assertEqual(slow.reply()[0], 220)
            started = time.monotonic()
            slow.sock.settimeout(0.4)
            got = b""
            while time.monotonic() - started < 8 and b"\r\n" not in got:
                try:
                    slow.sock.sendall(b"N")
                    chunk = slow.sock.recv(512)
                    if not chunk:
                        break
                    got += chunk
                except socket.timeout:
                    pass
                except OSError:
                    break
            self.assertTrue(got.startswith(b"421 4.4.2 "), got)
            self.assertLess(time.monotonic() - started, 6)

    def test_timeout_in_data_discards_the_message(self):
        with Server("--timeout", "1") as server, RawClient(server.port) as c:
            c.reply()
            c.command("EHLO alice.example")
            c.command("MAIL FROM:<alice@alice.example>")
            c.command("RCPT TO:<bob@bob.example>")
            c.command("DATA")
            c.send("half a message\r\n")
            self.assertEqual(c.reply()[0], 421)
            self.assertTrue(c.closed())
            deadline = time.monotonic() + WAIT_SECONDS
            while server.files_in("bob", "tmp") and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(server.files_in("bob", "tmp"), [])
            self.assertEqual(server.files_in("bob", "new"), [])


class MaxSessionsTest(unittest.TestCase):

    def test_third_client_gets_421(self):
        with Server("--max-sessions", "2") as server:
            first = RawClient(server.port)
            second = RawClient(server.port)
            self.assertEqual(first.reply()[0], 220)
            self.assertEqual(second.reply()[0], 220)
            with RawClient(server.port) as third:
                code, lines = third.reply()
                self.assertEqual((code, lines[0][:6]), (421, "4.3.2 "))
                self.assertTrue(third.closed())
            # The two served clients are unaffected.
            self.assertEqual(first.command("NOOP")[0], 250)
            self.assertEqual(second.command("NOOP")[0], 250)
            # When one leaves, a new client is served again (the server
            # notices the finished session within about a second).
            self.assertEqual(first.command("QUIT")[0], 221)
            first.close()
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                with RawClient(server.port) as again:
                    code = again.reply()[0]
                if code == 220 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(code, 220)
            second.close()

    def test_pool_grows_as_clients_come(self):
        """8 idle workers at start, not --max-sessions of them; 30 clients
        at once are all greeted, the pool grows to serve them, and the
        31st of --max-sessions 30 is refused."""
        def workers(server, expected):
            """The server's child processes, once there are `expected`
            of them (or what there is after a few seconds)."""
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                pids = [d for d in os.listdir("/proc") if d.isdigit()]
                children = 0
                for pid in pids:
                    try:
                        with open(f"/proc/{pid}/stat") as f:
                            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
                    children += ppid == server.proc.pid
                if children == expected or time.monotonic() > deadline:
                    return children
                time.sleep(0.05)
        with Server("--max-sessions", "30", "--max-per-client", "0") as server:
            self.assertEqual(workers(server, 8), 8)
            time.sleep(0.5)  # no more come while nobody connects
            self.assertEqual(workers(server, 8), 8)
            clients = [RawClient(server.port) for _ in range(30)]
            try:
                for client in clients:
                    self.assertEqual(client.reply()[0], 220)
                self.assertEqual(workers(server, 30), 30)
                with RawClient(server.port) as extra:
                    self.assertEqual(extra.reply()[0], 421)
            finally:
                for client in clients:
                    client.close()


if __name__ == "__main__":
    unittest.main()
