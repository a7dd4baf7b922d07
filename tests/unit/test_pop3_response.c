/*
 * test_pop3_response.c - the client's reading of POP3 status lines and of
 * multi-line responses (dot-unstuffing, the final ".").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pop3_response.h"

static int parse(const char *line, struct pop3_status *st)
{
    char why[128];
    return pop3_parse_status(line, strlen(line), st, why, sizeof why);
}

static void test_ok_and_err(void **state)
{
    (void)state;
    struct pop3_status st;
    assert_int_equal(parse("+OK 2 messages (740 octets)", &st), 0);
    assert_true(st.ok);
    assert_string_equal(st.code, "");
    assert_string_equal(st.text, "2 messages (740 octets)");
    assert_int_equal(parse("+OK", &st), 0);
    assert_true(st.ok);
    assert_string_equal(st.text, "");
    assert_int_equal(parse("-ERR no such message", &st), 0);
    assert_false(st.ok);
    assert_string_equal(st.text, "no such message");
}

static void test_response_codes(void **state)
{
    (void)state;
    struct pop3_status st;
    assert_int_equal(parse("-ERR [IN-USE] Mailbox locked", &st), 0);
    assert_string_equal(st.code, "IN-USE");
    assert_string_equal(st.text, "Mailbox locked");
    assert_int_equal(parse("-ERR [SYS/TEMP] try later", &st), 0);
    assert_string_equal(st.code, "SYS/TEMP");
    /* A bracket that never closes is text, not a code. */
    assert_int_equal(parse("-ERR [oops", &st), 0);
    assert_string_equal(st.code, "");
    assert_string_equal(st.text, "[oops");
}

static void test_not_pop3(void **state)
{
    (void)state;
    struct pop3_status st;
    assert_int_equal(parse("220 smtp.example ESMTP", &st), -1);
    assert_int_equal(parse("+ok lower case", &st), -1);
    assert_int_equal(parse("+OKAY", &st), -1);
    assert_int_equal(parse("", &st), -1);
    /* A very long text is cut, never overflows. */
    char line[2000];
    memset(line, 'x', sizeof line);
    memcpy(line, "+OK ", 4);
    char why[64];
    assert_int_equal(pop3_parse_status(line, sizeof line, &st, why, sizeof why), 0);
    assert_int_equal(strlen(st.text), sizeof st.text - 1);
}

static void test_body_lines_are_unstuffed(void **state)
{
    (void)state;
    const char *text;
    size_t len;
    assert_int_equal(pop3_body_line("Subject: hi", 11, &text, &len), POP3_BODY_LINE);
    assert_int_equal(len, 11);
    assert_int_equal(pop3_body_line("..a dot", 7, &text, &len), POP3_BODY_LINE);
    assert_int_equal(len, 6);
    assert_memory_equal(text, ".a dot", 6);
    assert_int_equal(pop3_body_line("..", 2, &text, &len), POP3_BODY_LINE);
    assert_int_equal(len, 1);
    assert_int_equal(text[0], '.');
    assert_int_equal(pop3_body_line("", 0, &text, &len), POP3_BODY_LINE);
    assert_int_equal(len, 0);
    assert_int_equal(pop3_body_line(".", 1, &text, &len), POP3_BODY_END);
    /* ". " is a stuffed line holding a space, not the end. */
    assert_int_equal(pop3_body_line(". ", 2, &text, &len), POP3_BODY_LINE);
    assert_int_equal(len, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_err),
        cmocka_unit_test(test_response_codes),
        cmocka_unit_test(test_not_pop3),
        cmocka_unit_test(test_body_lines_are_unstuffed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
