"""mailwalk-read on Maildirs written by mailwalk-server: list, show (MIME
decoding, charsets, marking seen) and watch."""

import os
import subprocess
import time

from mailwalk_client_test import check, read, send
from mailwalk_test import WAIT_SECONDS, RawClient, Server, program


def deliver(server, message, rcpt="bob@bob.example"):
    """Hand the server exact bytes, as another MUA would have sent them."""
    with RawClient(server.port) as c:
        c.reply()
        c.command("EHLO test.example")
        check(c.command("MAIL FROM:<alice@alice.example> BODY=8BITMIME")[0] == 250, "MAIL")
        check(c.command(f"RCPT TO:<{rcpt}>")[0] == 250, "RCPT")
        check(c.command("DATA")[0] == 354, "DATA")
        c.send(message.replace(b"\n", b"\r\n") + b".\r\n")
        check(c.reply()[0] == 250, "not delivered")
        c.command("QUIT")
    time.sleep(0.002)  # distinct delivery times, so the order is certain


LATIN1_QP = (b"From: =?ISO-8859-1?Q?Ren=E9e?= <renee@alice.example>\n"
             b"To: bob@bob.example\nSubject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: text/plain; charset=ISO-8859-1\n"
             b"Content-Transfer-Encoding: quoted-printable\n\n"
             b"Un caf=E9 cr=E8me, s'il vous pla=EEt. Une ligne tr=E8s longue qui =\n"
             b"continue ici.\n")
BASE64_UTF8 = (b"From: alice@alice.example\nSubject: =?UTF-8?B?5pel5pys6Kqe?=\n"
               b"Content-Type: text/plain; charset=utf-8\n"
               b"Content-Transfer-Encoding: base64\n\n"
               + __import__("base64").encodebytes("こんにちは、ボブ\n".encode()))
MULTIPART = (b"From: alice@alice.example\nSubject: two versions\n"
             b"Content-Type: multipart/alternative; boundary=\"==b==\"\n\n"
             b"--==b==\nContent-Type: text/plain; charset=utf-8\n"
             b"Content-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9fe!\n"
             b"--==b==\nContent-Type: text/html\n\n<p>Gr&uuml;&szlig;e!</p>\n--==b==--\n")


def list_and_show():
    with Server() as server:
        maildir = server.maildir
        deliver(server, MULTIPART, rcpt="carol@bob.example")  # makes the Maildir root
        empty = read("--maildir", maildir, "--user", "bob", "list")
        check(empty.returncode == 0 and b"0 messages" in empty.stdout, empty.stdout)

        deliver(server, LATIN1_QP)
        deliver(server, BASE64_UTF8)
        deliver(server, MULTIPART)
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--subject", "From mailwalk-send",
                 "--body", "Sent by Alice's user agent.\n", "--quiet")
        check(r.returncode == 0, r.stderr)

        r = read("--maildir", maildir, "--user", "bob", "list")
        out = r.stdout.decode()
        check(r.returncode == 0, r.stderr)
        lines = out.splitlines()
        check("4 messages, 4 new" in lines[0], out)
        rows = [l for l in lines if l[:3].strip().isdigit()]
        check(len(rows) == 4, out)
        # Oldest first, numbered, decoded, with the size in octets.
        check(rows[0].split()[0] == "1" and "NEW" in rows[0], out)
        check("Renée <renee@alice.example>" in rows[0] and "Café crème" in rows[0], out)
        check("日本語" in rows[1], out)
        check("two versions" in rows[2], out)
        check("From mailwalk-send" in rows[3], out)
        check(all(" B" in row for row in rows), out)

        # show: the QP Latin-1 text comes out as UTF-8, soft break joined.
        r = read("--maildir", maildir, "--user", "bob", "show", "1")
        out = r.stdout.decode()
        check(r.returncode == 0, r.stderr)
        check("From:    Renée <renee@alice.example>" in out, out)
        check("Subject: Café crème" in out, out)
        check("Return-Path: <alice@alice.example>" in out, out)
        check("Un café crème, s'il vous plaît. Une ligne très longue qui continue ici."
              in out, out)
        # ... and the message is now seen, the Maildir way.
        cur = os.listdir(os.path.join(maildir, "bob", "cur"))
        check(len(cur) == 1 and cur[0].endswith(":2,S"), cur)
        check(len(os.listdir(os.path.join(maildir, "bob", "new"))) == 3, "new/")

        r = read("--maildir", maildir, "--user", "bob", "show", "2")
        check("こんにちは、ボブ" in r.stdout.decode() and "日本語" in r.stdout.decode(),
              r.stdout.decode())
        r = read("--maildir", maildir, "--user", "bob", "show", "3")
        out = r.stdout.decode()
        check("Grüße!" in out and "<p>" not in out, out)
        r = read("--maildir", maildir, "--user", "bob", "show", "4")
        check("Sent by Alice's user agent." in r.stdout.decode(), r.stdout)

        # The numbers stay the same after the moves to cur/.
        r = read("--maildir", maildir, "--user", "Bob", "list")
        out = r.stdout.decode()
        check("4 messages, 0 new" in out, out)
        rows = [l for l in out.splitlines() if l[:3].strip().isdigit()]
        check("Café crème" in rows[0] and "seen" in rows[0], out)
        # Showing a seen message again changes nothing.
        before = sorted(os.listdir(os.path.join(maildir, "bob", "cur")))
        read("--maildir", maildir, "--user", "bob", "show", "1")
        check(sorted(os.listdir(os.path.join(maildir, "bob", "cur"))) == before, "moved")

        r = read("--maildir", maildir, "--user", "bob", "show", "9")
        check(r.returncode == 1 and b"no message 9" in r.stderr, r.stderr)
        r = read("--maildir", maildir, "--user", "bob", "frobnicate")
        check(r.returncode == 2, r.returncode)
        r = read("--maildir", os.path.join(maildir, "nope"), "--user", "bob", "list")
        check(r.returncode == 3 and b"cannot read the mailbox" in r.stderr, r.stderr)


def watch_announces_new_mail():
    with Server() as server:
        deliver(server, MULTIPART)
        cmd = [program("MAILWALK_READ", "client/mailwalk-read"), "--maildir",
               server.maildir, "--user", "bob", "watch", "--interval", "1"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            os.set_blocking(proc.stdout.fileno(), False)
            output = b""

            def wait_for(text):
                nonlocal output
                deadline = time.monotonic() + WAIT_SECONDS
                while text not in output and time.monotonic() < deadline:
                    chunk = proc.stdout.read()
                    if chunk:
                        output += chunk
                    time.sleep(0.05)
                check(text in output, f"waited for {text!r}, got {output!r}")

            wait_for(b"1 message, 1 new")
            check(b"You have new mail" not in output, output)
            deliver(server, LATIN1_QP)
            wait_for(b"You have new mail")
            wait_for("Café crème".encode())
            check(output.count(b"You have new mail") == 1, output)
        finally:
            proc.terminate()
            proc.wait(WAIT_SECONDS)


if __name__ == "__main__":
    list_and_show()
    watch_announces_new_mail()
    print("ok")
