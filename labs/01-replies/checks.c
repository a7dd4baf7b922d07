/*
 * checks.c - lab 1's C checks: the reply parser, fed line by line.
 *
 * Each function is one check of labs/01-replies/grade.py; run one by hand
 * with `build/labs/lab01-checks multi_line` (or no argument for all).
 *
 * Which rules of the handout (labs/01-replies/README.md, "Rules") each check
 * enforces is said where the check gets its name and points, in grade.py:
 * "multi-line reply [L1.2 L1.4]". tests/labs/test_rules_traced.py keeps
 * the two in step.
 */
#include <stdbool.h>
#include <string.h>

#include "../checks.h"
#include "smtp_client.h"

static const char *step_name(enum smtp_reply_step step)
{
    switch (step) {
    case SMTP_REPLY_MORE:
        return "MORE";
    case SMTP_REPLY_DONE:
        return "DONE";
    case SMTP_REPLY_MALFORMED:
        return "MALFORMED";
    }
    return "(not a step)";
}

/* Feed one NUL-terminated line. */
static enum smtp_reply_step feed(struct smtp_reply *r, const char *line)
{
    char why[200] = "";
    return smtp_reply_feed(r, line, strlen(line), why, sizeof why);
}

#define FEED(r, line, want)                                                            \
    do {                                                                               \
        enum smtp_reply_step got_ = feed((r), (line));                                 \
        CHECK(got_ == (want), "feeding \"%.60s\": expected %s, got %s", (line),        \
              step_name(want), step_name(got_));                                       \
    } while (0)

static int one_line(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "250 OK", SMTP_REPLY_DONE);
    CHECK(r.code == 250, "\"250 OK\": code should be 250, got %d", r.code);
    CHECK(strcmp(r.text, "OK") == 0, "\"250 OK\": text should be \"OK\", got \"%s\"",
          r.text);
    CHECK(r.line_count == 1, "line_count should be 1, got %zu", r.line_count);

    smtp_reply_clear(&r);
    FEED(&r, "354 End data with <CR><LF>.<CR><LF>", SMTP_REPLY_DONE);
    CHECK(r.code == 354, "code should be 354, got %d", r.code);
    CHECK(strcmp(r.text, "End data with <CR><LF>.<CR><LF>") == 0,
          "text should be what follows \"354 \", got \"%s\"", r.text);
    return 0;
}

static int bare_code(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    /* RFC 5321 §4.2.1: a reply of just the code must be accepted. */
    FEED(&r, "250", SMTP_REPLY_DONE);
    CHECK(r.code == 250, "\"250\": code should be 250, got %d", r.code);
    CHECK(r.text[0] == '\0', "\"250\": text should be empty, got \"%s\"", r.text);
    return 0;
}

static int multi_line(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "250-bob.example Hello alice.example", SMTP_REPLY_MORE);
    FEED(&r, "250-SIZE 10485760", SMTP_REPLY_MORE);
    FEED(&r, "250 PIPELINING", SMTP_REPLY_DONE);
    CHECK(r.code == 250, "code should be 250, got %d", r.code);
    CHECK(r.line_count == 3, "line_count should be 3, got %zu", r.line_count);
    CHECK(strcmp(r.text,
                 "bob.example Hello alice.example\nSIZE 10485760\nPIPELINING") == 0,
          "text should be the three lines' text joined by \\n, got \"%s\"", r.text);
    return 0;
}

static int malformed(void)
{
    /* A parser that refuses everything is no parser: first a good line. */
    struct smtp_reply good;
    smtp_reply_clear(&good);
    FEED(&good, "250 OK", SMTP_REPLY_DONE);
    const char *bad[] = {
        "",       /* nothing */
        "hello",  /* no code */
        "25",     /* too short */
        "2a0 OK", /* not digits */
        "650 OK", /* first digit 2-5 only (§4.2) */
        "260 OK", /* second digit 0-5 only */
        "250_OK", /* neither space nor hyphen after the code */
        "HTTP/1.1 400 Bad Request",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct smtp_reply r;
        smtp_reply_clear(&r);
        char why[200] = "";
        enum smtp_reply_step step =
            smtp_reply_feed(&r, bad[i], strlen(bad[i]), why, sizeof why);
        CHECK(step == SMTP_REPLY_MALFORMED,
              "\"%s\" is not a reply line: expected "
              "MALFORMED, got %s",
              bad[i], step_name(step));
        CHECK(why[0] != '\0',
              "\"%s\": MALFORMED, but why[] is empty: say what is wrong", bad[i]);
    }
    return 0;
}

