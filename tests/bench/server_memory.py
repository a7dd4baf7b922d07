#!/usr/bin/env python3
"""How much memory mailwalk-server takes with its default 100 workers,
idle and with 100 sessions open (each in the middle of DATA).

    python3 tests/bench/server_memory.py build/server/mailwalk-server

It sums, over the supervisor and every worker, two figures from
/proc/PID/smaps_rollup:

  RSS  resident pages, counting a page shared by 100 processes 100 times
       (the C library, OpenSSL, the pages fork() shares): what `ps` shows,
       and far more than the machine really spends;
  PSS  "proportional set size": a shared page counts 1/N in each of the N
       processes sharing it, so the sum is what the server really costs.

The numbers go into docs/performance.md ("Memory at 100 sessions").
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SESSIONS = 100


def rollup(pid):
    """The kB figures of /proc/PID/smaps_rollup, as a dict."""
    figures = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                figures[m.group(1)] = int(m.group(2))
    return figures


def family(pid):
    """The process and its children."""
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(name))
            except OSError:
                pass
    return [pid] + kids


def report(pid, label):
    figures = [rollup(p) for p in family(pid)]
    workers = figures[1:]
    print("%-24s %3d processes   RSS %6.1f MiB   PSS %5.1f MiB"
          "   (a worker: RSS %4.0f KiB, PSS %4.0f KiB)"
          % (label, len(figures), sum(f["Rss"] for f in figures) / 1024,
             sum(f["Pss"] for f in figures) / 1024,
             sum(f["Rss"] for f in workers) / len(workers),
             sum(f["Pss"] for f in workers) / len(workers)))


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else "build/server/mailwalk-server"
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([server, "--listen", "127.0.0.1:0", "--maildir",
                                 tmp + "/maildir", "--domain", "bob.example"],
                                stdout=subprocess.PIPE)
        port = None
        while True:
            line = proc.stdout.readline().decode()
            m = re.search(r"listening on .*:(\d+)$", line.strip())
            if m:
                port = int(m.group(1))
            if "delivering" in line or not line:
                break
        try:
            for _ in range(100):  # wait (at most 10 s) for every worker
                if len(family(proc.pid)) == SESSIONS + 1:
                    break
                time.sleep(0.1)
            report(proc.pid, "idle, %d workers" % SESSIONS)
            clients = []
            for _ in range(SESSIONS):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                f = s.makefile("rb")
                f.readline()
                s.sendall(b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\n"
                          b"RCPT TO:<bob@bob.example>\r\nDATA\r\n")
                for _ in range(12):
                    if f.readline().startswith(b"354"):
                        break
                s.sendall(b"Subject: memory\r\n\r\n" + b"x" * 60 + b"\r\n")
                clients.append(s)
            time.sleep(1)
            report(proc.pid, "%d sessions in DATA" % SESSIONS)
            for s in clients:
                s.close()
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
