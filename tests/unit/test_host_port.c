/*
 * test_host_port.c - "HOST:PORT" as --listen and --server take it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host_port.h"

static void test_good_forms(void **state)
{
    (void)state;
    char host[64], port[8];
    assert_true(
        host_port_split("127.0.0.1:2525", host, sizeof host, port, sizeof port));
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(port, "2525");
    assert_true(host_port_split("[::1]:25", host, sizeof host, port, sizeof port));
    assert_string_equal(host, "::1");
    assert_string_equal(port, "25");
    assert_true(
        host_port_split("mx.bob.example:0", host, sizeof host, port, sizeof port));
    assert_string_equal(host, "mx.bob.example");
}

static void test_bad_forms(void **state)
{
    (void)state;
    char host[16], port[8];
    const char *const bad[] = {"127.0.0.1",
                               ":25",
                               "host:",
                               "host:smtp",
                               "[::1]25",
                               "[::1:25",
                               "a-very-long-host-name.example:25",
                               "host:123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (host_port_split(bad[i], host, sizeof host, port, sizeof port))
            fail_msg("\"%s\" was accepted", bad[i]);
}

/* A port is 16 bits: a bigger number is an error, not its low 16 bits
 * (getaddrinfo() would turn 99999 into 34463 and 100561 into 35025). */
static void test_port_range(void **state)
{
    (void)state;
    char host[64], port[16];
    assert_true(
        host_port_split("127.0.0.1:65535", host, sizeof host, port, sizeof port));
    assert_string_equal(port, "65535");
    assert_null(host_port_problem("127.0.0.1:0"));
    const char *const too_big[] = {"127.0.0.1:65536", "127.0.0.1:99999",
                                   "127.0.0.1:100561", "[::1]:4294967297"};
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        if (host_port_split(too_big[i], host, sizeof host, port, sizeof port))
            fail_msg("\"%s\" was accepted", too_big[i]);
        assert_string_equal(host_port_problem(too_big[i]),
                            "the port must be a number from 0 to 65535");
    }
    assert_string_equal(host_port_problem("127.0.0.1:smtp"),
                        "the port must be a number from 0 to 65535");
    assert_string_equal(host_port_problem("127.0.0.1"), HOST_PORT_EXPECTED);
    assert_string_equal(host_port_problem("127.0.0.1:"), HOST_PORT_EXPECTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_forms),
        cmocka_unit_test(test_bad_forms),
        cmocka_unit_test(test_port_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
