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
import time

# Every wait in these tests is bounded: a broken server fails a test, it
# never hangs the suite.
WAIT_SECONDS = 10


def program(name, default):
    """Path of a built program, from the environment or the default build dir."""
    path = os.environ.get(name)
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", default)


class Server:
    """A mailwalk-server running on loopback for the length of a `with` block.

        with Server("--domain", "bob.example") as server:
            client = RawClient(server.port)
            ...
            server.messages("bob")   # the delivered files, as bytes
    """

    def __init__(self, *args, domain="bob.example", host="127.0.0.1", env=None,
                 preexec_fn=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-test-")
        self.dir = self.tmp.name
        self.maildir = os.path.join(self.dir, "maildir")
        self.log_path = os.path.join(self.dir, "events.jsonl")
        self.host = host
        listen = f"[{host}]:0" if ":" in host else f"{host}:0"
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
        self.fingerprint = None
        self.cert_path = None
        self.port = self._read_port()

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
        self.tmp.cleanup()

    def stop(self, sig=signal.SIGTERM):
        """Stop the server and return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
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

    def events(self):
        """The event log, as a list of dicts."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]


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
