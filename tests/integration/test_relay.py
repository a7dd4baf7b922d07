"""Store-and-forward (issue 5): Alice's server queues, relays, retries and
bounces; Bob's server (or a scripted stand-in) takes the mail.

Every test builds its own little Internet on loopback: two or three
mailwalk-servers, each in its own folder, with a routes file standing in
for DNS MX records. The queue runner looks at the queue every 250 ms and
the tests use --retry 1s, so each story takes a second or two; every wait
polls a Maildir or the event log against a deadline.

RFC 5321 §2.1 (store-and-forward), §4.5.4 (retry, give up), §6.1 (once we
say 250 the message is ours: never lose it, bounce what fails, never
bounce a bounce), §6.3 (loops), §3.6.2 and §7.1 (no open relay).
"""

import fcntl
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from mailwalk_test import (WAIT_SECONDS, FakeMTA, RawClient, Server, program,
                           wait_for)

PASSWORD = "correct horse battery"


def free_port():
    """A loopback port nobody listens on (for a server started later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def received_hosts(message):
    """The 'by' host of every Received: header, top (newest) first."""
    header = message.split(b"\n\n", 1)[0].decode("latin-1")
    unfolded = re.sub(r"\n[ \t]+", " ", header)
    return re.findall(r"^Received: .*? by (\S+)", unfolded, re.M)


def count_fields(message, name):
    header = message.split(b"\n\n", 1)[0]
    return sum(1 for line in header.split(b"\n")
               if line.lower().startswith(name.lower().encode() + b":"))


def submit(port, sender, recipients, body="Subject: hello\r\n\r\nHi Bob!",
           host="127.0.0.1"):
    """One SMTP transaction as a plain client. Returns (RCPT replies, final
    reply) where a reply is (code, first text line); the final reply is
    None if no recipient was accepted."""
    with RawClient(port, host=host) as c:
        assert c.reply()[0] == 220
        assert c.command("EHLO client.alice.example")[0] == 250
        code, lines = c.command(f"MAIL FROM:<{sender}>")
        assert code == 250, (code, lines)
        rcpt = []
        for r in recipients:
            code, lines = c.command(f"RCPT TO:<{r}>")
            rcpt.append((code, lines[0]))
        final = None
        if any(code == 250 for code, _ in rcpt):
            assert c.command("DATA")[0] == 354
            code, lines = c.command(body + "\r\n.")
            final = (code, lines[0])
        c.command("QUIT")
    return rcpt, final


def queue_id(final):
    """The queue ID out of '2.0.0 OK: queued as ID'."""
    m = re.search(r"queued as (\S+)$", final[1])
    assert final[0] == 250 and m, final
    return m.group(1)


def queue_ids(queue):
    """The IDs of the messages waiting in a queue folder."""
    return sorted(os.listdir(os.path.join(queue, "envelopes")))


def run_queue_tool(*args):
    """mailwalk-queue; returns (exit code, stdout, stderr)."""
    r = subprocess.run([program("MAILWALK_QUEUE", "server/mailwalk-queue"), *args],
                       capture_output=True, timeout=WAIT_SECONDS)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def wait_unlocked(queue):
    """Wait until no process of a stopped server still holds the queue's
    lock (its runner and workers leave a moment after the parent). If one
    never does, end it (nothing of a test may outlive it) and fail."""
    path = os.path.join(queue, "lock")

    def free():
        with open(path, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(f, fcntl.LOCK_UN)
            return True
    try:
        wait_for(free, what=f"the lock of {queue} to be released")
    except AssertionError:
        left = holders(path)
        for pid, _ in left:
            os.kill(pid, signal.SIGKILL)
        raise AssertionError(
            f"processes of the killed server still hold {path}: {left} "
            "(orphaned workers: a worker forked just before the parent died "
            "never got PR_SET_PDEATHSIG; see workers.c worker_main)") from None


def holders(path):
    """Which processes have a file open: [(pid, "state, parent pid")]."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == path for fd in fds):
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":\t", 1) for line in f if ":\t" in line)
                found.append((int(pid), "state %s, parent %s" % (
                    status["State"].strip(), status["PPid"].strip())))
        except OSError:
            continue
    return found


class RelayTestCase(unittest.TestCase):
    """A folder per test; every server started is stopped at the end."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="mailwalk-relay-")
        self.addCleanup(tmp.cleanup)  # runs last: after the servers stop
        self.dir = tmp.name
        self.queue = os.path.join(self.dir, "alice", "queue")

    def start(self, *args, **kwargs):
        server = Server(*args, **kwargs)
        self.addCleanup(self.check_healthy, server)  # after it stops:
        self.addCleanup(server.__exit__)
        return server

    def check_healthy(self, server):
        """No server may have crashed a child on the way: a queue runner
        that died is restarted (main.c), which could hide a bug, and the
        sanitizers of the ASan build report on stderr."""
        restarts = [e for e in server.events("error", session="server")
                    if "queue runner" in e.get("what", "")]
        self.assertEqual(len(restarts), getattr(server, "runner_kills", 0), restarts)
        self.assertNotIn("Sanitizer", server.stderr_text)
        self.assertNotIn("runtime error", server.stderr_text)

    def routes(self, name, table):
        """Write a routes file {domain: port} (all on 127.0.0.1)."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for domain, port in table.items():
                f.write(f"{domain} 127.0.0.1:{port}\n")
        return path

    def bob(self, *extra, port=0, workdir=None):
        """Bob's server: mail for bob.example into its Maildirs."""
        return self.start("--hostname", "mail.bob.example", *extra,
                          domain="bob.example", port=port,
                          workdir=workdir or os.path.join(self.dir, "bob"))

    def alice(self, bob_port, *extra, routes=None, workdir=None):
        """Alice's server: her domain is alice.example; mail for bob.example
        is queued in self.queue and relayed to bob_port."""
        if routes is None:
            routes = self.routes("alice-routes", {"bob.example": bob_port})
        workdir = workdir or os.path.join(self.dir, "alice")
        os.makedirs(workdir, exist_ok=True)
        return self.start("--hostname", "mail.alice.example", "--queue", self.queue,
                          "--routes", routes, "--retry", "1s", *extra,
                          domain="alice.example", workdir=workdir)

    def assert_queue_empty(self):
        for sub in ("envelopes", "messages", "tmp"):
            self.assertEqual(os.listdir(os.path.join(self.queue, sub)), [], sub)

    def wait_queue_empty(self, server, queue=None):
        """Wait until nothing is left in a queue folder: no envelope, no
        message text, no half-written file in tmp/."""
        queue = queue or self.queue

        def left():
            return [os.path.join(sub, name)
                    for sub in ("envelopes", "messages", "tmp")
                    for name in os.listdir(os.path.join(queue, sub))]
        wait_for(lambda: not left(), what=lambda: f"an empty queue, not {left()}; "
                 + str(server.events(session="queue")[-5:]))


