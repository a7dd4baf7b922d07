"""The visualizer plays every scenario to its end, with the real programs.

Each scenario runs under Xvfb (a virtual X display) at high speed with
--exit-when-done: mailwalk exits 0 only if the scenario told its story (the
letter is in Bob's Maildir, or it was refused as it should be). The
screenshot it writes must be a real PNG of a window-sized picture.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, or None if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def scenarios():
    out = subprocess.run([MAILWALK, "--list-scenarios"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class ScenarioTest(unittest.TestCase):
    def test_list_names_the_scenarios(self):
        names = scenarios()
        for expected in ["hello", "esmtp", "no-such-user", "too-big", "open-relay"]:
            self.assertIn(expected, names)

    def test_unknown_scenario_is_refused(self):
        result = subprocess.run([MAILWALK, "--scenario", "nope"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--list-scenarios", result.stderr)

    def test_every_scenario_plays_to_its_end(self):
        for name in scenarios():
            with self.subTest(scenario=name), tempfile.TemporaryDirectory() as tmp:
                shot = os.path.join(tmp, name + ".png")
                result = subprocess.run(
                    ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", MAILWALK,
                     "--scenario", name, "--autoplay", "--speed", "16",
                     "--exit-when-done", "--screenshot", shot],
                    capture_output=True, text=True, timeout=90,
                    env=dict(os.environ, GSK_RENDERER="cairo"))
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("Done:", result.stdout)
                size = png_size(shot)
                self.assertIsNotNone(size, "not a PNG")
                self.assertGreaterEqual(size[0], 1000)
                self.assertGreaterEqual(size[1], 600)


if __name__ == "__main__":
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is not installed: skipping")
        sys.exit(77)
    unittest.main()
