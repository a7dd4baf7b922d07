"""gradelib - the scoring half of every lab grader (labs/NN-topic/grade.py).

A grader is a list of *checks*, each worth some points. A check is either a
Python function (it drives a real program over a real socket, or reads real
files) or the name of a C check inside the lab's `labNN-checks` program (pure
functions called directly, see labs/checks.h). Each check runs with a time
limit; a check that fails, hangs or crashes costs its own points and nothing
else, and the grader goes on with the next one.

What a student sees (and what the folder grader parses, line by line, even
from a run that was stopped half-way):

    lab01: Reading replies
    [ 2/ 2] one-line reply
    [ 0/ 3] multi-line reply
            expected MORE for "250-first", got DONE
    lab01: 2/5

The same result goes to a JSON file for course tooling (--json PATH):

    {"lab": "lab01", "title": ..., "score": 2, "max": 5,
     "checks": [{"name": ..., "points": 2, "max": 2, "passed": true,
                 "message": ""}, ...]}

What a check must do to pass, and what no submission can fake:

  - A C check passes only if it ran to its end: the grader gives each run
    a random token (MAILWALK_CHECK_TOKEN, which labs/checks.h reads and
    erases before any constructor of the student's code runs) and wants
    it back on stdout after the check's last CHECK(). An exit(0) half-way,
    or from a constructor, has no token: the check fails.
  - Any report of AddressSanitizer, LeakSanitizer or UndefinedBehavior-
    Sanitizer written while a check ran - by any process, forked server
    workers included - fails that check, and the report's summary is its
    message. (The lab programs are built with the sanitizers; their
    reports go to files in a folder of the grader's, see _Sanitizers.)
  - Whatever a check started is killed when it ends (SIGKILL), found as a
    descendant of the grader: the grader is a "child subreaper", so a
    process that setsid()s or double-forks is still its descendant.
  - With --results-fd N each result also goes, as one JSON line, to file
    descriptor N, which labs/grade-folder reads: it never trusts the score
    lines on stdout, which a student's program could write too. The
    grader makes itself non-dumpable, so that no other process of its user
    can open its descriptors through /proc/PID/fd.

Exit status: 0 for full marks, 1 otherwise; so `meson test --suite lab01`
says OK exactly when the lab is done. The CI proofs run the same grader
with --expect (full / zero / lose:CHECK|CHECK) and exit 0 when the score
came out as expected: the reference gets everything, the untouched starter
nothing, a known-wrong implementation loses exactly the checks it should.
"""

import argparse
import ctypes
import json
import os
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# What labs/checks.h prints, with the token, when a C check ran to its end.
CHECK_PASSED = "mailwalk-check-passed"

# One check may take this long before it is stopped and scores 0. Checks
# that start servers and send mail take about a second when they pass.
CHECK_SECONDS = 20


class CheckFailed(Exception):
    """Raised by expect(): the check failed, and the message says why in
    words a student can act on."""


class CheckTimeout(Exception):
    """The check ran out of time (something waited forever)."""


def expect(condition, message):
    """Fail the current check with message unless condition holds."""
    if not condition:
        raise CheckFailed(message)


