"""scripts/alice-to-bob.sh, run as a person runs it: the README's demo story.

The script starts Bob's server and Alice's (with a queue and a route to
Bob), hands Alice's letter in over submission with STARTTLS and AUTH, and
waits for Bob's Maildir. These tests run it for real and then look at the
files it left: the letter in Bob's mailbox with both Received: headers,
Alice's queue empty, the queue decisions in her event log.
"""
import glob
import json
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "alice-to-bob.sh")


def run_script(folder, *options):
    return subprocess.run(
        [SCRIPT, "--dir", folder, *options],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, MAILWALK_BUILD=os.environ["MAILWALK_BUILD"]))


def events(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class AliceToBobScript(unittest.TestCase):
    def check_story(self, folder, result):
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        letters = glob.glob(os.path.join(folder, "bob/maildir/bob/cur/*"))
        self.assertEqual(len(letters), 1, "exactly one letter for Bob")
        with open(letters[0], encoding="utf-8") as f:
            text = f.read()
        header = text.split("\n\n", 1)[0]
        received = [l for l in header.split("\n") if l.startswith("Received:")]
        self.assertEqual(len(received), 2, header)
        self.assertIn("by mx.bob.example", header.split("Received:")[1])
        self.assertIn("with ESMTPSA", header)  # Alice's hop: TLS and AUTH
        self.assertEqual(header.count("Return-Path:"), 1)
        self.assertIn("shall we have lunch on Friday?", text)
        queue = os.path.join(folder, "alice/queue")
        self.assertEqual(os.listdir(os.path.join(queue, "envelopes")), [])
        self.assertEqual(os.listdir(os.path.join(queue, "messages")), [])
        return [e["event"] for e in events(os.path.join(folder, "alice/events.jsonl"))
                if e.get("session") == "queue"]

    def test_story(self):
        with tempfile.TemporaryDirectory() as folder:
            result = run_script(folder)
            story = self.check_story(folder, result)
            self.assertEqual([e for e in story if e != "runner_started"],
                             ["attempt", "relayed", "done"])
            self.assertIn("queued as", result.stdout)
            self.assertIn("Lunch on Friday?", result.stdout)

    def test_bob_down_then_up(self):
        with tempfile.TemporaryDirectory() as folder:
            result = run_script(folder, "--bob-down")
            story = self.check_story(folder, result)
            self.assertIn("deferred", story)
            self.assertEqual(story.count("relayed"), 1, "delivered exactly once")
            self.assertIn("waiting: 1 attempt so far", result.stdout)


if __name__ == "__main__":
    unittest.main()
