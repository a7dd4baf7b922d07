"""mailwalk-send against mailwalk-server: what arrives, byte for byte, and
what the exit code and the messages say."""

import email
import email.header
import email.policy

from mailwalk_client_test import check, free_port, send, strip_trace
from mailwalk_test import Server


def raw_message_arrives_byte_for_byte():
    # Lines that dot-stuffing must protect, and every kind of line ending.
    raw = (b"From: alice@alice.example\nTo: bob@bob.example\nSubject: raw\n\n"
           b".\n..two dots\n.leading dot\nbare cr\rthen lf\r\n\n"
           b"caf\xc3\xa9\nno newline at the end")
    expected = (b"From: alice@alice.example\nTo: bob@bob.example\nSubject: raw\n\n"
                b".\n..two dots\n.leading dot\nbare cr\nthen lf\n\n"
                b"caf\xc3\xa9\nno newline at the end\n")
    with Server() as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--raw", input=raw)
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
        messages = server.messages("bob")
        check(len(messages) == 1, f"{len(messages)} messages arrived")
        got = strip_trace(messages[0])
        check(got == expected, f"stored {got!r}\nexpected {expected!r}")
        out = r.stdout.decode()
        # The transcript shows the stuffed lines as they crossed the wire.
        check("\nC: ..\n" in out and "\nC: ...two dots\n" in out, out)
        check("\nC: .\nS: 250" in out, out)
        check("C: MAIL FROM:<alice@alice.example> SIZE=" in out, out)
        check("BODY=8BITMIME" in out, out)


def built_message_has_the_fields_and_the_text():
    body = "Hi Bob,\n\nGrüße aus Köln — see you ☕\n.\nAlice\n"
    subject = "Grüße, Bob: a subject long enough to need more than one encoded word"
    with Server() as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--subject", subject, "--body", body)
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
        stored = strip_trace(server.messages("bob")[0])
        msg = email.message_from_bytes(stored, policy=email.policy.default)
        check(msg["From"] == "alice@alice.example", msg["From"])
        check(msg["To"] == "bob@bob.example", msg["To"])
        check(str(msg["Subject"]) == subject, repr(str(msg["Subject"])))
        check(msg["Date"] is not None and msg["Message-ID"].endswith("@alice.example>"),
              stored)
        check(msg["MIME-Version"] == "1.0", stored)
        # mailwalk-server offers 8BITMIME, so the text travels as it is.
        check(msg["Content-Transfer-Encoding"] == "8bit", stored)
        check(msg.get_content_charset() == "utf-8", stored)
        check(msg.get_content() == body, repr(msg.get_content()))
        # The header stays 7-bit ASCII (RFC 2047 encoded words).
        header = stored.split(b"\n\n", 1)[0]
        check(all(b < 128 for b in header), header)


def partly_refused_recipients_are_named():
    for extra in ([], ["--pipelining"]):
        with Server("--mailboxes", "bob,carol") as server:
            r = send("--server", f"127.0.0.1:{server.port}",
                     "--from", "alice@alice.example", "--to", "bob@bob.example",
                     "--to", "nobody@bob.example", "--to", "carol@bob.example",
                     "--to", "eve@elsewhere.example", "--body", "hello", *extra)
            err = r.stderr.decode()
            check(r.returncode == 1, f"exit {r.returncode} {extra}: {err}")
            check("nobody@bob.example refused: 550 5.1.1" in err, err)
            check("eve@elsewhere.example refused: 550 5.7.1" in err, err)
            check("2 of 4 recipients" in err, err)
            out = r.stdout.decode()
            check("delivered: " in out and "bob@bob.example, carol@bob.example" in out,
                  out)
            check(len(server.messages("bob")) == 1, "bob got nothing")
            check(len(server.messages("carol")) == 1, "carol got nothing")
            if extra:
                # Pipelined: all commands go out before the first reply is read.
                lines = [l for l in out.splitlines() if l[:3] in ("C: ", "S: ")]
                start = next(i for i, l in enumerate(lines) if l.startswith("C: MAIL"))
                kinds = [l[:2] for l in lines[start:start + 11]]
                check(kinds == ["C:"] * 6 + ["S:"] * 5, "\n".join(lines))
                check("PIPELINING (RFC 2920)" in out, out)


