/*
 * test_smtp_auth.c - the parts of AUTH that need no server: PLAIN's
 * response (RFC 4616 §2, with §4's example), the AUTH list from EHLO, and
 * the rule that no AUTH leaves over a plaintext connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp_client.h"

/* RFC 4616 §4's first example: user "tim", password "tanstaaftanstaaf",
 * no authorization identity: "<NUL>tim<NUL>tanstaaftanstaaf". */
static void plain_response_matches_rfc_example(void **state)
{
    (void)state;
    char out[128];
    long n = smtp_auth_plain_response("tim", "tanstaaftanstaaf", out, sizeof out);
    assert_int_equal(n, 28);
    assert_string_equal(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

/* Empty fields, line breaks and over-long fields are refused; so is a
 * buffer too small for the answer. */
static void plain_response_refuses_bad_fields(void **state)
{
    (void)state;
    char out[1024];
    char long_field[SMTP_AUTH_FIELD_MAX + 2];
    memset(long_field, 'x', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    assert_int_equal(smtp_auth_plain_response("", "secret", out, sizeof out), -1);
    assert_int_equal(smtp_auth_plain_response("alice", "", out, sizeof out), -1);
    assert_int_equal(smtp_auth_plain_response("alice", "se\r\ncret", out, sizeof out),
                     -1);
    assert_int_equal(smtp_auth_plain_response(long_field, "secret", out, sizeof out),
                     -1);
    assert_int_equal(smtp_auth_plain_response("alice", "secret", out, 8), -1);
    /* The longest allowed fields fit in the buffers the library uses. */
    long_field[SMTP_AUTH_FIELD_MAX] = '\0';
    assert_int_equal(smtp_auth_plain_response(long_field, long_field, out, sizeof out),
                     684);
}

/* The EHLO AUTH list is matched word by word, in any case. */
static void auth_offers_reads_the_list(void **state)
{
    (void)state;
    struct smtp_extensions ext;
    memset(&ext, 0, sizeof ext);
    assert_false(smtp_auth_offers(&ext, "PLAIN"));
    ext.auth = true;
    strcpy(ext.auth_mechanisms, "LOGIN CRAM-MD5 PLAIN");
    assert_true(smtp_auth_offers(&ext, "PLAIN"));
    assert_true(smtp_auth_offers(&ext, "login"));
    assert_false(smtp_auth_offers(&ext, "CRAM"));
    assert_false(smtp_auth_offers(&ext, "XOAUTH2"));
}

/* What the transcript callback saw. */
static size_t transcript_lines;
static void count_lines(void *user, enum smtp_direction direction, const char *line,
                        size_t len)
{
    (void)user, (void)direction, (void)line, (void)len;
    transcript_lines++;
}

/* Over a plaintext connection both mechanisms refuse, and not one byte
 * reaches the peer: base64 is not encryption. */
static void auth_refused_without_tls(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct smtp_client c;
    smtp_client_init(&c, count_lines, NULL);
    wire_init(&c.wire, fds[0], 1000);
    c.connected = true;
    transcript_lines = 0;

    struct smtp_reply reply;
    assert_int_equal(smtp_auth_plain(&c, "alice", "secret", &reply), -1);
    assert_non_null(strstr(c.error, "plaintext"));
    assert_int_equal(smtp_auth_login(&c, "alice", "secret", &reply), -1);
    assert_non_null(strstr(c.error, "base64 is not encryption"));
    assert_false(smtp_tls_active(&c));

    char buf[16];
    assert_int_equal(recv(fds[1], buf, sizeof buf, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(transcript_lines, 0);
    smtp_close(&c);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_response_matches_rfc_example),
        cmocka_unit_test(plain_response_refuses_bad_fields),
        cmocka_unit_test(auth_offers_reads_the_list),
        cmocka_unit_test(auth_refused_without_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
