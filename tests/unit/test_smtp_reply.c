/*
 * test_smtp_reply.c - reply parsing (RFC 5321 §4.2, §4.2.1) and the EHLO
 * extension list, driven line by line with no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_client.h"

/* Feed lines to a fresh reply; return the step of the last one. */
static enum smtp_reply_step feed_all(struct smtp_reply *r, const char *const *lines,
                                     size_t count, char *why, size_t why_cap)
{
    enum smtp_reply_step step = SMTP_REPLY_MALFORMED;
    smtp_reply_clear(r);
    for (size_t i = 0; i < count; i++) {
        step = smtp_reply_feed(r, lines[i], strlen(lines[i]), why, why_cap);
        if (step != SMTP_REPLY_MORE)
            break;
    }
    return step;
}

static void one_line_reply(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    const char *lines[] = {"250 2.1.5 Recipient <bob@bob.example> OK"};
    assert_int_equal(feed_all(&r, lines, 1, why, sizeof why), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_string_equal(r.enhanced, "2.1.5");
    assert_int_equal(r.line_count, 1);
    assert_string_equal(r.text, "2.1.5 Recipient <bob@bob.example> OK");
}

static void multi_line_reply(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    /* The RFC's own example (§4.2.1), with a line that starts with digits. */
    const char *lines[] = {"250-First line", "250-Second line",
                           "250-234 Text beginning with numbers", "250 The last line"};
    smtp_reply_clear(&r);
    assert_int_equal(smtp_reply_feed(&r, lines[0], strlen(lines[0]), why, sizeof why),
                     SMTP_REPLY_MORE);
    assert_int_equal(smtp_reply_feed(&r, lines[1], strlen(lines[1]), why, sizeof why),
                     SMTP_REPLY_MORE);
    assert_int_equal(smtp_reply_feed(&r, lines[2], strlen(lines[2]), why, sizeof why),
                     SMTP_REPLY_MORE);
    assert_int_equal(smtp_reply_feed(&r, lines[3], strlen(lines[3]), why, sizeof why),
                     SMTP_REPLY_DONE);
    assert_int_equal(r.code, 250);
    assert_int_equal(r.line_count, 4);
    assert_string_equal(r.text, "First line\nSecond line\n234 Text beginning with "
                                "numbers\nThe last line");
    assert_string_equal(r.enhanced, "");
}

static void bare_code_is_accepted(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    /* §4.2: clients "SHOULD be prepared to process the code alone (with or
     * without a trailing space character)". */
    const char *bare[] = {"354"};
    assert_int_equal(feed_all(&r, bare, 1, why, sizeof why), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 354);
    assert_string_equal(r.text, "");
    const char *space[] = {"221 "};
    assert_int_equal(feed_all(&r, space, 1, why, sizeof why), SMTP_REPLY_DONE);
    assert_int_equal(r.code, 221);
    const char *multi[] = {"250-", "250"};
    assert_int_equal(feed_all(&r, multi, 2, why, sizeof why), SMTP_REPLY_DONE);
    assert_int_equal(r.line_count, 2);
}

static void malformed_replies_are_rejected(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    const char *bad[] = {
        "",            /* empty line */
        "25",          /* too short */
        "hello there", /* not a code */
        "HTTP/1.1 400 Bad Request",
        "650 nope", /* first digit must be 2-5 (§4.2 Reply-code) */
        "160 nope",
        "270 nope", /* second digit must be 0-5 */
        "2500 four digits",
        "250_underscore",
        "25x oops",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        const char *line[] = {bad[i]};
        assert_int_equal(feed_all(&r, line, 1, why, sizeof why), SMTP_REPLY_MALFORMED);
        assert_true(strlen(why) > 10); /* the user is told what was wrong */
    }
}

static void code_change_in_multi_line_is_malformed(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    /* §4.2.1: "the reply code on each of the lines MUST be the same". */
    const char *lines[] = {"250-bob.example", "251 other"};
    assert_int_equal(feed_all(&r, lines, 2, why, sizeof why), SMTP_REPLY_MALFORMED);
    assert_non_null(strstr(why, "250"));
    assert_non_null(strstr(why, "251"));
}

static void enhanced_code_must_match_class(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    const char *ok[] = {"550 5.1.1 No such user"};
    feed_all(&r, ok, 1, why, sizeof why);
    assert_string_equal(r.enhanced, "5.1.1");
    /* RFC 2034 §4: the class must equal the reply's first digit. */
    const char *mismatch[] = {"550 2.1.1 odd"};
    feed_all(&r, mismatch, 1, why, sizeof why);
    assert_string_equal(r.enhanced, "");
    const char *not_code[] = {"250 2.0 not a code"};
    feed_all(&r, not_code, 1, why, sizeof why);
    assert_string_equal(r.enhanced, "");
    const char *bare[] = {"421 4.3.2"};
    feed_all(&r, bare, 1, why, sizeof why);
    assert_string_equal(r.enhanced, "4.3.2");
}

static void memory_stays_bounded(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    char line[520];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    memcpy(line, "250-", 4);
    smtp_reply_clear(&r);
    /* 20 lines of 515 characters: far more than text[] holds. */
    for (int i = 0; i < 20; i++)
        assert_int_equal(smtp_reply_feed(&r, line, strlen(line), why, sizeof why),
                         SMTP_REPLY_MORE);
    assert_true(r.truncated);
    assert_true(strlen(r.text) < SMTP_REPLY_TEXT_MAX);
    assert_int_equal(r.line_count, 20);
    /* And a reply that never ends is cut off after SMTP_REPLY_MAX_LINES. */
    enum smtp_reply_step step = SMTP_REPLY_MORE;
    for (int i = 0; i < SMTP_REPLY_MAX_LINES + 5 && step == SMTP_REPLY_MORE; i++)
        step = smtp_reply_feed(&r, "250-more", 8, why, sizeof why);
    assert_int_equal(step, SMTP_REPLY_MALFORMED);
}

static void first_line_and_meaning(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200], first[100];
    const char *lines[] = {"452-4.5.3 Too many", "452 4.5.3 recipients"};
    feed_all(&r, lines, 2, why, sizeof why);
    smtp_reply_first_line(&r, first, sizeof first);
    assert_string_equal(first, "452 4.5.3 Too many");
    assert_non_null(strstr(smtp_reply_meaning(452), "transient"));
    assert_non_null(strstr(smtp_reply_meaning(554), "permanent"));
    assert_non_null(strstr(smtp_reply_meaning(354), "intermediate"));
    assert_non_null(strstr(smtp_reply_meaning(250), "completion"));
}

