"""mailwalk-send against mailwalk-server's submission roles: STARTTLS on
the submission port (587's role) and implicit TLS (465's role), each with
AUTH, trusting exactly the server's self-signed classroom certificate with
--cafile. This is the first arrow of the story in docs/architecture.md
with both ends ours."""

import base64
import os
import ssl
import subprocess
import tempfile

from mailwalk_client_test import check, send, strip_trace
from mailwalk_test import WAIT_SECONDS, Server, program

PASSWORD = "pencil sharpener 42"


def users_file(directory):
    """A --users file for alice, made the documented way: the server's
    --hash-password reads the password on standard input."""
    out = subprocess.run([program("MAILWALK_SERVER", "server/mailwalk-server"),
                          "--hash-password"], input=PASSWORD.encode() + b"\n",
                         capture_output=True, timeout=WAIT_SECONDS, check=True)
    path = os.path.join(directory, "users")
    with open(path, "w") as f:
        f.write(f"alice:{out.stdout.decode().strip()}\n")
    return path


def run_send(port, *extra, host="localhost"):
    r = send("--server", f"{host}:{port}", "--from", "alice@bob.example",
             "--to", "bob@bob.example", "--subject", "sealed", "--body", "hi Bob",
             "--timeout", "10", *extra)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(
        errors="replace")


def no_secret(out, err):
    for s in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
              base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode()):
        check(s not in out and s not in err, f"secret {s!r} shown:\n{out}\n{err}")


def certificate_names_ip(cert_path):
    """Does the certificate carry IP:127.0.0.1 in its subjectAltName?"""
    decoded = ssl._ssl._test_decode_cert(cert_path)
    return ("IP Address", "127.0.0.1") in decoded.get("subjectAltName", ())


def main():
    with tempfile.TemporaryDirectory() as folder:
        users = users_file(folder)
        password_file = os.path.join(folder, "password")
        wrong_file = os.path.join(folder, "wrong")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")
        with open(wrong_file, "w") as f:
            f.write("not it\n")
        login = ["--user", "alice", "--password-file", password_file]

        with Server("--users", users, "--submission", "127.0.0.1:0", "--smtps",
                    "127.0.0.1:0") as server:
            cert = server.cert_path
            check(cert and os.path.exists(cert), f"no certificate path: {cert}")
            submission = server.ports["submission"][0]
            smtps = server.ports["smtps"][0]

            # Submission: STARTTLS, EHLO again, AUTH, the message.
            rc, out, err = run_send(submission, "--starttls", "--cafile", cert, *login)
            check(rc == 0, f"exit {rc}: {out}\n{err}")
            check("== TLS started: TLSv1." in out, out)
            check("verified: trusted chain, name localhost" in out, out)
            check(out.count("C: EHLO ") == 1 and out.count("C~ EHLO ") == 1, out)
            check("C~ AUTH PLAIN <hidden: base64 of the user name and password>" in out,
                  out)
            check("S~ 235" in out, out)
            no_secret(out, err)
            stored = server.messages("bob")
            check(len(stored) == 1, f"{len(stored)} messages")
            check(strip_trace(stored[0]).endswith(b"\n\nhi Bob\n"), stored[0])

            # AUTH LOGIN too.
            rc, out, err = run_send(submission, "--starttls", "--cafile", cert, *login,
                                    "--auth", "LOGIN")
            check(rc == 0, f"exit {rc}: {out}\n{err}")
            check("C~ <hidden: base64 of the password>" in out, out)
            no_secret(out, err)

            # Implicit TLS on the smtps listener.
            rc, out, err = run_send(smtps, "--tls", "--cafile", cert, *login)
            check(rc == 0, f"exit {rc}: {out}\n{err}")
            check(out.index("== TLS started") < out.index("S~ 220"), out)
            check(len(server.messages("bob")) == 3, "not all three delivered")

            # A wrong password: 535, exit 5, nothing delivered.
            rc, out, err = run_send(submission, "--starttls", "--cafile", cert,
                                    "--user", "alice", "--password-file", wrong_file)
            check(rc == 5, f"exit {rc}: {out}\n{err}")
            check("S~ 535" in out and "535" in err, f"{out}\n{err}")

            # Submission without logging in: the server wants AUTH first.
            rc, out, err = run_send(submission, "--starttls", "--cafile", cert)
            check(rc == 5, f"exit {rc}: {out}\n{err}")
            check(len(server.messages("bob")) == 3, "delivered without AUTH")

            # By address: the name check needs IP:127.0.0.1 in the
            # certificate; without it the client must refuse, not guess.
            rc, out, err = run_send(submission, "--starttls", "--cafile", cert, *login,
                                    host="127.0.0.1")
            if certificate_names_ip(cert):
                check(rc == 0, f"exit {rc}: {out}\n{err}")
            else:
                check(rc == 3 and "IP address mismatch" in err, f"exit {rc}: {err}")
    print("ok")


if __name__ == "__main__":
    main()
