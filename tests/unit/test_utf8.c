/*
 * test_utf8.c - well-formed UTF-8 by RFC 3629 §4, and the look-alikes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static void test_good_text(void **state)
{
    (void)state;
    const char *const good[] = {"",
                                "plain ASCII",
                                "zo\xc3\xab",
                                "\xe2\x82\xac 5",
                                "\xf0\x9f\x93\xa7 mail",
                                "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(utf8_is_valid(good[i], strlen(good[i])));
    assert_int_equal(utf8_char_length((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(utf8_char_length((const unsigned char *)"A", 1), 1);
}

static void test_look_alikes_are_refused(void **state)
{
    (void)state;
    const char *const bad[] = {
        "\x80",             /* a continuation byte alone */
        "\xc3",             /* cut off */
        "\xc0\xaf",         /* overlong "/" */
        "\xe0\x80\x80",     /* overlong NUL */
        "\xed\xa0\x80",     /* a UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* beyond U+10FFFF */
        "\xff",             /* never in UTF-8 */
        "ok\xe2\x82",       /* good, then cut off */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (utf8_is_valid(bad[i], strlen(bad[i])))
            fail_msg("case %zu was accepted", i);
    /* The length limit is respected: no reading past n. */
    assert_int_equal(utf8_char_length((const unsigned char *)"\xe2\x82\xac", 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_text),
        cmocka_unit_test(test_look_alikes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
