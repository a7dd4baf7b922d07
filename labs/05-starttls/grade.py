"""Lab 5 grader: STARTTLS on the client.

The C checks (labs/05-starttls/checks.c) run your smtp_starttls() against
a server the check plays itself on a socketpair: upgrade, forget, discard.
The rest run lab05-send - mailwalk-send with your starttls.c inside -
against a real mailwalk-server (STARTTLS on its plain port, AUTH on its
submission port, implicit TLS on its smtps port), with its classroom
certificate trusted through --cafile, or with a certificate for another
name; and against a fake server that injects plaintext behind its 220.

    meson test -C build --suite lab05 -v
"""

import datetime
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradelib import CheckFailed, Grader, expect  # noqa: E402
from labtools import (ScriptedServer, Server, run_send, strip_trace,  # noqa: E402
                      tail)

g = Grader("lab05", "STARTTLS on the client")

g.c_check("STARTTLS refused (454): no handshake [L5.3]", 1, "refused")
g.c_check("upgrade: 220, handshake, sealed NOOP [L5.1]", 2, "upgrade")
g.c_check("the plaintext EHLO is forgotten (C) [L5.6]", 2, "forget")
g.c_check("buffered plaintext is discarded (C) [L5.4]", 2, "discard")
g.c_check("STARTTLS only once [L5.2]", 1, "once")

PASSWORD = "lab five password"


def users_file(folder, server_program):
    out = subprocess.run([server_program, "--hash-password"],
                         input=PASSWORD.encode() + b"\n", capture_output=True,
                         timeout=10, check=True)
    path = os.path.join(folder, "users")
    with open(path, "w") as f:
        f.write(f"alice:{out.stdout.decode().strip()}\n")
    with open(os.path.join(folder, "password"), "w") as f:
        f.write(PASSWORD + "\n")
    return path, os.path.join(folder, "password")


