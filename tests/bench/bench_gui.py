#!/usr/bin/python3
"""bench_gui.py - what the visualizer costs: launch, frames, the tap.

    python3 tests/bench/bench_gui.py               # about 2 minutes
    python3 tests/bench/bench_gui.py --quick       # launch and tap only
    meson test -C build --benchmark bench_gui      # the same, through meson

Prints three figures, as issue 6 asks for them:

1. Launch to first frame: mailwalk --timing prints how long after main()
   began the first frame was painted (the frame clock's after-paint). Run
   several times for the one-hop hello and for the two-hop alice-to-bob
   (which starts two servers; their start must not delay the window).
   Goal: under 500 ms.
2. Frame rate while animating, with a transcript of 1000+ rows: the
   long-letter scenario played at full speed; --timing counts the frames
   painted while an arrow was in flight and the longest gap between two.
3. The wire tap: build/tests/bench/bench_tap (what the tap adds per line
   when nothing is held, goal under 1 ms; 10 MB passed through intact).

Everything runs under Xvfb, with no GPU. The frame rate is measured three
ways: as users get it (no GSK_RENDERER: on a machine without a GPU the
window picks GTK's cairo renderer itself), with GTK's default OpenGL
renderer forced (GSK_RENDERER=gl, emulated on the CPU by llvmpipe), and with
cairo forced; each with the CPU time the window and Xvfb used. A benchmark, not a test: it prints
figures, and fails only when a program does. See docs/performance.md.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MAILWALK_BUILD", os.path.join(HERE, "..", "..", "build"))
MAILWALK = os.environ.get("MAILWALK_GUI", os.path.join(BUILD, "gui", "mailwalk"))
BENCH_TAP = os.environ.get("MAILWALK_BENCH_TAP",
                           os.path.join(BUILD, "tests", "bench", "bench_tap"))
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
ENV = dict(os.environ, GSK_RENDERER="cairo")
# The renderers compared: (name, GSK_RENDERER, or None for the user's case).
RENDERERS = [("as users get it", None), ("GTK's default, gl", "gl"),
             ("cairo", "cairo")]


def first_frame_ms(scenario):
    """Start the window, read its 'first frame' line, close it."""
    window = subprocess.Popen(XVFB + [MAILWALK, "--scenario", scenario, "--timing"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=ENV, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = window.stdout.readline()
            if not line:
                break
            m = re.search(r"first frame ([\d.]+) ms", line)
            if m:
                return float(m.group(1))
        raise RuntimeError("mailwalk printed no first frame")
    finally:
        # Ask the window itself to quit (SIGTERM: it stops its programs and
        # removes its run's folder); xvfb-run then ends with it. Killing
        # xvfb-run first would take the display away from under it.
        for pid in group_members(window.pid):
            if read_comm(pid) == "mailwalk":
                os.kill(pid, 15)
        try:
            window.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(window.pid, 9)
            window.wait()


def read_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def group_members(pgid):
    """The processes of our own process group (xvfb-run, Xvfb, mailwalk)."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            members.append(int(name))
    return members


def launch(runs):
    for scenario in ("hello", "alice-to-bob"):
        times = [first_frame_ms(scenario) for _ in range(runs)]
        print("launch to first frame, %-13s median %4.0f ms  (min %.0f, max %.0f, "
              "%d runs; goal: under 500)" % (scenario, statistics.median(times),
                                            min(times), max(times), runs))


def frames():
    for name, renderer in RENDERERS:
        env = dict(os.environ)
        env.pop("GSK_RENDERER", None)
        if renderer is not None:
            env["GSK_RENDERER"] = renderer
        before = os.times()
        start = time.monotonic()
        result = subprocess.run(XVFB + [MAILWALK, "--scenario", "long-letter",
                                        "--autoplay", "--speed", "16",
                                        "--exit-when-done", "--timing"],
                                capture_output=True, text=True, env=env, timeout=900)
        wall = time.monotonic() - start
        after = os.times()
        cpu = (after.children_user - before.children_user +
               after.children_system - before.children_system)
        if result.returncode != 0:
            raise RuntimeError("long-letter failed:\n" + result.stdout + result.stderr)
        m = re.search(r"(\d+) rows; (\d+) frames while animating, ([\d.]+) frames/s "
                      r"on average, slowest frame ([\d.]+) ms", result.stdout)
        used = re.search(r"\(renderer (\w+)\)", result.stdout)
        if m is None:
            raise RuntimeError("no frame figures in:\n" + result.stdout)
        print("animating %s rows (long-letter, speed 16), %-17s (%s): %5s frames/s "
              "on average, slowest frame %6s ms, CPU %3.0f%% of one core (%s frames)"
              % (m.group(1), name, used.group(1) if used else "?", m.group(3),
                 m.group(4), 100 * cpu / wall, m.group(2)), flush=True)


def tap():
    result = subprocess.run([BENCH_TAP], capture_output=True, text=True, timeout=300)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        raise RuntimeError("bench_tap failed: " + result.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches per scenario")
    parser.add_argument("--quick", action="store_true", help="skip the 1000-row run")
    args = parser.parse_args()
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is not installed: skipping")
        return 77
    launch(args.runs)
    if not args.quick:
        frames()
    tap()
    return 0


if __name__ == "__main__":
    sys.exit(main())
