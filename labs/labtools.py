"""labtools - what the lab graders share: running a lab's programs against
real servers on loopback, and the fake servers that send what no
well-behaved server would.

The servers come from tests/support (mailwalk_test.Server starts a real
mailwalk-server on a free port of 127.0.0.1 in a temporary folder;
mailwalk_client_test.ScriptedServer answers from a script). meson puts
tests/support on PYTHONPATH; run by hand, this file does it itself.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))

from gradelib import CheckFailed, expect  # noqa: E402
from mailwalk_client_test import ScriptedServer, strip_trace  # noqa: E402,F401
from mailwalk_test import RawClient, Server  # noqa: E402,F401

# Long enough for a loaded CI machine, short enough that a client that never
# reads the end of a reply does not eat the grader's time.
SEND_SECONDS = 15


def run_send(program, port, *extra, sender="alice@alice.example",
             to=("bob@bob.example",), body="Hello Bob", raw=None, host="127.0.0.1",
             seconds=SEND_SECONDS):
    """Run a mailwalk-send-like program (lab01-send, lab02-send ...):
    return (exit status, stdout, stderr) as text. raw: send these bytes
    as the whole message (--raw) instead of a built one with body."""
    args = [program, "--server", f"{host}:{port}", "--from", sender]
    for t in to:
        args += ["--to", t]
    args += ["--timeout", "5", *extra]
    if raw is not None:
        args += ["--raw"]
    else:
        args += ["--subject", "lab", "--body", body]
    try:
        r = subprocess.run(args, capture_output=True, timeout=seconds,
                           input=raw if raw is not None else b"")
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"no answer within {seconds} s: "
                          f"{os.path.basename(program)} did not finish (waiting "
                          "for a reply that had come, or for ever?)")
    return (r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace"))


def tail(text, lines=8):
    """The last lines of a program's output, to show under a failed check."""
    return "\n".join(text.strip().splitlines()[-lines:])


def scripted_run(program, script, *extra, raw=b"hi\r\n", seconds=SEND_SECONDS):
    """Run program against a ScriptedServer, sending raw as the message;
    return (status, out, err, the lines the server received)."""
    server = ScriptedServer(script)
    try:
        status, out, err = run_send(program, server.port, *extra, raw=raw,
                                    seconds=seconds)
    finally:
        server.join()
    expect(server.error is None, f"the fake server: {server.error}\n{tail(out)}")
    return status, out, err, server.received


class Daemon:
    """A mailwalk-server-like program (lab06-server, mailwalk-server) in a
    folder the caller owns, on a fixed or a free port - for stories with
    two servers, where one must come up later on a port chosen before.

        bob = Daemon(server_path, workdir, "--domain", "bob.example", port=p)
        bob.wait_for_messages("bob", seconds=10)
        bob.stop()
    """

    def __init__(self, program, workdir, *args, port=0):
        os.makedirs(workdir, exist_ok=True)
        self.maildir = os.path.join(workdir, "maildir")
        self.log_path = os.path.join(workdir, "events.jsonl")
        self.proc = subprocess.Popen(
            [program, "--listen", f"127.0.0.1:{port}", "--maildir", self.maildir,
             "--log", self.log_path, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.port is None:
            line = self.proc.stdout.readline().decode(errors="replace")
            m = re.search(r"listening on .*:(\d+)$", line.strip())
            if m:
                self.port = int(m.group(1))
            elif not line and self.proc.poll() is not None:
                raise CheckFailed(f"{os.path.basename(program)} exited: "
                                  + self.proc.stderr.read().decode(errors="replace"))
        if self.port is None:
            self.stop()
            raise CheckFailed(f"{os.path.basename(program)} did not say where it listens")

    def messages(self, mailbox):
        folder = os.path.join(self.maildir, mailbox, "new")
        if not os.path.isdir(folder):
            return []
        result = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                result.append(f.read())
        return result

    def events(self, name):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            return [e for e in (json.loads(line) for line in f if line.endswith("\n"))
                    if e.get("event") == name]

    def wait_for_messages(self, mailbox, seconds):
        wait(lambda: self.messages(mailbox), seconds,
             f"a message in {mailbox}'s Maildir")
        return self.messages(mailbox)

    def wait_for_event(self, name, seconds):
        wait(lambda: self.events(name), seconds, f"a '{name}' event in the log")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def wait(condition, seconds, what):
    """Poll condition() until it is true; fail the check after seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise CheckFailed(f"waited {seconds} s for {what}, in vain")
        time.sleep(0.05)