def other_name_cert(folder):
    """A self-signed certificate for other.example only (not 127.0.0.1)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("other.example")]),
                           False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(folder, "other.pem"), os.path.join(folder,
                                                                           "other.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


@g.check("STARTTLS to mailwalk-server: verified, delivered [L5.1 L5.6]", 3)
def starttls(g):
    with Server() as srv:
        status, out, err = run_send(g.program("send"), srv.port, "--starttls",
                                    "--cafile", srv.cert_path)
        expect(status == 0, f"exit status {status}, expected 0:\n{tail(out + err)}")
        expect("TLS started" in out, f"no 'TLS started' in the transcript:\n{tail(out)}")
        # Inside TLS mailwalk-send marks its lines C~ and S~ (C: and S: before).
        ehlos = out.count("C: EHLO ") + out.count("C~ EHLO ")
        expect(ehlos == 2, "EHLO should come twice: before STARTTLS "
               f"and again inside TLS:\n{tail(out, 14)}")
        stored = srv.messages("bob")
        expect(len(stored) == 1, f"{len(stored)} messages arrived, expected 1")
        expect(b"with ESMTPS" in stored[0], "the server's Received: line should say "
               "ESMTPS (TLS was on)")


@g.check("AUTH on the submission port, inside TLS [L5.8]", 2)
def auth(g):
    with tempfile.TemporaryDirectory() as folder:
        users, password = users_file(folder, g.program("mailwalk-server"))
        with Server("--users", users, "--submission", "127.0.0.1:0") as srv:
            port = srv.ports["submission"][0]
            status, out, err = run_send(g.program("send"), port, "--starttls",
                                        "--cafile", srv.cert_path, "--user", "alice",
                                        "--password-file", password)
            expect(status == 0, f"exit status {status}:\n{tail(out + err)}")
            expect("S~ 235" in out or "S: 235" in out, f"no 235 to AUTH:\n{tail(out)}")
            expect(len(srv.messages("bob")) == 1, "nothing arrived")


def works_with_cafile(g, srv):
    """The positive control: with the certificate trusted, TLS works (a
    client that never starts TLS cannot earn the refusal checks)."""
    status, out, err = run_send(g.program("send"), srv.port, "--starttls",
                                "--cafile", srv.cert_path)
    expect(status == 0, "first, with --cafile (trusted): exit status "
                        f"{status}, expected 0:\n{tail(out + err)}")


@g.check("an untrusted certificate is refused [L5.5]", 2)
def untrusted(g):
    with Server() as srv:
        works_with_cafile(g, srv)
        # No --cafile: the system's CAs, which never signed the classroom
        # certificate.
        status, out, err = run_send(g.program("send"), srv.port, "--starttls")
        expect(status == 3, f"exit status {status}, expected 3 (TLS failed):\n"
                            f"{tail(out + err)}")
        expect("C: MAIL" not in out and "C~ MAIL" not in out,
               "MAIL was sent over an unverified connection")
        expect(len(srv.messages("bob")) == 1, "a message arrived without --cafile")


@g.check("a certificate for another name is refused [L5.5]", 2)
def other_name(g):
    with tempfile.TemporaryDirectory() as folder:
        cert, key = other_name_cert(folder)
        with Server() as srv:
            works_with_cafile(g, srv)
        with Server("--tls-cert", cert, "--tls-key", key) as srv:
            # The chain is trusted (--cafile), but the certificate names
            # other.example, not 127.0.0.1: someone else's certificate.
            status, out, err = run_send(g.program("send"), srv.port, "--starttls",
                                        "--cafile", cert)
            expect(status == 3, f"exit status {status}, expected 3: the certificate "
                   "does not name 127.0.0.1 (SSL_set1_host):\n" + tail(out + err))
            expect(srv.messages("bob") == [], "a message arrived")


class InjectingServer:
    """An attacker's trick: right behind "220 Ready to start TLS" a
    plaintext line of its own, and AUTH offered only in plaintext. The
    client must throw both away (CVE-2011-0411, RFC 3207 section 4.2)."""

    def __init__(self, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(8)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(8)
            plain = conn.makefile("rb")
            conn.sendall(b"220 mx.bob.example ESMTP\r\n")
            self.received.append(plain.readline())
            conn.sendall(b"250-mx.bob.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
            self.received.append(plain.readline())
            # Two injected lines: the first would pass for the greeting line
            # of the next EHLO reply, the second offers AUTH.
            conn.sendall(b"220 Ready to start TLS\r\n250-mx.evil.example\r\n"
                         b"250-AUTH PLAIN\r\n")
            sealed = self.context.wrap_socket(conn, server_side=True)
            lines = sealed.makefile("rb")
            self.received.append(lines.readline())
            sealed.sendall(b"250-mx.bob.example\r\n250 8BITMIME\r\n")
            while True:
                line = lines.readline()
                if not line:
                    break
                self.received.append(line)
                if line.startswith(b"QUIT"):
                    sealed.sendall(b"221 Bye\r\n")
                    break
                sealed.sendall(b"535 5.7.8 no\r\n")
            sealed.close()
        except (OSError, ssl.SSLError):
            pass

    def join(self):
        self.thread.join(8)
        self.sock.close()


@g.check("injected plaintext behind 220 is discarded [L5.4 L5.8]", 2)
def injected(g):
    with tempfile.TemporaryDirectory() as folder:
        cert, key = other_name_cert(folder)
        _, password = users_file(folder, g.program("mailwalk-server"))
        server = InjectingServer(cert, key)
        status, out, err = run_send(g.program("send"), server.port, "--starttls",
                                    "--insecure", "--user", "alice", "--password-file",
                                    password)
        server.join()
    sent_auth = [l for l in server.received if l.startswith(b"AUTH")]
    expect(not sent_auth, "the client sent AUTH: it believed the \"250-AUTH PLAIN\" the "
           "server injected in plaintext behind its 220 (CVE-2011-0411)")
    expect(status == 5, f"exit status {status}, expected 5 (no AUTH offered inside "
                        f"TLS):\n{tail(out + err)}")


@g.check("implicit TLS (--tls) on the smtps port [L5.7 L5.8]", 2)
def implicit(g):
    with tempfile.TemporaryDirectory() as folder:
        users, password = users_file(folder, g.program("mailwalk-server"))
        with Server("--users", users, "--smtps", "127.0.0.1:0") as srv:
            port = srv.ports["smtps"][0]
            status, out, err = run_send(g.program("send"), port, "--tls", "--cafile",
                                        srv.cert_path, "--user", "alice",
                                        "--password-file", password)
            expect(status == 0, f"exit status {status}:\n{tail(out + err)}")
            stored = [strip_trace(m) for m in srv.messages("bob")]
            expect(len(stored) == 1, "nothing arrived")


@g.check("implicit TLS: an untrusted certificate, one for another name [L5.5]", 2)
def implicit_wrong_certs(g):
    with tempfile.TemporaryDirectory() as folder:
        users, password = users_file(folder, g.program("mailwalk-server"))
        login = ("--user", "alice", "--password-file", password)
        with Server("--users", users, "--smtps", "127.0.0.1:0") as srv:
            port = srv.ports["smtps"][0]
            # The positive control: trusted, it works.
            status, out, err = run_send(g.program("send"), port, "--tls", "--cafile",
                                        srv.cert_path, *login)
            expect(status == 0, "first, with --cafile (trusted): exit status "
                                f"{status}, expected 0:\n{tail(out + err)}")
            # No --cafile: the system's CAs never signed the classroom one.
            status, out, err = run_send(g.program("send"), port, "--tls", *login)
            expect(status == 3, f"--tls without --cafile: exit status {status}, "
                                f"expected 3 (TLS failed):\n{tail(out + err)}")
            expect("C: AUTH" not in out, "the password went over an unverified "
                                         "connection")
            expect(len(srv.messages("bob")) == 1, "a message arrived unverified")
        cert, key = other_name_cert(folder)
        with Server("--users", users, "--smtps", "127.0.0.1:0", "--tls-cert", cert,
                    "--tls-key", key) as srv:
            port = srv.ports["smtps"][0]
            # Trusted chain, but the certificate names other.example.
            status, out, err = run_send(g.program("send"), port, "--tls", "--cafile",
                                        cert, *login)
            expect(status == 3, "--tls to a certificate for other.example: exit "
                   f"status {status}, expected 3 (the name is 127.0.0.1):\n"
                   + tail(out + err))
            expect("C: AUTH" not in out, "the password went to a server with "
                                         "someone else's certificate")
            expect(srv.messages("bob") == [], "a message arrived")


class SilentServer:
    """Accepts the connection, then says nothing at all, for a while."""

    def __init__(self, seconds):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(seconds)
        self.port = self.sock.getsockname()[1]
        self.seconds = seconds
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(self.seconds)
            while conn.recv(4096):
                pass  # read what the client says, answer nothing
            conn.close()
        except OSError:
            pass

    def join(self):
        self.thread.join(self.seconds)
        self.sock.close()


@g.check("servers that never answer the handshake: given up on [L5.9]", 2, seconds=50)
def silent(g):
    limit = 10
    with tempfile.TemporaryDirectory() as folder:
        users, password = users_file(folder, g.program("mailwalk-server"))
        with Server("--users", users, "--smtps", "127.0.0.1:0") as srv:
            status, out, err = run_send(g.program("send"), srv.ports["smtps"][0],
                                        "--tls", "--cafile", srv.cert_path, "--user",
                                        "alice", "--password-file", password)
            expect(status == 0, f"first, a server that answers: exit status {status}, "
                                f"expected 0:\n{tail(out + err)}")
    server = SilentServer(limit + 5)
    try:
        status, out, err = run_send(g.program("send"), server.port, "--tls",
                                    "--insecure", "--timeout", "2", seconds=limit)
    except CheckFailed:
        raise CheckFailed(f"--tls to a server that never answers the handshake: no "
                          f"answer within {limit} s, and lab05-send was still waiting")
    finally:
        server.join()
    expect(status != 0, "the handshake never happened, but the exit status is 0")
    script = [(None, b"220 fake.example\r\n"),
              ("EHLO", b"250-fake.example\r\n250 STARTTLS\r\n"),
              ("STARTTLS", b"220 go ahead\r\n")]
    server = ScriptedServer(script)
    try:
        status, out, err = run_send(g.program("send"), server.port, "--starttls",
                                    "--insecure", "--timeout", "2", seconds=limit)
    except CheckFailed:
        raise CheckFailed(f"--starttls, 220, and then no handshake: no answer within "
                          f"{limit} s, and lab05-send was still waiting")
    finally:
        server.join()
    expect(status != 0, "the handshake never happened, but the exit status is 0")


if __name__ == "__main__":
    sys.exit(g.main())
