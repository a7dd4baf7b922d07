"""A killed window's run folder is removed at the next start (issue 14, 8).

A run's folder holds TLS private keys and Alice's password file. A window
that ends normally (or by SIGINT, SIGTERM, SIGHUP) removes it; one killed
with SIGKILL, or that lost its display, cannot. Before the fix those
folders stayed in /tmp for good. Now each run writes its window's process
id into its folder, and the next window removes the folders whose window
is gone, and no others.

The test has a TMPDIR of its own, so it never touches another window's
folders on this machine.
"""

import os
import signal
import subprocess
import tempfile
import time
import unittest

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")


def runs(tmp):
    return sorted(name for name in os.listdir(tmp) if name.startswith("mailwalk-run-"))


class CleanupTest(unittest.TestCase):
    def test_killed_window_folder_goes_at_next_start(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, GSK_RENDERER="cairo", TMPDIR=tmp)
            # A folder of a window that is alive (this test) stays.
            alive = os.path.join(tmp, "mailwalk-run-alive1")
            os.mkdir(alive)
            with open(os.path.join(alive, "window.pid"), "w") as f:
                f.write("%d\n" % os.getpid())
            # A folder without the file is not ours to judge: it stays.
            unknown = os.path.join(tmp, "mailwalk-run-other1")
            os.mkdir(unknown)

            window = subprocess.Popen(
                ["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", MAILWALK,
                 "--scenario", "eavesdropper"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                start_new_session=True)
            try:
                # Wait for its run folder and the server's key in it.
                pid, folder = None, None
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and pid is None:
                    for name in runs(tmp):
                        path = os.path.join(tmp, name)
                        pid_file = os.path.join(path, "window.pid")
                        if path != alive and os.path.exists(pid_file):
                            with open(pid_file) as f:
                                pid, folder = int(f.read()), path
                    time.sleep(0.2)
                self.assertIsNotNone(pid, "no run folder appeared")
                time.sleep(2)  # let the server make its certificate and key
                os.kill(pid, signal.SIGKILL)
                window.wait(timeout=60)
            finally:
                if window.poll() is None:
                    os.killpg(window.pid, signal.SIGKILL)
                    window.wait()
            self.assertTrue(os.path.isdir(folder), "SIGKILL cannot clean up")

            # The next window removes it, and keeps the others.
            result = subprocess.run(
                ["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", MAILWALK,
                 "--scenario", "hello", "--autoplay", "--speed", "16",
                 "--exit-when-done"],
                capture_output=True, text=True, timeout=240, env=env)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertFalse(os.path.exists(folder), "the killed window's folder")
            self.assertTrue(os.path.isdir(alive))
            self.assertTrue(os.path.isdir(unknown))


if __name__ == "__main__":
    unittest.main()
