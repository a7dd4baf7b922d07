/*
 * checks.c - lab 2's C checks: each command, byte for byte.
 *
 * No network is needed to see exactly what a client sends: the client gets
 * one end of a socketpair(), and the check plays the server on the other
 * end. The server's replies are written in advance (they wait in the
 * socket until the client reads them), so nothing runs in parallel; after
 * the call the check reads everything the client sent and compares it with
 * what RFC 5321 says it must be.
 *
 * Which rules of the handout (labs/02-client/README.md, "Rules") each check
 * enforces is said where the check gets its name and points, in grade.py:
 * "dot-stuffing (C) [L2.7]". tests/labs/test_rules_traced.py keeps
 * the two in step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../checks.h"
#include "smtp_internal.h"

/* A client connected to a "server" end that already holds `replies`. */
struct pair {
    struct smtp_client c;
    int server;
    char sent[16384];
    size_t sent_len;
};

static int pair_open(struct pair *p, const char *replies)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
        perror("socketpair");
        exit(2);
    }
    smtp_client_init(&p->c, NULL, NULL);
    wire_init(&p->c.wire, fds[0], 2000);
    p->c.connected = true;
    p->c.timeout_cap_ms = 2000; /* a client that waits for more fails fast */
    p->server = fds[1];
    size_t n = strlen(replies);
    if (write(p->server, replies, n) != (ssize_t)n)
        exit(2);
    return 0;
}

/* Everything the client sent, NUL-terminated (closes the pair). */
static const char *pair_sent(struct pair *p)
{
    close(p->c.wire.fd);
    p->sent_len = 0;
    ssize_t n;
    while (p->sent_len < sizeof p->sent - 1 &&
           (n = read(p->server, p->sent + p->sent_len,
                     sizeof p->sent - 1 - p->sent_len)) > 0)
        p->sent_len += (size_t)n;
    p->sent[p->sent_len] = '\0';
    close(p->server);
    return p->sent;
}

/* Show \r and \n in messages. */
static const char *visible(const char *s)
{
    static char out[4][2048];
    static int which;
    char *o = out[which++ % 4];
    size_t j = 0;
    for (; *s && j < 2040; s++) {
        if (*s == '\r' || *s == '\n') {
            o[j++] = '\\';
            o[j++] = *s == '\r' ? 'r' : 'n';
        } else {
            o[j++] = *s;
        }
    }
    o[j] = '\0';
    return o;
}

#define SENT_IS(p, want)                                                               \
    do {                                                                               \
        const char *got_ = pair_sent(p);                                               \
        CHECK(strcmp(got_, (want)) == 0,                                               \
              "the client should send \"%s\"\n  it sent \"%s\"", visible(want),        \
              visible(got_));                                                          \
    } while (0)

static int helo(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250 bob.example Hello\r\n");
    p.c.ext.pipelining = true;
    int rc = smtp_helo(&p.c, "alice.example", &r);
    CHECK(rc == 0, "smtp_helo returned %d (%s)", rc, p.c.error);
    CHECK(r.code == 250, "the reply should be 250, got %d", r.code);
    CHECK(!p.c.ext.pipelining, "after HELO no extension may be used: clear c->ext");
    SENT_IS(&p, "HELO alice.example\r\n");
    return 0;
}

static int ehlo(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250-bob.example Hello\r\n250-SIZE 5000\r\n250 PIPELINING\r\n");
    int rc = smtp_ehlo(&p.c, "alice.example", &r);
    CHECK(rc == 0, "smtp_ehlo returned %d (%s)", rc, p.c.error);
    CHECK(r.code == 250 && r.line_count == 3, "the reply should be 250 with 3 lines");
    CHECK(p.c.ext.esmtp && p.c.ext.pipelining && p.c.ext.size_limit == 5000,
          "c->ext should hold what the EHLO reply offered (smtp_parse_extensions)");
    SENT_IS(&p, "EHLO alice.example\r\n");
    return 0;
}

static int ehlo_fallback(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "500 5.5.2 what?\r\n250 old.example\r\n");
    int rc = smtp_ehlo(&p.c, "alice.example", &r);
    CHECK(rc == 0, "smtp_ehlo returned %d (%s)", rc, p.c.error);
    CHECK(r.code == 250, "after the fallback the reply is HELO's 250, got %d", r.code);
    CHECK(!p.c.ext.esmtp, "after HELO, c->ext.esmtp is false");
    SENT_IS(&p, "EHLO alice.example\r\nHELO alice.example\r\n");

    pair_open(&p, "421 4.3.2 busy\r\n");
    rc = smtp_ehlo(&p.c, "alice.example", &r);
    CHECK(rc == 0 && r.code == 421, "a 421 to EHLO is returned as it is");
    SENT_IS(&p, "EHLO alice.example\r\n");
    return 0;
}

