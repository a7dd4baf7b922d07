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

Exit status: 0 for full marks, 1 otherwise; so `meson test --suite lab01`
says OK exactly when the lab is done. The CI proofs run the same grader
with --expect (full / zero / lose:CHECK|CHECK) and exit 0 when the score
came out as expected: the reference gets everything, the untouched starter
nothing, a known-wrong implementation loses exactly the checks it should.
"""

import argparse
import json
import os
import signal
import subprocess
import time
import traceback

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
        """A check that runs `labNN-checks c_name`: exit 0 passes; what it
        prints on stderr is the reason it did not."""

        def run(grader):
            path = grader.program(program)
            try:
                r = subprocess.run([path, c_name], capture_output=True,
                                   timeout=seconds, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise CheckFailed(f"did not finish in {seconds} s "
                                  "(an endless loop?)")
            why = r.stderr.decode(errors="replace").strip()
            if r.returncode < 0:
                name = signal.Signals(-r.returncode).name
                raise CheckFailed(f"the program crashed ({name})"
                                  + (f": {why}" if why else ""))
            expect(r.returncode == 0, why or f"exit status {r.returncode}")

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
            return False, f"took longer than {seconds} s (something waited forever?)"
        except subprocess.TimeoutExpired as e:
            return False, f"a program did not finish in time: {e.cmd[0]}"
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
        parser.add_argument("--list", action="store_true", help="list the checks")
        args = parser.parse_args(argv)
        for item in args.prog:
            key, _, path = item.partition("=")
            self.programs[key] = os.path.abspath(path)

        if args.list:
            for name, points, _, _ in self.checks:
                print(f"{points:3}  {name}")
            return 0

        label = f" ({args.label})" if args.label else ""
        print(f"{self.lab}: {self.title}{label}", flush=True)
        results = []
        for name, points, function, seconds in self.checks:
            if args.only and name not in args.only:
                continue
            started = time.monotonic()
            passed, message = self._run_one(function, seconds)
            earned = points if passed else 0
            print(f"[{earned:2}/{points:2}] {name}", flush=True)
            if message:
                for line in message.strip().splitlines()[:12]:
                    print(f"        {line}", flush=True)
            results.append({"name": name, "points": earned, "max": points,
                             "passed": passed, "message": message,
                             "seconds": round(time.monotonic() - started, 2)})
        score = sum(r["points"] for r in results)
        total = sum(r["max"] for r in results)
        print(f"{self.lab}: {score}/{total}", flush=True)

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
