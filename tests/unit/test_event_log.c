/*
 * test_event_log.c - the event log writes valid JSON, whatever the bytes.
 *
 * A peer can send anything: NUL bytes, quotes, backslashes, 8-bit junk,
 * broken UTF-8. Each event must still be one line of valid JSON (RFC 8259:
 * UTF-8 text, control characters escaped), or the visualizer and the tests
 * that read the log break. A small strict checker below does the judging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_log.h"

/* ----- a strict checker for our flat {"key":"value"|number,...} ----- */

/* Length of one strictly valid UTF-8 character at p (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t strict_utf8(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    unsigned lo = 0x80, hi = 0xBF;
    size_t need;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        need = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        need = 3;
        if (p[0] == 0xE0)
            lo = 0xA0; /* overlong */
        if (p[0] == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        need = 4;
        if (p[0] == 0xF0)
            lo = 0x90; /* overlong */
        if (p[0] == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need;
}

/* A JSON string at *p; advances past it. */
static bool json_string(const unsigned char **p)
{
    const unsigned char *s = *p;
    if (*s++ != '"')
        return false;
    while (*s != '"') {
        if (*s < 0x20)
            return false; /* raw control characters (and the end) */
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == 0)
                        return false;
                s += 5;
            } else if (*s && strchr("\"\\/bfnrt", *s)) {
                s++;
            } else {
                return false;
            }
            continue;
        }
        size_t n = strict_utf8(s);
        if (n == 0)
            return false;
        s += n;
    }
    *p = s + 1;
    return true;
}

/* One log line: a flat object of strings, numbers and true, then "\n". */
static bool json_line(const char *line)
{
    const unsigned char *p = (const unsigned char *)line;
    if (*p++ != '{')
        return false;
    for (;;) {
        if (!json_string(&p) || *p++ != ':')
            return false;
        if (*p == '"') {
            if (!json_string(&p))
                return false;
        } else if (strncmp((const char *)p, "true", 4) == 0) {
            p += 4;
        } else {
            if (*p < '0' || *p > '9')
                return false;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        if (*p == '}')
            break;
        if (*p++ != ',')
            return false;
    }
    return p[1] == '\n' && p[2] == '\0';
}

/* ----- fixtures: a log in a temp file ----- */

struct fixture {
    char path[64];
    struct event_log log;
    char *lines[64]; /* what the file holds, line by line */
    size_t count;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/mailwalk-log-XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    close(fd);
    event_log_init(&f->log);
    if (event_log_open(&f->log, f->path) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    event_log_close(&f->log);
    unlink(f->path);
    for (size_t i = 0; i < f->count; i++)
        free(f->lines[i]);
    free(f);
    return 0;
}

/* Read the file back; every line must be valid JSON. */
static void read_back(struct fixture *f)
{
    FILE *file = fopen(f->path, "r");
    assert_non_null(file);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, file) > 0 && f->count < 64) {
        if (!json_line(line))
            fail_msg("not valid JSON: %s", line);
        f->lines[f->count++] = strdup(line);
    }
    free(line);
    fclose(file);
}

/* The value of "text" in a line, as written (escapes not decoded). */
static void expect_text(const char *line, const char *want)
{
    const char *v = strstr(line, ",\"text\":\"");
    assert_non_null(v);
    v += 9;
    size_t n = strlen(want);
    if (strncmp(v, want, n) != 0 || v[n] != '"')
        fail_msg("text is %s, want \"%s\"", v, want);
}

/* ------------------------------------------------------------------ */

static void test_header_fields(void **state)
{
    struct fixture *f = *state;
    event_log_write(&f->log, "123.4", "state", "from", "MAIL", "to", "RCPT", NULL);
    read_back(f);
    assert_int_equal(f->count, 1);
    char want[64];
    snprintf(want, sizeof want, "\"pid\":%ld,", (long)getpid());
    assert_non_null(strstr(f->lines[0], want));
    assert_true(strncmp(f->lines[0], "{\"time\":\"20", 11) == 0);
    assert_non_null(strstr(f->lines[0], "\"session\":\"123.4\",\"event\":\"state\","
                                        "\"from\":\"MAIL\",\"to\":\"RCPT\"}\n"));
}

static void test_quotes_and_backslashes(void **state)
{
    struct fixture *f = *state;
    event_log_line(&f->log, "s", "line_in", "say \"hi\" \\o/", 12);
    event_log_write(&f->log, "s", "error", "what", "a \"quoted\" path\\", NULL);
    read_back(f);
    assert_int_equal(f->count, 2);
    expect_text(f->lines[0], "say \\\"hi\\\" \\\\o/");
    assert_non_null(strstr(f->lines[1], "\"what\":\"a \\\"quoted\\\" path\\\\\"}"));
}

