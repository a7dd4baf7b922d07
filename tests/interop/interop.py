"""interop - what the interop tests share: finding a peer, reading a delivery.

An interop test runs a real, independently written SMTP client (swaks, curl,
Python's smtplib) against mailwalk-server and then looks at the file that
arrived in the Maildir. mailwalk-server stores a message as the client sent
it, with two differences that every test must allow for:

  * line endings are LF, not the wire's CR LF (the Maildir convention);
  * two trace headers come first (RFC 5321 §4.4): "Return-Path: <sender>"
    and a "Received:" header, folded over two or three lines.

delivered() splits those off, so a test can compare the rest byte for byte.
"""

import os
import re
import shutil
import subprocess
import sys

from mailwalk_test import WAIT_SECONDS, program

# meson treats exit code 77 as "skipped".
SKIP = 77


def need(program):
    """Path of a peer program; exit 77 (skipped) if it is not installed.

    CI installs every peer, so there a skip is a setup bug, not a pass."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin")
    if path is None:
        print(f"SKIP: {program} is not installed", file=sys.stderr)
        sys.exit(SKIP)
    return path


def run(cmd, input=None):
    """Run a peer with a bounded wait; return the CompletedProcess (bytes)."""
    return subprocess.run(cmd, input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=3 * WAIT_SECONDS)


class Delivery:
    """One delivered Maildir file, split into trace headers and message."""

    def __init__(self, raw):
        self.raw = raw
        lines = raw.split(b"\n")
        m = re.fullmatch(rb"Return-Path: <(.*)>", lines[0])
        if m is None:
            raise AssertionError("first line is not Return-Path: %r" % lines[0])
        self.return_path = m.group(1).decode("utf-8")
        if not lines[1].startswith(b"Received: "):
            raise AssertionError("second line is not Received: %r" % lines[1])
        n = 2
        while n < len(lines) and lines[n].startswith(b"\t"):
            n += 1  # folded continuation lines of Received:
        # Unfold (RFC 5322 §2.2.3) so tests can search one line.
        self.received = b" ".join(l.strip() for l in lines[1:n]).decode("utf-8")
        self.message = b"\n".join(lines[n:])


def delivered(server, mailbox, count=1):
    """The messages in server's `mailbox`, as Delivery objects; fail unless
    exactly `count` arrived."""
    found = server.messages(mailbox)
    if len(found) != count:
        raise AssertionError(f"{mailbox}: expected {count} message(s), "
                             f"found {len(found)}")
    # A delivery is complete only when nothing is left in tmp/.
    leftovers = server.files_in(mailbox, "tmp")
    if leftovers:
        raise AssertionError(f"{mailbox}/tmp not empty: {leftovers}")
    return [Delivery(raw) for raw in found]


def lf(data):
    """The bytes as mailwalk-server stores them: CR LF -> LF."""
    return data.replace(b"\r\n", b"\n")


def users_file(directory, user, password):
    """A --users file with one user, made the documented way:
    `mailwalk-server --hash-password` reads the password on stdin."""
    out = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                          "--hash-password"], input=password.encode() + b"\n",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=WAIT_SECONDS, check=True)
    path = os.path.join(directory, "users")
    with open(path, "w") as f:
        f.write(f"{user}:{out.stdout.decode().strip()}\n")
    return path


def security_server(users):
    """A server with all three roles: plain (server.port), submission and
    smtps (server.ports[...]), and a users file."""
    from mailwalk_test import Server
    return Server("--users", users, "--submission", "127.0.0.1:0",
                  "--smtps", "127.0.0.1:0")


def maildir_empty(server):
    """True if no mail file exists under the server's Maildir root.

    The dot-folder .state (the server's TLS certificate) is not mail."""
    for root, _, files in os.walk(server.maildir):
        if os.path.relpath(root, server.maildir).startswith(".state"):
            continue
        if files:
            return False
    return True
