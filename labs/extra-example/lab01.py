"""Held-back checks for lab 1: an example of what `grade-folder --extra DIR`
adds (DIR/labNN.py; see docs/instructor.md, "Checks you keep to yourself").

The file runs inside the lab's grader after grade.py has declared its own
checks, with `g` (that Grader) already defined: declare more checks on it,
the same way grade.py does. They are listed, run, sealed and scored like
the others. Keep your real ones out of the students' repository; this one
is in it only to show the form (and CI runs it).
"""

from gradelib import expect
from labtools import scripted_run, tail

g = globals()["g"]  # given by the grader (see above)

# A greeting and an EHLO reply longer than any in grade.py: a parser that
# counts lines, or keeps a fixed number of them, loses its place here.
LONG_EHLO = b"".join(b"250-line %d of a long reply\r\n" % i for i in range(1, 20)) \
    + b"250 HELP\r\n"


@g.check("held back: a 20-line EHLO reply keeps the dialogue in step", 2)
def long_ehlo(g):
    script = [(None, b"220-fake.example ESMTP\r\n220 hello\r\n"),
              ("EHLO", LONG_EHLO),
              ("MAIL FROM:<alice@alice.example>", b"250 ok\r\n"),
              ("RCPT TO:<bob@bob.example>", b"250 ok\r\n"),
              ("DATA", b"354 go ahead\r\n"), ("HI", b""),
              (".", b"250 taken\r\n"), ("QUIT", b"221 bye\r\n")]
    status, out, err, received = scripted_run(g.program("send"), script,
                                              "--helo", "alice.example",
                                              raw=b"HI\r\n")
    expect(status == 0, f"exit status {status}, expected 0 (delivered):\n"
                        f"{tail(out + err)}")
    expect(received[-1:] == [b"QUIT"], f"the server received {received}")
