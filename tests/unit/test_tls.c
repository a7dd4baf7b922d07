/*
 * test_tls.c - the classroom certificate: made once, loadable by OpenSSL,
 * named for the host, with a stable fingerprint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls.h"

static void test_self_signed_certificate(void **state)
{
    (void)state;
    char dir[] = "/tmp/mailwalk-tls-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cert[300], key[300], why[512], first[128], second[128];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);

    assert_int_equal(
        tls_ensure_self_signed(cert, key, "mx.bob.example", why, sizeof why), 0);
    assert_int_equal(tls_fingerprint(cert, first, sizeof first), 0);
    assert_int_equal(strlen(first), 32 * 3 - 1); /* "AB:CD:..." of SHA-256 */

    /* A second start keeps the certificate: the fingerprint is stable. */
    assert_int_equal(
        tls_ensure_self_signed(cert, key, "mx.bob.example", why, sizeof why), 0);
    assert_int_equal(tls_fingerprint(cert, second, sizeof second), 0);
    assert_string_equal(first, second);

    /* OpenSSL takes the pair, and the name checks out (RFC 6125). */
    SSL_CTX *ctx = tls_server_context(cert, key, why, sizeof why);
    assert_non_null(ctx);
    SSL_CTX_free(ctx);
    FILE *f = fopen(cert, "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_int_equal(X509_check_host(x, "mx.bob.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "evil.example", 0, 0, NULL), 0);
    /* ...and so do the loopback names a classroom connects with. */
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "10.0.0.1", 0), 0);
    X509_free(x);
    /* The same check, as mailwalk-server asks it at start-up. */
    assert_int_equal(tls_certificate_names(cert, "mx.bob.example"), 1);
    assert_int_equal(tls_certificate_names(cert, "MX.Bob.Example"), 1);
    assert_int_equal(tls_certificate_names(cert, "mx.alice.example"), 0);
    assert_int_equal(tls_certificate_names("/nonexistent/cert.pem", "x"), -1);

    /* The key is for the owner's eyes only. */
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A key that is not the certificate's is refused with a reason. */
    char other_cert[300], other_key[300];
    snprintf(other_cert, sizeof other_cert, "%s/other-cert.pem", dir);
    snprintf(other_key, sizeof other_key, "%s/other-key.pem", dir);
    assert_int_equal(
        tls_ensure_self_signed(other_cert, other_key, "x", why, sizeof why), 0);
    assert_null(tls_server_context(cert, other_key, why, sizeof why));
    assert_true(strlen(why) > 0);

    unlink(cert), unlink(key), unlink(other_cert), unlink(other_key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_signed_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