class Grader:
    """Collects checks, runs them, prints and stores the score."""

    def __init__(self, lab, title):
        self.lab = lab
        self.title = title
        self.checks = []  # (name, points, function)
        self.programs = {}

    # ---- declaring checks --------------------------------------------------

    def check(self, name, points, seconds=CHECK_SECONDS):
        """Decorator: a Python check worth `points`."""

        def register(function):
            self.checks.append((name, points, function, seconds))
            return function

        return register

    def c_check(self, name, points, c_name, program="checks", seconds=5):
        """A check that runs `labNN-checks c_name`. It passes when the
        program exits 0 *and* printed this run's token (the check ran to
        its end, see labs/checks.h); what it prints on stderr is the
        reason it did not."""

        def run(grader):
            path = grader.program(program)
            token = secrets.token_hex(16)
            env = dict(os.environ, MAILWALK_CHECK_TOKEN=token)
            try:
                r = subprocess.run([path, c_name], capture_output=True, env=env,
                                   timeout=seconds, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise CheckFailed(f"no answer within {seconds} s "
                                  "(an endless loop, or a wait for ever?)")
            why = r.stderr.decode(errors="replace").strip()
            if r.returncode < 0:
                name = signal.Signals(-r.returncode).name
                raise CheckFailed(f"the program crashed ({name})"
                                  + (f": {why}" if why else ""))
            expect(r.returncode == 0, why or f"exit status {r.returncode}")
            finished = f"{CHECK_PASSED} {token}".encode() in r.stdout
            expect(finished, "the check did not run to its end: the program "
                             "stopped before the check's last line, with exit "
                             "status 0 (an exit() or _exit() in your code?)")

        self.checks.append((name, points, run, seconds + 5))

    # ---- what checks use ---------------------------------------------------

    def program(self, key):
        """Path of a program given with --prog key=PATH."""
        if key not in self.programs:
            raise CheckFailed(f"the grader was not told where '{key}' is "
                              f"(--prog {key}=PATH)")
        return self.programs[key]

    # ---- running -------------------------------------------------------------

    def _run_one(self, function, seconds):
        def on_alarm(signum, frame):
            raise CheckTimeout()

        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(seconds)
        try:
            function(self)
            return True, ""
        except (CheckFailed, AssertionError) as e:  # AssertionError: a wait_for()
            return False, str(e)
        except CheckTimeout:
            return False, (f"no answer within {seconds} s (the check's time "
                           "limit: something waited for ever?)")
        except subprocess.TimeoutExpired as e:
            return False, (f"no answer within {e.timeout:g} s from "
                           f"{os.path.basename(str(e.cmd[0]))}")
        except (ConnectionError, OSError) as e:
            return False, f"{type(e).__name__}: {e}"
        except Exception:  # a bug in the check itself: show it whole
            return False, traceback.format_exc(limit=3)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    def main(self, argv=None):
        parser = argparse.ArgumentParser(description=f"{self.lab}: {self.title}")
        parser.add_argument("--prog", action="append", default=[],
                            metavar="KEY=PATH", help="where a program under test is")
        parser.add_argument("--json", metavar="PATH", help="write the score here too")
        parser.add_argument("--label", default="",
                            help="what is graded (shown in the first line)")
        parser.add_argument("--only", action="append", default=[],
                            metavar="CHECK", help="run only these checks")
        parser.add_argument("--expect", metavar="full|zero|lose:A|B",
                            help="CI proof: exit 0 if the score is as expected")
        parser.add_argument("--extra", action="append", default=[], metavar="FILE",
                            help="add the checks of this file (an instructor's "
                                 "held-back checks, see docs/instructor.md)")
        parser.add_argument("--results-fd", type=int, metavar="N",
                            help="also write each result as a JSON line to fd N")
        parser.add_argument("--list", action="store_true", help="list the checks")
        args = parser.parse_args(argv)
        for item in args.prog:
            key, _, path = item.partition("=")
            self.programs[key] = os.path.abspath(path)
        for path in args.extra:
            # The file registers checks on `g` like a grade.py does.
            runpy.run_path(path, init_globals={"g": self})

        if args.list:
            for name, points, _, _ in self.checks:
                print(f"{points:3}  {name}")
            return 0

        results_out = None
        if args.results_fd is not None:
            os.set_inheritable(args.results_fd, False)
            results_out = os.fdopen(args.results_fd, "w", encoding="utf-8")
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        prctl(PR_SET_DUMPABLE, 0)
        # meson test's own time limit sends SIGTERM: clean up on the way out.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
        sanitizers = _Sanitizers()

        label = f" ({args.label})" if args.label else ""
        print(f"{self.lab}: {self.title}{label}", flush=True)
        results = []
        try:
            for name, points, function, seconds in self.checks:
                if args.only and name not in args.only:
                    continue
                started = time.monotonic()
                passed, message = self._run_one(function, seconds)
                # Nothing a check started outlives it, and whatever a
                # sanitizer saw meanwhile fails it.
                left = kill_descendants()
                reports = sanitizers.collect()
                if reports:
                    # First: it is the cause (a sanitizer's exit status 1 or
                    # a crash is what the check saw of it).
                    passed = False
                    message = reports + ("\n" + message if message else "")
                if left and not passed:
                    message += (f"\n({left} process{'es' if left > 1 else ''} "
                                "still running at the end of the check: killed)")
                earned = points if passed else 0
                print(f"[{earned:2}/{points:2}] {name}", flush=True)
                if message:
                    for line in message.strip().splitlines()[:12]:
                        print(f"        {line}", flush=True)
                result = {"name": name, "points": earned, "max": points,
                          "passed": passed, "message": message,
                          "seconds": round(time.monotonic() - started, 2)}
                results.append(result)
                if results_out:
                    results_out.write(json.dumps(result) + "\n")
                    results_out.flush()
        finally:
            kill_descendants()
            sanitizers.remove()
        score = sum(r["points"] for r in results)
        total = sum(r["max"] for r in results)
        print(f"{self.lab}: {score}/{total}", flush=True)
        if results_out:
            results_out.write(json.dumps({"done": True}) + "\n")
            results_out.close()

        if args.json:
            os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"lab": self.lab, "title": self.title, "label": args.label,
                           "score": score, "max": total, "checks": results}, f,
                          indent=2)
                f.write("\n")

        if args.expect:
            return 0 if self._as_expected(args.expect, results, score, total) else 1
        return 0 if score == total else 1

    def _as_expected(self, expectation, results, score, total):
        """The CI proofs: is this the score this variant must get?"""
        if expectation == "full":
            ok = score == total
            print(f"proof: the reference must score full marks: "
                  f"{'yes' if ok else 'NO'}")
            return ok
        if expectation == "zero":
            ok = score == 0
            print(f"proof: the untouched starter must score zero: "
                  f"{'yes' if ok else 'NO'}")
            return ok
        if expectation.startswith("lose:"):
            must_lose = [n for n in expectation[5:].split("|") if n]
            failed = {r["name"] for r in results if not r["passed"]}
            unknown = [n for n in must_lose if n not in {r["name"] for r in results}]
            missing = [n for n in must_lose if n not in failed]
            ok = not unknown and not missing and score < total
            print(f"proof: this wrong implementation must lose "
                  f"{', '.join(must_lose)}: {'yes' if ok else 'NO'}")
            for n in unknown:
                print(f"  no check is called {n!r}")
            for n in missing:
                print(f"  it passed {n!r}")
            return ok
        print(f"unknown --expect {expectation!r}")
        return False


