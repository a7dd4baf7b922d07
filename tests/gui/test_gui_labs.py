"""The visualizer runs a lab build and marks where it differs (mailwalk --lab N).

Each test plays lab 3's scenario under Xvfb at full speed with
--exit-when-done and --transcript: the transcript has a line starting with
"!" under every line of the student's run that differs from the reference
run, saying what the reference said there. The default build holds the
untouched starter, which must be marked; the reference build, run as if
it were the student's (--lab-build reference), must not be; the known-wrong
file tests/labs/lab03_rcpt_before_mail.c must be marked exactly where it
answers 250 to RCPT before MAIL. Every lab's reference build, run as the
student's, must tell its story with no mark at all.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")
LABS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(MAILWALK))),
                    "labs")


def built(name):
    return os.access(os.path.join(LABS, name), os.X_OK)


class LabTest(unittest.TestCase):
    def play(self, lab, *extra, timeout=60):
        """Play lab N to its end; (exit status, stdout, the transcript)."""
        with tempfile.TemporaryDirectory() as tmp:
            transcript = os.path.join(tmp, "lab.txt")
            result = subprocess.run(
                ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", MAILWALK,
                 "--lab", str(lab), "--autoplay", "--speed", "16", "--exit-when-done",
                 "--transcript", transcript] + list(extra),
                capture_output=True, text=True, timeout=timeout,
                env=dict(os.environ, GSK_RENDERER="cairo"))
            self.assertTrue(os.path.exists(transcript), result.stdout + result.stderr)
            with open(transcript, encoding="utf-8") as f:
                return result.returncode, result.stdout, f.read()

    def marks(self, text):
        """(the line marked, what the reference said) for every mark."""
        lines = text.splitlines()
        return [(lines[i - 1], line) for i, line in enumerate(lines)
                if line.startswith("!  ✗ differs:")]

    def setUp(self):
        if not (built("lab03-server") and built("lab03-server-reference")):
            self.skipTest("lab 3 is not built")

    def test_the_starter_is_marked(self):
        status, out, text = self.play(3)
        marks = self.marks(text)
        self.assertGreater(len(marks), 5, text)
        # The starter answers 502 to everything; the reference answered
        # RCPT before MAIL with 503 5.5.1.
        self.assertIn(('S: 502 5.5.1 LAB 3: command_dispatch() is not written yet',
                       '!  ✗ differs: the reference answered "503 5.5.1 Send MAIL '
                       'FROM first" here'), marks)
        self.assertRegex(out, r"Your lab03-server: \d+ lines differ from the reference")
        self.assertEqual(status, 1, out)  # no letter arrived: the story failed

    def test_the_reference_build_is_not_marked(self):
        status, out, text = self.play(3, "--lab-build", "reference")
        self.assertEqual(self.marks(text), [], text)
        self.assertIn("C: RCPT TO:<bob@bob.example>", text)
        self.assertIn("S: 503 5.5.1", text)
        self.assertIn("Your lab03-server said what the reference said.", out)
        self.assertEqual(status, 0, out)

    def test_rcpt_before_mail_is_marked_where_it_happens(self):
        if not built("lab03-server-rcpt-before-mail"):
            self.skipTest("the wrong variants are not built")
        status, out, text = self.play(3, "--lab-build", "rcpt-before-mail")
        lines = text.splitlines()
        # The first RCPT, before any MAIL: 250 where the reference said 503.
        rcpt = lines.index("C: RCPT TO:<bob@bob.example>")
        self.assertTrue(lines[rcpt + 1].startswith("S: 250 2.1.5"), text)
        self.assertEqual(lines[rcpt + 2],
                         '!  ✗ differs: the reference answered "503 5.5.1 Send MAIL '
                         'FROM first" here')
        # "The first mark is your mistake": nothing before it differs (the
        # wrong file offers the reference's EHLO list, SMTPUTF8 included).
        self.assertEqual(self.marks(text)[0][0], lines[rcpt + 1], text)

    def test_a_lab_that_is_not_there_is_refused(self):
        result = subprocess.run([MAILWALK, "--lab", "9"], capture_output=True,
                                text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("the labs are 1 to 6", result.stderr)
        result = subprocess.run([MAILWALK, "--lab", "3", "--lab-build", "nope"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("lab 3 is not built: no lab03-server-nope", result.stderr)

    def test_list_names_the_labs(self):
        out = subprocess.run([MAILWALK, "--list-scenarios"], capture_output=True,
                             text=True, timeout=30, check=True).stdout
        self.assertRegex(out, re.compile(r"^lab03 .*\(--lab 3\)$", re.M))



def reference_test(lab, program):
    """A test that lab N's reference build, run as the student's, tells
    the lab's story without a single mark: the comparison leaves out what
    changes from run to run, and nothing else."""
    def test(self):
        name = "lab%02d-%s-reference" % (lab, program)
        if not built(name):
            self.skipTest(name + " is not built")
        status, out, text = self.play(lab, "--lab-build", "reference")
        self.assertEqual(self.marks(text), [], text)
        self.assertIn("said what the reference said.", out)
        self.assertEqual(status, 0, out + text)
    return test


for _lab, _program in [(1, "send"), (2, "send"), (3, "server"), (4, "server"),
                       (5, "send"), (6, "server")]:
    setattr(LabTest, "test_lab%d_reference_is_not_marked" % _lab,
            reference_test(_lab, _program))


if __name__ == "__main__":
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is not installed: skipping")
        sys.exit(77)
    unittest.main()
