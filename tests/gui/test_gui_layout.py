"""The window fits a projector (issue 14, defects 1 and 3).

Before: the window was at least 1431 px wide (1583 with long maildir
names), so at 1024x768 the explanation panel was cut and the header's
controls were off-screen; in the console, once 354 arrived, the hint row's
buttons squeezed the hint into a column one word wide.

Each check takes a screenshot (the window's own size, frame included) and
asks that it fits the screen:
- every kind of scenario at 1024x768, the explanation panel open;
- the two-hop story at 1280x720 with twice the text (--text-size 2) and
  the panel hidden (--no-explanation), as a back row needs;
- the console in the middle of DATA, at 1024x768.
The pictures are kept in $MAILWALK_SHOTS if set, for a look by eye.
"""

import os
import shutil
import struct
import subprocess
import tempfile
import unittest

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


class LayoutTest(unittest.TestCase):
    def shoot(self, tmp, screen, name, *extra):
        shot = os.path.join(tmp, "%s-%dx%d.png" % (name, screen[0], screen[1]))
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 %dx%dx24" % screen, MAILWALK,
             "--speed", "16", "--exit-when-done", "--screenshot", shot] + list(extra),
            capture_output=True, text=True, timeout=240,
            env=dict(os.environ, GSK_RENDERER="cairo"))
        size = png_size(shot) if os.path.exists(shot) else None
        self.assertIsNotNone(size, result.stdout + result.stderr)
        keep = os.environ.get("MAILWALK_SHOTS")
        if keep:
            shutil.copy(shot, keep)
        return size

    def assert_fits(self, size, screen):
        # The picture includes the window's frame (a few pixels each side).
        self.assertLessEqual(size[0], screen[0] + 2, "too wide: %r" % (size,))
        self.assertLessEqual(size[1], screen[1] + 2, "too tall: %r" % (size,))

    def test_fits_a_projector(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("esmtp", "alice-to-bob", "no-such-user"):
                size = self.shoot(tmp, (1024, 768), name, "--scenario", name,
                                  "--autoplay", "--pause-at", "30")
                self.assert_fits(size, (1024, 768))

    def test_doubled_text_at_1280x720(self):
        with tempfile.TemporaryDirectory() as tmp:
            size = self.shoot(tmp, (1280, 720), "doubled", "--scenario",
                              "alice-to-bob", "--autoplay", "--pause-at", "20",
                              "--text-size", "2", "--no-explanation")
            self.assert_fits(size, (1280, 720))

    def test_console_during_data(self):
        with tempfile.TemporaryDirectory() as tmp:
            typed = os.path.join(tmp, "typed.txt")
            with open(typed, "w") as f:
                f.write("EHLO student.example\nMAIL FROM:<alice@alice.example>\n"
                        "RCPT TO:<bob@bob.example>\nDATA\nSubject: hi\n")
            size = self.shoot(tmp, (1024, 768), "console", "--scenario", "console",
                              "--type", typed, "--pause-at", "17")
            self.assert_fits(size, (1024, 768))


if __name__ == "__main__":
    unittest.main()