# ----- relayed end to end ---------------------------------------------------

class EndToEndTest(RelayTestCase):

    def users_file(self):
        out = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                              "--hash-password"], input=PASSWORD.encode() + b"\n",
                             capture_output=True, timeout=WAIT_SECONDS, check=True)
        path = os.path.join(self.dir, "users")
        with open(path, "w") as f:
            f.write(f"alice:{out.stdout.decode().strip()}\n")
        password = os.path.join(self.dir, "password")
        with open(password, "w") as f:
            f.write(PASSWORD + "\n")
        return path, password

    def send(self, port, *extra):
        r = subprocess.run(
            [program("MAILWALK_SEND", "client/mailwalk-send"),
             "--server", f"localhost:{port}", "--from", "alice@alice.example",
             "--to", "bob@bob.example", "--subject", "over the hop",
             "--body", "Hi Bob, from Alice's server.", "--timeout", "10", *extra],
            capture_output=True, timeout=WAIT_SECONDS * 2)
        return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(
            errors="replace")

    def test_submission_with_auth_over_starttls_is_relayed(self):
        """The whole story of docs/architecture.md ("The story"): mailwalk-send logs in on the
        submission port, Alice's server queues and relays, Bob's server
        delivers with both Received: headers; the same message without
        logging in, or logged in but on the port-25 role, is refused."""
        users, password = self.users_file()
        bob = self.bob()
        alice = self.alice(bob.port, "--submission", "127.0.0.1:0", "--smtps",
                           "127.0.0.1:0", "--users", users)
        login = ["--user", "alice", "--password-file", password]

        rc, out = self.send(alice.ports["submission"][0], "--starttls", "--cafile",
                            alice.cert_path, *login)
        self.assertEqual(rc, 0, out)
        self.assertIn("S~ 235", out)
        self.assertRegex(out, r"S~ 250 2\.0\.0 OK: queued as \S+")
        [message] = bob.wait_for_messages("bob")
        self.assertEqual(received_hosts(message),
                         ["mail.bob.example", "mail.alice.example"])
        self.assertIn(b"with ESMTPSA", message)  # TLS + AUTH, RFC 3848
        self.assertTrue(message.startswith(b"Return-Path: <alice@alice.example>\n"))
        self.assertTrue(message.endswith(b"\n\nHi Bob, from Alice's server.\n"))
        # Every step in Alice's event log: queued (by alice), tried, relayed.
        [queued] = alice.wait_for_event("queued", user="alice")
        alice.wait_for_event("done", id=queued["id"])
        self.assertEqual(len(alice.events("relayed", session="queue")), 1)
        self.assertTrue(alice.events("relay_out", session="relay"))
        self.assertTrue(alice.events("relay_in", session="relay"))
        self.wait_queue_empty(alice)

        # The port-465 role (implicit TLS) is submission too.
        rc, out = self.send(alice.ports["smtps"][0], "--tls", "--cafile",
                            alice.cert_path, *login)
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(bob.wait_for_messages("bob", count=2)), 2)
        self.wait_queue_empty(alice)

        # No login on the plain port: Alice's server is no open relay.
        rc, out = self.send(alice.port)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("S: 550 5.7.1", out)
        # Logged in, but on the port-25 role: still no relaying there.
        rc, out = self.send(alice.port, "--starttls", "--cafile", alice.cert_path,
                            *login)
        self.assertIn("S~ 235", out)
        self.assertIn("S~ 550 5.7.1", out)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(len(bob.messages("bob")), 2)
        self.assert_queue_empty()

    def test_unauthenticated_relay_is_refused(self):
        """A stranger (not logged in, not in a --trusted network) may send
        to Alice's own users but not through her server to anyone else."""
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "10.0.0.0/8")
        rcpt, final = submit(alice.port, "mallory@evil.example",
                             ["bob@bob.example", "alice@alice.example"])
        self.assertEqual(rcpt[0][0], 550)
        self.assertTrue(rcpt[0][1].startswith("5.7.1 "), rcpt)
        self.assertEqual(rcpt[1][0], 250)
        self.assertEqual(final[0], 250)
        self.assertNotIn("queued", final[1])  # delivered, not queued
        self.assertEqual(len(alice.messages("alice")), 1)
        self.assertEqual(alice.events("queued"), [])
        self.assert_queue_empty()
        self.assertEqual(bob.messages("bob"), [])

    def test_trusted_client_is_relayed(self):
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        # Lines that begin with a dot cross both hops unchanged: each
        # sender doubles the dot (RFC 5321 §4.5.2), each receiver removes it.
        rcpt, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"],
                             body="Subject: dots\r\n\r\n..\r\n...two\r\nend")
        self.assertEqual(rcpt, [(250, "2.1.5 Recipient <bob@bob.example> OK")])
        qid = queue_id(final)
        [message] = bob.wait_for_messages("bob")
        self.assertTrue(message.endswith(b"\n\n.\n..two\nend\n"), message)
        self.assertEqual(received_hosts(message),
                         ["mail.bob.example", "mail.alice.example"])
        [queued] = alice.events("queued")
        self.assertEqual((queued["id"], queued["to"]), (qid, "bob@bob.example"))
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)

    def test_mixed_message_local_and_remote(self):
        """One message to alice@alice.example (ours) and bob@bob.example:
        queued whole; the runner delivers the local copy (with Return-Path,
        final delivery) and relays the other (without: Bob adds his)."""
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        rcpt, final = submit(alice.port, "alice@alice.example",
                             ["alice@alice.example", "bob@bob.example"],
                             body="Subject: both\r\n\r\nTo you and me.")
        self.assertEqual([code for code, _ in rcpt], [250, 250])
        qid = queue_id(final)
        [remote] = bob.wait_for_messages("bob")
        [local] = alice.wait_for_messages("alice")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)

        self.assertTrue(local.startswith(b"Return-Path: <alice@alice.example>\n"))
        self.assertEqual(count_fields(local, "Return-Path"), 1)
        self.assertEqual(received_hosts(local), ["mail.alice.example"])
        self.assertTrue(local.endswith(b"\n\nTo you and me.\n"))

        self.assertEqual(count_fields(remote, "Return-Path"), 1)
        self.assertEqual(count_fields(remote, "Received"), 2)
        self.assertEqual(received_hosts(remote),
                         ["mail.bob.example", "mail.alice.example"])
        self.assertTrue(remote.startswith(b"Return-Path: <alice@alice.example>\n"))
        self.assertTrue(remote.endswith(b"\n\nTo you and me.\n"))
        # Each recipient exactly once.
        self.assertEqual(len(alice.events("delivered", session="queue")), 1)
        self.assertEqual(len(alice.events("relayed")), 1)

    def test_relay_on_to_a_third_server(self):
        """Alice -> Bob -> Carol: Bob's server relays for Alice's (trusted)
        exactly as Alice's relays for Alice; Carol's copy has three
        Received: headers, newest first."""
        carol = self.start("--hostname", "mail.carol.example", domain="carol.example",
                           workdir=os.path.join(self.dir, "carol"))
        bob_routes = self.routes("bob-routes", {"carol.example": carol.port})
        bob_queue = os.path.join(self.dir, "bob", "queue")
        bob = self.bob("--queue", bob_queue, "--routes", bob_routes,
                       "--trusted", "127.0.0.0/8", "--retry", "1s")
        routes = self.routes("alice-routes", {"carol.example": bob.port})
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8", routes=routes)
        rcpt, final = submit(alice.port, "alice@alice.example", ["carol@carol.example"])
        queue_id(final)
        [message] = carol.wait_for_messages("carol")
        self.assertEqual(received_hosts(message),
                         ["mail.carol.example", "mail.bob.example",
                          "mail.alice.example"])
        self.assertEqual(count_fields(message, "Return-Path"), 1)
        self.assertTrue(message.startswith(b"Return-Path: <alice@alice.example>\n"))
        bob.wait_for_event("relayed", to="carol@carol.example")
        self.assertEqual(bob.messages("carol"), [])
        self.wait_queue_empty(alice)
        self.wait_queue_empty(bob, bob_queue)

    def test_no_route_and_no_queue_at_rcpt(self):
        """Relaying needs somewhere to go (550 5.1.2 without a route) and
        somewhere to wait (451 4.3.0 without --queue)."""
        alice = self.alice(1, "--trusted", "127.0.0.0/8")
        rcpt, final = submit(alice.port, "alice@alice.example",
                             ["someone@nowhere.example"])
        self.assertEqual(rcpt[0][0], 550)
        self.assertTrue(rcpt[0][1].startswith("5.1.2 "), rcpt)
        self.assertIsNone(final)
        self.assert_queue_empty()

        # A logged-in user may relay, but a server without --queue has
        # nowhere to keep the message: 451, so the client keeps it.
        users, password = self.users_file()
        plain = self.start("--hostname", "mail.alice.example", "--submission",
                           "127.0.0.1:0", "--users", users, domain="alice.example")
        rc, out = self.send(plain.ports["submission"][0], "--starttls", "--cafile",
                            plain.cert_path, "--user", "alice", "--password-file",
                            password)
        self.assertIn("S~ 235", out)
        self.assertIn("S~ 451 4.3.0", out)
        self.assertNotEqual(rc, 0, out)
        # And --trusted without --queue is a mistake caught at start.
        r = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                            "--listen", "127.0.0.1:0", "--trusted", "127.0.0.0/8"],
                           capture_output=True, timeout=WAIT_SECONDS)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"needs a --queue", r.stderr)


