"""Storage the server can trust, and nothing lost when storage fails (issue 12).

A server that runs as root must not trust folders someone else made: a
local user who pre-creates --maildir (the docs use /tmp/mail) full of
symbolic links could make it write mail, or its private key, anywhere. And
when the disk is full, the one thing that must not happen is a bounce that
quietly disappears (RFC 5321 §6.1: the notification MUST be sent).

Every test here starts its own mailwalk-server in its own temp folder. The
full-disk test mounts a small tmpfs, so it needs root (CI runs as root); it
is skipped otherwise.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from mailwalk_test import FakeMTA, RawClient, Server, wait_for

IS_ROOT = os.geteuid() == 0


def make_maildir(path, *mailboxes):
    """A Maildir root with the given mailboxes, all mode 0700."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    for box in mailboxes:
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(path, box, sub), mode=0o700, exist_ok=True)


def send(port, sender, recipients, body="Subject: hi\r\n\r\nHello"):
    """One transaction; returns the replies to each RCPT and to DATA and
    the final dot (None when not reached)."""
    with RawClient(port) as c:
        assert c.reply()[0] == 220
        assert c.command("EHLO client.example")[0] == 250
        assert c.command(f"MAIL FROM:<{sender}>")[0] == 250
        rcpt = [c.command(f"RCPT TO:<{r}>")[0] for r in recipients]
        data = final = None
        if 250 in rcpt:
            data = c.command("DATA")
            if data[0] == 354:
                final = c.command(body + "\r\n.")
        c.command("QUIT")
    return rcpt, data, final


def files_under(path):
    """Every file below path (to show that nothing was written there)."""
    found = []
    for folder, _, names in os.walk(path):
        found += [os.path.join(folder, n) for n in names]
    return found


class TempDirTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mailwalk-storage-")
        self.dir = self.tmp.name
        # A folder only root (or whoever runs the test) may use: where a
        # planted link would send the server's writes.
        self.victim = os.path.join(self.dir, "victim")
        make_maildir(self.victim, "bob")

    def tearDown(self):
        self.tmp.cleanup()

    def refused(self, *args, workdir):
        """Start a server that must refuse to start; return its stderr."""
        try:
            server = Server(*args, workdir=workdir)
        except RuntimeError as refusal:
            return str(refusal)
        server.stop()  # it started: stop it before failing, leave nothing
        self.fail(f"the server started with {args} in {workdir}")


class FoldersTest(TempDirTest):
    """--maildir, --queue and --state-dir must be ours and closed to others."""

    def test_symlinked_maildir_root_is_refused(self):
        work = os.path.join(self.dir, "work")
        os.makedirs(work)
        os.symlink(self.victim, os.path.join(work, "maildir"))
        why = self.refused(workdir=work)
        self.assertIn("maildir", why)
        self.assertIn("symbolic link", why)
        self.assertEqual(files_under(self.victim), [])
        self.assertFalse(os.path.exists(os.path.join(self.victim, ".state")))

    def test_maildir_writable_by_others_is_refused(self):
        for mode in (0o777, 0o770, 0o702):
            with self.subTest(mode=oct(mode)):
                work = os.path.join(self.dir, f"work{mode:o}")
                make_maildir(os.path.join(work, "maildir"))
                os.chmod(os.path.join(work, "maildir"), mode)
                why = self.refused(workdir=work)
                self.assertIn(os.path.join(work, "maildir"), why)
                self.assertIn("writable by others", why)

    @unittest.skipUnless(IS_ROOT, "chown to another user needs root")
    def test_maildir_of_another_user_is_refused(self):
        work = os.path.join(self.dir, "work")
        make_maildir(os.path.join(work, "maildir"))
        os.chown(os.path.join(work, "maildir"), 65534, 65534)
        why = self.refused(workdir=work)
        self.assertIn(os.path.join(work, "maildir"), why)
        self.assertIn("belongs to uid 65534", why)

    def test_queue_writable_by_others_or_linked_is_refused(self):
        work = os.path.join(self.dir, "work")
        queue = os.path.join(self.dir, "queue")
        os.makedirs(queue, mode=0o700)
        os.chmod(queue, 0o777)
        why = self.refused("--queue", queue, workdir=work)
        self.assertIn(queue, why)
        self.assertIn("writable by others", why)
        os.chmod(queue, 0o700)
        os.symlink(self.victim, os.path.join(queue, "envelopes"))
        why = self.refused("--queue", queue, workdir=work)
        self.assertIn(os.path.join(queue, "envelopes"), why)
        self.assertIn("symbolic link", why)

    def test_state_dir_writable_by_others_is_refused(self):
        work = os.path.join(self.dir, "work")
        state = os.path.join(self.dir, "state")
        os.makedirs(state)
        os.chmod(state, 0o757)
        why = self.refused("--state-dir", state, workdir=work)
        self.assertIn(state, why)
        self.assertIn("writable by others", why)
        self.assertEqual(os.listdir(state), [])

    def test_key_planted_as_symlink_is_not_written_through(self):
        """Old behaviour: the key was opened with O_TRUNC, through the link,
        so root's file was replaced by our private key."""
        work = os.path.join(self.dir, "work")
        state = os.path.join(work, "maildir", ".state")
        os.makedirs(state, mode=0o700)
        precious = os.path.join(self.dir, "precious")
        with open(precious, "w") as f:
            f.write("root's own file\n")
        os.symlink(precious, os.path.join(state, "tls-key.pem"))
        why = self.refused(workdir=work)
        self.assertIn("tls-key.pem", why)
        self.assertIn("symbolic link", why)
        with open(precious) as f:
            self.assertEqual(f.read(), "root's own file\n")
        # Without the link, the server makes its key and starts.
        os.unlink(os.path.join(state, "tls-key.pem"))
        with Server(workdir=work):
            st = os.lstat(os.path.join(state, "tls-key.pem"))
            self.assertEqual(st.st_mode & 0o777, 0o600)


