/*
 * test_data.c - the DATA reader (data.c): what reaches the Maildir file.
 *
 * RFC 5321 §4.1.1.4 (only CR LF "." CR LF ends the text), §4.5.2
 * (transparency: a leading dot was doubled by the client), §4.5.3.1.6
 * (long text lines: we keep them whole), RFC 1870 (SIZE), and the SMTP
 * smuggling lesson: a bare LF or CR never ends the message.
 *
 * The wire hands the session lines without their ending plus a note of
 * which ending it was (CRLF, bare LF, or none: a piece of a long line), so
 * each test feeds exactly what the wire would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "session_harness.h"

/* EHLO, MAIL FROM:<alice@...>, RCPT TO:<bob@...>, DATA: ready for text. */
static struct harness *in_data(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    take_replies(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    /* The spool file is open in tmp/ while the text arrives. */
    assert_int_equal(count_files(h, "bob", "tmp"), 1);
    return h;
}

static void line(struct harness *h, const char *text, enum line_end end)
{
    session_handle_line(&h->s, text, strlen(text), end);
}

/* The final dot; returns the reply code. */
static int dot(struct harness *h)
{
    return command(h, ".");
}

/* The stored message's body (after the trace headers) must equal want. */
static void expect_body(struct harness *h, const char *want)
{
    static char buf[256 * 1024];
    long n = read_only_message(h, "bob", buf, sizeof buf);
    assert_true(n > 0);
    const char *body = after_trace_headers(buf);
    assert_non_null(body);
    assert_string_equal(body, want);
    assert_int_equal(count_files(h, "bob", "tmp"), 0);
}

/* ------------------------------------------------------------------ */

/* Trace headers first (RFC 5321 §4.4), then the text with LF endings. */
static void test_stored_file_exact(void **state)
{
    struct harness *h = in_data(state);
    line(h, "Subject: hello", LINE_END_CRLF);
    line(h, "", LINE_END_CRLF);
    line(h, "Hi Bob.", LINE_END_CRLF);
    assert_int_equal(dot(h), 250);

    static char buf[4096];
    assert_true(read_only_message(h, "bob", buf, sizeof buf) > 0);
    assert_true(strncmp(buf,
                        "Return-Path: <alice@alice.example>\n"
                        "Received: from alice.example ([192.0.2.7])\n"
                        "\tby bob.example (mailwalk-server) with ESMTP id test.1.1\n"
                        "\tfor <bob@bob.example>; ",
                        135) == 0);
    expect_body(h, "Subject: hello\n\nHi Bob.\n");
    assert_int_equal(count_files(h, "bob", "cur"), 0);
}

/* §4.5.2: one leading dot is removed from lines that have more. */
static void test_unstuffing(void **state)
{
    struct harness *h = in_data(state);
    line(h, "..", LINE_END_CRLF);  /* a line that was "." */
    line(h, "...", LINE_END_CRLF); /* a line that was ".." */
    line(h, "..hidden", LINE_END_CRLF);
    line(h, "a.b", LINE_END_CRLF); /* dots elsewhere stay */
    line(h, ". ", LINE_END_CRLF);  /* "." then a space: not the end */
    assert_int_equal(dot(h), 250);
    expect_body(h, ".\n..\n.hidden\na.b\n \n");
}

/* An empty message: DATA, then the dot at once. */
static void test_empty_message(void **state)
{
    struct harness *h = in_data(state);
    assert_int_equal(dot(h), 250);
    expect_body(h, "");
}

/* Smuggling (CVE-2023-51764..6): "." after or before a bare LF is text. */
static void test_bare_lf_never_ends_data(void **state)
{
    struct harness *h = in_data(state);
    line(h, "one", LINE_END_LF); /* "one\n" */
    line(h, ".", LINE_END_LF);   /* ".\n": LF . LF */
    line(h, "MAIL FROM:<forged@x>", LINE_END_CRLF);
    line(h, ".", LINE_END_LF); /* CRLF . LF */
    line(h, "two", LINE_END_LF);
    line(h, ".", LINE_END_CRLF); /* LF . CRLF */
    line(h, "..still stuffed?", LINE_END_CRLF);
    assert_int_equal(h->s.state, STATE_DATA);
    assert_int_equal(h->s.out_len, 0);
    assert_int_equal(dot(h), 250);
    expect_body(h, "one\n.\nMAIL FROM:<forged@x>\n.\ntwo\n.\n.still stuffed?\n");
}

/* A bare CR is just a byte of text: "\r." does not end anything. */
static void test_bare_cr_is_text(void **state)
{
    struct harness *h = in_data(state);
    line(h, "one\r.", LINE_END_CRLF);
    line(h, ".\r", LINE_END_CRLF); /* ".\r\r\n" on the wire */
    line(h, "\r", LINE_END_CRLF);
    assert_int_equal(h->s.state, STATE_DATA);
    assert_int_equal(dot(h), 250);
    expect_body(h, "one\r.\n\r\n\r\n");
}

/* §4.5.3.1.6: a text line over 1000 octets comes in pieces and is stored
 * whole; a piece that happens to be "." is not the end; only the first
 * piece of a line is unstuffed. */
static void test_long_line_in_pieces(void **state)
{
    struct harness *h = in_data(state);
    static char a[1000], b[1000];
    memset(a, 'a', 999);
    memset(b, 'b', 999);
    a[0] = '.';
    a[1] = '.';
    line(h, a, LINE_END_NONE);
    line(h, ".", LINE_END_NONE);
    line(h, b, LINE_END_NONE);
    line(h, ".", LINE_END_CRLF); /* the end of the long line, not of data */
    line(h, "short", LINE_END_CRLF);
    assert_int_equal(h->s.state, STATE_DATA);
    assert_int_equal(dot(h), 250);

    static char want[4096];
    snprintf(want, sizeof want, "%s.%s.\nshort\n", a + 1, b);
    expect_body(h, want);
}

/* NUL bytes and 8-bit bytes are stored as they came (8BITMIME). */
static void test_binary_bytes_kept(void **state)
{
    struct harness *h = in_data(state);
    session_handle_line(&h->s, "a\0b\xff\xfe", 5, LINE_END_CRLF);
    assert_int_equal(dot(h), 250);
    static char buf[4096];
    long n = read_only_message(h, "bob", buf, sizeof buf);
    assert_true(n > 6);
    assert_memory_equal(buf + n - 6, "a\0b\xff\xfe\n", 6);
}

/* RFC 1870: the text over --max-size gets 552 5.3.4 after the dot,
 * nothing is stored, and the session can send the next message. SIZE
 * counts each line with its CR LF, after unstuffing. */
static void test_size_limit(void **state)
{
    struct harness *h = *state;
    h->config.max_size = 65536;
    in_data(state);
    static char text[1000];
    memset(text, 'x', 998);
    for (int i = 0; i < 65; i++) /* 65 * 1000 = 65000 octets */
        line(h, text, LINE_END_CRLF);
    text[534] = '\0'; /* 534 + 2 = 536: exactly 65536 */
    line(h, text, LINE_END_CRLF);
    assert_int_equal(dot(h), 250);
    assert_int_equal(count_files(h, "bob", "new"), 1);

    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    for (int i = 0; i < 65; i++)
        line(h, text, LINE_END_CRLF); /* 65 * 536 = 34840 */
    memset(text, 'x', 998);
    for (int i = 0; i < 40; i++)
        line(h, text, LINE_END_CRLF);         /* + 40000: over the limit */
    assert_int_equal(h->s.state, STATE_DATA); /* read on to the dot */
    feed(h, ".");
    assert_true(strncmp(take_replies(h), "552 5.3.4 ", 10) == 0);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(count_files(h, "bob", "new"), 1);
    assert_int_equal(count_files(h, "bob", "tmp"), 0);

    /* The boundary again: a stuffed dot counts once (65536 fits), and
     * one octet more (65537) does not. */
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    for (int i = 0; i < 65; i++)
        line(h, text, LINE_END_CRLF);
    text[535] = '\0';
    text[0] = '.';
    text[1] = '.'; /* stored as 534 octets: 65000 + 536 = 65536, fits */
    line(h, text, LINE_END_CRLF);
    assert_int_equal(dot(h), 250);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    memset(text, 'x', 998);
    for (int i = 0; i < 65; i++)
        line(h, text, LINE_END_CRLF);
    text[535] = '\0';
    line(h, text, LINE_END_CRLF); /* 537 octets: one over */
    assert_int_equal(dot(h), 552);
    assert_int_equal(count_files(h, "bob", "new"), 2);
}

/* Several recipients: one file, in each mailbox; no "for" clause (so
 * Bcc recipients do not see each other, RFC 5321 §7.6). */
static void test_several_recipients(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    take_replies(h);
    assert_int_equal(command(h, "HELO alice.example"), 250);
    assert_int_equal(command(h, "MAIL FROM:<>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<carol@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<BOB@bob.example>"), 250); /* same box */
    assert_int_equal(command(h, "DATA"), 354);
    line(h, "to both", LINE_END_CRLF);
    assert_int_equal(dot(h), 250);
    static char bob[4096], carol[4096];
    assert_true(read_only_message(h, "bob", bob, sizeof bob) > 0);
    assert_true(read_only_message(h, "carol", carol, sizeof carol) > 0);
    assert_string_equal(bob, carol);
    assert_true(strncmp(bob, "Return-Path: <>\n", 16) == 0);
    assert_non_null(strstr(bob, " with SMTP id ")); /* HELO: plain SMTP */
    assert_null(strstr(bob, "for <"));
    assert_string_equal(after_trace_headers(bob), "to both\n");
}

/* RSET during DATA is impossible (it is text), but a session that ends
 * mid-message must leave nothing in tmp/ or new/. */
static void test_unfinished_message_leaves_nothing(void **state)
{
    struct harness *h = in_data(state);
    line(h, "RSET", LINE_END_CRLF); /* just text */
    line(h, "QUIT", LINE_END_CRLF);
    assert_int_equal(h->s.state, STATE_DATA);
    assert_int_equal(count_files(h, "bob", "tmp"), 1);
    session_free(&h->s); /* the connection dropped */
    assert_int_equal(count_files(h, "bob", "tmp"), 0);
    assert_int_equal(count_files(h, "bob", "new"), 0);
    session_init(&h->s, &h->config, NULL, "test.2", "192.0.2.7",
                 ROLE_PLAIN); /* for teardown */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(test_stored_file_exact),  T(test_unstuffing),
        T(test_empty_message),      T(test_bare_lf_never_ends_data),
        T(test_bare_cr_is_text),    T(test_long_line_in_pieces),
        T(test_binary_bytes_kept),  T(test_size_limit),
        T(test_several_recipients), T(test_unfinished_message_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
