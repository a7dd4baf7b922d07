"""The visualizer plays every scenario to its end, with the real programs.

Each scenario runs under Xvfb (a virtual X display) at high speed with
--exit-when-done: mailwalk exits 0 only if the scenario told its story (the
letter is in Bob's Maildir, or it was refused as it should be). The
screenshot it writes must be a real PNG of a window-sized picture.

The two-hop scenarios are checked on disk as well (MAILWALK_KEEP_RUN keeps
the run's folder): the letter in Bob's Maildir and none left in Alice's
queue, or the bounce in Alice's Maildir. So are the typed console, the
transcript and the SVG diagram.
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
import zlib

MAILWALK = os.environ.get("MAILWALK_GUI", "build/gui/mailwalk")


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, or None if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def png_rows(path, count):
    """The first `count` rows of an 8-bit RGB or RGBA PNG, as lists of
    (r, g, b): enough of a decoder to look at the top of a screenshot."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, _, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace != 0:
                raise ValueError("not an 8-bit RGB(A) PNG")
        elif kind == b"IDAT":
            idat += body
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(count):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):  # undo the PNG filter of this row
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return rows


# mw-lanes.c draws the actor boxes in (0.20, 0.25, 0.33).
ACTOR_BOX = (51, 64, 84)


def above_the_actors(path):
    """The pixel rows just above the actor boxes' white band: (the row
    right above the band, the row above that), across the boxes' span."""
    rows = png_rows(path, 400)
    for y, row in enumerate(rows):
        # The boxes' first row: a long run of their colour (the rounded
        # corners are blended with white, the middle is not).
        xs = [x for x, px in enumerate(row)
              if all(abs(px[i] - ACTOR_BOX[i]) <= 2 for i in range(3))]
        if len(xs) >= 150:  # four or five boxes, narrower in a 1024-px window
            break
    else:
        raise AssertionError("no actor boxes in the top of %s" % path)
    left, right = xs[0], xs[-1]
    band = y
    while band > 0 and rows[band - 1][left] != (255, 255, 255):
        band -= 1  # up through the boxes' rounded top edge (narrow boxes)
    while band > 0 and rows[band - 1][left] == (255, 255, 255):
        band -= 1  # up through the white band behind the boxes
    return rows[band - 1][left:right + 1], rows[band - 2][left:right + 1]


def listening(port):
    """Is something listening on 127.0.0.1:port? (Asked without connecting:
    a connection would be a client of its own.)"""
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                         text=True).stdout
    return "LISTEN" in out



def letters(maildir, mailbox):
    """The files of every letter in one mailbox, read or not."""
    found = []
    for sub in ("new", "cur"):
        folder = os.path.join(maildir, mailbox, sub)
        if os.path.isdir(folder):
            found += [os.path.join(folder, name) for name in sorted(os.listdir(folder))]
    return found


