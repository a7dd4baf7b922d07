/*
 * test_base64.c - base64 both ways (RFC 4648 §10 test vectors), and the
 * inputs a decoder must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base64.h"

/* RFC 4648 §10: BASE64("foobar") and its prefixes. */
static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        char out[32];
        unsigned char back[32];
        long n = base64_encode(plain[i], strlen(plain[i]), out, sizeof out);
        assert_int_equal(n, strlen(coded[i]));
        assert_string_equal(out, coded[i]);
        n = base64_decode(coded[i], strlen(coded[i]), back, sizeof back);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(back, plain[i], (size_t)n);
    }
}

/* AUTH PLAIN's NUL separators survive the trip (RFC 4616 §2). */
static void test_binary_with_nuls(void **state)
{
    (void)state;
    const char plain_auth[] = "\0alice\0secret";
    char out[64];
    unsigned char back[64];
    long n = base64_encode(plain_auth, sizeof plain_auth - 1, out, sizeof out);
    assert_string_equal(out, "AGFsaWNlAHNlY3JldA==");
    n = base64_decode(out, (size_t)n, back, sizeof back);
    assert_int_equal(n, sizeof plain_auth - 1);
    assert_memory_equal(back, plain_auth, sizeof plain_auth - 1);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    unsigned char back[16];
    const char *const bad[] = {"Zm9",  "Zm9v!", "Z===",    "Zg=a",
                               "=Zg=", "Zm 9v", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (base64_decode(bad[i], strlen(bad[i]), back, sizeof back) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
    /* Output that does not fit is an error, not an overflow. */
    assert_int_equal(base64_decode("Zm9vYmFy", 8, back, 5), -1);
    char small[4];
    assert_int_equal(base64_encode("foo", 3, small, sizeof small), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_binary_with_nuls),
        cmocka_unit_test(test_bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
