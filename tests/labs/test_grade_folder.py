"""labs/grade-folder on a folder of lab 1 submissions: the reference, the
untouched starter, a wrong one, one that does not compile, one that
crashes and one that hangs. Every student gets a row; the reference full
marks, the starter zero; the crash and the hang cost their authors points
but not the run, and the hang is stopped at the time limit with the points
it earned before."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile

GRADE_FOLDER, BUILD = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TIME_LIMIT = 15


def check(condition, message):
    if not condition:
        print("FAILED:", message, file=sys.stderr)
        sys.exit(1)


def main():
    with tempfile.TemporaryDirectory(prefix="mailwalk-grade-folder-") as tmp:
        folder = os.path.join(tmp, "hand-ins")
        os.mkdir(folder)
        for student, source in (
                ("reference", os.path.join(ROOT, "client", "smtp_reply.c")),
                ("starter", os.path.join(ROOT, "labs", "01-replies", "replies.c")),
                ("wrong", os.path.join(ROOT, "tests", "labs", "lab01_one_line_only.c")),
                ("hangs", os.path.join(ROOT, "tests", "labs", "lab01_hangs.c")),
                ("crashes", os.path.join(ROOT, "tests", "labs", "lab01_crashes.c"))):
            shutil.copyfile(source, os.path.join(folder, student + ".c"))
        with open(os.path.join(folder, "broken.c"), "w") as f:
            f.write("this is not C\n")
        out = os.path.join(tmp, "scores.csv")
        r = subprocess.run([sys.executable, GRADE_FOLDER, "1", folder, "--build", BUILD,
                            "--time-limit", str(TIME_LIMIT), "--out", out],
                           capture_output=True, text=True, timeout=400)
        print(r.stdout, r.stderr)
        check(r.returncode == 0, f"grade-folder exit status {r.returncode}")
        with open(out, newline="") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
        check(sorted(rows) == ["broken", "crashes", "hangs", "reference", "starter",
                               "wrong"], f"rows: {sorted(rows)}")
        full = int(rows["reference"]["max"])
        score = {name: int(row["score"]) for name, row in rows.items()}
        check(score["reference"] == full, f"reference: {rows['reference']}")
        check(score["starter"] == 0, f"starter: {rows['starter']}")
        check(0 < score["wrong"] < full, f"wrong: {rows['wrong']}")
        check("multi-line reply" in rows["wrong"]["notes"], rows["wrong"])
        check(score["broken"] == 0 and "does not compile" in rows["broken"]["notes"],
              rows["broken"])
        check(0 < score["crashes"] < full and "first line" in rows["crashes"]["notes"],
              rows["crashes"])
        # The hang earns the checks before smtp_parse_extensions (14 points)
        # and is stopped at the time limit.
        check(14 <= score["hangs"] < full, rows["hangs"])
        check("time limit" in rows["hangs"]["notes"], rows["hangs"])
        check(os.path.exists(os.path.join(out + ".d", "hangs.txt")), "no details kept")


if __name__ == "__main__":
    main()