static int code_changes(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "250-first", SMTP_REPLY_MORE);
    /* §4.2.1: every line of one reply carries the same code. */
    FEED(&r, "251 second", SMTP_REPLY_MALFORMED);
    return 0;
}

static int enhanced_code(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "550 5.1.1 No such user here", SMTP_REPLY_DONE);
    CHECK(strcmp(r.enhanced, "5.1.1") == 0, "enhanced should be \"5.1.1\", got \"%s\"",
          r.enhanced);
    smtp_reply_clear(&r);
    FEED(&r, "250 OK", SMTP_REPLY_DONE);
    CHECK(r.enhanced[0] == '\0', "\"250 OK\" has no enhanced code, got \"%s\"",
          r.enhanced);
    smtp_reply_clear(&r);
    /* RFC 2034 §4: the class must match the reply's first digit. */
    FEED(&r, "250 5.1.1 odd", SMTP_REPLY_DONE);
    CHECK(r.enhanced[0] == '\0',
          "\"250 5.1.1\": class 5 does not match 2xx, so "
          "there is no enhanced code; got \"%s\"",
          r.enhanced);

    /* The code belongs to the first line: a later line does not change it. */
    smtp_reply_clear(&r);
    FEED(&r, "550-5.1.1 no such user", SMTP_REPLY_MORE);
    FEED(&r, "550 5.7.1 and relaying denied", SMTP_REPLY_DONE);
    CHECK(strcmp(r.enhanced, "5.1.1") == 0,
          "the enhanced code is the first line's: expected \"5.1.1\", got \"%s\"",
          r.enhanced);
    smtp_reply_clear(&r);
    FEED(&r, "250-bob.example", SMTP_REPLY_MORE);
    FEED(&r, "250 2.0.0 ok", SMTP_REPLY_DONE);
    CHECK(r.enhanced[0] == '\0',
          "the first line \"250-bob.example\" has no enhanced code, so the reply has "
          "none; got \"%s\"",
          r.enhanced);

    /* Subject and detail have one to three digits each (RFC 3463 §2). */
    smtp_reply_clear(&r);
    FEED(&r, "550 5.7.26 unauthenticated mail", SMTP_REPLY_DONE);
    CHECK(strcmp(r.enhanced, "5.7.26") == 0,
          "\"550 5.7.26\": expected \"5.7.26\" (two digits are allowed), got \"%s\"",
          r.enhanced);
    smtp_reply_clear(&r);
    FEED(&r, "451 4.123.456 busy", SMTP_REPLY_DONE);
    CHECK(strcmp(r.enhanced, "4.123.456") == 0,
          "\"451 4.123.456\": expected \"4.123.456\" (three digits are allowed), got "
          "\"%s\"",
          r.enhanced);
    smtp_reply_clear(&r);
    FEED(&r, "550 5.1.1000 odd", SMTP_REPLY_DONE);
    CHECK(r.enhanced[0] == '\0',
          "\"550 5.1.1000\": four digits are not an enhanced code; got \"%s\"",
          r.enhanced);
    return 0;
}

