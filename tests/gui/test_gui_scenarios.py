"""The visualizer plays every scenario to its end, with the real programs.

Each scenario runs under Xvfb (a virtual X display) at high speed with
--exit-when-done: mailwalk exits 0 only if the scenario told its story (the
letter is in Bob's Maildir, or it was refused as it should be). The
screenshot it writes must be a real PNG of a window-sized picture.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, or None if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def listening(port):
    """Is something listening on 127.0.0.1:port? (Asked without connecting:
    a connection would be a client of its own.)"""
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                         text=True).stdout
    return "LISTEN" in out


def scenarios():
    out = subprocess.run([MAILWALK, "--list-scenarios"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class ScenarioTest(unittest.TestCase):
    def test_list_names_the_scenarios(self):
        names = scenarios()
        for expected in ["hello", "esmtp", "no-such-user", "too-big", "open-relay",
                         "eavesdropper", "your-client", "long-letter"]:
            self.assertIn(expected, names)

    def test_unknown_scenario_is_refused(self):
        result = subprocess.run([MAILWALK, "--scenario", "nope"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--list-scenarios", result.stderr)

    def run_window(self, name, shot, timeout=90):
        return subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", MAILWALK,
             "--scenario", name, "--autoplay", "--speed", "16",
             "--exit-when-done", "--screenshot", shot],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, GSK_RENDERER="cairo"))

    def test_your_own_client_is_shown(self):
        # swaks talks to the tap's port; the window shows it and, with
        # --exit-when-done, ends when that connection closes.
        if shutil.which("swaks") is None:
            self.skipTest("swaks is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            shot = os.path.join(tmp, "own.png")
            window = self.run_window("your-client", shot)
            try:
                # The window says where the tap listens (2526 if it was free).
                first = window.stdout.readline()
                m = re.search(r"waiting for your client on 127\.0\.0\.1:(\d+)", first)
                self.assertIsNotNone(m, first)
                port = int(m.group(1))
                self.assertTrue(listening(port), "the tap is not listening")
                swaks = subprocess.run(
                    ["swaks", "--server", "127.0.0.1:%d" % port, "--to", "bob@bob.example",
                     "--from", "student@example.org"],
                    capture_output=True, text=True, timeout=120)
                self.assertEqual(swaks.returncode, 0, swaks.stdout + swaks.stderr)
                out, err = window.communicate(timeout=120)
            finally:
                if window.poll() is None:
                    window.kill()
            self.assertEqual(window.returncode, 0, out + err)
            self.assertIn("1 letter in Bob's Maildir", out)
            self.assertIsNotNone(png_size(shot))

    def test_every_scenario_plays_to_its_end(self):
        for name in scenarios():
            if name == "your-client":
                continue  # needs a client: test_your_own_client_is_shown
            if name == "long-letter":
                continue  # a minute of animation: docs/performance.md runs it
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
