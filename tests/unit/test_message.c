/*
 * test_message.c - building the RFC 5322 message: header fields, the MIME
 * body and its transfer encoding (RFC 2045), quoted-printable (§6.7) and
 * RFC 2047 encoded words for a non-ASCII Subject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "message.h"

static const char *const bob[] = {"bob@bob.example"};

/* A spec with fixed date and id, so results can be compared exactly. */
static struct message_spec spec_for(const char *subject, const char *body)
{
    struct message_spec s = {
        .from = "alice@alice.example",
        .to = bob,
        .to_count = 1,
        .subject = subject,
        .body = body,
        .body_len = strlen(body),
        .date = 0,
        .message_id = "<1.2.3@alice.example>",
        .allow_8bit = false,
        .allow_utf8_headers = false,
    };
    return s;
}

/* The body: everything after the first empty line. */
static const char *body_of(const struct message *m)
{
    const char *p = strstr(m->data, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static void plain_ascii_message(void **state)
{
    (void)state;
    struct message_spec s = spec_for("Hello Bob", "Hi Bob,\n.\nAlice\n");
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    assert_string_equal(m.data, "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"
                                "From: alice@alice.example\r\n"
                                "To: bob@bob.example\r\n"
                                "Subject: Hello Bob\r\n"
                                "Message-ID: <1.2.3@alice.example>\r\n"
                                "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=us-ascii\r\n"
                                "Content-Transfer-Encoding: 7bit\r\n"
                                "\r\n"
                                "Hi Bob,\r\n"
                                ".\r\n" /* stuffing is SMTP's job, not the message's */
                                "Alice\r\n");
    assert_string_equal(m.transfer_encoding, "7bit");
    assert_false(m.eight_bit);
    assert_int_equal(m.len, strlen(m.data));
    message_free(&m);
}

static void eight_bit_text_with_8bitmime(void **state)
{
    (void)state;
    struct message_spec s = spec_for("x", "Caf\xc3\xa9 cr\xc3\xa8me\n");
    s.allow_8bit = true;
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    assert_string_equal(m.transfer_encoding, "8bit");
    assert_true(m.eight_bit);
    assert_non_null(strstr(m.data, "charset=utf-8\r\n"));
    assert_string_equal(body_of(&m), "Caf\xc3\xa9 cr\xc3\xa8me\r\n");
    message_free(&m);
}

static void eight_bit_text_without_8bitmime_is_qp(void **state)
{
    (void)state;
    struct message_spec s = spec_for("x", "Caf\xc3\xa9 = ok\n");
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    assert_string_equal(m.transfer_encoding, "quoted-printable");
    assert_false(m.eight_bit);
    assert_non_null(strstr(m.data, "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_string_equal(body_of(&m), "Caf=C3=A9 =3D ok\r\n");
    /* Nothing above 127 left anywhere in the message. */
    for (size_t i = 0; i < m.len; i++)
        assert_true((unsigned char)m.data[i] < 128);
    message_free(&m);
}

static void qp_rules(void **state)
{
    (void)state;
    char out[1000];
    size_t n;
    /* Rule (3): blanks at the end of a line are encoded. */
    n = message_qp_encode("end \nend\t\nmid dle\n", 18, out, sizeof out);
    out[n] = '\0';
    assert_string_equal(out, "end=20\r\nend=09\r\nmid dle\r\n");
    /* Rule (1): control characters and "=" are encoded. */
    n = message_qp_encode("a=b\x01", 4, out, sizeof out);
    out[n] = '\0';
    assert_string_equal(out, "a=3Db=01\r\n");

    /* Rule (5): long lines get soft breaks, no encoded line over 76. */
    char longline[301];
    memset(longline, 'q', 300);
    longline[150] = '\xc3'; /* an encoded octet near a break */
    longline[300] = '\0';
    n = message_qp_encode(longline, 300, out, sizeof out);
    out[n] = '\0';
    size_t soft = 0;
    for (char *line = out; *line;) {
        char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 76);
        if (end > line && end[-1] == '=')
            soft++;
        line = end + 2;
    }
    assert_true(soft >= 3);
    /* Measuring and writing agree. */
    assert_int_equal(message_qp_encode(longline, 300, NULL, 0), n);
}

static void long_ascii_lines_are_encoded(void **state)
{
    (void)state;
    char body[1201];
    memset(body, 'z', 1200);
    body[1200] = '\0';
    struct message_spec s = spec_for(NULL, body);
    s.allow_8bit = true;
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    /* RFC 5322 §2.1.1: no line over 998; QP is the way to keep it. */
    assert_string_equal(m.transfer_encoding, "quoted-printable");
    assert_null(strstr(m.data, "Subject:"));
    message_free(&m);
}

static void non_ascii_subject_uses_encoded_words(void **state)
{
    (void)state;
    const char *subject = "Gr\xc3\xbc\xc3\x9f"
                          "e aus K\xc3\xb6ln, mit einem sehr "
                          "langen Betreff, der gefaltet werden muss";
    struct message_spec s = spec_for(subject, "x\n");
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    const char *field = strstr(m.data, "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4");
    assert_non_null(field);
    /* Every header line is ASCII and within 78 characters. */
    const char *end_of_header = strstr(m.data, "\r\n\r\n");
    for (const char *line = m.data; line < end_of_header;) {
        const char *end = strstr(line, "\r\n");
        assert_true(end - line <= 78);
        for (const char *c = line; c < end; c++)
            assert_true((unsigned char)*c < 128);
        line = end + 2;
    }
    /* Folded into several encoded words on continuation lines. */
    assert_non_null(strstr(field, "?=\r\n =?UTF-8?B?"));
    message_free(&m);
}

static void refusals(void **state)
{
    (void)state;
    struct message m;
    char why[200];
    /* Header injection: a line break in the subject. */
    struct message_spec s = spec_for("hi\r\nBcc: everyone@example.com", "x");
    assert_int_equal(message_build(&s, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "line break"));
    /* Bytes that are not UTF-8 (Latin-1 "é"). */
    s = spec_for("ok", "caf\xe9\n");
    assert_int_equal(message_build(&s, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "UTF-8"));
    /* An overlong encoding is not valid UTF-8 either. */
    assert_false(message_is_utf8("\xc0\xaf", 2));
    assert_false(message_is_utf8("\xe2\x82", 2)); /* cut short */
    assert_true(message_is_utf8("\xe2\x82\xac", 3));
    /* A non-ASCII address needs SMTPUTF8. */
    static const char *const utf8_to[] = {"j\xc3\xb6rg@bob.example"};
    s = spec_for("ok", "x");
    s.to = utf8_to;
    assert_int_equal(message_build(&s, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "SMTPUTF8"));
    s.allow_utf8_headers = true;
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    assert_true(m.utf8_headers);
    message_free(&m);
}

static void many_recipients_are_folded(void **state)
{
    (void)state;
    static const char *const to[] = {"bob@bob.example",   "carol@bob.example",
                                     "dave@bob.example",  "erin@bob.example",
                                     "frank@bob.example", "grace@bob.example"};
    struct message_spec s = spec_for("x", "x");
    s.to = to;
    s.to_count = 6;
    struct message m;
    char why[200];
    assert_int_equal(message_build(&s, &m, why, sizeof why), 0);
    assert_non_null(strstr(m.data, "To: bob@bob.example, carol@bob.example, "
                                   "dave@bob.example, erin@bob.example,\r\n "
                                   "frank@bob.example, grace@bob.example\r\n"));
    message_free(&m);
}

static void ids_and_dates(void **state)
{
    (void)state;
    char id[200], id2[200], date[64];
    message_make_id(id, sizeof id, "alice@alice.example", 1700000000);
    message_make_id(id2, sizeof id2, "alice@alice.example", 1700000000);
    assert_int_equal(id[0], '<');
    assert_non_null(strstr(id, "@alice.example>"));
    assert_string_not_equal(id, id2); /* random part differs */
    message_format_date(date, sizeof date, 1795426900);
    assert_string_equal(date, "Mon, 23 Nov 2026 09:41:40 +0000");
}

int main(void)
{
    /* Dates in UTC, so the expected text does not depend on the machine. */
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_ascii_message),
        cmocka_unit_test(eight_bit_text_with_8bitmime),
        cmocka_unit_test(eight_bit_text_without_8bitmime_is_qp),
        cmocka_unit_test(qp_rules),
        cmocka_unit_test(long_ascii_lines_are_encoded),
        cmocka_unit_test(non_ascii_subject_uses_encoded_words),
        cmocka_unit_test(refusals),
        cmocka_unit_test(many_recipients_are_folded),
        cmocka_unit_test(ids_and_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
