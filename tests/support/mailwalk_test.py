"""mailwalk_test - helpers shared by the Python integration and interop tests.

Every test starts its own mailwalk-server on 127.0.0.1 with port 0 (the kernel
picks a free port; the server prints which), in its own temporary directory,
and stops it afterwards. Nothing is shared between tests, so they can run in
any order and in parallel.

The programs under test are found through environment variables that meson
sets (see tests/integration/meson.build): MAILWALK_SERVER, MAILWALK_SEND,
MAILWALK_READ. Run a test by hand like this:

    MAILWALK_SERVER=build/server/mailwalk-server python3 tests/integration/test_server_dialogue.py
"""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

# Every wait in these tests is bounded: a broken server fails a test, it
# never hangs the suite.
WAIT_SECONDS = 10


def program(name, default):
    """Path of a built program, from the environment variable `name` that
    meson sets. There is no guessed fallback (a build folder may have any
    name): without the variable the test stops and says what to set."""
    path = os.environ.get(name)
    if path:
        return path
    raise RuntimeError(f"{name} is not set: run the test with meson test, or "
                       f"set it by hand, e.g. {name}=build/{default}")


class Server:
    """A mailwalk-server running on loopback for the length of a `with` block.

        with Server("--domain", "bob.example") as server:
            client = RawClient(server.port)
            ...
            server.messages("bob")   # the delivered files, as bytes
    """

    def __init__(self, *args, domain="bob.example", host="127.0.0.1", env=None,
                 preexec_fn=None, workdir=None, port=0):
        # workdir: a folder the caller owns (and removes), so that a server
        # can be stopped and a new one started on the same maildir, queue
        # and event log; by default each server gets a fresh temp folder.
        # port: a fixed port (say one free_port() chose) instead of 0.
        self.tmp = None
        if workdir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-test-")
            workdir = self.tmp.name
        os.makedirs(workdir, exist_ok=True)
        self.dir = workdir
        self.maildir = os.path.join(self.dir, "maildir")
        self.log_path = os.path.join(self.dir, "events.jsonl")
        self.host = host
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        cmd = [program("MAILWALK_SERVER", "server/mailwalk-server"),
               "--listen", listen, "--maildir", self.maildir,
               "--log", self.log_path]
        if domain and "--domain" not in args:
            cmd += ["--domain", domain]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env,
                                     preexec_fn=preexec_fn)
        # Filled from the start-up lines: the ports of each role
        # ("plain", "submission", "smtps"), and the TLS certificate's
        # SHA-256 fingerprint and path.
        self.ports = {"plain": [], "submission": [], "smtps": []}
        self.stderr_text = ""
        self.fingerprint = None
        self.cert_path = None
        try:
            self.port = self._read_port()
        except BaseException:
            self._discard()
            raise

    def _read_port(self):
        """Read the start-up lines up to "delivering mail for"; the first
        plain listener's port is the answer."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode().strip()
            m = re.search(r"listening on .*:(\d+)(?: \((\w+)\))?$", line)
            if m:
                self.ports[m.group(2) or "plain"].append(int(m.group(1)))
            m = re.search(r"TLS certificate for .*, SHA-256 ([0-9A-F:]+) \((.*)\)$",
                          line)
            if m:
                self.fingerprint, self.cert_path = m.group(1), m.group(2)
            if "delivering mail for" in line:
                ports = self.ports["plain"] or self.ports["submission"] or \
                    self.ports["smtps"]
                return ports[0]
            if not line and self.proc.poll() is not None:
                raise RuntimeError("mailwalk-server exited: "
                                   + self.proc.stderr.read().decode())
        raise RuntimeError("mailwalk-server did not say where it listens")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if self.tmp is not None:
            self.tmp.cleanup()

    def _discard(self):
        """A server that failed to start: reap it and remove its folder."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.tmp is not None:
            self.tmp.cleanup()

    def stop(self, sig=signal.SIGTERM):
        """Stop the server and return its exit code. What it wrote to
        stderr (what was there to read) is kept in self.stderr_text."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.proc.stderr.closed:
            # Non-blocking: a child (a worker, the queue runner) may still
            # hold the pipe open for a moment after the parent is gone.
            os.set_blocking(self.proc.stderr.fileno(), False)
            try:
                self.stderr_text = (self.proc.stderr.read() or b"").decode(
                    errors="replace")
            except OSError:
                pass
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

    def messages(self, mailbox, folder="new"):
        """The delivered messages of a mailbox, oldest first, as bytes."""
        path = os.path.join(self.maildir, mailbox, folder)
        if not os.path.isdir(path):
            return []
        names = sorted(os.listdir(path), key=lambda n: os.stat(
            os.path.join(path, n)).st_mtime_ns)
        result = []
        for name in names:
            with open(os.path.join(path, name), "rb") as f:
                result.append(f.read())
        return result

    def files_in(self, mailbox, folder):
        path = os.path.join(self.maildir, mailbox, folder)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def events(self, event=None, session=None, **fields):
        """The event log, as a list of dicts; only those of one event name,
        session and field values (id="...") if given."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            # A line being written right now may not have its end yet.
            events = [json.loads(line) for line in f if line.endswith("\n")]
        return [e for e in events
                if (event is None or e.get("event") == event)
                and (session is None or e.get("session") == session)
                and all(e.get(k) == v for k, v in fields.items())]

    def wait_for_event(self, event, count=1, timeout=WAIT_SECONDS, **fields):
        """Wait until the log holds `count` events named `event` whose
        fields match `fields`; return them (or fail with the log's tail)."""
        def matching():
            found = self.events(event, **fields)
            return found if len(found) >= count else None
        return wait_for(matching, timeout,
                        lambda: f"{count} '{event}' event(s) {fields}; log ends "
                        + json.dumps(self.events()[-8:], indent=1))

    def wait_for_messages(self, mailbox, count=1, timeout=WAIT_SECONDS):
        """Wait until `count` messages are in a mailbox; return them all."""
        return wait_for(lambda: (lambda m: m if len(m) >= count else None)(
            self.messages(mailbox)), timeout,
            lambda: f"{count} message(s) in {mailbox}; log ends "
            + json.dumps(self.events()[-8:], indent=1))


