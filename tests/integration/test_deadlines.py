"""Deadlines and terminal escapes (issue 12, part C).

1. A reply is timed whole (RFC 5321 §4.5.3.2): a next hop that drips one
   line of a multi-line EHLO reply every second must not hold a client
   with --timeout 3 for longer than about 3 s - before, each line started
   the clock again and a 150-line reply took 150 s.
2. One slow next hop must not stall the queue: while Alice's runner waits
   on the dripping hop, mail for a healthy domain still goes out; and a
   hop that answers each command just in time is cut off by the attempt's
   own deadline.
3. Whatever a server says, and whatever a message contains, reaches the
   terminal with its control characters escaped: ESC, the C1 controls
   (U+0080-U+009F, raw or as UTF-8) and the bidi overrides (U+202A-U+202E,
   U+2066-U+2069). mailwalk-send's stderr, mailwalk-queue --list and
   mailwalk-read show are checked byte for byte.
"""

import os
import socket
import subprocess
import threading
import time
import unittest

from mailwalk_test import WAIT_SECONDS, FakeMTA, program, wait_for
from test_relay import RelayTestCase, queue_id, run_queue_tool, submit

# ----- what may not reach a terminal ------------------------------------------

BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def raw_controls(data):
    """The dangerous things in bytes meant for a terminal: C0 controls but
    newline and tab, DEL, C1 controls (raw bytes or UTF-8), bidi overrides,
    and bytes that are not UTF-8 at all (0x9B alone is CSI to some
    terminals). Returns a list of (offset, what)."""
    found = []
    text = data.decode("utf-8", errors="surrogateescape")
    for i, ch in enumerate(text):
        cp = ord(ch)
        if (cp < 0x20 and ch not in "\n\t") or cp == 0x7F:
            found.append((i, f"C0 {cp:#04x}"))
        elif 0x80 <= cp <= 0x9F:
            found.append((i, f"C1 U+{cp:04X}"))
        elif cp in BIDI:
            found.append((i, f"bidi U+{cp:04X}"))
        elif 0xDC80 <= cp <= 0xDCFF:
            found.append((i, f"not UTF-8: byte {cp - 0xDC00:#04x}"))
    return found


# A reply text with a bit of everything: an ANSI colour, a window-title
# OSC ended by BEL, a raw C1 CSI byte, the same as UTF-8, a right-to-left
# override, a bidi isolate, and some honest UTF-8 that must stay readable.
NASTY = (b"\x1b[31mred\x1b[0m \x1b]0;owned\x07 raw\x9b2J utf8\xc2\x9b2J "
         b"\xe2\x80\xaeevil\xe2\x80\xac \xe2\x81\xa6iso\xe2\x81\xa9 Gr\xc3\xbc\xc3\x9fe")


class ScriptedServer:
    """A one-thread TCP server on loopback that runs script(conn) for each
    connection (at most `connections` of them), then stops by itself."""

    def __init__(self, script, connections=1):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.left = connections
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + 60  # never outlive a test by much
        while not self.stopping and self.left > 0 and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.left -= 1
            with conn:
                conn.settimeout(WAIT_SECONDS)
                try:
                    self.script(conn, self)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.thread.join(WAIT_SECONDS)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def drip_ehlo(lines=40, every=1.0):
    """A script: greet at once, then answer EHLO with one line of a long
    multi-line reply every `every` seconds - each line well inside any
    per-line timeout, the whole reply far outside a per-reply one."""
    def script(conn, server):
        file = conn.makefile("rb")
        conn.sendall(b"220 drip.example ESMTP\r\n")
        if not file.readline():
            return
        for n in range(lines):
            if server.stopping:
                return
            conn.sendall(b"250-drip.example line %d\r\n" % n)
            time.sleep(every)
        conn.sendall(b"250 OK\r\n")
        file.readline()
    return script


