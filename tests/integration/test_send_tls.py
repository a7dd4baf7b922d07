"""mailwalk-send with TLS and AUTH (issue 4, the client half), against
aiosmtpd - a real, independent server - that requires STARTTLS and takes a
login, and against aiosmtpd behind implicit TLS (port 465 style).

What must hold:
  - mail goes through STARTTLS when the certificate is trusted (--cafile)
    and names the --server host; the transcript shows where the plaintext
    ends (protocol, cipher, certificate) and that EHLO is said again;
  - a certificate for another name, an expired one, or one nobody trusts
    stops the client before anything is sent through TLS (exit 3);
  - --insecure goes through, but warns loudly;
  - no STARTTLS offered with --starttls: exit 3, no downgrade;
  - AUTH: the right password logs in (PLAIN and LOGIN), a wrong one gives
    exit 5 with the 535 shown, and --user without TLS is refused before
    connecting; the password never appears in the output, not even as
    base64.

The certificates are made here with the `cryptography` package, so that an
expired one is as easy to make as a good one.
"""

import base64
import datetime
import ipaddress
import logging
import os
import pty
import select
import socket
import subprocess
import ssl
import sys
import tempfile
import threading
import warnings

from mailwalk_client_test import AsyncioServer, SKIP, check, free_port, send
from mailwalk_test import WAIT_SECONDS, program

try:
    from aiosmtpd.smtp import SMTP, AuthResult
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError as e:
    print(f"{e.name} is not installed: skipped")
    sys.exit(SKIP)

# aiosmtpd logs a traceback for every handshake a client breaks off, which
# here is the point; and it warns about its own deprecated attributes.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
warnings.simplefilter("ignore", DeprecationWarning)

PASSWORD = "correct horse battery staple"
USER = "alice"