static void ehlo_extensions(void **state)
{
    (void)state;
    struct smtp_reply r;
    char why[200];
    const char *lines[] = {"250-bob.example Hello alice",
                           "250-SIZE 10485760",
                           "250-8bitmime",
                           "250-PIPELINING",
                           "250-XFOO bar",
                           "250-AUTH PLAIN LOGIN",
                           "250-ENHANCEDSTATUSCODES",
                           "250 STARTTLS"};
    assert_int_equal(feed_all(&r, lines, 8, why, sizeof why), SMTP_REPLY_DONE);
    struct smtp_extensions ext;
    smtp_parse_extensions(&r, &ext);
    assert_true(ext.esmtp);
    assert_true(ext.size);
    assert_int_equal(ext.size_limit, 10485760);
    assert_true(ext.eightbitmime); /* keywords are case-insensitive */
    assert_true(ext.pipelining);
    assert_true(ext.enhancedstatuscodes);
    assert_true(ext.starttls);
    assert_true(ext.auth);
    assert_string_equal(ext.auth_mechanisms, "PLAIN LOGIN");
    assert_false(ext.smtputf8);

    /* The greeting line is not an extension, even if it looks like one. */
    const char *greeting_only[] = {"250 PIPELINING"};
    feed_all(&r, greeting_only, 1, why, sizeof why);
    smtp_parse_extensions(&r, &ext);
    assert_true(ext.esmtp);
    assert_false(ext.pipelining);

    /* "SIZEX" is another keyword, not SIZE; a refusal offers nothing. */
    const char *sizex[] = {"250-x", "250 SIZEX 5"};
    feed_all(&r, sizex, 2, why, sizeof why);
    smtp_parse_extensions(&r, &ext);
    assert_false(ext.size);
    const char *refused[] = {"502 5.5.1 EHLO not implemented"};
    feed_all(&r, refused, 1, why, sizeof why);
    smtp_parse_extensions(&r, &ext);
    assert_false(ext.esmtp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_line_reply),
        cmocka_unit_test(multi_line_reply),
        cmocka_unit_test(bare_code_is_accepted),
        cmocka_unit_test(malformed_replies_are_rejected),
        cmocka_unit_test(code_change_in_multi_line_is_malformed),
        cmocka_unit_test(enhanced_code_must_match_class),
        cmocka_unit_test(memory_stays_bounded),
        cmocka_unit_test(first_line_and_meaning),
        cmocka_unit_test(ehlo_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