/* Rule L1.6: the parser reads len bytes, never up to a NUL it hopes for. */
static int exact_length(void)
{
    struct smtp_reply r;
    char why[200] = "";
    /* The wire's buffer goes on after the line: only 6 bytes are the line. */
    const char buffer[] = "250 OKjunk after the line";
    smtp_reply_clear(&r);
    enum smtp_reply_step step = smtp_reply_feed(&r, buffer, 6, why, sizeof why);
    CHECK(step == SMTP_REPLY_DONE, "\"250 OK\" (len 6): expected DONE, got %s",
          step_name(step));
    CHECK(strcmp(r.text, "OK") == 0,
          "the line is \"250 OK\" (len 6), followed in memory by other bytes: "
          "the text should be \"OK\", got \"%s\" (use len, not strlen)",
          r.text);

    /* Not NUL-terminated at all: a line at the very end of an array. */
    char exact[6];
    memcpy(exact, "354 go", 6);
    smtp_reply_clear(&r);
    step = smtp_reply_feed(&r, exact, sizeof exact, why, sizeof why);
    CHECK(step == SMTP_REPLY_DONE && r.code == 354 && strcmp(r.text, "go") == 0,
          "\"354 go\" with no NUL after it: expected DONE, 354, \"go\"; got %s, %d, "
          "\"%s\"",
          step_name(step), r.code, r.text);

    /* A NUL byte inside the line: still one line of 9 bytes, read whole. */
    const char nul[] = "250-a\0b\0c";
    smtp_reply_clear(&r);
    step = smtp_reply_feed(&r, nul, sizeof nul - 1, why, sizeof why);
    CHECK(step == SMTP_REPLY_MORE && r.code == 250,
          "\"250-a<NUL>b<NUL>c\": expected MORE with code 250, got %s, %d",
          step_name(step), r.code);
    FEED(&r, "250 end", SMTP_REPLY_DONE);
    CHECK(r.line_count == 2, "two lines fed: line_count should be 2, got %zu",
          r.line_count);
    return 0;
}

static int meaning(void)
{
    struct {
        int code;
        const char *want;
    } cases[] = {
        {250, "positive completion"},
        {221, "positive completion"},
        {354, "positive intermediate: send more"},
        {421, "transient negative: try again later"},
        {451, "transient negative: try again later"},
        {550, "permanent negative: do not retry as it is"},
        {0, "not a reply"},
        {999, "not a reply"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = smtp_reply_meaning(cases[i].code);
        CHECK(got != NULL && strcmp(got, cases[i].want) == 0,
              "smtp_reply_meaning(%d) should be \"%s\", got \"%s\"", cases[i].code,
              cases[i].want, got ? got : "(NULL)");
    }
    return 0;
}

static int first_line(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "550-5.7.1 Relaying denied", SMTP_REPLY_MORE);
    FEED(&r, "550 5.7.1 see the policy", SMTP_REPLY_DONE);
    char out[64];
    smtp_reply_first_line(&r, out, sizeof out);
    CHECK(strcmp(out, "550 5.7.1 Relaying denied") == 0,
          "expected \"550 5.7.1 Relaying denied\", got \"%s\"", out);
    char small[8];
    smtp_reply_first_line(&r, small, sizeof small);
    CHECK(memchr(small, '\0', sizeof small) != NULL &&
              strncmp(small, "550 5.7", 7) == 0,
          "with room for 8 bytes: expected \"550 5.7\", got \"%.8s\"", small);
    return 0;
}

static int extensions(void)
{
    struct smtp_reply r;
    smtp_reply_clear(&r);
    FEED(&r, "250-bob.example Hello alice.example", SMTP_REPLY_MORE);
    FEED(&r, "250-size 1000000", SMTP_REPLY_MORE);
    FEED(&r, "250-PIPELINING", SMTP_REPLY_MORE);
    FEED(&r, "250-XFANCY stuff", SMTP_REPLY_MORE);
    FEED(&r, "250-STARTTLS", SMTP_REPLY_MORE);
    FEED(&r, "250-8BITMIMEX", SMTP_REPLY_MORE);
    FEED(&r, "250 AUTH PLAIN LOGIN", SMTP_REPLY_DONE);
    struct smtp_extensions ext;
    memset(&ext, 0xff, sizeof ext);
    smtp_parse_extensions(&r, &ext);
    CHECK(ext.esmtp, "a 250 to EHLO: esmtp should be true");
    CHECK(ext.size && ext.size_limit == 1000000,
          "\"size 1000000\": size should be true (any case) and size_limit 1000000, "
          "got %d and %llu",
          ext.size, ext.size_limit);
    CHECK(ext.pipelining, "PIPELINING was offered");
    CHECK(ext.starttls, "STARTTLS was offered");
    CHECK(!ext.eightbitmime, "\"8BITMIMEX\" is not 8BITMIME");
    CHECK(!ext.smtputf8 && !ext.enhancedstatuscodes,
          "SMTPUTF8 and ENHANCEDSTATUSCODES "
          "were not offered (did you start with memset?)");
    CHECK(ext.auth && strcmp(ext.auth_mechanisms, "PLAIN LOGIN") == 0,
          "AUTH should be true with mechanisms \"PLAIN LOGIN\", got \"%s\"",
          ext.auth_mechanisms);

    smtp_reply_clear(&r);
    FEED(&r, "502 5.5.1 EHLO not implemented", SMTP_REPLY_DONE);
    memset(&ext, 0xff, sizeof ext);
    smtp_parse_extensions(&r, &ext);
    CHECK(!ext.esmtp && !ext.size && !ext.pipelining,
          "a 502 to EHLO offers nothing: every field should be false");
    return 0;
}

