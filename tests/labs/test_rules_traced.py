"""test_rules_traced.py - every rule a lab handout states is graded, and
every graded check says which rules it enforces.

Each handout (labs/NN-topic/README.md) lists its rules as bullets
"**Rule L4.3**: ..."; each check of the lab's grader (labs/NN-topic/grade.py)
ends its name with the ids of the rules it enforces, "[L4.3 L4.5]", so a
student reads them next to the score line. This test fails when

  - a rule of a handout is enforced by no check (a rule nobody grades);
  - a check names a rule the handout does not have, or names none;
  - a handout cites an RFC text anywhere but in docs/rfc/ of this
    repository, or one that is not there;
  - a known-wrong file in tests/labs/ is not registered as a CI proof in
    labs/meson.build, or a lab has fewer than five of them.

    python3 tests/labs/test_rules_traced.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
LABS = os.path.join(ROOT, "labs")
RULE = re.compile(r"\*\*Rule (L(\d+)\.\d+)\*\*:")
CHECK_RULES = re.compile(r"\[(L\d+\.\d+(?: L\d+\.\d+)*)\]$")
MIN_WRONG_FILES = 5


def lab_dirs():
    return sorted(d for d in os.listdir(LABS) if re.match(r"\d\d-", d))


def handout_rules(lab):
    with open(os.path.join(LABS, lab, "README.md"), encoding="utf-8") as f:
        return [(m.group(1), int(m.group(2))) for m in RULE.finditer(f.read())]


def grader_checks(lab):
    """(check name, [rule ids]) for each check, from `grade.py --list`."""
    out = subprocess.run([sys.executable, os.path.join(LABS, lab, "grade.py"), "--list"],
                         capture_output=True, text=True, timeout=60, check=True,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1")).stdout
    checks = []
    for line in out.splitlines():
        name = line.strip().split(None, 1)[1]
        m = CHECK_RULES.search(name)
        checks.append((name, m.group(1).split() if m else []))
    return checks


class RulesTraced(unittest.TestCase):
    def test_every_lab_has_rules(self):
        for lab in lab_dirs():
            number = int(lab[:2])
            rules = handout_rules(lab)
            self.assertGreaterEqual(len(rules), 5, f"{lab}: the handout lists "
                                    f"{len(rules)} rules")
            for rule, n in rules:
                self.assertEqual(n, number, f"{lab}: {rule} belongs to another lab")
            ids = [r for r, _ in rules]
            self.assertEqual(len(ids), len(set(ids)), f"{lab}: a rule id twice: {ids}")

    def test_every_rule_is_graded(self):
        for lab in lab_dirs():
            graded = {r for _, rules in grader_checks(lab) for r in rules}
            for rule, _ in handout_rules(lab):
                self.assertIn(rule, graded, f"{lab}: Rule {rule} of the handout is "
                              "enforced by no check of grade.py")

    def test_every_check_names_real_rules(self):
        for lab in lab_dirs():
            stated = {r for r, _ in handout_rules(lab)}
            for name, rules in grader_checks(lab):
                self.assertTrue(rules, f"{lab}: check {name!r} names no rule "
                                "(end its name with [L{n}.{m}])")
                for rule in rules:
                    self.assertIn(rule, stated, f"{lab}: check {name!r} names "
                                  f"{rule}, which the handout does not state")

    def test_handouts_point_into_the_repository(self):
        docs = [os.path.join(LABS, lab, "README.md") for lab in lab_dirs()]
        docs += [os.path.join(LABS, "README.md"), os.path.join(ROOT, "docs", "labs.md")]
        for path in docs:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            # An RFC text is cited by its path in the repository, and is there:
            # a folder of one machine is on no student's.
            for m in re.finditer(r"(\S*?)(rfc\d+\.txt)", text):
                folder, name = m.group(1).strip("`("), m.group(2)
                self.assertEqual(folder, "docs/rfc/", f"{path} cites {m.group(0)}: "
                                 f"cite it as docs/rfc/{name}")
                self.assertTrue(os.path.isfile(os.path.join(ROOT, "docs", "rfc", name)),
                                f"{path} cites docs/rfc/{name}, which is not in the "
                                "repository")

    def test_every_wrong_file_is_a_proof(self):
        with open(os.path.join(LABS, "meson.build"), encoding="utf-8") as f:
            meson = f.read()
        folder = os.path.join(ROOT, "tests", "labs")
        for lab in lab_dirs():
            files = sorted(f for f in os.listdir(folder)
                           if f.startswith(f"lab{lab[:2]}_") and f.endswith(".c"))
            for name in files:
                self.assertTrue(f"'{name}'" in meson, f"tests/labs/{name} is not a "
                                "proof in labs/meson.build")
            self.assertGreaterEqual(len(files), MIN_WRONG_FILES,
                                    f"lab {lab[:2]} has {len(files)} known-wrong files")


if __name__ == "__main__":
    unittest.main(verbosity=2)