def scenarios():
    out = subprocess.run([MAILWALK, "--list-scenarios"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class ScenarioTest(unittest.TestCase):
    def test_list_names_the_scenarios(self):
        names = scenarios()
        for expected in ["hello", "esmtp", "no-such-user", "too-big", "open-relay",
                         "eavesdropper", "your-client", "long-letter", "alice-to-bob",
                         "bob-is-down", "console"]:
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

    def play_and_keep(self, name, tmp, *extra, timeout=120):
        """Play a scenario to its end, keeping its folder; returns
        (stdout, the run's folder). The folder is removed at cleanup."""
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", MAILWALK,
             "--scenario", name, "--speed", "16", "--exit-when-done"] + list(extra),
            capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, GSK_RENDERER="cairo", MAILWALK_KEEP_RUN="1"))
        m = re.search(r"kept the run's folder (\S+)", result.stdout)
        self.assertIsNotNone(m, result.stdout + result.stderr)
        self.addCleanup(shutil.rmtree, m.group(1), True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout, m.group(1)

    def test_alice_to_bob_arrives_through_two_hops(self):
        with tempfile.TemporaryDirectory() as tmp:
            transcript = os.path.join(tmp, "story.txt")
            svg = os.path.join(tmp, "story.svg")
            out, run = self.play_and_keep("alice-to-bob", tmp, "--autoplay",
                                          "--transcript", transcript, "--diagram", svg)
            # Bob has the letter (and has read it: show 1 moves it to cur/).
            got = letters(os.path.join(run, "bob", "maildir"), "bob")
            self.assertEqual(len(got), 1, out)
            with open(got[0], encoding="utf-8", errors="replace") as f:
                letter = f.read()
            self.assertIn("Subject: Lunch on Friday?", letter)
            self.assertIn("by mail.alice.example", letter)  # Alice's Received:
            # Alice's queue has forgotten it: Bob's server took responsibility.
            self.assertEqual(os.listdir(os.path.join(run, "alice", "queue", "messages")),
                             [])
            with open(transcript, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("1 C: STARTTLS", text)       # hop 1, then sealed
            self.assertIn("sealed TLS record", text)
            self.assertIn("inside TLS: AUTH", text)    # from Alice's server's log
            self.assertIn("2 C: MAIL FROM:<alice@alice.example>", text)  # the relay
            self.assertIn("#  queued as", text)
            self.assertIn("#  relayed", text)
            # The diagram: an SVG of vector shapes and glyphs, no bitmap.
            with open(svg, encoding="utf-8") as f:
                picture = f.read()
            self.assertTrue(picture.startswith("<?xml"))
            self.assertIn("<svg", picture)
            self.assertIn("glyph", picture)
            self.assertNotIn("<image", picture)

    def test_bob_is_down_then_the_retry_delivers(self):
        with tempfile.TemporaryDirectory() as tmp:
            transcript = os.path.join(tmp, "story.txt")
            out, run = self.play_and_keep("bob-is-down", tmp, "--autoplay",
                                          "--transcript", transcript)
            self.assertEqual(len(letters(os.path.join(run, "bob", "maildir"), "bob")), 1)
            with open(os.path.join(run, "alice", "events.jsonl")) as f:
                events = f.read()
            self.assertIn('"event":"deferred"', events)
            self.assertIn('"event":"relayed"', events)
            with open(transcript, encoding="utf-8") as f:
                text = f.read()
            # The order of the story: refused, deferred, Bob starts, delivered.
            order = [text.index(s) for s in ["#  no answer", "#  deferred",
                                             "#  Bob's server starts", "#  relayed"]]
            self.assertEqual(order, sorted(order), text)

    def test_no_such_user_bounces_to_alice(self):
        with tempfile.TemporaryDirectory() as tmp:
            out, run = self.play_and_keep("no-such-user", tmp, "--autoplay")
            self.assertIn("1 bounce in Alice's Maildir", out)
            self.assertEqual(letters(os.path.join(run, "bob", "maildir"), "eve"), [])
            self.assertEqual(letters(os.path.join(run, "bob", "maildir"), "bob"), [])
            bounces = letters(os.path.join(run, "alice", "maildir"), "alice")
            self.assertEqual(len(bounces), 1)
            with open(bounces[0], encoding="utf-8", errors="replace") as f:
                bounce = f.read()
            self.assertIn("Return-Path: <>", bounce)  # from the null sender
            self.assertIn("550 5.1.1", bounce)

    def test_typed_console_delivers(self):
        with tempfile.TemporaryDirectory() as tmp:
            typed = os.path.join(tmp, "typed.txt")
            with open(typed, "w") as f:
                f.write("EHLO student.example\nMAIL FROM:<student@example.org>\n"
                        "RCPT TO:<eve@bob.example>\nRCPT TO:<bob@bob.example>\nDATA\n"
                        "Subject: Typed by hand\n\nHello Bob, I typed this.\n.\n"
                        "QUIT\n")
            transcript = os.path.join(tmp, "typed-transcript.txt")
            out, run = self.play_and_keep("console", tmp, "--type", typed,
                                          "--transcript", transcript)
            got = letters(os.path.join(run, "bob", "maildir"), "bob")
            self.assertEqual(len(got), 1, out)
            with open(got[0], encoding="utf-8") as f:
                self.assertIn("Hello Bob, I typed this.", f.read())
            with open(transcript, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("S: 550 5.1.1", text)  # eve does not exist
            self.assertIn("S: 221", text)

    def test_every_scenario_plays_to_its_end(self):
        for name in scenarios():
            if name == "your-client":
                continue  # needs a client: test_your_own_client_is_shown
            if name == "console":
                continue  # needs a typist: test_typed_console_delivers
            if name == "long-letter":
                continue  # a minute of animation: docs/performance.md runs it
            if name.startswith("lab"):
                continue  # a lab build, marked: test_gui_labs.py
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
                # The picture is the window pixel for pixel: the white band
                # behind the actor boxes starts on a pixel row, and the row
                # above it is the window's background, with nothing of the
                # rows scrolled under the boxes showing through.
                edge, background = above_the_actors(shot)
                self.assertEqual(len(set(edge)), 1, "a strip above the actor boxes")
                self.assertEqual(edge, background)


if __name__ == "__main__":
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is not installed: skipping")
        sys.exit(77)
    unittest.main()
