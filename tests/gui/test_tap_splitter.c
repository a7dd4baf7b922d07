/*
 * test_tap_splitter.c - the tap cuts streams into lines, then TLS records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tap_splitter.h"

static struct tap_splitter splitter;

static void push(const char *bytes, size_t len)
{
    assert_int_equal(tap_splitter_push(&splitter, bytes, len), len);
}

static void expect_unit(enum tap_unit_kind kind, const char *bytes, size_t len)
{
    struct tap_unit unit;
    assert_true(tap_splitter_next(&splitter, &unit));
    assert_int_equal(unit.kind, kind);
    assert_int_equal(unit.len, len);
    assert_memory_equal(unit.data, bytes, len);
}

static void lines_come_out_whole_however_they_arrive(void **state)
{
    (void)state;
    tap_splitter_init(&splitter);
    struct tap_unit unit;
    push("EHLO al", 7);
    assert_false(tap_splitter_next(&splitter, &unit)); /* not a line yet */
    push("ice.example\r\nMAIL FROM:<a@b>\r\nRC", 32);
    expect_unit(TAP_UNIT_LINE, "EHLO alice.example\r\n", 20);
    expect_unit(TAP_UNIT_LINE, "MAIL FROM:<a@b>\r\n", 17);
    assert_false(tap_splitter_next(&splitter, &unit));
    push("PT TO:<c@d>\r\n", 13);
    expect_unit(TAP_UNIT_LINE, "RCPT TO:<c@d>\r\n", 15);
    assert_false(tap_splitter_next(&splitter, &unit));
    assert_false(splitter.tls);
}

static void a_line_too_long_to_hold_comes_out_in_pieces(void **state)
{
    (void)state;
    static char big[TAP_UNIT_MAX + 100];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    tap_splitter_init(&splitter);
    size_t taken = tap_splitter_push(&splitter, big, sizeof big);
    assert_int_equal(taken, TAP_UNIT_MAX); /* the rest must wait */
    struct tap_unit unit;
    assert_true(tap_splitter_next(&splitter, &unit));
    assert_int_equal(unit.kind, TAP_UNIT_LINE_PIECE);
    assert_int_equal(unit.len, TAP_UNIT_MAX);
    push(big + taken, sizeof big - taken);
    expect_unit(TAP_UNIT_LINE, big + taken, sizeof big - taken);
}

static void after_starttls_the_stream_is_cut_into_tls_records(void **state)
{
    (void)state;
    tap_splitter_init(&splitter);
    push("220 2.0.0 Ready to start TLS\r\n", 30);
    expect_unit(TAP_UNIT_LINE, "220 2.0.0 Ready to start TLS\r\n", 30);

    /* A handshake record of 6 bytes, then application data of 3 bytes,
     * which happens to contain "\n": it must not end a "line". */
    const char records[] = "\x16\x03\x01\x00\x06"
                           "abcdef"
                           "\x17\x03\x03\x00\x03"
                           "x\ny";
    push(records, 5);
    struct tap_unit unit;
    assert_false(tap_splitter_next(&splitter, &unit)); /* header only */
    assert_true(splitter.tls);
    push(records + 5, sizeof records - 1 - 5);
    assert_true(tap_splitter_next(&splitter, &unit));
    assert_int_equal(unit.kind, TAP_UNIT_TLS_RECORD);
    assert_int_equal(unit.tls_type, TAP_TLS_HANDSHAKE);
    assert_int_equal(unit.len, 11);
    assert_true(tap_splitter_next(&splitter, &unit));
    assert_int_equal(unit.kind, TAP_UNIT_TLS_RECORD);
    assert_int_equal(unit.tls_type, TAP_TLS_APPLICATION_DATA);
    assert_int_equal(unit.len, 8);
    assert_memory_equal(unit.data + 5, "x\ny", 3);
    assert_string_equal(tap_tls_type_name(unit.tls_type), "application data");
}

static void plain_text_is_not_mistaken_for_tls(void **state)
{
    (void)state;
    assert_false(tap_looks_like_tls((const unsigned char *)"EHLO x\r\n", 8));
    assert_false(tap_looks_like_tls((const unsigned char *)"\x16\x02\x01", 3));
    assert_true(tap_looks_like_tls((const unsigned char *)"\x16\x03\x03", 3));
}

static void what_is_left_at_close_is_flushed(void **state)
{
    (void)state;
    tap_splitter_init(&splitter);
    push("QUIT", 4); /* no line ending: the peer closed mid-line */
    struct tap_unit unit;
    assert_false(tap_splitter_next(&splitter, &unit));
    assert_true(tap_splitter_flush(&splitter, &unit));
    assert_int_equal(unit.kind, TAP_UNIT_LINE_PIECE);
    assert_int_equal(unit.len, 4);
    assert_false(tap_splitter_flush(&splitter, &unit));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_come_out_whole_however_they_arrive),
        cmocka_unit_test(a_line_too_long_to_hold_comes_out_in_pieces),
        cmocka_unit_test(after_starttls_the_stream_is_cut_into_tls_records),
        cmocka_unit_test(plain_text_is_not_mistaken_for_tls),
        cmocka_unit_test(what_is_left_at_close_is_flushed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
