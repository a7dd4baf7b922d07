"""The server's life: stopping with SIGTERM, a full disk, the event log.

RFC 5321 section 3.8: a server that must stop answers 421 and closes.
Section 6.1: once it has said 250 the message is its responsibility, so a
stop must never lose it. A full disk is a temporary failure (452 4.3.1):
the client keeps the message and tries again later.
"""

import json
import resource
import signal
import socket
import time
import unittest

from mailwalk_test import RawClient, Server, WAIT_SECONDS


def open_transaction(client):
    client.reply()
    client.command("EHLO alice.example")
    client.command("MAIL FROM:<alice@alice.example>")
    client.command("RCPT TO:<bob@bob.example>")


class SigtermTest(unittest.TestCase):

    def test_sigterm_says_421_and_keeps_accepted_mail(self):
        server = Server()
        try:
            done = RawClient(server.port)     # has a message answered 250
            open_transaction(done)
            self.assertEqual(done.command("DATA")[0], 354)
            self.assertEqual(done.command("accepted\r\n.")[0], 250)

            midway = RawClient(server.port)   # in the middle of DATA
            open_transaction(midway)
            self.assertEqual(midway.command("DATA")[0], 354)
            midway.send("never finished\r\n")

            idle = RawClient(server.port)     # just connected
            self.assertEqual(idle.reply()[0], 220)

            server.proc.send_signal(signal.SIGTERM)
            for client in (done, midway, idle):
                code, lines = client.reply()
                self.assertEqual((code, lines[0][:6]), (421, "4.3.2 "))
                self.assertTrue(client.closed())
                client.close()
            self.assertEqual(server.proc.wait(WAIT_SECONDS), 0)

            # No new clients once stopped.
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2)

            [message] = server.messages("bob")
            self.assertTrue(message.endswith(b"\naccepted\n"))
            self.assertEqual(server.files_in("bob", "tmp"), [])
            events = [e["event"] for e in server.events()]
            self.assertEqual(events[-1], "stopped")
        finally:
            server.stop()
            server.tmp.cleanup()


def limit_file_size(size):
    """For preexec_fn: files the server writes may not grow beyond size."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


class FullDiskTest(unittest.TestCase):

    def test_file_size_limit_gives_452_and_stores_nothing(self):
        # RLIMIT_FSIZE makes write() fail with EFBIG past 200 KB: a stand-in
        # for a full disk that needs no special file system. (The event log
        # hits the limit too; a failed log write is ignored by design.)
        with Server(preexec_fn=limit_file_size(200_000)) as server, \
                RawClient(server.port) as c:
            open_transaction(c)
            self.assertEqual(c.command("DATA")[0], 354)
            self.assertEqual(c.command("small enough\r\n.")[0], 250)

            c.command("MAIL FROM:<alice@alice.example>")
            c.command("RCPT TO:<bob@bob.example>")
            self.assertEqual(c.command("DATA")[0], 354)
            c.send((b"y" * 998 + b"\r\n") * 300 + b".\r\n")   # 300 KB
            code, lines = c.reply()
            self.assertEqual((code, lines[0][:6]), (452, "4.3.1 "))

            self.assertEqual(len(server.messages("bob")), 1)
            self.assertEqual(server.files_in("bob", "tmp"), [])
            # A temporary failure: the session goes on.
            self.assertEqual(c.command("NOOP")[0], 250)


class EventLogTest(unittest.TestCase):

    def test_events_tell_the_story_as_json(self):
        with Server() as server:
            with RawClient(server.port) as c:
                open_transaction(c)
                c.send(b"NOOP \x00\xff\xed\xa0\x80 \"quoted\" \\\r\n")   # junk
                c.reply()
                self.assertEqual(c.command("DATA")[0], 354)
                self.assertEqual(c.command("hello\r\n.")[0], 250)
                self.assertEqual(c.command("QUIT")[0], 221)
                self.assertTrue(c.closed())
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                # Strict: UTF-8 decoding and json.loads raise on anything bad.
                with open(server.log_path, "rb") as f:
                    raw = f.read()
                events = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
                if events and events[-1]["event"] == "disconnect":
                    break
                time.sleep(0.05)

            kinds = [e["event"] for e in events]
            for kind in ["listening", "connect", "line_in", "line_out", "state",
                         "data_in", "delivered", "disconnect"]:
                self.assertIn(kind, kinds)
            session = [e for e in events if e["session"] != "server"]
            self.assertEqual(len({e["session"] for e in session}), 1)
            self.assertEqual(session[0]["event"], "connect")
            self.assertEqual(session[0]["peer"], "127.0.0.1")
            self.assertEqual(session[-1], dict(session[-1], event="disconnect",
                                               reason="quit"))
            ins = [e["text"] for e in session if e["event"] == "line_in"]
            self.assertEqual(ins[0], "EHLO alice.example")
            self.assertIn('NOOP \u0000\u00ff\u00ed\u00a0\u0080 "quoted" \\', ins)
            outs = [e["text"] for e in session if e["event"] == "line_out"]
            self.assertTrue(outs[0].startswith("220 "))
            self.assertEqual(outs[-1][:4], "221 ")
            states = [(e["from"], e["to"]) for e in session if e["event"] == "state"]
            self.assertEqual(states, [("CONNECTED", "GREETED"), ("GREETED", "MAIL"),
                                      ("MAIL", "RCPT"), ("RCPT", "DATA"),
                                      ("DATA", "GREETED"), ("GREETED", "CLOSING")])
            [delivered] = [e for e in session if e["event"] == "delivered"]
            self.assertEqual(delivered["mailbox"], "bob")
            self.assertEqual(server.files_in("bob", "new"), [delivered["file"]])


if __name__ == "__main__":
    unittest.main()
