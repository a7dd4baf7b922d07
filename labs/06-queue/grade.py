"""Lab 6 grader: the queue - retry, give up, bounce.

The C checks (labs/06-queue/checks.c) call each of your five decisions
directly. The rest build a small Internet on loopback: Alice's server is
lab06-server (mailwalk-server with your policy.c inside) with a queue, a
routes file standing in for DNS and --retry 1s; Bob's server is a real
mailwalk-server - sometimes down, sometimes refusing. Each story takes a
few seconds; every wait has a deadline.

    meson test -C build --suite lab06 -v
"""

import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import Grader, expect  # noqa: E402
from labtools import Daemon, RawClient  # noqa: E402

g = Grader("lab06", "The queue: retry and bounces")

g.c_check("classify replies: delivered, retry, bounce [L6.1]", 2, "classify")
g.c_check("retry delays follow the schedule [L6.2]", 2, "retry_delay")
g.c_check("expiry after the lifetime [L6.3]", 1, "expired")
g.c_check("never bounce to <> [L6.4]", 1, "should_bounce")
g.c_check("loop threshold [L6.5]", 1, "is_loop")

WAIT = 10  # seconds for a story that takes 1-3 s when it works


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Net:
    """A folder with Alice's (lab06-server) and Bob's (mailwalk-server)."""

    def __init__(self, g):
        self.g = g
        self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-lab06-")
        self.dir = self.tmp.name
        self.queue = os.path.join(self.dir, "alice", "queue")
        self.servers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for s in reversed(self.servers):
            s.stop()
        self.tmp.cleanup()

    def bob(self, *extra, port=0):
        s = Daemon(self.g.program("mailwalk-server"), os.path.join(self.dir, "bob"),
                   "--hostname", "mail.bob.example", "--domain", "bob.example", *extra,
                   port=port)
        self.servers.append(s)
        return s

    def alice(self, bob_port, *extra):
        routes = os.path.join(self.dir, "routes")
        with open(routes, "w") as f:
            f.write(f"bob.example 127.0.0.1:{bob_port}\n")
        s = Daemon(self.g.program("server"), os.path.join(self.dir, "alice"),
                   "--hostname", "mail.alice.example", "--domain", "alice.example",
                   "--queue", self.queue, "--routes", routes, "--retry", "1s",
                   "--trusted", "127.0.0.0/8", *extra)
        self.servers.append(s)
        return s

    def queue_left(self):
        return [n for sub in ("envelopes", "messages")
                for n in os.listdir(os.path.join(self.queue, sub))]


def submit(port, sender, to, body="Subject: hello\r\n\r\nHi Bob!"):
    """One transaction; returns the reply to the final dot."""
    with RawClient(port) as c:
        expect(c.reply()[0] == 220, "no greeting")
        expect(c.command("EHLO client.alice.example")[0] == 250, "EHLO refused")
        expect(c.command(f"MAIL FROM:<{sender}>")[0] == 250, "MAIL refused")
        code, lines = c.command(f"RCPT TO:<{to}>")
        expect(code == 250, f"RCPT TO:<{to}>: {code} {lines}")
        expect(c.command("DATA")[0] == 354, "DATA refused")
        code, lines = c.command(body + "\r\n.")
        c.command("QUIT")
    return code, lines


def queued(reply):
    code, lines = reply
    expect(code == 250 and "queued" in lines[0], f"Alice's server should queue the "
                                                   f"message: {code} {lines}")


def wait_queue_empty(net, why):
    deadline = time.monotonic() + WAIT
    while net.queue_left() and time.monotonic() < deadline:
        time.sleep(0.05)
    expect(not net.queue_left(), f"{why}: the queue still holds {net.queue_left()}")


@g.check("relayed to Bob once, and the queue is empty [L6.1 L6.6]", 2)
def relayed(g):
    with Net(g) as net:
        bob = net.bob()
        alice = net.alice(bob.port)
        queued(submit(alice.port, "alice@alice.example", "bob@bob.example"))
        bob.wait_for_messages("bob", WAIT)
        wait_queue_empty(net, "Bob's server said 250 (delivered)")
        expect(len(bob.messages("bob")) == 1, "Bob got the message more than once")


@g.check("Bob down, then up: retried and delivered [L6.1 L6.2 L6.6]", 3)
def retried(g):
    with Net(g) as net:
        bob_port = free_port()  # nobody listens there yet
        alice = net.alice(bob_port)
        queued(submit(alice.port, "alice@alice.example", "bob@bob.example"))
        alice.wait_for_event("deferred", WAIT)
        expect(net.queue_left(), "with Bob down the message must stay queued")
        expect(alice.messages("alice") == [], "no reply is not a reason to bounce")
        bob = net.bob(port=bob_port)
        bob.wait_for_messages("bob", WAIT)
        wait_queue_empty(net, "after Bob took it")
        expect(len(bob.messages("bob")) == 1, "Bob got it more than once")


@g.check("550 from Bob: a bounce to the sender, none to <> [L6.1 L6.4]", 3)
def bounces(g):
    with Net(g) as net:
        bob = net.bob("--mailboxes", "bob")
        alice = net.alice(bob.port)
        queued(submit(alice.port, "alice@alice.example", "carol@bob.example"))
        [dsn] = alice.wait_for_messages("alice", WAIT)
        expect(b"carol@bob.example" in dsn, "the bounce should name carol")
        wait_queue_empty(net, "after the bounce")
        # A bounce that fails is never bounced again (RFC 5321 section 4.5.5):
        # it ends in our postmaster's mailbox instead.
        queued(submit(alice.port, "", "carol@bob.example",
                      body="Subject: Undelivered Mail\r\n\r\nA bounce."))
        alice.wait_for_messages("postmaster", WAIT)
        wait_queue_empty(net, "a bounce of a bounce must not be queued for <>")
        expect(len(alice.messages("alice")) == 1, "alice got a second bounce")


@g.check("gives up after --queue-lifetime, and bounces [L6.3 L6.4]", 2)
def expires(g):
    with Net(g) as net:
        alice = net.alice(free_port(), "--queue-lifetime", "2s")  # Bob never up
        queued(submit(alice.port, "alice@alice.example", "bob@bob.example"))
        [dsn] = alice.wait_for_messages("alice", WAIT)
        expect(b"4.4.7" in dsn, "the bounce should say 4.4.7 (delivery time expired)")
        wait_queue_empty(net, "after giving up")


@g.check("a looping message is refused (554) [L6.5]", 1)
def loop(g):
    with Net(g) as net:
        alice = net.alice(free_port())
        old = "".join(f"Received: from hop{n}.example by hop{n + 1}.example; "
                      f"Mon, 23 Nov 2026 10:{n // 60:02d}:{n % 60:02d} +0000\r\n"
                      for n in range(100))
        code, lines = submit(alice.port, "alice@alice.example", "alice@alice.example",
                             body=old + "Subject: round\r\n\r\nand round")
        expect(code == 554, f"a message with 101 Received: lines should get 554 5.4.6, "
                            f"got {code} {lines}")


if __name__ == "__main__":
    sys.exit(g.main())