# ----- retry, bounce, expiry, loops -----------------------------------------

class RetryAndBounceTest(RelayTestCase):

    def test_bob_down_then_up_delivered_exactly_once(self):
        bob_port = free_port()
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8")
        _, final = submit(alice.port, "alice@alice.example",
                          ["bob@bob.example", "alice@alice.example"])
        qid = queue_id(final)
        [deferred] = alice.wait_for_event("deferred", id=qid)
        self.assertIn("refused", deferred["reply"])
        self.assertEqual(deferred["to"], "bob@bob.example")
        self.assertEqual(queue_ids(self.queue), [qid])
        alice.wait_for_event("deferred", count=2, id=qid)  # retried

        bob = self.bob(port=bob_port)
        [message] = bob.wait_for_messages("bob")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)  # nothing left that could go twice
        self.assertEqual(len(bob.messages("bob")), 1)
        self.assertEqual(len(alice.events("relayed")), 1)
        # The local copy went at the first try, and only then.
        self.assertEqual(len(alice.messages("alice")), 1)
        self.assertEqual(len(alice.events("delivered", session="queue")), 1)
        attempts = alice.events("attempt", id=qid)
        self.assertGreaterEqual(len(attempts), 2)
        self.assertEqual([a["try"] for a in attempts],
                         [str(n) for n in range(1, len(attempts) + 1)])
        self.assertEqual(received_hosts(message),
                         ["mail.bob.example", "mail.alice.example"])

    def test_two_domains_one_down(self):
        """One message for bob.example (up) and carol.example (down): Bob
        gets it at once; only Carol's copy waits, and when her server comes
        up she gets it while Bob does not get it again."""
        bob = self.bob()
        carol_port = free_port()
        routes = self.routes("alice-routes", {"bob.example": bob.port,
                                              "carol.example": carol_port})
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8", routes=routes)
        _, final = submit(alice.port, "alice@alice.example",
                          ["bob@bob.example", "carol@carol.example"])
        qid = queue_id(final)
        bob.wait_for_messages("bob")
        alice.wait_for_event("deferred", count=2, id=qid, to="carol@carol.example")

        def listing():
            _, out, _ = run_queue_tool("--queue", self.queue)
            return out if "2 attempts so far" in out else None
        out = wait_for(listing, what="--list to show Carol's two attempts")
        self.assertRegex(out, r"to <bob@bob\.example>\n +sent\n")
        self.assertRegex(out, r"to <carol@carol\.example>\n +waiting: 2 attempts")

        carol = self.start("--hostname", "mail.carol.example", domain="carol.example",
                           port=carol_port, workdir=os.path.join(self.dir, "carol"))
        carol.wait_for_messages("carol")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        self.assertEqual(len(bob.messages("bob")), 1)
        self.assertEqual(len(alice.events("attempt", id=qid, to="bob@bob.example")), 1)
        self.assertEqual([e["to"] for e in alice.events("relayed", id=qid)],
                         ["bob@bob.example", "carol@carol.example"])

    def test_queue_list_and_flush(self):
        """mailwalk-queue --list shows who waits, how often it was tried,
        the last answer and when it is next; --flush makes the runner try
        at once instead of in 30 s."""
        bob_port = free_port()
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8", "--retry", "30s")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"],
                          body="Subject: waiting\r\n\r\nfor Bob")
        qid = queue_id(final)
        [deferred] = alice.wait_for_event("deferred", id=qid)
        self.assertEqual(deferred["retry_in"], "30s")

        # The event comes a moment before the envelope is saved: poll.
        def listing():
            rc, out, err = run_queue_tool("--queue", self.queue, "--list")
            self.assertEqual(rc, 0, err)
            return out if "1 attempt so far" in out else None
        out = wait_for(listing, what="--list to show the first attempt")
        self.assertIn("1 message waiting", out)
        self.assertIn(qid, out)
        self.assertIn("from <alice@alice.example>", out)
        self.assertIn("to <bob@bob.example>", out)
        self.assertRegex(out, r"waiting: 1 attempt so far, next in (30|[12]\d)s")
        self.assertRegex(out, r"last answer: .*refused")

        bob = self.bob(port=bob_port)
        started = time.monotonic()
        rc, out, err = run_queue_tool("--queue", self.queue, "--flush")
        self.assertEqual(rc, 0, err)
        self.assertIn("asked the server", out)
        bob.wait_for_messages("bob", timeout=5)
        self.assertLess(time.monotonic() - started, 5)  # not the 30 s retry
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        rc, out, err = run_queue_tool("--queue", self.queue)
        self.assertEqual(rc, 0, err)
        self.assertIn("0 messages waiting", out)
        rc, out, err = run_queue_tool("--list")
        self.assertEqual(rc, 2)
        self.assertIn("--queue DIR", err)
        rc, out, err = run_queue_tool("--queue", os.path.join(self.dir, "none"))
        self.assertEqual(rc, 1)
        self.assertIn("is not a queue folder", err)

    def test_451_is_retried(self):
        """4xx means "not now": a 451 to RCPT, then a 451 to the end of
        data; the third attempt is taken and the message goes once."""
        def answer(connection, verb, argument):
            if connection == 1 and verb == "RCPT":
                return "451 4.3.0 greylisted, try again later"
            if connection == 2 and verb == ".":
                return "451 4.3.0 disk busy"
            return None

        with FakeMTA(answer, hostname="mail.bob.example") as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            alice.wait_for_event("done", id=qid)
            self.wait_queue_empty(alice)
            self.assertEqual(bob.connections, 3)
            self.assertEqual(len(bob.messages), 1)
            sender, recipients, text = bob.messages[0]
            self.assertTrue(sender.startswith("FROM:<alice@alice.example>"))
            self.assertEqual(recipients, ["TO:<bob@bob.example>"])
            self.assertIn(b"\r\n\r\nHi Bob!\r\n", text)
        deferred = alice.events("deferred", id=qid)
        self.assertEqual([d["reply"] for d in deferred],
                         ["451 4.3.0 greylisted, try again later",
                          "451 4.3.0 disk busy"])
        attempts = alice.events("attempt", id=qid)
        self.assertEqual([a["try"] for a in attempts], ["1", "2", "3"])
        self.assertEqual(alice.events("bounced"), [])

    def test_no_reply_and_421_are_retried(self):
        """Transient in every form: a 421 greeting, a server that never
        says anything (--timeout 1), a hang-up after the final dot (no
        reply: perhaps delivered, so at-least-once sends it again); the
        fourth attempt delivers."""
        def answer(connection, verb, argument):
            if connection == 1 and verb == "CONNECT":
                return "421 4.3.2 mail.bob.example busy"
            if connection == 2 and verb == "CONNECT":
                return FakeMTA.SILENT
            if connection == 3 and verb == ".":
                return FakeMTA.HANGUP
            return None

        with FakeMTA(answer, hostname="mail.bob.example") as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8", "--timeout", "1")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            alice.wait_for_event("done", id=qid)
            self.assertEqual(bob.connections, 4)
            self.assertEqual(len(bob.messages), 1)
        replies = [d["reply"] for d in alice.events("deferred", id=qid)]
        self.assertEqual(len(replies), 3, replies)
        self.assertEqual(replies[0], "421 4.3.2 mail.bob.example busy")
        self.assertIn("no reply to the end of data", replies[2])
        self.assertEqual(alice.events("bounced"), [])
        self.wait_queue_empty(alice)

    def test_8bit_to_a_hop_without_8bitmime_bounces(self):
        """RFC 6152 §3: 8-bit text only to a server that said 8BITMIME; we
        do not convert, so the message bounces (5.6.3) and the hop never
        sees it."""
        with FakeMTA(hostname="mail.bob.example",
                     extensions=["ENHANCEDSTATUSCODES"]) as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
            with RawClient(alice.port) as c:
                c.reply()
                c.command("EHLO client.alice.example")
                self.assertEqual(c.command(
                    "MAIL FROM:<alice@alice.example> BODY=8BITMIME")[0], 250)
                self.assertEqual(c.command("RCPT TO:<bob@bob.example>")[0], 250)
                self.assertEqual(c.command("DATA")[0], 354)
                c.send("Subject: caf\xe9\r\n\r\nna\xefve\r\n.\r\n".encode("latin-1"))
                code, lines = c.reply()
                self.assertEqual(code, 250, lines)
            [dsn] = alice.wait_for_messages("alice")
            self.assertIn(b"Status: 5.6.3", dsn)
            self.assertEqual(bob.messages, [])
            self.assertFalse([l for l in bob.lines if l.startswith("MAIL")])
        self.wait_queue_empty(alice)

    def test_quoted_local_part_relayed_whole(self):
        """A quoted local part may hold spaces (RFC 5321 §4.1.2); the queue
        must hand the next hop the whole address, not its first word."""
        with FakeMTA(hostname="mail.bob.example") as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
            _, final = submit(alice.port, "alice@alice.example",
                              ['"john smith"@bob.example'])
            qid = queue_id(final)
            alice.wait_for_event("done", id=qid)
            self.assertEqual([m[1] for m in bob.messages],
                             [['TO:<"john smith"@bob.example>']])
        self.wait_queue_empty(alice)

    def test_550_for_one_of_two_recipients(self):
        """Bob's server takes bob and refuses carol (550 5.1.1): bob gets
        the message, Alice gets a bounce naming carol, and the message
        leaves the queue."""
        bob = self.bob("--mailboxes", "bob")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        rcpt, final = submit(alice.port, "alice@alice.example",
                             ["bob@bob.example", "carol@bob.example"])
        qid = queue_id(final)
        [message] = bob.wait_for_messages("bob")
        [dsn] = alice.wait_for_messages("alice")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        self.assertEqual(bob.messages("carol"), [])

        self.assertTrue(dsn.startswith(b"Return-Path: <>\n"))
        self.assertIn(b"MAILER-DAEMON@mail.alice.example", dsn)
        self.assertIn(b"multipart/report", dsn)
        self.assertIn(b"Final-Recipient: rfc822; carol@bob.example", dsn)
        self.assertIn(b"Status: 5.1.1", dsn)
        self.assertIn(b"Remote-MTA: dns; [127.0.0.1]", dsn)
        self.assertNotIn(b"Final-Recipient: rfc822; bob@bob.example", dsn)
        [bounced] = alice.events("bounced", id=qid)
        self.assertEqual((bounced["to"], bounced["status"]),
                         ("carol@bob.example", "5.1.1"))
        [sent] = alice.events("bounce_sent", id=qid)
        self.assertEqual(sent["to"], "alice@alice.example")
        self.assertEqual(len(alice.events("relayed", id=qid)), 1)

    def test_queue_lifetime_expiry_bounces(self):
        bob_port = free_port()  # Bob never comes up
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8",
                           "--queue-lifetime", "2s")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        [dsn] = alice.wait_for_messages("alice", timeout=8)
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        self.assertIn(b"Final-Recipient: rfc822; bob@bob.example", dsn)
        self.assertIn(b"Action: failed", dsn)
        self.assertIn(b"Status: 4.4.7", dsn)
        self.assertIn(b"gave up after", dsn)
        [bounced] = alice.events("bounced", id=qid)
        self.assertEqual(bounced["status"], "4.4.7")
        self.assertGreaterEqual(len(alice.events("deferred", id=qid)), 1)

    def test_too_big_for_the_next_hop_bounces(self):
        """Alice's server takes 10 MB, Bob's only 64 KB: Bob refuses the
        declared SIZE at MAIL (552 5.3.4, RFC 1870), so the message bounces
        at once instead of being retried."""
        bob = self.bob("--max-size", "65536")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        body = "Subject: big\r\n\r\n" + ("x" * 76 + "\r\n") * 1300  # 100 KB
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"],
                          body=body.rstrip("\r\n"))
        qid = queue_id(final)
        [dsn] = alice.wait_for_messages("alice")
        self.assertIn(b"Status: 5.3.4", dsn)
        self.assertIn(b"Diagnostic-Code: smtp; 552 5.3.4", dsn)
        self.assertNotIn(b"x" * 76, dsn)  # the body does not come back
        alice.wait_for_event("done", id=qid)
        self.assertEqual(alice.events("deferred"), [])
        self.assertEqual(bob.messages("bob"), [])

    def test_bounce_for_an_unknown_local_sender_goes_to_postmaster(self):
        """A trusted client may send from any address of ours, even one
        with no mailbox (--mailboxes): its bounce goes to postmaster
        rather than making a mailbox for nobody."""
        bob = self.bob("--mailboxes", "bob")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8",
                           "--mailboxes", "alice")
        _, final = submit(alice.port, "ghost@alice.example", ["carol@bob.example"])
        qid = queue_id(final)
        [report] = alice.wait_for_messages("postmaster")
        self.assertIn(b"Final-Recipient: rfc822; carol@bob.example", report)
        alice.wait_for_event("done", id=qid)
        self.assertEqual(alice.messages("ghost"), [])
        self.assertFalse(os.path.exists(os.path.join(alice.maildir, "ghost")))
        [sent] = alice.events("bounce_sent", id=qid)
        self.assertEqual(sent["to"], "ghost@alice.example")

    def test_bounce_of_a_bounce_goes_to_postmaster(self):
        """A message from <> (itself a bounce) that fails is never bounced
        again (RFC 5321 §4.5.5): it lands in our postmaster's mailbox."""
        bob = self.bob("--mailboxes", "bob")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        _, final = submit(alice.port, "", ["carol@bob.example"],
                          body="Subject: Undelivered Mail\r\n\r\nA bounce.")
        qid = queue_id(final)
        [report] = alice.wait_for_messages("postmaster")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)  # no new bounce waiting to go to <>
        self.assertIn(b"Final-Recipient: rfc822; carol@bob.example", report)
        self.assertIn(b"Status: 5.1.1", report)
        [sent] = alice.events("bounce_sent", id=qid)
        self.assertEqual(sent["to"], "postmaster")
        self.assertEqual(len(alice.events("queued")), 1)  # only the original
        self.assertEqual(alice.events("attempt", id=sent["bounce_id"]), [])
        self.assertEqual(bob.messages("carol") + bob.messages("bob"), [])

    def test_mail_loop_is_bounced(self):
        """Alice's server routes loop.example to Bob's, Bob's routes it back
        (a misconfiguration): each hop adds a Received: line until one
        server counts more than 100 and says 554 5.4.6; the sender gets a
        bounce. The message starts with 94 old Received: lines, so the loop
        ends after a few hops instead of 100. With 94 of them the 554 comes
        from Alice's server to Bob's, so Bob's server sends the bounce, from
        <>, through its own queue, back to Alice's."""
        alice_port = free_port()
        bob_routes = self.routes("bob-routes", {"loop.example": alice_port,
                                                "alice.example": alice_port})
        bob = self.bob("--queue", os.path.join(self.dir, "bob", "queue"),
                       "--routes", bob_routes, "--trusted", "127.0.0.0/8",
                       "--retry", "1s")
        routes = self.routes("alice-routes", {"loop.example": bob.port})
        alice = self.start(
            "--hostname", "mail.alice.example", "--queue", self.queue,
            "--routes", routes, "--retry", "1s", "--trusted", "127.0.0.0/8",
            domain="alice.example", port=alice_port,
            workdir=os.path.join(self.dir, "alice"))
        old = "".join(f"Received: from hop{n}.example by hop{n + 1}.example; "
                      f"Mon, 23 Nov 2026 10:{n // 60:02d}:{n % 60:02d} +0000\r\n"
                      for n in range(94))
        _, final = submit(alice.port, "alice@alice.example", ["anyone@loop.example"],
                          body=old + "Subject: round and round\r\n\r\nloop")
        queue_id(final)
        [dsn] = alice.wait_for_messages("alice")
        self.assertTrue(dsn.startswith(b"Return-Path: <>\n"), dsn[:200])
        self.assertIn(b"From: Mail Delivery System <MAILER-DAEMON@mail.bob.example>",
                      dsn)
        self.assertEqual(received_hosts(dsn), ["mail.alice.example"])  # 1 hop
        [sent] = bob.events("bounce_sent")
        self.assertEqual(sent["to"], "alice@alice.example")
        bob.wait_for_event("relayed", id=sent["bounce_id"], to="alice@alice.example")
        self.assertIn(b"Status: 5.4.6", dsn)
        self.assertIn(b"Final-Recipient: rfc822; anyone@loop.example", dsn)
        self.assertTrue(alice.events("error", what="mail loop detected"))
        self.wait_queue_empty(alice)
        self.wait_queue_empty(bob, os.path.join(self.dir, "bob", "queue"))
        self.assertEqual(len(alice.messages("alice")), 1)  # one bounce, no more


