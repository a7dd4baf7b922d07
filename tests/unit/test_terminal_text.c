/*
 * test_terminal_text.c - what may reach a terminal (common/terminal_text.c):
 * C0, C1 and bidi controls come out as visible escapes, UTF-8 text as is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "terminal_text.h"

/* Escape a NUL-terminated string into a static buffer. */
static const char *escaped(const char *text, bool keep_newlines)
{
    static char out[512];
    terminal_escape(text, strlen(text), keep_newlines, out, sizeof out);
    return out;
}

static void test_plain_text_and_utf8_pass(void **state)
{
    (void)state;
    assert_string_equal(escaped("250 OK\tfine", false), "250 OK\tfine");
    /* German, Greek, an emoji: readable, untouched. */
    assert_string_equal(escaped("Gr\xc3\xbc\xc3\x9f"
                                "e \xce\xb1 \xf0\x9f\x93\xa7",
                                false),
                        "Gr\xc3\xbc\xc3\x9f"
                        "e \xce\xb1 \xf0\x9f\x93\xa7");
    /* U+00A0 (no-break space) is the first character after the C1 block. */
    assert_string_equal(escaped("a\xc2\xa0"
                                "b",
                                false),
                        "a\xc2\xa0"
                        "b");
}

static void test_c0_controls_and_del(void **state)
{
    (void)state;
    assert_string_equal(escaped("\x1b[31mred", false), "\\x1b[31mred");
    assert_string_equal(escaped("title\x1b]0;x\x07", false), "title\\x1b]0;x\\x07");
    assert_string_equal(escaped("a\rb\x7f", false), "a\\x0db\\x7f");
    assert_string_equal(escaped("one\ntwo", false), "one\\x0atwo");
    assert_string_equal(escaped("one\ntwo", true), "one\ntwo");
    /* A NUL inside the text (len counts it) is shown, not an end. */
    char out[32];
    terminal_escape("a\0b", 3, false, out, sizeof out);
    assert_string_equal(out, "a\\x00b");
}

static void test_c1_controls_raw_and_utf8(void **state)
{
    (void)state;
    /* 0x9B alone is not UTF-8, and is CSI to an 8-bit terminal. */
    assert_string_equal(escaped("x\x9b"
                                "2J",
                                false),
                        "x\\x9b2J");
    /* The same as UTF-8 (U+009B), and NEL (U+0085). */
    assert_string_equal(escaped("x\xc2\x9b"
                                "2J",
                                false),
                        "x\\u009b2J");
    assert_string_equal(escaped("\xc2\x80|\xc2\x85|\xc2\x9f", false),
                        "\\u0080|\\u0085|\\u009f");
    /* Invalid UTF-8 in general: byte by byte. */
    assert_string_equal(escaped("\xff\xc3", false), "\\xff\\xc3");
}

static void test_bidi_controls(void **state)
{
    (void)state;
    /* U+202E RIGHT-TO-LEFT OVERRIDE ... U+202C POP DIRECTIONAL FORMATTING */
    assert_string_equal(escaped("\xe2\x80\xae"
                                "evil\xe2\x80\xac",
                                false),
                        "\\u202eevil\\u202c");
    assert_string_equal(escaped("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xad", false),
                        "\\u202a\\u202b\\u202d");
    /* U+2066..U+2069, the isolates. */
    assert_string_equal(escaped("\xe2\x81\xa6"
                                "a\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
                                false),
                        "\\u2066a\\u2067\\u2068\\u2069");
    /* Neighbours that are harmless stay: U+2029 and U+206A. */
    assert_string_equal(escaped("\xe2\x80\xa9|\xe2\x81\xaa", false),
                        "\xe2\x80\xa9|\xe2\x81\xaa");
}

static void test_small_buffer_never_cuts_an_escape(void **state)
{
    (void)state;
    char out[8];
    size_t n = terminal_escape("ab\x1b"
                               "cdef",
                               7, false, out, sizeof out);
    /* "ab\x1b" is 6 bytes, "c" 7: the NUL takes the 8th. */
    assert_int_equal(n, 7);
    assert_string_equal(out, "ab\\x1bc");
    n = terminal_escape("abcde\x1b"
                        "f",
                        7, false, out, sizeof out);
    assert_string_equal(out, "abcde"); /* "\x1b" would not fit whole, */
    assert_int_equal(n, 5);            /* and the text stops there */
    char one[1];
    assert_int_equal(terminal_escape("abc", 3, false, one, sizeof one), 0);
    assert_string_equal(one, "");
}

static void test_write_in_pieces_keeps_utf8_whole(void **state)
{
    (void)state;
    /* 1000 "ü" (2 bytes each): pieces of 256 bytes must not cut one. */
    size_t len = 2000 + 3;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < 2000; i += 2)
        memcpy(text + i, "\xc3\xbc", 2);
    memcpy(text + 2000,
           "\x1b"
           "\n"
           "x",
           3);
    char *got = NULL;
    size_t got_len = 0;
    FILE *f = open_memstream(&got, &got_len);
    assert_non_null(f);
    terminal_write(f, text, len, true);
    fclose(f);
    assert_int_equal(got_len, 2000 + 4 + 1 + 1);
    assert_memory_equal(got, text, 2000);
    assert_memory_equal(got + 2000, "\\x1b\nx", 6);
    free(got);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_and_utf8_pass),
        cmocka_unit_test(test_c0_controls_and_del),
        cmocka_unit_test(test_c1_controls_raw_and_utf8),
        cmocka_unit_test(test_bidi_controls),
        cmocka_unit_test(test_small_buffer_never_cuts_an_escape),
        cmocka_unit_test(test_write_in_pieces_keeps_utf8_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