def send(port, *extra, timeout=WAIT_SECONDS):
    """mailwalk-send to 127.0.0.1:port; returns (rc, stdout, stderr, seconds)."""
    started = time.monotonic()
    r = subprocess.run(
        [program("MAILWALK_SEND", "client/mailwalk-send"),
         "--server", f"127.0.0.1:{port}", "--from", "alice@alice.example",
         "--to", "bob@bob.example", "--subject", "hi", "--body", "Hi Bob", *extra],
        capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - started


# ----- 1. the client's deadline per reply -------------------------------------

class ReplyDeadlineTest(unittest.TestCase):

    def test_send_gives_up_on_a_dripping_ehlo_reply_in_time(self):
        """--timeout 3 against one line a second: gone after ~3 s, not
        after the 40 s the whole reply would take, with a message that
        says the reply was not whole in time."""
        with ScriptedServer(drip_ehlo(lines=40)) as server:
            rc, out, err, seconds = send(server.port, "--timeout", "3")
        err = err.decode(errors="replace")
        self.assertEqual(rc, 3, err)  # EXIT_CONNECTION: the conversation broke
        self.assertGreaterEqual(seconds, 2.5, err)
        self.assertLess(seconds, 4.5, err)
        self.assertIn("no whole reply within 3 s", err)
        self.assertIn("RFC 5321 §4.5.3.2", err)
        # The lines that did come are in the transcript.
        self.assertIn(b"S: 250-drip.example line 1", out)

    def test_a_slow_but_whole_reply_is_still_read(self):
        """Under the limit nothing changes: 4 lines, one every 0.5 s, to a
        --timeout of 3 is read whole (the server then refuses MAIL)."""
        def script(conn, server):
            file = conn.makefile("rb")
            conn.sendall(b"220 slow.example ESMTP\r\n")
            file.readline()
            for n in range(4):
                conn.sendall(b"250-slow.example %d\r\n" % n)
                time.sleep(0.5)
            conn.sendall(b"250 OK\r\n")
            file.readline()
            conn.sendall(b"550 5.7.1 no thanks\r\n")
            file.readline()
            conn.sendall(b"221 bye\r\n")
        with ScriptedServer(script) as server:
            rc, out, err, seconds = send(server.port, "--timeout", "3")
        self.assertEqual(rc, 5, err)  # EXIT_PERMANENT: MAIL refused
        self.assertIn(b"no thanks", err)


# ----- 2. one slow hop does not stall the queue -------------------------------

class SlowHopTest(RelayTestCase):

    def test_dripping_hop_is_given_up_while_a_healthy_domain_is_served(self):
        """Alice (--timeout 3) has mail for slow.example, whose server
        drips its EHLO reply, and then for bob.example. Bob's mail goes out
        at once, while the slow attempt is still waiting; the slow one is
        deferred after its 3 s with a reason, and tried again later."""
        bob = self.bob()
        with ScriptedServer(drip_ehlo(lines=40), connections=3) as slow:
            routes = self.routes("alice-routes", {"bob.example": bob.port,
                                                  "slow.example": slow.port})
            alice = self.alice(bob.port, "--trusted", "127.0.0.0/8", "--timeout", "3",
                               "--retry", "30s", routes=routes)
            _, final = submit(alice.port, "alice@alice.example", ["carol@slow.example"])
            slow_id = queue_id(final)
            alice.wait_for_event("attempt", id=slow_id)
            began = time.monotonic()
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            bob_id = queue_id(final)
            bob.wait_for_messages("bob", timeout=WAIT_SECONDS)
            bob_seconds = time.monotonic() - began
            # Bob did not wait for the slow hop's 3 s.
            self.assertLess(bob_seconds, 2.5, alice.events(session="queue"))
            self.assertEqual(alice.events("deferred", id=slow_id), [])
            alice.wait_for_event("done", id=bob_id)
            [deferred] = alice.wait_for_event("deferred", id=slow_id)
            slow_seconds = time.monotonic() - began
            self.assertLess(slow_seconds, 5, deferred)
            self.assertIn("no whole reply within 3 s", deferred["reply"])
            self.assertEqual(deferred["retry_in"], "30s")


    def test_an_attempt_has_a_deadline_of_its_own(self):
        """A hop that answers every command in 1.2 s - each reply inside
        Alice's --timeout 2 - would hold an attempt with four recipients
        for 12 s. The attempt's deadline (4 x --timeout = 8 s) ends it
        during the RCPTs: nothing is sent, the message waits."""
        def script(conn, server):
            file = conn.makefile("rb")
            time.sleep(1.2)
            conn.sendall(b"220 sluggish.example ESMTP\r\n")
            while not server.stopping:
                line = file.readline()
                if not line:
                    return
                time.sleep(1.2)
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-sluggish.example\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    while file.readline() not in (b".\r\n", b""):
                        pass
                    time.sleep(1.2)
                    conn.sendall(b"250 2.0.0 taken\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        with ScriptedServer(script, connections=2) as sluggish:
            alice = self.alice(sluggish.port, "--trusted", "127.0.0.0/8",
                               "--timeout", "2", "--retry", "30s")
            recipients = [f"user{n}@bob.example" for n in range(4)]
            _, final = submit(alice.port, "alice@alice.example", recipients)
            qid = queue_id(final)
            alice.wait_for_event("attempt", id=qid)
            deferred = alice.wait_for_event("deferred", count=4, id=qid,
                                            timeout=WAIT_SECONDS + 5)
        self.assertIn("session's limit of 8 s", deferred[0]["reply"], deferred[0])
        self.assertEqual(alice.events("relayed", id=qid), [])


# ----- 3. no terminal escapes --------------------------------------------------

def nasty_greeting(conn, server):
    conn.sendall(b"554 " + NASTY + b"\r\n")
    conn.makefile("rb").readline()  # QUIT
    conn.sendall(b"221 " + NASTY + b"\r\n")


def nasty_rcpt(conn, server):
    file = conn.makefile("rb")
    conn.sendall(b"220 nasty.example ESMTP\r\n")
    file.readline()
    conn.sendall(b"250-nasty.example\r\n250 8BITMIME\r\n")
    file.readline()
    conn.sendall(b"250 2.1.0 ok\r\n")
    file.readline()
    conn.sendall(b"550 5.1.1 " + NASTY + b"\r\n")
    file.readline()
    conn.sendall(b"221 bye\r\n")


def garbled(conn, server):
    conn.sendall(b"\x1b[2J\x9b" + NASTY + b"\r\n")


class EscapeTest(RelayTestCase):

    def assert_clean(self, data, where):
        self.assertEqual(raw_controls(data), [], f"{where}: {data!r}")

    def test_send_stderr_escapes_a_refused_greeting(self):
        with ScriptedServer(nasty_greeting) as server:
            rc, out, err, _ = send(server.port, "--timeout", "5")
        self.assertEqual(rc, 5, err)
        self.assertIn(b"refused", err)
        self.assert_clean(err, "stderr")
        self.assert_clean(out, "transcript")
        # Honest UTF-8 stays readable; the escapes are visible as text.
        self.assertIn("Grüße".encode(), err)
        self.assertIn(b"\\x1b[31mred", err)
        self.assertIn(b"\\u202e", err.lower())

    def test_send_stderr_escapes_a_refused_recipient(self):
        with ScriptedServer(nasty_rcpt) as server:
            rc, out, err, _ = send(server.port, "--timeout", "5")
        self.assertEqual(rc, 5, err)
        self.assertIn(b"recipient bob@bob.example refused", err)
        self.assert_clean(err, "stderr")
        self.assert_clean(out, "transcript")

    def test_send_stderr_escapes_a_malformed_reply(self):
        with ScriptedServer(garbled) as server:
            rc, out, err, _ = send(server.port, "--timeout", "5")
        self.assertEqual(rc, 3, err)
        self.assertIn(b"malformed", err)
        self.assert_clean(err, "stderr")

    def test_queue_list_escapes_the_next_hops_reply(self):
        """The last answer of a next hop is shown by mailwalk-queue --list:
        a 451 full of escapes must reach the terminal harmless."""
        # FakeMTA sends its text as UTF-8: the raw 0x9B byte stays out.
        text = NASTY.replace(b"raw\x9b", b"raw").decode()

        def answer_utf8(connection, verb, argument):
            return "451 4.3.0 " + text if verb == "RCPT" else None
        with FakeMTA(answer_utf8) as hop:
            alice = self.alice(hop.port, "--trusted", "127.0.0.0/8", "--retry", "30s")
            _, final = submit(alice.port, "alice@alice.example", ["bob@bob.example"])
            qid = queue_id(final)
            alice.wait_for_event("deferred", id=qid)

            def listing():
                r = subprocess.run([program("MAILWALK_QUEUE", "server/mailwalk-queue"),
                                    "--queue", self.queue, "--list"],
                                   capture_output=True, timeout=WAIT_SECONDS)
                return r.stdout if b"1 attempt so far" in r.stdout else None
            out = wait_for(listing, what="--list to show the first attempt")
        self.assertIn(b"last answer", out)
        self.assert_clean(out, "--list")
        self.assertIn("Grüße".encode(), out)
        rc, _, _ = run_queue_tool("--queue", self.queue)
        self.assertEqual(rc, 0)

    def test_read_show_and_list_neutralise_controls(self):
        """A message whose header fields and body carry ESC, C1 and bidi
        controls (raw, UTF-8, and in an RFC 2047 encoded word) is shown
        with each of them escaped, and its honest UTF-8 readable."""
        maildir = os.path.join(self.dir, "maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(maildir, "bob", sub))
        message = (b"From: Mallory <m@evil.example>\n"
                   b"To: bob@bob.example\n"
                   b"Subject: =?UTF-8?B?4oCuZ25pcHBpaHM=?= " + NASTY + b"\n"
                   b"Date: Fri, 4 Dec 2026 12:00:00 +0000\n"
                   b"Content-Type: text/plain; charset=utf-8\n"
                   b"Content-Transfer-Encoding: 8bit\n"
                   b"\n"
                   b"Hello " + NASTY + b"\nsecond line\xc2\x85next\n")
        with open(os.path.join(maildir, "bob", "new", "1.1.nasty"), "wb") as f:
            f.write(message)
        reader = program("MAILWALK_READ", "client/mailwalk-read")
        for command in (["list"], ["show", "1"]):
            r = subprocess.run([reader, "--maildir", maildir, "--user", "bob",
                                *command], capture_output=True, timeout=WAIT_SECONDS)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_clean(r.stdout, " ".join(command))
        self.assertIn("Grüße".encode(), r.stdout)
        self.assertIn(b"second line", r.stdout)
        self.assertIn(b"\\u202e", r.stdout.lower())


if __name__ == "__main__":
    unittest.main()