# ----- STARTTLS on the relay hop (--relay-tls) -------------------------------

def top_received(message):
    """The newest Received: header (the last hop's), unfolded."""
    header = message.split(b"\n\n", 1)[0].decode("latin-1")
    unfolded = re.sub(r"\n[ \t]+", " ", header)
    return re.findall(r"^Received: .*$", unfolded, re.M)[0]


class RelayTlsTest(RelayTestCase):
    """RFC 3207 between servers: opportunistic by default (RFC 7435), none
    for the demos, required for a hop that must never see plaintext. The
    next hop's Received: header says ESMTPS when the hop was sealed
    (RFC 3848), and Alice's "relayed"/"deferred" events say tls yes/no."""

    def relay_lines(self, server, event="relay_out"):
        return [e["text"] for e in server.events(event, session="relay")]

    def test_opportunistic_is_the_default_and_seals_the_hop(self):
        """Bob's server offers STARTTLS (as every mailwalk-server does): with
        no --relay-tls, Alice's server says STARTTLS, takes the self-signed
        certificate without checking it, says EHLO again and relays."""
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        [message] = bob.wait_for_messages("bob")
        self.assertRegex(top_received(message),
                         r"by mail\.bob\.example \(mailwalk-server\) with ESMTPS id ")
        [relayed] = alice.wait_for_event("relayed", id=qid)
        self.assertEqual(relayed.get("tls"), "yes")
        out = self.relay_lines(alice)
        self.assertIn("STARTTLS", out)
        # EHLO, STARTTLS, EHLO again (RFC 3207 §4.2), and only then MAIL.
        self.assertEqual([line.split()[0] for line in out[:4]],
                         ["EHLO", "STARTTLS", "EHLO", "MAIL"])
        notes = self.relay_lines(alice, "relay_note")
        self.assertTrue([n for n in notes if n.startswith("TLS started")
                         and "NOT checked" in n], notes)
        self.assertTrue(bob.events("tls", result="ok"))
        self.wait_queue_empty(alice)

    def test_opportunistic_to_a_require_tls_hop_is_delivered(self):
        """Bob's server says 530 5.7.0 to MAIL before STARTTLS
        (--require-tls); in plaintext that bounced every message."""
        bob = self.bob("--require-tls")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")  # the default
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"],
                          body="Subject: sealed\r\n\r\nover TLS")
        qid = queue_id(final)
        [message] = bob.wait_for_messages("bob")
        self.assertTrue(message.endswith(b"\n\nover TLS\n"))
        self.assertIn("with ESMTPS id", top_received(message))
        [relayed] = alice.wait_for_event("relayed", id=qid)
        self.assertEqual(relayed["tls"], "yes")
        alice.wait_for_event("done", id=qid)
        self.assertEqual(alice.events("bounced"), [])
        self.assertEqual(alice.messages("alice"), [])  # no bounce
        self.wait_queue_empty(alice)

    def test_none_to_a_require_tls_hop_sends_nothing_sealed(self):
        """--relay-tls none never says STARTTLS, even when it is offered:
        a --require-tls hop refuses MAIL (530 5.7.0) and the message
        bounces, as it did before --relay-tls existed."""
        bob = self.bob("--require-tls")
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8",
                           "--relay-tls", "none")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        [dsn] = alice.wait_for_messages("alice")
        self.assertIn(b"Diagnostic-Code: smtp; 530 5.7.0", dsn)
        alice.wait_for_event("done", id=qid)
        [bounced] = alice.events("bounced", id=qid)
        self.assertEqual((bounced["status"], bounced["tls"]), ("5.7.0", "no"))
        self.assertNotIn("STARTTLS", self.relay_lines(alice))
        self.assertTrue([n for n in self.relay_lines(alice, "relay_note")
                         if "--relay-tls none" in n])
        self.assertEqual(bob.messages("bob"), [])
        self.assertEqual(bob.events("tls"), [])
        self.wait_queue_empty(alice)

    def test_required_to_a_hop_without_starttls_sends_no_envelope(self):
        """A next hop that offers no STARTTLS gets EHLO and QUIT, never MAIL
        FROM; the message waits in the queue and is tried again."""
        with FakeMTA(hostname="mail.bob.example") as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8",
                               "--relay-tls", "required")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            deferred = alice.wait_for_event("deferred", count=2, id=qid)
            self.assertGreaterEqual(bob.connections, 2)
            self.assertEqual(bob.messages, [])
            self.assertEqual({line.split()[0] for line in bob.lines},
                             {"EHLO", "QUIT"}, bob.lines)
        for d in deferred:
            self.assertIn("does not offer STARTTLS", d["reply"])
            self.assertEqual(d["tls"], "no")
        self.assertEqual(alice.events("bounced"), [])
        self.assertEqual(queue_ids(self.queue), [qid])

        def listing():
            _, out, _ = run_queue_tool("--queue", self.queue)
            return out if "attempts so far" in out else None
        out = wait_for(listing, what="--list to show the waiting message")
        self.assertIn("1 message waiting", out)
        self.assertRegex(out, r"last answer: the next hop does not offer STARTTLS")

    def test_required_to_a_hop_with_starttls_is_delivered(self):
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8",
                           "--relay-tls", "required")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        [message] = bob.wait_for_messages("bob")
        self.assertIn("with ESMTPS id", top_received(message))
        self.assertEqual(alice.wait_for_event("relayed", id=qid)[0]["tls"], "yes")
        self.wait_queue_empty(alice)

    def test_opportunistic_without_starttls_goes_on_in_plaintext(self):
        with FakeMTA(hostname="mail.bob.example") as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            [relayed] = alice.wait_for_event("relayed", id=qid)
            self.assertEqual(relayed["tls"], "no")
            self.assertEqual(len(bob.messages), 1)
            self.assertNotIn("STARTTLS", bob.lines)
        self.assertTrue([n for n in self.relay_lines(alice, "relay_note")
                         if "does not offer STARTTLS" in n])
        self.wait_queue_empty(alice)

    def test_starttls_refused_or_broken_is_deferred_not_plaintext(self):
        """STARTTLS offered, then 454 (first attempt) or a 220 with no TLS
        behind it (second attempt, the handshake times out): each is a
        temporary failure, and the envelope is never sent in plaintext.
        The third attempt gets a hop that offers nothing, and goes."""
        def answer(connection, verb, argument):
            if verb == "STARTTLS" and connection == 1:
                return "454 4.7.0 TLS not available due to temporary reason"
            if verb == "STARTTLS" and connection == 2:
                return "220 2.0.0 Ready to start TLS"  # ...but no TLS follows
            if verb == "EHLO" and connection == 3:
                return "250 mail.bob.example"  # no STARTTLS at all now
            return None

        with FakeMTA(answer, hostname="mail.bob.example",
                     extensions=["8BITMIME", "STARTTLS"]) as bob:
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8", "--timeout", "1")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            alice.wait_for_event("done", id=qid)
            self.assertEqual(bob.connections, 3)
            self.assertEqual(len(bob.messages), 1)
            mails = [line for line in bob.lines if line.startswith("MAIL")]
            self.assertEqual(len(mails), 1)
        replies = [d["reply"] for d in alice.events("deferred", id=qid)]
        self.assertEqual(len(replies), 2, replies)
        self.assertIn("refused it: 454 4.7.0", replies[0])
        self.assertRegex(replies[1], r"STARTTLS with .* failed: .*TLS handshake failed")
        self.assertEqual(alice.events("relayed", id=qid)[0]["tls"], "no")
        self.wait_queue_empty(alice)

    def test_bad_mode_is_refused_at_start(self):
        r = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                            "--listen", "127.0.0.1:0", "--relay-tls", "maybe"],
                           capture_output=True, timeout=WAIT_SECONDS)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--relay-tls", r.stderr)
        self.assertIn(b"'maybe'", r.stderr)
        r = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                            "--help"], capture_output=True, timeout=WAIT_SECONDS)
        self.assertIn(b"--relay-tls MODE", r.stdout)