class PlantedLinksTest(TempDirTest):
    """Links planted inside a Maildir the server made are never followed."""

    def assert_refused_and_untouched(self, server, mailbox):
        rcpt, data, final = send(server.port, "alice@alice.example",
                                 [f"{mailbox}@bob.example"])
        self.assertEqual(rcpt, [250])
        self.assertEqual(data[0], 451, (data, final))
        self.assertEqual(files_under(self.victim), [])
        [error] = server.events("error")[-1:]
        self.assertIn("symbolic link", error["what"])
        # The other mailboxes still work.
        _, _, final = send(server.port, "alice@alice.example", ["carol@bob.example"])
        self.assertEqual(final[0], 250)
        self.assertEqual(len(server.messages("carol")), 1)

    def test_symlinked_mailbox(self):
        with Server() as server:
            os.symlink(os.path.join(self.victim, "bob"),
                       os.path.join(server.maildir, "bob"))
            self.assert_refused_and_untouched(server, "bob")

    def test_planted_link_for_new(self):
        with Server() as server:
            make_maildir(server.maildir, "bob")
            os.rmdir(os.path.join(server.maildir, "bob", "new"))
            os.symlink(os.path.join(self.victim, "bob", "new"),
                       os.path.join(server.maildir, "bob", "new"))
            self.assert_refused_and_untouched(server, "bob")

    def test_planted_link_for_tmp(self):
        with Server() as server:
            make_maildir(server.maildir, "bob")
            os.rmdir(os.path.join(server.maildir, "bob", "tmp"))
            os.symlink(os.path.join(self.victim, "bob", "tmp"),
                       os.path.join(server.maildir, "bob", "tmp"))
            self.assert_refused_and_untouched(server, "bob")

    def test_mailbox_writable_by_others(self):
        with Server() as server:
            make_maildir(server.maildir, "bob")
            os.chmod(os.path.join(server.maildir, "bob"), 0o777)
            _, data, _ = send(server.port, "alice@alice.example", ["bob@bob.example"])
            self.assertEqual(data[0], 451)
            self.assertIn("writable by others", server.events("error")[-1]["what"])
            self.assertEqual(server.messages("bob"), [])


class StaleTmpTest(TempDirTest):

    def test_stale_tmp_files_are_removed_at_start(self):
        """Maildir spec: tmp/ files untouched for 36 hours are debris of a
        delivery that was killed; fresher ones may be in use."""
        work = os.path.join(self.dir, "work")
        maildir = os.path.join(work, "maildir")
        make_maildir(maildir, "bob", "carol")
        old = time.time() - 37 * 3600
        paths = {}
        for name, age in (("stale", old), ("recent", time.time() - 35 * 3600),
                          ("fresh", None)):
            paths[name] = os.path.join(maildir, "bob", "tmp", name)
            with open(paths[name], "w") as f:
                f.write("half a message")
            if age is not None:
                os.utime(paths[name], (age, age))
        carol_old = os.path.join(maildir, "carol", "tmp", "killed-worker")
        open(carol_old, "w").close()
        os.utime(carol_old, (old, old))
        delivered = os.path.join(maildir, "bob", "new", "old-but-delivered")
        open(delivered, "w").close()
        os.utime(delivered, (old, old))
        with Server(workdir=work):
            self.assertFalse(os.path.exists(paths["stale"]))
            self.assertFalse(os.path.exists(carol_old))
            self.assertTrue(os.path.exists(paths["recent"]))
            self.assertTrue(os.path.exists(paths["fresh"]))
            self.assertTrue(os.path.exists(delivered))


