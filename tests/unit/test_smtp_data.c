/*
 * test_smtp_data.c - the message on the wire after DATA: CR LF line endings
 * (RFC 5321 §2.3.8), dot-stuffing (§4.5.2), the final dot (§4.1.1.4), and
 * the size SIZE= declares (RFC 1870).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_client.h"

/* Encode a NUL-terminated message and compare with the expected wire form. */
static void check_encoding(const char *message, const char *expected)
{
    size_t len = strlen(message);
    size_t need = smtp_data_encode(message, len, NULL, 0);
    assert_int_equal(need, strlen(expected));
    char *out = malloc(need + 1);
    assert_non_null(out);
    assert_int_equal(smtp_data_encode(message, len, out, need), need);
    out[need] = '\0';
    assert_string_equal(out, expected);
    free(out);
}

static void leading_dots_are_doubled(void **state)
{
    (void)state;
    check_encoding("Hi\r\n.\r\n.signature\r\nend.\r\n",
                   "Hi\r\n..\r\n..signature\r\nend.\r\n.\r\n");
    /* A message that starts with a dot, and a line of two dots. */
    check_encoding(".\r\n..\r\n", "..\r\n...\r\n.\r\n");
    /* A dot in the middle of a line is left alone. */
    check_encoding("a.b\r\n", "a.b\r\n.\r\n");
}

static void line_endings_become_crlf(void **state)
{
    (void)state;
    check_encoding("unix\nline\n", "unix\r\nline\r\n.\r\n");
    check_encoding("old mac\rline\r", "old mac\r\nline\r\n.\r\n");
    check_encoding("mixed\r\nlf\ncr\rend", "mixed\r\nlf\r\ncr\r\nend\r\n.\r\n");
    /* An empty line stays an empty line; LF LF is two lines. */
    check_encoding("a\n\nb\n", "a\r\n\r\nb\r\n.\r\n");
    /* The smuggling shape: LF "." LF must become a stuffed line, never an end. */
    check_encoding("x\n.\nMAIL FROM:<evil>\n", "x\r\n..\r\nMAIL FROM:<evil>\r\n.\r\n");
}

static void last_line_gets_its_crlf(void **state)
{
    (void)state;
    check_encoding("no newline at the end", "no newline at the end\r\n.\r\n");
    check_encoding(".", "..\r\n.\r\n");
    check_encoding("", ".\r\n");
}

static void output_is_bounded_by_cap(void **state)
{
    (void)state;
    char out[8];
    memset(out, '#', sizeof out);
    /* Too small: nothing past cap is written, the full length is returned. */
    size_t n = smtp_data_encode("hello world\n", 12, out, 4);
    assert_int_equal(n, strlen("hello world\r\n.\r\n"));
    assert_int_equal(out[4], '#');
}

static void size_counts_crlf_and_no_stuffing(void **state)
{
    (void)state;
    /* RFC 1870: the message as the server will count it - CR LF endings,
     * without the transparency dots and the final dot. */
    assert_int_equal(smtp_data_size("a\nb\n", 4), 6);
    assert_int_equal(smtp_data_size(".x\r\n", 4), 4);
    assert_int_equal(smtp_data_size("tail", 4), 6);
    assert_int_equal(smtp_data_size("", 0), 0);
}

static void long_lines_are_found(void **state)
{
    (void)state;
    char *m = malloc(2100);
    assert_non_null(m);
    memset(m, 'a', 2100);
    m[0] = 'x';
    m[1] = '\n';
    /* line 2: 998 octets exactly is allowed (§4.5.3.1.6: 1000 with CR LF) */
    m[2 + 998] = '\n';
    assert_int_equal(smtp_data_long_line(m, 2 + 998 + 1), 0);
    /* line 3: 999 octets is one too many */
    m[1001 + 999] = '\n';
    assert_int_equal(smtp_data_long_line(m, 1001 + 999 + 1), 3);
    free(m);
}

static void eight_bit_detection(void **state)
{
    (void)state;
    assert_false(smtp_data_is_8bit("plain ascii\n", 12));
    assert_true(smtp_data_is_8bit("caf\xc3\xa9", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leading_dots_are_doubled),
        cmocka_unit_test(line_endings_become_crlf),
        cmocka_unit_test(last_line_gets_its_crlf),
        cmocka_unit_test(output_is_bounded_by_cap),
        cmocka_unit_test(size_counts_crlf_and_no_stuffing),
        cmocka_unit_test(long_lines_are_found),
        cmocka_unit_test(eight_bit_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