/* NUL and other control bytes become \u00XX; the text goes on after. */
static void test_nul_and_control_bytes(void **state)
{
    struct fixture *f = *state;
    event_log_line(&f->log, "s", "line_in",
                   "a\0b\r\n\t\x7f"
                   "c",
                   8);
    read_back(f);
    assert_int_equal(f->count, 1);
    expect_text(f->lines[0], "a\\u0000b\\u000d\\u000a\\u0009\\u007fc");
}

/* Every byte value, alone: always valid JSON. */
static void test_every_byte(void **state)
{
    struct fixture *f = *state;
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    event_log_line(&f->log, "s", "line_in", all, sizeof all);
    for (int i = 0x80; i < 0x100; i += 16)
        event_log_line(&f->log, "s", "data_in", all + i, 16);
    read_back(f);
    assert_int_equal(f->count, 9);
}

/* Valid UTF-8 is kept as it is; bytes that are not UTF-8 are escaped -
 * including the look-alikes: overlong forms, surrogates, > U+10FFFF and
 * sequences cut short. */
static void test_utf8_kept_and_junk_escaped(void **state)
{
    struct fixture *f = *state;
    event_log_line(&f->log, "s", "line_in", "J\xc3\xb6rg \xe2\x9c\x89 \xf0\x9f\x93\xac",
                   14);
    event_log_line(&f->log, "s", "line_in", "\xc0\xaf", 2);         /* overlong '/' */
    event_log_line(&f->log, "s", "line_in", "\xe0\x80\xaf", 3);     /* overlong '/' */
    event_log_line(&f->log, "s", "line_in", "\xed\xa0\x80", 3);     /* surrogate D800 */
    event_log_line(&f->log, "s", "line_in", "\xf4\x90\x80\x80", 4); /* U+110000 */
    event_log_line(&f->log, "s", "line_in", "\xf0\x80\x80\xaf", 4); /* overlong */
    event_log_line(&f->log, "s", "line_in", "\xe2\x9c", 2);         /* cut short */
    read_back(f);
    assert_int_equal(f->count, 7);
    expect_text(f->lines[0], "J\xc3\xb6rg \xe2\x9c\x89 \xf0\x9f\x93\xac");
    expect_text(f->lines[1], "\\u00c0\\u00af");
    expect_text(f->lines[2], "\\u00e0\\u0080\\u00af");
    expect_text(f->lines[3], "\\u00ed\\u00a0\\u0080");
    expect_text(f->lines[4], "\\u00f4\\u0090\\u0080\\u0080");
    expect_text(f->lines[5], "\\u00f0\\u0080\\u0080\\u00af");
    expect_text(f->lines[6], "\\u00e2\\u009c");
}

/* A value too long for one event is cut - and the event says so, and is
 * still valid JSON (the string closed, the object closed). */
static void test_long_value_is_cut_cleanly(void **state)
{
    struct fixture *f = *state;
    static char big[20000];
    memset(big, 'x', sizeof big);
    event_log_line(&f->log, "s", "line_in", big, sizeof big);
    memset(big, 0x01, sizeof big); /* 6 bytes each once escaped */
    event_log_line(&f->log, "s", "line_in", big, sizeof big);
    big[sizeof big - 1] = '\0';
    event_log_write(&f->log, "s", "error", "what", big, "more", "after", NULL);
    read_back(f);
    assert_int_equal(f->count, 3);
    for (size_t i = 0; i < f->count; i++) {
        assert_non_null(strstr(f->lines[i], "\"cut\":true}\n"));
        assert_true(strlen(f->lines[i]) <= 8192);
    }
}

/* With no file open, logging does nothing (and does not crash). */
static void test_no_log(void **state)
{
    (void)state;
    struct event_log none;
    event_log_init(&none);
    event_log_write(&none, "s", "connect", "peer", "127.0.0.1", NULL);
    event_log_line(&none, "s", "line_in", "x", 1);
    event_log_line(NULL, "s", "line_in", "x", 1);
    assert_int_equal(none.fd, -1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_header_fields),
        T(test_quotes_and_backslashes),
        T(test_nul_and_control_bytes),
        T(test_every_byte),
        T(test_utf8_kept_and_junk_escaped),
        T(test_long_value_is_cut_cleanly),
        cmocka_unit_test(test_no_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
