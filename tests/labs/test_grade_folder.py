"""labs/grade-folder on a folder of lab 1 submissions: the reference, the
untouched starter, a wrong one, one that does not compile, one that
crashes, one that hangs, one with a buffer overrun that prints right, and
the cheats of tests/labs/cheats/ (see its README.md). Every student gets a
row; the reference full marks (the instructor-held example checks of
labs/extra-example/ included), the starter zero; the crash, the hang and
the overrun cost their authors the checks they broke but not the run; each
cheat scores 0; and when grade-folder is done, nothing it started is still
running and nothing changes the CSV or another student's output later.

A second, unsealed run (no sandbox: the way `meson test --suite lab01`
runs a student's programs) shows that the grader itself leaves nothing
running either: a setsid() process is found and killed all the same."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

GRADE_FOLDER, BUILD = sys.argv[1], sys.argv[2]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LABS = os.path.join(ROOT, "tests", "labs")
CHEATS = os.path.join(LABS, "cheats")
STARTER = os.path.join(ROOT, "labs", "01-replies", "replies.c")
TIME_LIMIT = 30
FAKE = "faked by a cheat"

# student -> (file, appended to the starter?)
SUBMISSIONS = {
    "reference": (os.path.join(ROOT, "client", "smtp_reply.c"), False),
    "starter": (STARTER, False),
    "wrong": (os.path.join(LABS, "lab01_one_line_only.c"), False),
    "hangs": (os.path.join(LABS, "lab01_hangs.c"), False),
    "crashes": (os.path.join(LABS, "lab01_crashes.c"), False),
    "overrun": (os.path.join(LABS, "lab01_first_line_overrun.c"), False),
    "cheat-include-reference": (os.path.join(CHEATS, "include_reference.c"), False),
    "cheat-constructor-exit": (os.path.join(CHEATS, "constructor_exit.c"), True),
    "cheat-fake-score-lines": (os.path.join(CHEATS, "fake_score_lines.c"), True),
    "cheat-parent-stdout": (os.path.join(CHEATS, "parent_stdout.c"), True),
    "cheat-setsid-later": (os.path.join(CHEATS, "setsid_later.c"), True),
    "cheat-fake-results-fd": (os.path.join(CHEATS, "fake_results_fd.c"), True),
}


def check(condition, message):
    if not condition:
        print("FAILED:", message, file=sys.stderr)
        sys.exit(1)


def hand_in(folder, students):
    os.makedirs(folder)
    for student in students:
        source, appended = SUBMISSIONS[student]
        with open(os.path.join(folder, student + ".c"), "w") as out:
            if appended:
                with open(STARTER) as f:
                    out.write(f.read() + "\n")
            with open(source) as f:
                out.write(f.read())


def still_running(marker):
    """Processes whose command line names marker (the run's work folder)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(f"{pid}: {cmdline}")
    return found


def grade(folder, out, *extra):
    """Run grade-folder; return ({student: row}, the run's work-folder
    marker, what it printed)."""
    proc = subprocess.Popen([sys.executable, GRADE_FOLDER, "1", folder, "--build", BUILD,
                             "--time-limit", str(TIME_LIMIT), "--out", out, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, _ = proc.communicate(timeout=900)
    print(output)
    check(proc.returncode == 0, f"grade-folder exit status {proc.returncode}")
    with open(out, newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return rows, f"mailwalk-grade-{proc.pid}-", output


def no_aftermath(out, marker, cheaters):
    """Nothing left running; a few seconds later the CSV is the same and no
    other student's output holds a cheat's line."""
    left = still_running(marker)
    check(not left, "still running after grade-folder:\n" + "\n".join(left))
    with open(out, "rb") as f:
        before = f.read()
    time.sleep(4)
    check(not still_running(marker), "something came back")
    with open(out, "rb") as f:
        check(f.read() == before, "the CSV changed after grade-folder ended")
    details = out + ".d"
    for name in os.listdir(details):
        if name.endswith(".txt") and name[:-4] not in cheaters:
            with open(os.path.join(details, name), errors="replace") as f:
                check(FAKE not in f.read(), f"a cheat wrote into {name}")


def sealed(tmp):
    folder = os.path.join(tmp, "hand-ins")
    hand_in(folder, SUBMISSIONS)
    with open(os.path.join(folder, "broken.c"), "w") as f:
        f.write("this is not C\n")
    with open(os.path.join(folder, "links-not.c"), "w") as f:
        f.write('#include "smtp_client.h"\n')  # none of the lab's functions
    with open(os.path.join(folder, "warns.c"), "w") as f:
        with open(SUBMISSIONS["reference"][0]) as reference:
            f.write(reference.read() + "\nint lab01_warns(void)\n{\n"
                    "    int unused;\n    return 0;\n}\n")
    out = os.path.join(tmp, "scores.csv")
    rows, marker, output = grade(folder, out, "--extra",
                                 os.path.join(ROOT, "labs", "extra-example"))
    # Sealed, no cheat reaches grade-folder's own output (unsealed, one can:
    # the programs run as we do).
    check(not any(line.startswith("[99/99]") for line in output.splitlines()),
          "a cheat wrote into grade-folder's output")
    check(sorted(rows) == sorted(list(SUBMISSIONS) + ["broken", "links-not", "warns"]),
          f"rows: {sorted(rows)}")
    full = int(rows["reference"]["max"])
    score = {name: int(row["score"]) for name, row in rows.items()}
    notes = {name: row["notes"] for name, row in rows.items()}
    check(score["reference"] == full, f"reference: {rows['reference']}")
    check("held back:" not in notes["reference"], "the extra check did not pass")
    check("held back:" in notes["starter"], "the extra check was not run")
    check(score["starter"] == 0, f"starter: {rows['starter']}")
    check(0 < score["wrong"] < full, f"wrong: {rows['wrong']}")
    check("multi-line reply" in notes["wrong"], rows["wrong"])
    check(score["broken"] == 0 and "does not compile" in notes["broken"], rows["broken"])
    # A link error names what is missing, not just "ld returned 1".
    check(score["links-not"] == 0 and "does not link" in notes["links-not"]
          and "undefined reference" in notes["links-not"], rows["links-not"])
    # A warning costs nothing and is in the notes.
    check(score["warns"] == full and "compiler:" in notes["warns"]
          and "unused variable" in notes["warns"], rows["warns"])
    check(0 < score["crashes"] < full and "first line" in notes["crashes"],
          rows["crashes"])
    # The hang earns the checks before smtp_parse_extensions (14 points)
    # and is stopped at the time limit.
    check(14 <= score["hangs"] < full, rows["hangs"])
    check("no answer within" in notes["hangs"], rows["hangs"])
    # The overrun prints the right text; only the sanitizer sees it.
    check(score["overrun"] == full - 1 and "first line [L1.8] (sanitizer" in notes["overrun"],
          rows["overrun"])
    for name in SUBMISSIONS:
        if name.startswith("cheat-"):
            check(score[name] == 0, f"{name} scored: {rows[name]}")
    check("does not compile" in notes["cheat-include-reference"],
          rows["cheat-include-reference"])
    check("look at: a constructor, _exit()" in notes["cheat-constructor-exit"],
          rows["cheat-constructor-exit"])
    check(os.path.exists(os.path.join(out + ".d", "hangs.txt")), "no details kept")
    no_aftermath(out, marker, {n for n in SUBMISSIONS if n.startswith("cheat-")})


def unsealed(tmp):
    folder = os.path.join(tmp, "unsealed")
    hand_in(folder, ["cheat-setsid-later", "cheat-constructor-exit"])
    out = os.path.join(tmp, "unsealed.csv")
    rows, marker, _ = grade(folder, out, "--unsealed")
    # No row but theirs: the CSV is not open while a submission runs.
    check(sorted(rows) == ["cheat-constructor-exit", "cheat-setsid-later"],
          f"unsealed rows: {sorted(rows)}")
    for name, row in rows.items():
        check(int(row["score"]) == 0, f"unsealed {name} scored: {row}")
    no_aftermath(out, marker, set(rows))


def main():
    with tempfile.TemporaryDirectory(prefix="mailwalk-grade-folder-") as tmp:
        sealed(tmp)
        unsealed(tmp)


if __name__ == "__main__":
    if shutil.which("bwrap") is None:
        print("SKIP: no bwrap (scripts/setup.sh test installs bubblewrap)")
        sys.exit(77)
    main()
