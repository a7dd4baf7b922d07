"""mailwalk_client_test - helpers for the tests of mailwalk-send and
mailwalk-read (tests/integration/test_send_*.py, test_read_*.py,
test_client_*.py).

Everything runs on 127.0.0.1, on ports the kernel picks, in temporary
directories, and every wait is bounded.
"""

import asyncio
import os
import socket
import subprocess
import sys
import threading

from mailwalk_test import WAIT_SECONDS, program

SKIP = 77  # meson: this test was skipped


def send(*args, input=b"", timeout=WAIT_SECONDS * 3):
    """Run mailwalk-send; return the CompletedProcess (bytes out/err)."""
    cmd = [program("MAILWALK_SEND", "client/mailwalk-send")] + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)


def read(*args, timeout=WAIT_SECONDS * 3):
    """Run mailwalk-read; return the CompletedProcess (text out/err)."""
    cmd = [program("MAILWALK_READ", "client/mailwalk-read")] + list(args)
    env = dict(os.environ, TZ="UTC")
    return subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)


def strip_trace(stored):
    """The message as the sender sent it: the stored file without the
    Return-Path: and Received: fields the server put in front."""
    lines = stored.split(b"\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(b"Return-Path:")
                              or lines[i].startswith(b"Received:")):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\n".join(lines[i:])


def free_port():
    """A port nobody listens on (closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(condition, message):
    """assert that survives python -O, with the output to look at."""
    if not condition:
        import traceback
        traceback.print_stack(limit=2, file=sys.stderr)
        print("FAILED:", message, file=sys.stderr)
        sys.exit(1)


class ScriptedServer:
    """A fake SMTP server that answers from a script, to show the client
    replies no real server sends: a refused EHLO, a garbled line, a 421.

    script: list of (expected command prefix or None, reply bytes). The
    first entry's prefix must be None: it is the greeting. A reply of None
    hangs up; b"" sends nothing. Lines received are kept in self.received.
    """

    def __init__(self, script):
        self.script = list(script)
        self.received = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(WAIT_SECONDS)
        self.port = self.sock.getsockname()[1]
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(WAIT_SECONDS)
            buffer = b""
            for expected, reply in self.script:
                if expected is not None:
                    while b"\r\n" not in buffer:
                        chunk = conn.recv(4096)
                        if not chunk:
                            return
                        buffer += chunk
                    line, buffer = buffer.split(b"\r\n", 1)
                    self.received.append(line)
                    if not line.upper().startswith(expected.upper().encode()):
                        self.error = "expected %r, got %r" % (expected, line)
                        return
                if reply is None:
                    conn.close()  # hang up without a word
                    return
                if reply:
                    conn.sendall(reply)
            # Keep reading until the client closes, to record its last words.
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                buffer += chunk
            self.received += [l for l in buffer.split(b"\r\n") if l]
            conn.close()
        except OSError as e:
            self.error = str(e)

    def join(self):
        self.thread.join(WAIT_SECONDS)
        self.sock.close()


class AsyncioServer:
    """An asyncio server (aiosmtpd's SMTP, say) on 127.0.0.1, on a port the
    kernel picks, running in a thread of its own: factory() makes the
    protocol for each connection; ssl_context, if given, is TLS from the
    first byte. .port is the port; stop() ends it."""

    def __init__(self, factory, ssl_context=None):
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(self.loop.create_server(
                factory, "127.0.0.1", 0, ssl=ssl_context))
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        check(ready.wait(10), "the asyncio server did not start")

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