static int mail_from(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250 2.1.0 ok\r\n250 2.1.0 ok\r\n250 2.1.0 ok\r\n");
    int rc = smtp_mail_from(&p.c, "alice@alice.example", NULL, &r);
    CHECK(rc == 0 && r.code == 250, "smtp_mail_from returned %d (%s)", rc, p.c.error);
    /* A bounce: the null reverse-path. */
    rc = smtp_mail_from(&p.c, "", NULL, &r);
    CHECK(rc == 0, "smtp_mail_from(\"\") returned %d (%s)", rc, p.c.error);
    /* Parameters only when the server offered them. */
    struct smtp_mail_options o = {.size = 1234, .body_8bit = true};
    p.c.ext.size = true;
    rc = smtp_mail_from(&p.c, "alice@alice.example", &o, &r);
    CHECK(rc == 0, "smtp_mail_from with SIZE returned %d (%s)", rc, p.c.error);
    SENT_IS(&p, "MAIL FROM:<alice@alice.example>\r\nMAIL FROM:<>\r\n"
                "MAIL FROM:<alice@alice.example> SIZE=1234\r\n");
    return 0;
}

static int rcpt_to(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250 2.1.5 ok\r\n550 5.1.1 no such user\r\n");
    int rc = smtp_rcpt_to(&p.c, "bob@bob.example", &r);
    CHECK(rc == 0 && r.code == 250, "smtp_rcpt_to returned %d (%s)", rc, p.c.error);
    rc = smtp_rcpt_to(&p.c, "nobody@bob.example", &r);
    CHECK(rc == 0 && r.code == 550,
          "a 550 is an answer, not a broken conversation: return 0 with the reply");
    SENT_IS(&p, "RCPT TO:<bob@bob.example>\r\nRCPT TO:<nobody@bob.example>\r\n");
    return 0;
}

static int data(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "354 go ahead\r\n250 2.0.0 taken\r\n");
    const char *m = "Subject: hi\r\n\r\nHello\r\n";
    int rc = smtp_data(&p.c, m, strlen(m), &r);
    CHECK(rc == 0, "smtp_data returned %d (%s)", rc, p.c.error);
    CHECK(r.code == 250, "*reply should be the verdict after \".\" (250), got %d",
          r.code);
    SENT_IS(&p, "DATA\r\nSubject: hi\r\n\r\nHello\r\n.\r\n");

    pair_open(&p, "554 5.5.1 no valid recipients\r\n");
    rc = smtp_data(&p.c, m, strlen(m), &r);
    CHECK(rc == 0 && r.code == 554, "DATA refused with 554: return 0 with that reply");
    SENT_IS(&p, "DATA\r\n");
    return 0;
}

static int quit(void)
{
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "221 2.0.0 bye\r\n");
    int rc = smtp_quit(&p.c, &r);
    CHECK(rc == 0 && r.code == 221, "smtp_quit returned %d (%s), reply %d", rc,
          p.c.error, r.code);
    SENT_IS(&p, "QUIT\r\n");
    return 0;
}

/* smtp_data_encode into a buffer, NUL-terminated. */
static const char *encode(const char *m)
{
    static char out[1024];
    size_t n = smtp_data_encode(m, strlen(m), out, sizeof out - 1);
    out[n < sizeof out - 1 ? n : sizeof out - 1] = '\0';
    return out;
}

#define ENCODES(m, want)                                                               \
    do {                                                                               \
        const char *got_ = encode(m);                                                  \
        CHECK(strcmp(got_, (want)) == 0,                                               \
              "\"%s\" should go on the wire as \"%s\"\n  got \"%s\"", visible(m),      \
              visible(want), visible(got_));                                           \
    } while (0)

static int dot_stuffing(void)
{
    ENCODES("Hi\r\n.\r\nBye\r\n", "Hi\r\n..\r\nBye\r\n.\r\n");
    ENCODES(".sig\r\n", "..sig\r\n.\r\n");
    ENCODES("..two\r\n", "...two\r\n.\r\n");
    ENCODES("a.b\r\n. \r\n", "a.b\r\n.. \r\n.\r\n");
    /* smtp_send_message must stuff too: the wire is what counts. */
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250 ok\r\n");
    const char *m = "x\r\n.\r\n.y\r\n";
    int rc = smtp_send_message(&p.c, m, strlen(m), &r);
    CHECK(rc == 0 && r.code == 250, "smtp_send_message returned %d (%s)", rc,
          p.c.error);
    SENT_IS(&p, "x\r\n..\r\n..y\r\n.\r\n");
    return 0;
}