# ---- what the grader does around every check ----------------------------------

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def prctl(option, value):
    """prctl(2) through libc; Linux only, and harmless if it fails."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0),
                   ctypes.c_ulong(0), ctypes.c_ulong(0))
    except (OSError, AttributeError):
        pass


def _descendants(root):
    """Every live process below root, from /proc (zombies left out)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8",
                      errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# How long what a check started may take to end by itself before it is
# killed: a server's workers outlive their parent by the time LeakSanitizer
# takes to look at them (seconds, on a loaded machine).
GRACE_SECONDS = 5


def kill_descendants(grace=GRACE_SECONDS):
    """SIGKILL everything this process started, and its children's
    children: as a child subreaper we inherit the orphans, so a process
    that setsid()s or double-forks cannot slip away. Whatever is on its way
    out gets grace seconds first. Returns how many were still running
    after the grace."""
    deadline = time.monotonic() + grace
    while _descendants(os.getpid()) and time.monotonic() < deadline:
        _reap()
        time.sleep(0.05)
    first = None
    for _ in range(100):  # a fork loop may add some while we kill
        alive = _descendants(os.getpid())
        if first is None:
            first = len(alive)
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    _reap()
    return first or 0


def _reap():
    """Collect the orphans we adopted (subprocess collects its own)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _Sanitizers:
    """Where the lab programs' sanitizer reports go: one file per report,
    whichever process wrote it (a forked server worker's leak report
    included), in a folder of this grader's. The options are appended to
    what the caller set (scripts/test.sh's suppressions stay)."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="mailwalk-sanitizers-")
        # Other users' processes (a sealed run's programs) must write here.
        os.chmod(self.folder, 0o1777)
        self.seen = set()
        log = os.path.join(self.folder, "report")
        options = {
            "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0:"
                            "malloc_limit_mb=1024",
            "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
            "LSAN_OPTIONS": "",
        }
        for name, ours in options.items():
            before = os.environ.get(name, "")
            both = ":".join(o for o in (before, ours, "log_path=" + log) if o)
            os.environ[name] = both

    def collect(self):
        """The summaries of the reports written since the last call."""
        summaries = []
        for name in sorted(os.listdir(self.folder)):
            if name in self.seen:
                continue
            self.seen.add(name)
            try:
                with open(os.path.join(self.folder, name), encoding="utf-8",
                          errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            summaries.append(_summary(text))
        return "\n".join(s for s in summaries if s)

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def _summary(report):
    """A sanitizer report in a few lines: what, and where in the code."""
    lines = report.strip().splitlines()
    what = [l for l in lines if "ERROR:" in l or "runtime error:" in l]
    summary = [l for l in lines if l.startswith("SUMMARY:")]
    # The frames of the program, not of the sanitizer's own malloc & co.
    frames = [l.strip() for l in lines if l.strip().startswith("#")
              and "libsanitizer" not in l and "__interceptor_" not in l][:3]
    picked = (what[:1] or lines[:1]) + frames + summary[:1]
    return "\n".join(["sanitizer: " + picked[0].strip()] + picked[1:])
