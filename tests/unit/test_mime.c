/*
 * test_mime.c - mailwalk-read's decoding: header fields, quoted-printable,
 * base64, RFC 2047 encoded words, charsets and multipart bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"

/* Decode a whole message's text and compare. */
static void check_body(const char *message, const char *expected)
{
    struct text_buffer t = {0};
    mime_body_text(message, strlen(message), &t);
    assert_false(t.failed);
    assert_string_equal(t.data, expected);
    text_buffer_free(&t);
}

static void header_fields_unfold(void **state)
{
    (void)state;
    const char *m = "Received: from a\n\tby b\nsubject:  Hello\n  folded world \n"
                    "\nSubject: in the body\n";
    char v[100];
    assert_true(mime_header(m, strlen(m), "Subject", v, sizeof v));
    assert_string_equal(v, "Hello  folded world");
    assert_true(mime_header(m, strlen(m), "received", v, sizeof v));
    assert_string_equal(v, "from a\tby b");
    assert_false(mime_header(m, strlen(m), "From", v, sizeof v));
}

static void encoded_words(void **state)
{
    (void)state;
    struct text_buffer t = {0};
    /* B and Q encodings, two charsets; blanks between words vanish. */
    mime_decode_header("=?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?aus_K=F6ln?= ok", &t);
    assert_string_equal(t.data, "Gr\xc3\xbc\xc3\x9f"
                                "eaus K\xc3\xb6ln ok");
    text_buffer_free(&t);
    /* Not an encoded word: left as it is. */
    mime_decode_header("price =?? 5", &t);
    assert_string_equal(t.data, "price =?? 5");
    text_buffer_free(&t);
}

static void quoted_printable_and_base64(void **state)
{
    (void)state;
    struct text_buffer t = {0};
    const char *qp = "Caf=C3=A9 soft=\nbreak =3D end  \nline2";
    mime_decode_qp(qp, strlen(qp), &t);
    assert_string_equal(t.data, "Caf\xc3\xa9 softbreak = end\nline2");
    text_buffer_free(&t);
    const char *b64 = "SGVsbG8s\r\nIEJvYiE=\r\n";
    mime_decode_base64(b64, strlen(b64), &t);
    assert_string_equal(t.data, "Hello, Bob!");
    text_buffer_free(&t);
}

static void charsets_become_utf8(void **state)
{
    (void)state;
    check_body("Content-Type: text/plain; charset=\"iso-8859-1\"\n"
               "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n",
               "caf\xc3\xa9\n");
    check_body("Content-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: base64\n\nw7xiZXIK\n",
               "\xc3\xbc"
               "ber\n");
    /* A byte that is not UTF-8 becomes U+FFFD instead of garbling the rest. */
    check_body("Content-Type: text/plain; charset=utf-8\n\na\xffz\n",
               "a\xef\xbf\xbdz\n");
    /* No Content-Type at all: plain text (RFC 2045 §5.2). */
    check_body("Subject: x\n\njust text\n", "just text\n");
}

static void multipart_bodies(void **state)
{
    (void)state;
    check_body("Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
               "preamble\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"
               "plain version\n--b1\nContent-Type: text/html\n\n<p>html</p>\n"
               "--b1--\nepilogue\n",
               "plain version");
    check_body(
        "Content-Type: multipart/mixed; boundary=XY\n\n--XY\n\nhello\n"
        "--XY\nContent-Type: application/pdf; name=\"cv.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--XY--\n",
        "hello\n[application/pdf part \"cv.pdf\", 8 octets encoded: not shown]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_fields_unfold),
        cmocka_unit_test(encoded_words),
        cmocka_unit_test(quoted_printable_and_base64),
        cmocka_unit_test(charsets_become_utf8),
        cmocka_unit_test(multipart_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