static int crlf(void)
{
    ENCODES("one\ntwo\n", "one\r\ntwo\r\n.\r\n");
    ENCODES("one\rtwo", "one\r\ntwo\r\n.\r\n");
    ENCODES("no end", "no end\r\n.\r\n");
    ENCODES("", ".\r\n");
    ENCODES("\n\n", "\r\n\r\n.\r\n");
    size_t need = smtp_data_encode("abc\n", 4, NULL, 0);
    CHECK(need == 8,
          "with out == NULL, return the length it needs (8 for \"abc\\n\"), "
          "got %zu",
          need);
    struct pair p;
    struct smtp_reply r;
    pair_open(&p, "250 ok\r\n");
    const char *m = "a\nb\rc";
    int rc = smtp_send_message(&p.c, m, strlen(m), &r);
    CHECK(rc == 0, "smtp_send_message returned %d (%s)", rc, p.c.error);
    SENT_IS(&p, "a\r\nb\r\nc\r\n.\r\n");
    return 0;
}

/* Rule L2.4: a command that does not fit its buffer is refused, and not one
 * byte is written past the buffer; one that fits exactly goes out whole. */
struct guarded {
    char line[64];
    char guard[64]; /* right behind line: an overrun lands here */
};

static int guard_intact(const struct guarded *b)
{
    for (size_t i = 0; i < sizeof b->guard; i++)
        if (b->guard[i] != '#')
            return 0;
    return 1;
}

/* An address of `len` characters: "aaa...a@x" */
static const char *address(size_t len)
{
    static char a[256];
    memset(a, 'a', len);
    memcpy(a + len - 2, "@x", 2);
    a[len] = '\0';
    return a;
}

static int format_bounds(void)
{
    struct smtp_client c;
    smtp_client_init(&c, NULL, NULL);
    struct guarded b;
    const size_t room = sizeof b.line - 1; /* characters, with the NUL after them */

    /* "MAIL FROM:<" + address + ">" is 12 + len characters. */
    memset(&b, '#', sizeof b);
    int rc = smtp_format_mail(&c, address(room - 12), NULL, b.line, sizeof b.line);
    CHECK(rc == 0 && strlen(b.line) == room && guard_intact(&b),
          "a MAIL line of exactly %zu characters fits a buffer of %zu: expected 0 and "
          "the whole line, got %d and \"%.70s\"",
          room, sizeof b.line, rc, b.line);
    memset(&b, '#', sizeof b);
    rc = smtp_format_mail(&c, address(room - 11), NULL, b.line, sizeof b.line);
    CHECK(guard_intact(&b),
          "smtp_format_mail() wrote past the end of its buffer "
          "(cap %zu) for a sender one character too long",
          sizeof b.line);
    CHECK(rc < 0,
          "a MAIL line of %zu characters does not fit a buffer of %zu: "
          "expected -1, got %d",
          room + 1, sizeof b.line, rc);
    memset(&b, '#', sizeof b);
    rc = smtp_format_mail(&c, address(200), NULL, b.line, sizeof b.line);
    CHECK(guard_intact(&b) && rc < 0,
          "a sender of 200 characters: expected -1 and nothing written past the "
          "buffer; got %d%s",
          rc, guard_intact(&b) ? "" : ", and the buffer overran");

    /* "RCPT TO:<" + address + ">" is 10 + len characters. */
    memset(&b, '#', sizeof b);
    rc = smtp_format_rcpt(&c, address(room - 10), b.line, sizeof b.line);
    CHECK(rc == 0 && strlen(b.line) == room && guard_intact(&b),
          "a RCPT line of exactly %zu characters fits a buffer of %zu: expected 0 "
          "and the whole line, got %d",
          room, sizeof b.line, rc);
    memset(&b, '#', sizeof b);
    rc = smtp_format_rcpt(&c, address(200), b.line, sizeof b.line);
    CHECK(guard_intact(&b),
          "smtp_format_rcpt() wrote past the end of its buffer "
          "(cap %zu) for a recipient of 200 characters",
          sizeof b.line);
    CHECK(rc < 0, "a recipient of 200 characters does not fit: expected -1, got %d",
          rc);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct lab_check checks[] = {
        {"helo", helo},
        {"ehlo", ehlo},
        {"ehlo_fallback", ehlo_fallback},
        {"mail_from", mail_from},
        {"rcpt_to", rcpt_to},
        {"data", data},
        {"quit", quit},
        {"dot_stuffing", dot_stuffing},
        {"crlf", crlf},
        {"format_bounds", format_bounds},
    };
    return lab_checks_main(argc, argv, checks, sizeof checks / sizeof checks[0]);
}
