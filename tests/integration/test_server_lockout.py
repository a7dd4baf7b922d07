"""Integration: a classroom cannot lock the server out (issue 12).

Each test starts its own mailwalk-server on loopback and plays the attack
for real, over real sockets: connections that stay silent, or say NOOP
every few tenths of a second ("slowloris"), hundreds of clients queued at
once, a password guesser on many connections, a server out of file
descriptors. Then it checks that an honest client is still served, and
how soon.

Loopback has a whole network, 127.0.0.0/8: a test binds its clients to
127.0.0.2, 127.0.0.3, ... so that they are different "addresses" to the
server. 127.0.0.1 itself is exempt from the per-client limits by default
(--limit-exempt), like the rest of the test suite that connects from it.
The option values are small (1-2 seconds) so that each test is short.
"""

import base64
import os
import resource
import selectors
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

from mailwalk_test import WAIT_SECONDS, RawClient, Server, program, wait_for

sys.path.insert(0, os.path.dirname(__file__))
from test_server_security import PASSWORD, hash_password, plain  # noqa: E402


class ClientFrom(RawClient):
    """A RawClient whose connection comes from a chosen loopback address."""

    def __init__(self, port, source, timeout=WAIT_SECONDS):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        self.buffer = b""

    def start_tls(self, cafile):
        context = ssl.create_default_context(cafile=cafile)
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")


def greeting_or_refusal(port, source):
    """Connect from source and read the first reply: (code, text, client)."""
    c = ClientFrom(port, source)
    try:
        code, lines = c.reply()
    except (ConnectionError, OSError):
        c.close()
        return None, "", None
    return code, lines[0], c


def deliver(c, who="carol"):
    """A whole transaction on an open, greeted client; the final code."""
    c.command("EHLO honest.example")
    c.command("MAIL FROM:<%s@honest.example>" % who)
    c.command("RCPT TO:<bob@bob.example>")
    c.command("DATA")
    return c.command("Subject: still served\r\n\r\nhello\r\n.")[0]