def make_cert(folder, name, dns=(), ips=(), days_from=-1, days_to=30):
    """A self-signed certificate (and its key) for CN=name with the given
    subjectAltName entries, valid from days_from to days_to (relative to
    now). Returns (cert_path, key_path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i))
                                             for i in ips]
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days_from))
               .not_valid_after(now + datetime.timedelta(days=days_to))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                              critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans),
                                        critical=False)
    cert = builder.sign(key, hashes.SHA256())
    stem = os.path.join(folder, name.replace("*", "star"))
    suffix = "-expired" if days_to < 0 else ""
    cert_path, key_path = f"{stem}{suffix}.pem", f"{stem}{suffix}.key"
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class Handler:
    """Keeps every envelope and who had logged in when it came."""

    def __init__(self):
        self.envelopes = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope, session.authenticated, session.ssl))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    """aiosmtpd asks this to check a login: alice / PASSWORD only."""
    ok = (auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode())
    # handled=False: let aiosmtpd send the 535 itself.
    return AuthResult(success=ok, handled=False)


class Server(AsyncioServer):
    """aiosmtpd on 127.0.0.1 in a thread. starttls: offer (and require)
    STARTTLS with this certificate; implicit: TLS from the first byte."""

    def __init__(self, cert=None, implicit=False):
        self.handler = Handler()
        context = None
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)

        def factory():
            if implicit:
                # The whole connection is TLS already; aiosmtpd only knows
                # STARTTLS, so its own "TLS first" check is switched off.
                return SMTP(self.handler, hostname="mx.bob.example",
                            authenticator=authenticator, auth_require_tls=False)
            return SMTP(self.handler, hostname="mx.bob.example", tls_context=context,
                        require_starttls=context is not None,
                        authenticator=authenticator, auth_require_tls=True)

        super().__init__(factory, ssl_context=context if implicit else None)


def run_send(server_port, *extra, host="127.0.0.1"):
    """mailwalk-send one short message to the server; returns (exit, stdout,
    stderr) as text."""
    r = send("--server", f"{host}:{server_port}", "--from", "alice@alice.example",
             "--to", "bob@bob.example", "--subject", "sealed", "--body", "hello",
             "--timeout", "10", *extra)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(
        errors="replace")


def no_secret(out, err):
    """The password must not show, neither as text nor as any base64 that
    holds it (PLAIN's and LOGIN's)."""
    secrets = [PASSWORD,
               base64.b64encode(PASSWORD.encode()).decode(),
               base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]
    for s in secrets:
        check(s not in out and s not in err, f"secret {s!r} shown:\n{out}\n{err}")


def test_starttls_delivers(good):
    """--starttls with the classroom certificate in --cafile: delivered, and
    the transcript shows where the plaintext ends."""
    server = Server(good)
    try:
        rc, out, err = run_send(server.port, "--starttls", "--cafile", good[0])
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        lines = out.splitlines()
        ready = next(i for i, l in enumerate(lines) if l.startswith("S: 220 Ready"))
        tls = next(i for i, l in enumerate(lines) if l.startswith("== TLS started: TLSv1"))
        ehlos = [i for i, l in enumerate(lines) if l.startswith(("C: EHLO ", "C~ EHLO "))]
        check(ready < tls, out)
        # Inside TLS the marks change: C~ and S~ (what an eavesdropper
        # cannot read); before it, C: and S:.
        check(lines[ehlos[0]].startswith("C: ") and lines[ehlos[1]].startswith("C~ "), out)
        check(all(l[:3] in ("C~ ", "S~ ", "== ") for l in lines[tls + 1:]), out)
        check(len(ehlos) == 2 and ehlos[0] < ready < tls < ehlos[1], out)
        check("CN=mx.bob.example" in lines[tls], lines[tls])
        check("verified: trusted chain, name 127.0.0.1" in lines[tls], lines[tls])
        check("forgotten; say EHLO again (RFC 3207 §4.2)" in out, out)
        check(len(server.handler.envelopes) == 1, server.handler.envelopes)
        envelope, _, session_ssl = server.handler.envelopes[0]
        check(session_ssl is not None, "aiosmtpd did not see TLS")
        check(envelope.rcpt_tos == ["bob@bob.example"], envelope.rcpt_tos)

        # The same by name: the certificate also carries DNS:localhost.
        rc, out, err = run_send(server.port, "--starttls", "--cafile", good[0],
                                host="localhost")
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        check("name localhost" in out, out)

        # Without --starttls the server (require_starttls) refuses: 530.
        rc, out, err = run_send(server.port)
        check(rc == 5, f"exit {rc}: {out}\n{err}")
        check("530" in err, err)
    finally:
        server.stop()


def test_auth(good, folder):
    """PLAIN and LOGIN with the right password; a wrong one gives 535."""
    server = Server(good)
    password_file = os.path.join(folder, "password")
    with open(password_file, "w") as f:
        f.write(PASSWORD + "\n")
    wrong_file = os.path.join(folder, "wrong")
    with open(wrong_file, "w") as f:
        f.write("letmein\n")
    try:
        common = ["--starttls", "--cafile", good[0], "--user", USER]
        rc, out, err = run_send(server.port, *common, "--password-file", password_file)
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        check("C~ AUTH PLAIN <hidden: base64 of the user name and password>" in out, out)
        check("S~ 235" in out, out)
        check("== logged in as alice" in out, out)
        auth = out.index("C~ AUTH PLAIN")
        check(out.index("== TLS started") < auth < out.index("C~ MAIL FROM"), out)
        no_secret(out, err)
        check(server.handler.envelopes[-1][1], "not logged in at DATA")

        rc, out, err = run_send(server.port, *common, "--password-file", password_file,
                                "--auth", "LOGIN")
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        check("C~ AUTH LOGIN" in out, out)
        # aiosmtpd asks "User Name\0" and "Password\0" (others "Username:").
        check("the server's challenge is base64 for \"User Name" in out, out)
        check("the server's challenge is base64 for \"Password" in out, out)
        check("C~ " + base64.b64encode(USER.encode()).decode() in out, out)
        check("C~ <hidden: base64 of the password>" in out, out)
        no_secret(out, err)

        count = len(server.handler.envelopes)
        rc, out, err = run_send(server.port, *common, "--password-file", wrong_file)
        check(rc == 5, f"exit {rc}: {out}\n{err}")
        check("S~ 535" in out and "535" in err, f"{out}\n{err}")
        check("check --user and the password" in err, err)
        check(len(server.handler.envelopes) == count, "sent after a failed login")
    finally:
        server.stop()


def test_auth_refused_without_tls(folder):
    """--user without --starttls/--tls is refused before any connection:
    the port has no listener, so trying to connect would give exit 3."""
    password_file = os.path.join(folder, "password")
    rc, out, err = run_send(free_port(), "--user", USER, "--password-file",
                            password_file)
    check(rc == 2, f"exit {rc}: {out}\n{err}")
    check("--user needs --starttls or --tls" in err, err)
    check("base64 is not encryption" in err, err)
    check(out == "", out)

    # No --password-file and standard input is not a terminal: no prompt.
    rc, out, err = run_send(free_port(), "--starttls", "--user", USER)
    check(rc == 2, f"exit {rc}: {out}\n{err}")
    check("--password-file" in err, err)


def test_no_downgrade():
    """The server offers no STARTTLS: stop, send nothing more in plaintext."""
    server = Server(None)
    try:
        rc, out, err = run_send(server.port, "--starttls")
        check(rc == 3, f"exit {rc}: {out}\n{err}")
        check("does not offer STARTTLS" in err and "No downgrade" in err, err)
        check("C: MAIL" not in out and "C: STARTTLS" not in out, out)
        check(server.handler.envelopes == [], "mail went out in plaintext")
    finally:
        server.stop()


def refused_certificate(cert, cafile, expect, hint="--cafile"):
    """The server shows cert; the client trusts cafile (None: the system's
    CAs) and must stop with exit 3, the reason containing expect and the
    advice containing hint."""
    server = Server(cert)
    try:
        extra = ["--cafile", cafile] if cafile else []
        rc, out, err = run_send(server.port, "--starttls", *extra)
        check(rc == 3, f"exit {rc}: {out}\n{err}")
        check("TLS handshake failed: certificate check failed" in err, err)
        check(expect in err, f"wanted {expect!r} in:\n{err}")
        check(hint in err, err)
        check("C: MAIL" not in out and "TLS started" not in out, out)
        check(server.handler.envelopes == [], "mail sent despite a bad certificate")
        return server.port
    finally:
        server.stop()


def test_bad_certificates(good, other, expired):
    # Trusted, but made out for other.example, not for 127.0.0.1.
    refused_certificate(other, other[0], "IP address mismatch",
                        hint="made out for another name")
    # Trusted and for 127.0.0.1, but its time is over.
    refused_certificate(expired, expired[0], "certificate has expired")
    # Good, but nobody said to trust it: the system CAs do not know it.
    refused_certificate(good, None, "self-signed certificate")


def test_insecure(other):
    """--insecure gets through a certificate for the wrong name, warns on
    stderr, and says in the transcript that nothing was checked."""
    server = Server(other)
    try:
        rc, out, err = run_send(server.port, "--starttls", "--insecure")
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        check("WARNING: --insecure" in err and "Anyone in the middle" in err, err)
        check("NOT checked" in out, out)
        check(len(server.handler.envelopes) == 1, server.handler.envelopes)
    finally:
        server.stop()


def test_implicit_tls(good, folder):
    """--tls: the handshake comes before the greeting (RFC 8314 §3.3)."""
    server = Server(good, implicit=True)
    password_file = os.path.join(folder, "password")
    try:
        rc, out, err = run_send(server.port, "--tls", "--cafile", good[0], "--user",
                                USER, "--password-file", password_file)
        check(rc == 0, f"exit {rc}: {out}\n{err}")
        check("implicit TLS" in out, out)
        check(out.index("== TLS started") < out.index("S~ 220"), out)
        check("C: STARTTLS" not in out, out)
        check("S~ 235" in out, out)
        no_secret(out, err)
        check(len(server.handler.envelopes) == 1, server.handler.envelopes)

        # A plaintext client on the TLS port: the handshake never starts.
        rc, out, err = run_send(server.port, "--timeout", "2")
        check(rc in (3, 5), f"exit {rc}: {out}\n{err}")
    finally:
        server.stop()


class InjectingServer:
    """A hand-written server that plays an attacker's trick: right behind
    its "220 Ready to start TLS" it sends a plaintext line of its own, in
    the same packet, and its plaintext EHLO reply offers AUTH PLAIN that the
    sealed one does not. The client must throw both away (CVE-2011-0411,
    RFC 3207 §4.2)."""

    INJECTED = b"250-AUTH PLAIN\r\n"

    def __init__(self, cert):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*cert)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(WAIT_SECONDS)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(WAIT_SECONDS)
            plain = conn.makefile("rb")
            conn.sendall(b"220 mx.bob.example ESMTP\r\n")
            self.received.append(plain.readline())  # EHLO
            conn.sendall(b"250-mx.bob.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
            self.received.append(plain.readline())  # STARTTLS
            conn.sendall(b"220 Ready to start TLS\r\n" + self.INJECTED)
            sealed = self.context.wrap_socket(conn, server_side=True)
            lines = sealed.makefile("rb")
            self.received.append(lines.readline())  # EHLO again
            sealed.sendall(b"250-mx.bob.example\r\n250 8BITMIME\r\n")
            # The client should now stop: no AUTH under TLS. Record the rest.
            while True:
                line = lines.readline()
                if not line:
                    break
                self.received.append(line)
                if line.startswith(b"QUIT"):
                    sealed.sendall(b"221 Bye\r\n")
                    break
            sealed.close()
        except (OSError, ssl.SSLError) as e:
            self.error = str(e)

    def join(self):
        self.thread.join(WAIT_SECONDS)
        self.sock.close()


def test_plaintext_before_tls_discarded(good, folder):
    """What came in plaintext does not count after the handshake: the
    injected line is discarded (and reported), and the AUTH offered only in
    the plaintext EHLO reply is forgotten, so --user stops with exit 5."""
    server = InjectingServer(good)
    password_file = os.path.join(folder, "password")
    rc, out, err = run_send(server.port, "--starttls", "--cafile", good[0], "--user",
                            USER, "--password-file", password_file)
    server.join()
    check(server.error is None, server.error)
    check(rc == 5, f"exit {rc}: {out}\n{err}")
    n = len(InjectingServer.INJECTED)
    check(f"discarded {n} byte(s) the server sent in plaintext" in out, out)
    check("does not offer AUTH" in err, err)
    check(not any(l.startswith(b"AUTH") for l in server.received), server.received)
    check(server.received[-1].startswith(b"QUIT"), server.received)


def test_password_prompt(good):
    """Without --password-file the password is typed at a terminal (a pty
    here), and the terminal does not echo it."""
    server = Server(good)
    master, slave = pty.openpty()
    try:
        cmd = [program("MAILWALK_SEND", "client/mailwalk-send"),
               "--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
               "--to", "bob@bob.example", "--body", "typed", "--starttls", "--cafile",
               good[0], "--user", USER, "--timeout", "10"]
        p = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        os.close(slave)
        # Wait for the prompt on stderr, then type the password.
        prompt = b""
        while b"Password for alice: " not in prompt:
            ready, _, _ = select.select([p.stderr], [], [], WAIT_SECONDS)
            check(ready, f"no prompt: {prompt!r}")
            chunk = os.read(p.stderr.fileno(), 100)
            check(chunk, f"no prompt: {prompt!r}")
            prompt += chunk
        os.write(master, (PASSWORD + "\n").encode())
        out, err = p.communicate(timeout=WAIT_SECONDS * 3)
        # What the terminal showed: no echo of the password.
        echoed = b""
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 1000)
            except OSError:
                break
            if not chunk:
                break
            echoed += chunk
        check(PASSWORD.encode() not in echoed, f"echoed: {echoed!r}")
        check(p.returncode == 0, f"exit {p.returncode}: {out}\n{err}")
        check(b"S~ 235" in out, out)
        no_secret(out.decode(), (prompt + err).decode())
    finally:
        os.close(master)
        server.stop()


def main():
    with tempfile.TemporaryDirectory() as folder:
        good = make_cert(folder, "mx.bob.example", dns=["mx.bob.example", "localhost"],
                         ips=["127.0.0.1"])
        other = make_cert(folder, "other.example", dns=["other.example"])
        expired = make_cert(folder, "mx.bob.example", dns=["mx.bob.example"],
                            ips=["127.0.0.1"], days_from=-30, days_to=-1)
        test_starttls_delivers(good)
        test_auth(good, folder)
        test_auth_refused_without_tls(folder)
        test_no_downgrade()
        test_bad_certificates(good, other, expired)
        test_insecure(other)
        test_implicit_tls(good, folder)
        test_plaintext_before_tls_discarded(good, folder)
        test_password_prompt(good)
    print("ok")


if __name__ == "__main__":
    main()