def all_refused_is_permanent_and_sends_no_data():
    with Server("--mailboxes", "bob") as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "mallory@bob.example", "--body", "x")
        check(r.returncode == 5, f"exit {r.returncode}: {r.stderr!r}")
        check(b"C: DATA" not in r.stdout, r.stdout)
        check(b"C: QUIT" in r.stdout, r.stdout)
        check(b"every recipient was refused" in r.stderr, r.stderr)


def too_big_is_refused_at_mail():
    with Server("--max-size", "65536") as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--quiet", input=(b"x" * 99 + b"\n") * 700)
        # RFC 1870: SIZE= lets the server say no before the text is sent.
        check(r.returncode == 5, f"exit {r.returncode}: {r.stderr!r}")
        check(b"552" in r.stderr and b"MAIL FROM" in r.stderr, r.stderr)
        check(r.stdout == b"", r.stdout)
        check(server.messages("bob") == [], "delivered anyway")


def quiet_prints_nothing_on_success():
    with Server() as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--quiet", input=b"from stdin\n")
        check(r.returncode == 0 and r.stdout == b"" and r.stderr == b"",
              f"{r.returncode} {r.stdout!r} {r.stderr!r}")
        check(strip_trace(server.messages("bob")[0]).endswith(b"\n\nfrom stdin\n"),
              server.messages("bob")[0])


def connection_refused_says_what_to_try():
    port = free_port()
    r = send("--server", f"127.0.0.1:{port}", "--from", "a@a.example", "--to",
             "b@b.example", "--body", "x")
    err = r.stderr.decode()
    check(r.returncode == 3, f"exit {r.returncode}: {err}")
    check(f"connection refused: is mailwalk-server running on 127.0.0.1:{port}?" in err,
          err)


def usage_errors():
    cases = [
        ["--from", "a@a.example", "--to", "b@b.example"],              # no --server
        ["--server", "localhost", "--from", "a@a.example", "--to", "b@b.example"],
        ["--server", "127.0.0.1:25", "--to", "b@b.example"],           # no --from
        ["--server", "127.0.0.1:25", "--from", "a@a.example"],         # no --to
        ["--server", "127.0.0.1:25", "--from", "a@a.example", "--to", "b@b.example",
         "--bogus"],
        ["--server", "127.0.0.1:25", "--from", "a@a.example", "--to", "b c@x"],
    ]
    for args in cases:
        r = send(*args, "--body", "x")
        check(r.returncode == 2, f"{args}: exit {r.returncode}")
        check(b"mailwalk-send:" in r.stderr and b"--help" in r.stderr, r.stderr)
    r = send("--help")
    check(r.returncode == 0 and b"Exit status:" in r.stdout, r.stdout)
    for code in (b"0  delivered", b"1  partly", b"2  usage", b"3  connection",
                 b"4  temporary", b"5  permanent"):
        check(code in r.stdout, code)


def header_injection_is_refused():
    with Server() as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--from", "alice@alice.example",
                 "--to", "bob@bob.example", "--subject", "hi\nBcc: x@y.example",
                 "--body", "x")
        check(r.returncode == 2, f"exit {r.returncode}")
        check(b"line break" in r.stderr, r.stderr)
        check(server.messages("bob") == [], "sent anyway")


def no_ehlo_speaks_plain_smtp():
    # --no-ehlo: HELO, so no extensions: no SIZE=, and 8-bit text must
    # travel quoted-printable (the server did not say 8BITMIME).
    with Server() as server:
        r = send("--server", f"127.0.0.1:{server.port}", "--no-ehlo",
                 "--from", "alice@alice.example", "--to", "bob@bob.example",
                 "--subject", "hi", "--body", "Gr\u00fc\u00dfe\n")
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr!r}")
        out = r.stdout.decode()
        check("\nC: HELO " in out and "EHLO" not in out, out)
        check("C: MAIL FROM:<alice@alice.example>\n" in out, out)
        stored = server.messages("bob")[0]
        check(b" with SMTP id " in stored, stored)
        check(b"Content-Transfer-Encoding: quoted-printable" in stored, stored)


if __name__ == "__main__":
    raw_message_arrives_byte_for_byte()
    built_message_has_the_fields_and_the_text()
    partly_refused_recipients_are_named()
    all_refused_is_permanent_and_sends_no_data()
    too_big_is_refused_at_mail()
    quiet_prints_nothing_on_success()
    connection_refused_says_what_to_try()
    usage_errors()
    header_injection_is_refused()
    no_ehlo_speaks_plain_smtp()
    print("ok")
