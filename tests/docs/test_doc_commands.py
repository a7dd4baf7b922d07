"""The commands in the docs work as written.

    test_doc_commands.py SOURCE_ROOT BUILD_ROOT

In README.md and docs/*.md, a fenced block right after the line
`<!-- runnable -->` is run with bash, from the source root, against this
build; if a fenced block right after `<!-- output -->` follows it, each of
its lines must appear in the output, in that order and consecutive lines
together; a line `...` stands for any lines left out. Prose may come
between the two blocks.
So that the runs are repeatable and leave nothing behind, and do not meet
other servers on the machine:

- `build/` at the start of a word is this build folder (any name);
- it runs in a fresh temporary folder that links the source tree's
  top-level entries, and `/tmp/` paths go to that folder too;
- each port in 127.0.0.1:PORT or localhost:PORT becomes a free port, and
  after a command that ends in `&` the block waits (at most 10 s) until its
  ports listen, as a person would;
- when the block is done, whatever it left running is stopped (its whole
  process group).

Dates, times, message ids, process ids, long numbers and certificate
fingerprints are normalised on both sides before comparing.
"""

import glob
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

# A runnable block, and its output block if one follows before any other
# fenced block (prose in between is fine).
BLOCK = re.compile(r"<!-- runnable -->\s*\n```[a-z]*\n(.*?)\n```"
                   r"(?:(?:(?!```).)*?<!-- output -->\s*\n```[a-z]*\n(.*?)\n```)?",
                   re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def normalise(text, tmp, ports):
    text = text.replace(tmp, "/tmp")
    for doc_port, port in ports.items():
        text = text.replace(port, doc_port)
    text = re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d+ \w{3} \d{4} [\d:]+ [+-]\d{4}",
                  "DATE", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "DATE", text)
    text = re.sub(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", "FINGERPRINT", text)
    # Message ids: time.pid.count... (server/maildir.c, client/message.c).
    text = re.sub(r"\d{6,}(\.\d+){2,}", "ID", text)
    text = re.sub(r"[0-9a-f]{8,}", "HEX", text)
    # The Date: line's length varies, and with it every size.
    text = re.sub(r"SIZE=\d+", "SIZE=N", text)
    text = re.sub(r"\b\d+ B\b", "N B", text)
    text = re.sub(r"\d{4,}", "N", text)
    return [line.rstrip() for line in text.splitlines() if line.strip()]


ADDRESS = re.compile(r"\b(127\.0\.0\.1|localhost):(\d{4,5})\b")


def script_for(block, build, tmp, ports):
    """The block as bash will run it: paths and ports replaced, and a wait
    for the ports of each command sent to the background."""
    # /tmp/ first: the build folder itself may be under /tmp (a clone there).
    text = block.replace("/tmp/", tmp + "/")
    text = re.sub(r"(?<![\w/.-])build/", lambda m: build + "/", text)
    text = ADDRESS.sub(lambda m: f"{m.group(1)}:{ports[m.group(2)]}", text)
    lines = ["set -e",
             "wait_port() { for i in $(seq 100); do "
             "(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; "
             "sleep 0.1; done; echo \"port $1 never opened\" >&2; return 1; }"]
    for line in text.replace("\\\n", " ").splitlines():
        lines.append(line)
        if line.rstrip().endswith("&"):
            lines += [f"wait_port {m.group(2)}" for m in ADDRESS.finditer(line)]
    return "\n".join(lines) + "\n"


def run_block(source, build, block):
    ports = {p: str(free_port()) for _, p in ADDRESS.findall(block)}
    with tempfile.TemporaryDirectory(prefix="mailwalk-doc-") as tmp:
        # The block runs in a folder of its own that looks like the source
        # tree (each top-level entry linked), so that a file it writes
        # (`> users`) lands there and not in the source.
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        for name in os.listdir(source):
            if not name.startswith(".") and not os.path.exists(os.path.join(work, name)):
                os.symlink(os.path.join(source, name), os.path.join(work, name))
        # The output goes to a file, not a pipe: a server sent to the
        # background keeps its stdout open after the block is done.
        out_path = os.path.join(tmp, "block-output")
        with open(out_path, "w+b") as out_file:
            proc = subprocess.Popen(["bash", "-c", script_for(block, build, tmp, ports)],
                                    cwd=work, stdout=out_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                status = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                status = "timeout (60 s)"
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait()
            out_file.seek(0)
            out = out_file.read().decode(errors="replace")
        return status, out, tmp, ports


def in_order(expected, actual):
    """Does actual hold expected's lines, in order, consecutive lines
    together? A line "..." in expected stands for any number of lines.
    Returns the first line that is not where it should be, or None."""
    chunks, chunk = [], []
    for line in expected + ["..."]:
        if line == "...":
            if chunk:
                chunks.append(chunk)
            chunk = []
        else:
            chunk.append(line)
    start = 0
    for chunk in chunks:
        at = next((i for i in range(start, len(actual) - len(chunk) + 1)
                   if actual[i:i + len(chunk)] == chunk), None)
        if at is None:
            # Name the first line of the chunk that breaks the match.
            for n in range(len(chunk), 0, -1):
                if any(actual[i:i + n] == chunk[:n] for i in range(start, len(actual))):
                    return chunk[n] if n < len(chunk) else chunk[0]
            return chunk[0]
        start = at + len(chunk)
    return None


def main():
    source, build = sys.argv[1], sys.argv[2]
    docs = [os.path.join(source, "README.md")] + sorted(
        glob.glob(os.path.join(source, "docs", "*.md")))
    failures, count = [], 0
    for path in docs:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in BLOCK.finditer(text):
            count += 1
            where = f"{os.path.relpath(path, source)}:{text.count(chr(10), 0, m.start()) + 1}"
            status, out, tmp, ports = run_block(source, build, m.group(1))
            print(f"--- {where}\n{m.group(1)}\n--- output:\n{out}")
            if status != 0:
                failures.append(f"{where}: exit status {status}")
                continue
            if m.group(2) is not None:
                missing = in_order(normalise(m.group(2), "/tmp", {}),
                                   normalise(out, tmp, ports))
                if missing is not None:
                    failures.append(f"{where}: the output shown in the doc differs "
                                    f"from today's; first line not found: {missing!r}")
    print(f"{count} runnable blocks")
    if count == 0:
        failures.append("no <!-- runnable --> block found")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