# ----- durability and the queue folder ---------------------------------------

class DurabilityTest(RelayTestCase):

    def test_sigkill_while_queued_then_restart_delivers(self):
        """Nothing acknowledged is lost: Alice's server says 250, Bob is
        down, the whole server (parent and runner) dies by SIGKILL; a new
        server on the same queue delivers it when Bob comes up, once."""
        bob_port = free_port()
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"],
                          body="Subject: survivor\r\n\r\nstill here")
        qid = queue_id(final)
        [started] = alice.wait_for_event("runner_started")
        alice.wait_for_event("deferred", id=qid)
        alice.proc.send_signal(signal.SIGKILL)
        try:
            os.kill(started["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone with its parent
        alice.stop()
        wait_unlocked(self.queue)
        self.assertEqual(queue_ids(self.queue), [qid])
        rc, out, _ = run_queue_tool("--queue", self.queue, "--flush")
        self.assertEqual(rc, 0)
        self.assertIn("no mailwalk-server is running", out)
        # What a runner killed in the middle of saving leaves behind (the
        # kill above hits that moment only now and then): a half-written
        # new envelope in tmp/. The old one counts; this must go too.
        with open(os.path.join(self.queue, "tmp", qid + ".envelope"), "w") as f:
            f.write("# mailwalk queue envelope: see docs/relay.md\nid ")

        bob = self.bob(port=bob_port)
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8")
        alice.wait_for_event("runner_started", count=2)
        [message] = bob.wait_for_messages("bob")
        self.assertTrue(message.endswith(b"\n\nstill here\n"))
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        self.assertEqual(len(bob.messages("bob")), 1)

    def test_killed_runner_is_restarted(self):
        """The runner alone dies (SIGKILL): the server says so in its log,
        starts another, and the queued message still goes."""
        bob_port = free_port()
        alice = self.alice(bob_port, "--trusted", "127.0.0.0/8")
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        [started] = alice.wait_for_event("runner_started")
        alice.wait_for_event("deferred", id=qid)
        alice.runner_kills = 1
        os.kill(started["pid"], signal.SIGKILL)
        [restart] = alice.wait_for_event("error", session="server")
        self.assertIn(f"queue runner {started['pid']} stopped", restart["what"])
        second = alice.wait_for_event("runner_started", count=2)[1]
        self.assertNotEqual(second["pid"], started["pid"])
        bob = self.bob(port=bob_port)
        [message] = bob.wait_for_messages("bob")
        alice.wait_for_event("done", id=qid)
        self.wait_queue_empty(alice)
        self.assertEqual(len(bob.messages("bob")), 1)

    def test_second_server_on_the_same_queue_refuses_to_start(self):
        alice = self.alice(1, "--trusted", "127.0.0.0/8")
        with self.assertRaises(RuntimeError) as caught:
            self.alice(1, "--trusted", "127.0.0.0/8",
                       workdir=os.path.join(self.dir, "alice2"))
        self.assertIn(f"the queue {self.queue} is in use by another mailwalk-server",
                      str(caught.exception))
        self.assertIsNone(alice.proc.poll())  # the first one runs on

    def test_broken_envelope_is_set_aside(self):
        """An envelope the runner cannot read goes to DIR/broken/ (once,
        with an error event) and the rest of the queue still flows."""
        bob = self.bob()
        alice = self.alice(bob.port, "--trusted", "127.0.0.0/8")
        # Sorts first (IDs start with the time), written whole and renamed
        # in as queue.c does, so the runner never sees half of it.
        junk = os.path.join(self.queue, "tmp", "0000.junk")
        with open(junk, "w") as f:
            f.write("id 0000.junk\nfrom <alice@alice.example>\nthis is no envelope\n")
        os.rename(junk, os.path.join(self.queue, "envelopes", "0000.junk"))
        _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
        qid = queue_id(final)
        bob.wait_for_messages("bob")
        alice.wait_for_event("done", id=qid)
        [error] = alice.wait_for_event("error", id="0000.junk")
        self.assertIn("0000.junk:3: not a line of an envelope", error["why"])
        self.assertTrue(os.path.exists(os.path.join(self.queue, "broken",
                                                    "0000.junk")))
        self.wait_queue_empty(alice)
        self.assertEqual(len(alice.events("error", id="0000.junk")), 1)


if __name__ == "__main__":
    unittest.main()
