/*
 * test_networks.c - CIDR networks for --trusted (RFC 4632 §3.1).
 *
 * "Who may relay without logging in" must be exact: one bit too generous
 * and the server is an open relay for a whole range of strangers; one bit
 * too strict and the office cannot send. The tests parse networks, then
 * ask about addresses just inside and just outside each one, including
 * an IPv4 client seen through an IPv6 socket (::ffff:127.0.0.1,
 * RFC 4291 §2.5.5.2), and feed the parser what a typo would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "networks.h"

/* Parse text, expecting success. */
static struct network parse_ok(const char *text)
{
    struct network net;
    if (network_parse(text, &net) != 0)
        fail_msg("network_parse(\"%s\") failed", text);
    return net;
}

/* Is address inside the network written as text? */
static bool inside(const char *text, const char *address)
{
    struct network net = parse_ok(text);
    return network_contains(&net, address);
}

static void test_parse_fields(void **state)
{
    (void)state;
    struct network net = parse_ok("127.0.0.0/8");
    assert_int_equal(net.family, AF_INET);
    assert_int_equal(net.prefix_bits, 8);
    assert_int_equal(net.bytes[0], 127);

    net = parse_ok("192.168.1.7"); /* a lone address: all its bits */
    assert_int_equal(net.family, AF_INET);
    assert_int_equal(net.prefix_bits, 32);

    net = parse_ok("::1");
    assert_int_equal(net.family, AF_INET6);
    assert_int_equal(net.prefix_bits, 128);
    assert_int_equal(net.bytes[15], 1);

    net = parse_ok("2001:db8::/32");
    assert_int_equal(net.family, AF_INET6);
    assert_int_equal(net.prefix_bits, 32);

    net = parse_ok("0.0.0.0/0");
    assert_int_equal(net.prefix_bits, 0);

    /* A v4-mapped network is an IPv4 one; its prefix counted the 96 bits
     * of ::ffff: too. */
    net = parse_ok("::ffff:10.0.0.0/104");
    assert_int_equal(net.family, AF_INET);
    assert_int_equal(net.bytes[0], 10);
    assert_int_equal(net.prefix_bits, 8);
    net = parse_ok("::ffff:10.1.2.3");
    assert_int_equal(net.family, AF_INET);
    assert_int_equal(net.prefix_bits, 32);
    net = parse_ok("::ffff:10.1.2.3/128");
    assert_int_equal(net.prefix_bits, 32);
    net = parse_ok("::ffff:0.0.0.0/96");
    assert_int_equal(net.prefix_bits, 0);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    struct network net;
    static const char *const bad[] = {
        "",
        "/8",
        "127.0.0.0/",
        "127.0.0.0/33",
        "127.0.0.0/-1",
        "127.0.0.0/+8",
        "127.0.0.0/ 8",
        "127.0.0.0/8x",
        "127.0.0.0/8/8",
        "::1/129",
        "::ffff:10.0.0.0/8", /* 0::/8 in IPv6 terms: not an IPv4 network */
        "::ffff:10.0.0.0/95",
        "::ffff:10.0.0.0/129",
        "127.0.0",
        "127.0.0.256",
        "localhost",
        "127.0.0.1 ",
        " 127.0.0.1",
        "10.0.0.0/99999999999999999999",
        "1234567890123456789012345678901234567890123456789012345678901234567890/8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (network_parse(bad[i], &net) != -1)
            fail_msg("network_parse(\"%s\") should fail", bad[i]);
    }
}

static void test_contains_ipv4(void **state)
{
    (void)state;
    assert_true(inside("127.0.0.0/8", "127.0.0.1"));
    assert_true(inside("127.0.0.0/8", "127.255.255.255"));
    assert_false(inside("127.0.0.0/8", "128.0.0.1"));
    assert_false(inside("127.0.0.0/8", "126.255.255.255"));

    /* A prefix that is not a whole number of bytes: 10.0.0.0/12 is
     * 10.0.0.0 - 10.15.255.255. */
    assert_true(inside("10.0.0.0/12", "10.0.0.0"));
    assert_true(inside("10.0.0.0/12", "10.15.255.255"));
    assert_false(inside("10.0.0.0/12", "10.16.0.0"));
    assert_true(inside("192.168.1.128/25", "192.168.1.255"));
    assert_false(inside("192.168.1.128/25", "192.168.1.127"));

    /* /32: exactly one address. */
    assert_true(inside("192.168.1.7/32", "192.168.1.7"));
    assert_false(inside("192.168.1.7/32", "192.168.1.6"));
    assert_false(inside("192.168.1.7/32", "192.168.1.8"));
    assert_true(inside("192.168.1.7", "192.168.1.7"));
    assert_false(inside("192.168.1.7", "192.168.1.70"));

    /* /0: everyone (an open relay: never in real life). */
    assert_true(inside("0.0.0.0/0", "1.2.3.4"));
    assert_true(inside("0.0.0.0/0", "255.255.255.255"));
    assert_false(inside("0.0.0.0/0", "::1")); /* but only IPv4 */
}

static void test_contains_ipv6(void **state)
{
    (void)state;
    assert_true(inside("::1/128", "::1"));
    assert_false(inside("::1/128", "::2"));
    assert_true(inside("::1", "::1"));
    assert_true(inside("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(inside("2001:db8::/32", "2001:db9::1"));
    assert_true(inside("fe80::/10", "febf::1"));
    assert_false(inside("fe80::/10", "fec0::1"));
    assert_true(inside("::/0", "2001:db8::1"));
    assert_false(inside("::/0", "127.0.0.1")); /* but only IPv6 */
    assert_false(inside("::1/128", "127.0.0.1"));
}

/* An IPv4 client of an IPv6 socket is ::ffff:a.b.c.d: still IPv4. */
static void test_contains_v4_mapped(void **state)
{
    (void)state;
    assert_true(inside("127.0.0.0/8", "::ffff:127.0.0.1"));
    assert_false(inside("127.0.0.0/8", "::ffff:128.0.0.1"));
    assert_true(inside("::ffff:127.0.0.0/104", "127.0.0.1"));
    assert_false(inside("::1/128", "::ffff:127.0.0.1"));
}

/* An address accept() could not have given is never inside. */
static void test_contains_garbage(void **state)
{
    (void)state;
    assert_false(inside("0.0.0.0/0", ""));
    assert_false(inside("0.0.0.0/0", "unknown"));
    assert_false(inside("0.0.0.0/0", "127.0.0.1:25"));
    assert_false(inside("::/0", "[::1]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_contains_ipv4),
        cmocka_unit_test(test_contains_ipv6),
        cmocka_unit_test(test_contains_v4_mapped),
        cmocka_unit_test(test_contains_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
