"""labtools - what the lab graders share: running a lab's programs against
real servers on loopback, and the fake servers that send what no
well-behaved server would.

The servers come from tests/support (mailwalk_test.Server starts a real
mailwalk-server on a free port of 127.0.0.1 in a temporary folder;
mailwalk_client_test.ScriptedServer answers from a script). meson puts
tests/support on PYTHONPATH; run by hand, this file does it itself.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))

from gradelib import CheckFailed, expect  # noqa: E402
from mailwalk_client_test import ScriptedServer, strip_trace  # noqa: E402,F401
from mailwalk_test import RawClient, Server  # noqa: E402,F401

# Long enough for a loaded CI machine, short enough that a client that never
# reads the end of a reply does not eat the grader's time.
SEND_SECONDS = 8


def run_send(program, port, *extra, sender="alice@alice.example",
             to=("bob@bob.example",), body="Hello Bob", raw=None, host="127.0.0.1",
             seconds=SEND_SECONDS):
    """Run a mailwalk-send-like program (lab01-send, lab02-send ...):
    return (exit status, stdout, stderr) as text. raw: send these bytes
    as the whole message (--raw) instead of a built one with body."""
    args = [program, "--server", f"{host}:{port}", "--from", sender]
    for t in to:
        args += ["--to", t]
    args += ["--timeout", "3", *extra]
    if raw is not None:
        args += ["--raw"]
    else:
        args += ["--subject", "lab", "--body", body]
    try:
        r = subprocess.run(args, capture_output=True, timeout=seconds,
                           input=raw if raw is not None else b"")
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"{os.path.basename(program)} did not finish in "
                          f"{seconds} s")
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