def wait_for(condition, timeout=WAIT_SECONDS, what="the condition"):
    """Poll condition() every 20 ms until it returns something true, and
    return that; after `timeout` seconds raise AssertionError naming what
    we waited for (a string, or a function making one at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for "
                                 + (what() if callable(what) else what))
        time.sleep(0.02)


class RawClient:
    """A client that sends exact bytes, so tests can send what real clients
    would never send: bare LFs, NUL bytes, lines without end."""

    def __init__(self, port, host="127.0.0.1", timeout=WAIT_SECONDS):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """One reply line, without CRLF, as str (latin-1, so any byte maps)."""
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection; had: %r"
                                      % self.buffer)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self):
        """A whole (maybe multi-line) reply: (code, [text lines])."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def command(self, text):
        """Send one command line and return its reply."""
        self.send(text + "\r\n")
        return self.reply()

    def closed(self):
        """True if the server has closed the connection (reads EOF)."""
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeMTA:
    """A tiny SMTP server (one thread, one connection at a time) that plays
    the next hop and answers as a test tells it, to show replies no
    mailwalk-server gives on cue: a 451 now and a 250 later, say.

        def answer(connection, verb, argument):   # connection: 1, 2, ...
            if connection == 1 and verb == "RCPT":
                return "451 4.3.0 try again later"
            return None                            # the usual reply

    verb is "CONNECT" (the greeting), a command's verb, or "." (the end of
    data). An answer may also be HANGUP (close without a word) or SILENT
    (say nothing and wait until the client gives up). The messages
    accepted are kept in .messages as (reverse-path, [recipients], bytes);
    every line received in .lines. extensions: what EHLO offers.
    """

    HANGUP = "<hang up>"
    SILENT = "<silent>"

    def __init__(self, answer=None, hostname="fake.example",
                 extensions=("8BITMIME", "ENHANCEDSTATUSCODES")):
        self.answer = answer or (lambda connection, verb, argument: None)
        self.hostname = hostname
        self.extensions = list(extensions)
        self.connections = 0
        self.messages = []
        self.lines = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(WAIT_SECONDS)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(WAIT_SECONDS)
                try:
                    self._session(conn, self.connections)
                except OSError:
                    pass

    class _Hangup(Exception):
        pass

    def _reply(self, conn, n, verb, argument, usual):
        text = self.answer(n, verb, argument) or usual
        if text == self.HANGUP:
            raise self._Hangup()
        if text == self.SILENT:
            while conn.recv(4096):
                pass  # until the client closes
            raise self._Hangup()
        conn.sendall(text.encode() + b"\r\n")
        return text

    def _session(self, conn, n):
        try:
            self._dialogue(conn, n)
        except self._Hangup:
            pass

    def _dialogue(self, conn, n):
        file = conn.makefile("rb")
        greeting = self._reply(conn, n, "CONNECT", "", f"220 {self.hostname} fake")
        if greeting[0] != "2":
            return
        sender, recipients = None, []
        while True:
            raw = file.readline()
            if not raw:
                return
            line = raw.rstrip(b"\r\n").decode("latin-1")
            self.lines.append(line)
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                lines = [self.hostname] + self.extensions
                usual = "\r\n".join(f"250-{x}" for x in lines[:-1]) + (
                    "\r\n" if len(lines) > 1 else "") + f"250 {lines[-1]}"
                if verb == "HELO":
                    usual = "250 ok"
                self._reply(conn, n, verb, argument, usual)
            elif verb == "MAIL":
                if self._reply(conn, n, verb, argument, "250 2.1.0 ok")[0] == "2":
                    sender, recipients = argument, []
            elif verb == "RCPT":
                if self._reply(conn, n, verb, argument, "250 2.1.5 ok")[0] == "2":
                    recipients.append(argument)
            elif verb == "DATA":
                if not recipients:
                    self._reply(conn, n, verb, argument, "554 5.5.1 no recipients")
                    continue
                if self._reply(conn, n, verb, argument, "354 go ahead")[0] != "3":
                    continue
                data = []
                while True:
                    raw = file.readline()
                    if not raw:
                        return
                    if raw == b".\r\n":
                        break
                    data.append(raw[1:] if raw.startswith(b".") else raw)
                if self._reply(conn, n, ".", "", "250 2.0.0 queued")[0] == "2":
                    self.messages.append((sender, recipients, b"".join(data)))
                sender, recipients = None, []
            elif verb == "QUIT":
                self._reply(conn, n, verb, argument, "221 2.0.0 bye")
                return
            else:
                self._reply(conn, n, verb, argument, "250 2.0.0 ok")