static int bounded(void)
{
    /* A server that sends far more than fits must not overflow r.text. */
    struct smtp_reply r;
    smtp_reply_clear(&r);
    char line[512];
    memset(line, 'x', sizeof line);
    memcpy(line, "250-", 4);
    line[sizeof line - 1] = '\0';
    for (int i = 0; i < 20; i++)
        FEED(&r, line, SMTP_REPLY_MORE);
    FEED(&r, "250 end", SMTP_REPLY_DONE);
    CHECK(r.truncated,
          "20 lines of 500 bytes do not fit in %d bytes: truncated "
          "should be true",
          SMTP_REPLY_TEXT_MAX);
    CHECK(strlen(r.text) < SMTP_REPLY_TEXT_MAX, "text is longer than its array");

    smtp_reply_clear(&r);
    size_t lines = 0;
    enum smtp_reply_step step = SMTP_REPLY_MORE;
    while (step == SMTP_REPLY_MORE && lines < 10000) {
        step = feed(&r, "250-again");
        lines++;
    }
    CHECK(step == SMTP_REPLY_MALFORMED && lines <= SMTP_REPLY_MAX_LINES + 1,
          "a reply that never ends must be refused after %d lines; read %zu lines, "
          "last step %s",
          SMTP_REPLY_MAX_LINES, lines, step_name(step));

    /* Exactly at the limits: SMTP_REPLY_MAX_LINES lines are still a reply,
     * and a text of SMTP_REPLY_TEXT_MAX - 1 bytes still fits whole. */
    smtp_reply_clear(&r);
    for (int i = 0; i < SMTP_REPLY_MAX_LINES - 1; i++)
        FEED(&r, "250-x", SMTP_REPLY_MORE);
    FEED(&r, "250 last", SMTP_REPLY_DONE);
    static char fits[4 + SMTP_REPLY_TEXT_MAX];
    memcpy(fits, "250 ", 4);
    memset(fits + 4, 'y', SMTP_REPLY_TEXT_MAX - 1);
    fits[4 + SMTP_REPLY_TEXT_MAX - 1] = '\0';
    smtp_reply_clear(&r);
    FEED(&r, fits, SMTP_REPLY_DONE);
    CHECK(!r.truncated && strlen(r.text) == SMTP_REPLY_TEXT_MAX - 1,
          "a text of exactly %d bytes fits (with its NUL): truncated should be false "
          "and the text whole, got truncated=%d, %zu bytes",
          SMTP_REPLY_TEXT_MAX - 1, r.truncated, strlen(r.text));
    /* One byte more, in one over-long line: cut, never overrun. */
    static char over[4 + SMTP_REPLY_TEXT_MAX + 1];
    memcpy(over, "250 ", 4);
    memset(over + 4, 'z', SMTP_REPLY_TEXT_MAX);
    over[4 + SMTP_REPLY_TEXT_MAX] = '\0';
    smtp_reply_clear(&r);
    FEED(&r, over, SMTP_REPLY_DONE);
    CHECK(r.truncated && strlen(r.text) == SMTP_REPLY_TEXT_MAX - 1,
          "a text of %d bytes does not fit: keep %d and set truncated; got "
          "truncated=%d, %zu bytes",
          SMTP_REPLY_TEXT_MAX, SMTP_REPLY_TEXT_MAX - 1, r.truncated, strlen(r.text));
    return 0;
}

int main(int argc, char **argv)
{
    static const struct lab_check checks[] = {
        {"one_line", one_line},         {"bare_code", bare_code},
        {"multi_line", multi_line},     {"malformed", malformed},
        {"code_changes", code_changes}, {"enhanced_code", enhanced_code},
        {"meaning", meaning},           {"first_line", first_line},
        {"extensions", extensions},     {"bounded", bounded},
        {"exact_length", exact_length},
    };
    return lab_checks_main(argc, argv, checks, sizeof checks / sizeof checks[0]);
}