def write_routes(path, routes):
    with open(path, "w") as f:
        for domain, port in routes.items():
            f.write(f"{domain} 127.0.0.1:{port}\n")
    return path


class QueueTest(TempDirTest):

    def relay_server(self, port, *args, workdir=None):
        routes = write_routes(os.path.join(self.dir, "routes"), {"far.example": port})
        self.queue = os.path.join(self.dir, "queue")
        return Server("--queue", self.queue, "--routes", routes, "--trusted",
                      "127.0.0.0/8", "--retry", "1s", *args,
                      domain="alice.example", workdir=workdir)

    def queued_id(self, final):
        m = re.search(r"queued as (\S+)$", final[1][0])
        self.assertTrue(final[0] == 250 and m, final)
        return m.group(1)

    def test_truncated_message_is_set_aside(self):
        """The envelope records the message's size; a message cut short
        after it was queued goes to broken/ with a log line, never to the
        next hop at half its length."""
        def answer(connection, verb, argument):
            if connection == 1 and verb == "RCPT":
                return "451 4.3.0 not now"
            return None
        with FakeMTA(answer) as fake, self.relay_server(fake.port) as server:
            body = "Subject: long\r\n\r\n" + "line of the letter\r\n" * 200
            _, _, final = send(server.port, "alice@alice.example",
                               ["bob@far.example"], body=body)
            qid = self.queued_id(final)
            server.wait_for_event("deferred", id=qid)
            message = os.path.join(self.queue, "messages", qid)
            size = os.path.getsize(message)
            with open(os.path.join(self.queue, "envelopes", qid)) as f:
                self.assertIn(f"\nsize {size}\n", f.read())
            os.truncate(message, size // 2)
            [event] = server.wait_for_event("error", id=qid,
                                            what="set aside a broken envelope")
            self.assertIn("truncated", event["why"])
            self.assertTrue(os.path.exists(os.path.join(self.queue, "broken", qid)))
            self.assertFalse(os.path.exists(os.path.join(self.queue, "envelopes", qid)))
            time.sleep(1.5)  # a retry would have come by now
            self.assertEqual(fake.messages, [])

    @unittest.skipUnless(IS_ROOT and shutil.which("mount"), "mounting a tmpfs needs root")
    def test_bounce_waits_for_disk_space(self):
        """The next hop says 550; the bounce goes to alice's Maildir, which is
        on a full disk. The message stays queued as bounce-pending (before:
        deleted, nobody told); once there is space the bounce arrives."""
        work = os.path.join(self.dir, "work")
        maildir = os.path.join(work, "maildir")
        os.makedirs(maildir)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs",
                        maildir], check=True)
        try:
            self.full_disk_story(work, maildir)
        finally:
            subprocess.run(["umount", "-l", maildir], check=False)

    def full_disk_story(self, work, maildir):
        def answer(connection, verb, argument):
            return "550 5.1.1 no such user" if verb == "RCPT" else None
        with FakeMTA(answer) as fake, \
                self.relay_server(fake.port, workdir=work) as server:
            filler = os.path.join(maildir, "filler")
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"x" * 65536)
                        f.flush()
                except OSError:
                    pass
            _, _, final = send(server.port, "alice@alice.example", ["bob@far.example"])
            qid = self.queued_id(final)
            server.wait_for_event("bounced", id=qid)
            server.wait_for_event("bounce_pending", id=qid)
            errors = server.events("error", id=qid, what="could not send a bounce")
            self.assertTrue(errors)
            self.assertIn("No space left on device", errors[0]["why"])
            envelope = os.path.join(self.queue, "envelopes", qid)

            def says_pending():
                # The event comes a moment before the envelope is saved.
                self.assertTrue(os.path.exists(envelope), "the message left the queue")
                with open(envelope) as f:
                    return "rcpt bounce-pending" in f.read()
            wait_for(says_pending, what="the envelope to say bounce-pending")
            self.assertEqual(server.messages("alice"), [])
            time.sleep(1.5)  # another try on a still-full disk: still queued
            self.assertTrue(os.path.exists(envelope))

            os.unlink(filler)
            [dsn] = server.wait_for_messages("alice")
            self.assertIn(b"Status: 5.1.1", dsn)
            self.assertIn(b"Final-Recipient: rfc822; bob@far.example", dsn)
            server.wait_for_event("bounce_sent", id=qid)
            wait_for(lambda: not os.path.exists(envelope),
                     what="the message to leave the queue")
            time.sleep(0.6)
            self.assertEqual(len(server.messages("alice")), 1)  # one bounce only


if __name__ == "__main__":
    unittest.main()