def served_within(port, source, seconds):
    """Knock every 0.1 s, as a retrying client would, until a 220 comes;
    return (client, seconds it took) or (None, seconds) if none came."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        code, _, c = greeting_or_refusal(port, source)
        if code == 220:
            return c, time.monotonic() - started
        if c is not None:
            c.close()
        time.sleep(0.1)
    return None, time.monotonic() - started


def cpu_seconds(pid):
    """User + system CPU time a process has used (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """The pids of a process's children."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(name))
            except OSError:
                pass
    return found


class PerClientLimitTest(unittest.TestCase):

    def test_one_address_gets_its_share_only(self):
        # --max-per-client 2 of 4 workers: a third session from 127.0.0.2
        # gets 421 4.7.0 at once, and another address is still served.
        with Server("--max-sessions", "4", "--max-per-client", "2") as server:
            a1 = ClientFrom(server.port, "127.0.0.2")
            a2 = ClientFrom(server.port, "127.0.0.2")
            self.assertEqual(a1.reply()[0], 220)
            self.assertEqual(a2.reply()[0], 220)
            with ClientFrom(server.port, "127.0.0.2") as a3:
                code, lines = a3.reply()
                self.assertEqual(code, 421)
                self.assertTrue(lines[0].startswith("4.7.0 "), lines)
                self.assertIn("from your address", lines[0])
                self.assertTrue(a3.closed())
            with ClientFrom(server.port, "127.0.0.3") as other:
                self.assertEqual(other.reply()[0], 220)
                self.assertEqual(deliver(other), 250)
            # When one of its sessions ends, the address may open another.
            self.assertEqual(a1.command("QUIT")[0], 221)
            a1.close()
            c, _ = served_within(server.port, "127.0.0.2", 3)
            self.assertIsNotNone(c)
            c.close()
            a2.close()
            refused = server.wait_for_event("refused")
            self.assertEqual(refused[0]["reason"], "too many sessions from one address")

    def test_exempt_address_and_none(self):
        # 127.0.0.1 is exempt by default; a NAT address can be made exempt
        # with --limit-exempt (the instructor's class behind one address).
        with Server("--max-sessions", "4", "--max-per-client", "1",
                    "--limit-exempt", "127.0.0.2/32") as server:
            clients = [ClientFrom(server.port, "127.0.0.2") for _ in range(3)]
            self.assertEqual([c.reply()[0] for c in clients], [220] * 3)
            # 127.0.0.1 is not exempt any more: the list replaced it.
            with RawClient(server.port) as first, RawClient(server.port) as second:
                self.assertEqual(first.reply()[0], 220)
                self.assertEqual(second.reply()[0], 421)
            for c in clients:
                c.close()

    def test_rate_per_client(self):
        with Server("--max-rate-per-client", "3") as server:
            codes = []
            for _ in range(5):
                code, _, c = greeting_or_refusal(server.port, "127.0.0.2")
                codes.append(code)
                if code == 220:
                    c.command("QUIT")
                c.close()
            self.assertEqual(codes, [220, 220, 220, 421, 421])
            code, _, c = greeting_or_refusal(server.port, "127.0.0.3")
            self.assertEqual(code, 220)
            c.close()


class SlowlorisTest(unittest.TestCase):
    """Four workers, each address may hold two: two attacking addresses
    take all four. While every worker is busy and clients are turned
    away (the honest one's first try), idle sessions get only
    --busy-timeout (1 s), and sessions sending less than --min-rate bytes
    a second (NOOP every 0.3 s is 20) are closed once older than that."""

    ARGS = ("--max-sessions", "4", "--max-per-client", "2", "--busy-timeout", "1",
            "--timeout", "300")
    ATTACKERS = ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3")
    BOUND = 4  # seconds within which the honest client must be served

    def occupy(self, server):
        attackers = [ClientFrom(server.port, a) for a in self.ATTACKERS]
        self.assertEqual([c.reply()[0] for c in attackers], [220] * 4)
        return attackers

    def test_silent_connections_cannot_lock_out(self):
        with Server(*self.ARGS) as server:
            attackers = self.occupy(server)
            # All four workers are busy: the honest client is refused at
            # first, at once, then served once the silent ones time out.
            started = time.monotonic()
            code, text, c = greeting_or_refusal(server.port, "127.0.0.4")
            self.assertEqual((code, text[:6]), (421, "4.3.2 "))
            self.assertLess(time.monotonic() - started, 1)
            c.close()
            honest, waited = served_within(server.port, "127.0.0.4", self.BOUND)
            self.assertIsNotNone(honest, "not served within %d s" % self.BOUND)
            self.assertEqual(deliver(honest), 250)
            honest.close()
            # The silent ones that made room were told why (RFC 5321 §3.8:
            # 421, then close). Once a worker is free the server is no
            # longer "busy", and the others keep the usual --timeout.
            told = 0
            for a in attackers:
                a.sock.settimeout(0.2)
                try:
                    code, lines = a.reply()
                    self.assertEqual((code, lines[0][:6]), (421, "4.4.2 "))
                    told += 1
                except (TimeoutError, socket.timeout):
                    pass
                a.close()
            self.assertGreaterEqual(told, 1)
            print("silent: served after %.1f s" % waited)

    def test_noop_keepalive_cannot_lock_out(self):
        with Server(*self.ARGS) as server:
            attackers = self.occupy(server)
            stop = threading.Event()
            endings = []

            def keep_alive(c):
                # NOOP every 0.3 s: never idle for a whole timeout.
                try:
                    for _ in range(100):  # at most 30 s
                        if stop.is_set():
                            return
                        code, lines = c.command("NOOP")
                        if code != 250:
                            endings.append((code, lines[0]))
                            return
                        time.sleep(0.3)
                except OSError:
                    endings.append((None, "closed"))

            threads = [threading.Thread(target=keep_alive, args=(a,)) for a in attackers]
            for t in threads:
                t.start()
            try:
                honest, waited = served_within(server.port, "127.0.0.4", self.BOUND)
                self.assertIsNotNone(honest, "not served within %d s" % self.BOUND)
                self.assertEqual(deliver(honest), 250)
                honest.close()
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=WAIT_SECONDS)
                for a in attackers:
                    a.close()
            # At least one keep-alive session was closed for being too slow
            # (its 421 may have come after the threads stopped reading).
            self.assertTrue(all(code == 421 and "Too slow" in text
                                for code, text in endings), endings)
            slow = server.events("disconnect", reason="too slow while the server is busy")
            self.assertGreaterEqual(len(slow), 1)
            print("NOOP keep-alive: served after %.1f s" % waited)

    def test_busy_alone_is_not_stress(self):
        # One worker, one slow student typing, nobody waiting: the short
        # limits are for when clients are turned away, not before.
        with Server("--max-sessions", "1", "--busy-timeout", "1") as server:
            with ClientFrom(server.port, "127.0.0.2") as c:
                self.assertEqual(c.reply()[0], 220)
                time.sleep(2.5)
                self.assertEqual(c.command("NOOP")[0], 250)

    def test_session_limit(self):
        # Even on a quiet server, no session outlives --session-limit.
        with Server("--session-limit", "2") as server:
            with ClientFrom(server.port, "127.0.0.2") as c:
                self.assertEqual(c.reply()[0], 220)
                started = time.monotonic()
                while time.monotonic() - started < 6:
                    code, lines = c.command("NOOP")
                    if code != 250:
                        break
                    time.sleep(0.2)
                self.assertEqual(code, 421)
                self.assertIn("Session too long", lines[0])
                self.assertTrue(1.5 < time.monotonic() - started < 4)


class OverflowTest(unittest.TestCase):

    def test_400_queued_clients_get_421_fast(self):
        # Two workers, both busy; 400 more clients knock at once. Each must
        # get its 421 within a second (the old server waited 250 ms per
        # client: the 400th waited 100 s), and a client after them too.
        with Server("--max-sessions", "2") as server:
            busy = [RawClient(server.port), RawClient(server.port)]
            self.assertEqual([c.reply()[0] for c in busy], [220, 220])
            selector = selectors.DefaultSelector()
            started = time.monotonic()
            for _ in range(400):
                s = socket.create_connection(("127.0.0.1", server.port))
                s.setblocking(False)
                selector.register(s, selectors.EVENT_READ, [time.monotonic(), b""])
            answered, slowest = [], 0.0
            deadline = time.monotonic() + 10
            while len(answered) < 400 and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=0.5):
                    try:
                        chunk = key.fileobj.recv(512)
                    except ConnectionResetError:
                        chunk = b""
                    key.data[1] += chunk
                    if not chunk or b"\r\n" in key.data[1]:
                        slowest = max(slowest, time.monotonic() - key.data[0])
                        answered.append(key.data[1])
                        selector.unregister(key.fileobj)
                        key.fileobj.close()
            all_done = time.monotonic() - started
            for key in list(selector.get_map().values()):
                key.fileobj.close()
            selector.close()
            self.assertEqual(len(answered), 400)
            self.assertEqual(sum(a.startswith(b"421 4.3.2 ") for a in answered), 400)
            self.assertLess(slowest, 1.0)
            # One more client, after the crowd: refused within 0.5 s...
            started_one = time.monotonic()
            with RawClient(server.port) as late:
                self.assertEqual(late.reply()[0], 421)
            self.assertLess(time.monotonic() - started_one, 0.5)
            # ...and served at once when a worker is free again: a worker
            # says it is free before its 221 leaves, so an immediate
            # reconnect is not refused.
            self.assertEqual(busy[0].command("QUIT")[0], 221)
            busy[0].close()
            with RawClient(server.port) as again:
                self.assertEqual(again.reply()[0], 220)
            busy[1].close()
            print("400 queued: slowest 421 after %.3f s, all in %.2f s"
                  % (slowest, all_done))


class AuthGuessingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.users_dir = tempfile.TemporaryDirectory()
        cls.users = os.path.join(cls.users_dir.name, "users")
        with open(cls.users, "w") as f:
            f.write("alice:" + hash_password(PASSWORD) + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.users_dir.cleanup()

    def login(self, server, source, user, password):
        """STARTTLS, then AUTH PLAIN on the submission port: the code."""
        c = ClientFrom(server.ports["submission"][0], source)
        try:
            c.reply()
            c.command("EHLO guesser.example")
            c.command("STARTTLS")
            c.start_tls(server.cert_path)
            c.command("EHLO guesser.example")
            return c.command("AUTH PLAIN " + plain(user, password))[0]
        finally:
            c.close()

    def test_guessing_from_many_connections_is_slowed(self):
        with Server("--users", self.users, "--submission", "127.0.0.1:0",
                    "--max-sessions", "6", "--max-per-client", "3",
                    "--max-auth-failures", "5") as server:
            codes = []
            lock = threading.Lock()

            def guesser(n):
                # Three connections one after another, each guessing until
                # it is sent away (421 after three failures).
                for round in range(3):
                    try:
                        c = ClientFrom(server.ports["submission"][0], "127.0.0.2")
                    except OSError:
                        return
                    try:
                        c.reply()
                        c.command("EHLO guesser.example")
                        c.command("STARTTLS")
                        c.start_tls(server.cert_path)
                        c.command("EHLO guesser.example")
                        for i in range(5):
                            guess = "guess%d.%d.%d" % (n, round, i)
                            code = c.command("AUTH PLAIN " + plain("alice", guess))[0]
                            with lock:
                                codes.append(code)
                            if code == 421:
                                break
                    except (OSError, ConnectionError):
                        pass
                    finally:
                        c.close()

            started = time.monotonic()
            threads = [threading.Thread(target=guesser, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            # Meanwhile, port 25 is served as usual.
            with ClientFrom(server.port, "127.0.0.4") as honest:
                self.assertEqual(honest.reply()[0], 220)
                self.assertEqual(deliver(honest), 250)
            port25 = time.monotonic() - started
            for t in threads:
                t.join(timeout=60)
            guessing = time.monotonic() - started
            # At most --max-auth-failures guesses were really tried (535);
            # the rest got 454 4.7.0 without a look at the password, or 421.
            # (Fewer than 5 when a loaded machine drops a guesser's
            # connection after its failure was counted but before its 535
            # was read; without the limit there would be 27.)
            self.assertLessEqual(codes.count(535), 5, codes)
            self.assertGreater(codes.count(535), 0, codes)
            self.assertGreater(codes.count(454), 0, codes)
            self.assertEqual(set(codes) - {535, 454, 421}, set(), codes)
            self.assertLess(port25, 5)
            # The name is blocked for everyone now, the right password too;
            # and the address for every name.
            self.assertEqual(self.login(server, "127.0.0.3", "alice", PASSWORD), 454)
            self.assertEqual(self.login(server, "127.0.0.2", "carol", "x"), 454)
            refused = [e for e in server.events("auth")
                       if e["result"].startswith("refused")]
            self.assertGreater(len(refused), 0)
            print("guessing: %d answers in %.1f s, %d really tried"
                  % (len(codes), guessing, codes.count(535)))

    def test_failures_are_forgotten_after_the_window(self):
        window = 6
        with Server("--users", self.users, "--submission", "127.0.0.1:0",
                    "--max-auth-failures", "1", "--auth-failure-window",
                    str(window)) as server:
            started = time.monotonic()
            self.assertEqual(self.login(server, "127.0.0.2", "alice", "wrong"), 535)
            if time.monotonic() - started > window - 2:
                self.skipTest("the machine is too slow to time a %d s window" % window)
            self.assertEqual(self.login(server, "127.0.0.3", "alice", PASSWORD), 454)
            time.sleep(max(0, window + 0.2 - (time.monotonic() - started)))
            wait_for(lambda: self.login(server, "127.0.0.3", "alice", PASSWORD) == 235,
                     timeout=10, what="alice's login after the window")


class OutOfDescriptorsTest(unittest.TestCase):

    def test_emfile_gives_421_and_no_spinning(self):
        with Server("--max-sessions", "1") as server:
            worker = wait_for(lambda: children(server.proc.pid), what="the worker")[0]
            open_fds = {int(fd) for fd in os.listdir("/proc/%d/fd" % worker)}
            lowest_free = min(set(range(len(open_fds) + 1)) - open_fds)
            old = resource.prlimit(worker, resource.RLIMIT_NOFILE)
            # From now on the worker cannot open one more descriptor.
            resource.prlimit(worker, resource.RLIMIT_NOFILE, (lowest_free, old[1]))
            before = cpu_seconds(worker)
            started = time.monotonic()
            for _ in range(3):
                with RawClient(server.port) as c:
                    code, lines = c.reply()
                    self.assertEqual((code, lines[0][:6]), (421, "4.3.2 "))
                    self.assertIn("Out of resources", lines[0])
            self.assertLess(time.monotonic() - started, 3)
            # A client that waits in the queue while the worker pauses; the
            # worker must not spin meanwhile (the old one took 66% of a CPU).
            time.sleep(2)
            used = cpu_seconds(worker) - before
            self.assertLess(used, 0.3, "worker used %.2f s of CPU" % used)
            errors = [e for e in server.events("error")
                      if "out of file descriptors" in e.get("what", "")]
            self.assertEqual(len(errors), 1)   # said once, not per client
            # A descriptor frees: the server serves again.
            resource.prlimit(worker, resource.RLIMIT_NOFILE, old)
            with RawClient(server.port) as c:
                self.assertEqual(c.reply()[0], 220)
                self.assertEqual(deliver(c), 250)
            print("EMFILE: worker CPU %.2f s in %.1f s"
                  % (used, time.monotonic() - started))

    def test_emfile_in_the_parent(self):
        # The parent accepts too: the clients it refuses while every worker
        # is busy. Out of descriptors, it must still refuse, and not spin.
        with Server("--max-sessions", "1") as server:
            wait_for(lambda: children(server.proc.pid), what="the worker")
            with RawClient(server.port) as busy:
                self.assertEqual(busy.reply()[0], 220)
                parent = server.proc.pid
                open_fds = {int(fd) for fd in os.listdir("/proc/%d/fd" % parent)}
                lowest_free = min(set(range(len(open_fds) + 1)) - open_fds)
                old = resource.prlimit(parent, resource.RLIMIT_NOFILE)
                resource.prlimit(parent, resource.RLIMIT_NOFILE, (lowest_free, old[1]))
                before = cpu_seconds(parent)
                for _ in range(3):
                    with RawClient(server.port) as c:
                        code, lines = c.reply()
                        self.assertEqual((code, lines[0][:6]), (421, "4.3.2 "))
                time.sleep(1)
                used = cpu_seconds(parent) - before
                self.assertLess(used, 0.3, "the parent used %.2f s of CPU" % used)
                resource.prlimit(parent, resource.RLIMIT_NOFILE, old)
                self.assertEqual(busy.command("NOOP")[0], 250)


if __name__ == "__main__":
    unittest.main(verbosity=2)
