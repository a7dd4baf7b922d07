/*
 * test_routes.c - the routes file, our stand-in for DNS MX records.
 *
 * Every test writes a real file and reads it with routes_load(), as the
 * server does at start-up. A mistyped routes file must be reported with
 * its line number and never half-loaded; a good one must send each domain
 * where it says, without regard to case (RFC 5321 §2.4), and everything
 * else to the "*" smarthost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "routes.h"

/* The temp file of the current test, made by write_routes(). */
static char routes_path[64];

/* Write text into a new temp file, named in routes_path. */
static void write_routes(const char *text)
{
    snprintf(routes_path, sizeof routes_path, "/tmp/mailwalk-routes-XXXXXX");
    int fd = mkstemp(routes_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Remove the temp file after each test. */
static int remove_routes(void **state)
{
    (void)state;
    if (routes_path[0] != '\0')
        unlink(routes_path);
    routes_path[0] = '\0';
    return 0;
}

/* Load text, expecting success; returns the routes. */
static struct routes *load_ok(const char *text)
{
    static struct routes r;
    char why[256] = "";
    write_routes(text);
    if (routes_load(&r, routes_path, why, sizeof why) != 0)
        fail_msg("routes_load failed: %s", why);
    return &r;
}

/* Load text, expecting failure with exactly "<path>:<line>: <message>". */
static void load_fails(const char *text, int line, const char *message)
{
    struct routes r;
    char why[256] = "", want[256];
    write_routes(text);
    assert_int_equal(routes_load(&r, routes_path, why, sizeof why), -1);
    snprintf(want, sizeof want, "%s:%d: %s", routes_path, line, message);
    assert_string_equal(why, want);
    assert_int_equal(r.count, 0); /* never half a table */
    remove_routes(NULL);
}

/* Check one entry field by field. */
static void expect_route(const struct route *route, const char *domain,
                         const char *host, const char *port, int line)
{
    assert_non_null(route);
    assert_string_equal(route->domain, domain);
    assert_string_equal(route->host, host);
    assert_string_equal(route->port, port);
    assert_int_equal(route->line, line);
}

/* A file as a teacher would write it: comments, blank lines, blanks
 * around and between the fields, a trailing comment, a CR LF line. */
static void test_good_file(void **state)
{
    (void)state;
    struct routes *r = load_ok("# routes for the classroom\n"
                               "\n"
                               "bob.example 127.0.0.2:2525\n"
                               "   \t\n"
                               "  carol.example\t\t127.0.0.3:25   # Carol's server\n"
                               "\t# an indented comment\n"
                               "dave.example   localhost:2526\r\n"
                               "erin.example 127.0.0.5:587"); /* no final newline */
    assert_int_equal(r->count, 4);
    expect_route(&r->entries[0], "bob.example", "127.0.0.2", "2525", 3);
    expect_route(&r->entries[1], "carol.example", "127.0.0.3", "25", 5);
    expect_route(&r->entries[2], "dave.example", "localhost", "2526", 7);
    expect_route(&r->entries[3], "erin.example", "127.0.0.5", "587", 8);

    expect_route(routes_find(r, "bob.example"), "bob.example", "127.0.0.2", "2525", 3);
    expect_route(routes_find(r, "dave.example"), "dave.example", "localhost", "2526",
                 7);
    /* No "*" line: an unknown domain has no route. */
    assert_null(routes_find(r, "frank.example"));
    /* A subdomain is another domain: MX records are per name. */
    assert_null(routes_find(r, "mail.bob.example"));
}

/* An empty file, or only comments: no routes, and that is fine. */
static void test_empty_file(void **state)
{
    (void)state;
    struct routes *r = load_ok("");
    assert_int_equal(r->count, 0);
    assert_null(routes_find(r, "bob.example"));
    remove_routes(NULL);
    r = load_ok("# nothing yet\n\n");
    assert_int_equal(r->count, 0);
}

/* IPv6 addresses come in brackets, which are taken off. */
static void test_ipv6(void **state)
{
    (void)state;
    struct routes *r = load_ok("bob.example [::1]:2525\n"
                               "carol.example [2001:db8::25]:25\n");
    assert_int_equal(r->count, 2);
    expect_route(routes_find(r, "bob.example"), "bob.example", "::1", "2525", 1);
    expect_route(routes_find(r, "carol.example"), "carol.example", "2001:db8::25", "25",
                 2);
}

/* Domains are not case-sensitive (RFC 5321 §2.4), in the file or asked. */
static void test_case_insensitive(void **state)
{
    (void)state;
    struct routes *r = load_ok("Bob.EXAMPLE 127.0.0.2:2525\n"
                               "carol.example 127.0.0.3:2525\n");
    const struct route *bob = routes_find(r, "bob.example");
    expect_route(bob, "Bob.EXAMPLE", "127.0.0.2", "2525", 1);
    assert_ptr_equal(routes_find(r, "BOB.example"), bob);
    expect_route(routes_find(r, "CAROL.Example"), "carol.example", "127.0.0.3", "2525",
                 2);
}

/* "*" is the smarthost: every domain without a line of its own goes
 * there, and an exact match wins wherever "*" stands in the file. */
static void test_smarthost_fallback(void **state)
{
    (void)state;
    struct routes *r = load_ok("* 127.0.0.9:25\n"
                               "bob.example 127.0.0.2:2525\n");
    expect_route(routes_find(r, "bob.example"), "bob.example", "127.0.0.2", "2525", 2);
    expect_route(routes_find(r, "BOB.EXAMPLE"), "bob.example", "127.0.0.2", "2525", 2);
    expect_route(routes_find(r, "carol.example"), "*", "127.0.0.9", "25", 1);
    expect_route(routes_find(r, "mail.bob.example"), "*", "127.0.0.9", "25", 1);
}

/* Each kind of mistake is reported with its line, in words. */
static void test_errors_name_the_line(void **state)
{
    (void)state;
    load_fails("# ok\nbob.example 127.0.0.2:2525\nbob.example\n", 3,
               "expected DOMAIN HOST:PORT");
    load_fails("bob.example 127.0.0.2:2525 extra\n", 1, "expected DOMAIN HOST:PORT");
    load_fails("\n\nbob.example 127.0.0.2\n", 3,
               "expected HOST:PORT like 127.0.0.2:2525 or [::1]:2525, got 127.0.0.2");
    load_fails("bob.example :25\n", 1,
               "expected HOST:PORT like 127.0.0.2:2525 or [::1]:2525, got :25");
    load_fails("bob.example 127.0.0.2:\n", 1,
               "expected HOST:PORT like 127.0.0.2:2525 or [::1]:2525, got 127.0.0.2:");
    load_fails("bob.example [::1:25\n", 1,
               "expected HOST:PORT like 127.0.0.2:2525 or [::1]:2525, got [::1:25");
    load_fails("bob.example ::1:25\n", 1,
               "an IPv6 address needs brackets, as in [::1]:25; got ::1:25");
    load_fails("bob.example 127.0.0.2:0\n", 1,
               "the port must be a number from 1 to 65535, got 0");
    load_fails("a.example 127.0.0.2:25\nbob.example 127.0.0.2:70000\n", 2,
               "the port must be a number from 1 to 65535, got 70000");
    load_fails("bob..example 127.0.0.2:25\n", 1,
               "expected a domain name like bob.example (or *), got bob..example");
    load_fails("-bob.example 127.0.0.2:25\n", 1,
               "expected a domain name like bob.example (or *), got -bob.example");
    load_fails("bob_example 127.0.0.2:25\n", 1,
               "expected a domain name like bob.example (or *), got bob_example");
    load_fails("*.example 127.0.0.2:25\n", 1,
               "expected a domain name like bob.example (or *), got *.example");
    load_fails("bob@bob.example 127.0.0.2:25\n", 1,
               "expected a domain name like bob.example (or *), got bob@bob.example");
}

/* The same domain twice (in any case), or "*" twice, is an error: which
 * line would the author mean? */
static void test_duplicates(void **state)
{
    (void)state;
    load_fails("# Bob\n"
               "bob.example 127.0.0.2:2525\n"
               "carol.example 127.0.0.3:2525\n"
               "BOB.example 127.0.0.4:2525\n",
               4, "BOB.example is routed twice (first on line 2)");
    load_fails("* 127.0.0.9:25\n* 127.0.0.8:25\n", 2,
               "* is routed twice (first on line 1)");
}

/* Limits: too many lines, a line too long, a domain over 255 octets. */
static void test_limits(void **state)
{
    (void)state;
    char *text = malloc(ROUTES_MAX * 40 + 64);
    assert_non_null(text);
    size_t n = 0;
    for (int i = 0; i < ROUTES_MAX; i++)
        n += (size_t)sprintf(text + n, "d%d.example 127.0.0.2:2525\n", i);
    struct routes *r = load_ok(text);
    assert_int_equal(r->count, ROUTES_MAX);
    expect_route(routes_find(r, "d63.example"), "d63.example", "127.0.0.2", "2525", 64);
    remove_routes(NULL);
    sprintf(text + n, "one.more.example 127.0.0.2:2525\n");
    load_fails(text, ROUTES_MAX + 1, "too many routes (at most 64)");
    free(text);

    char line[2200];
    memset(line, 'a', 2000);
    strcpy(line + 2000, " 127.0.0.2:25\n");
    load_fails(line, 1, "the line is too long");

    char domain[400];
    for (int i = 0; i < 64; i++)
        memcpy(domain + i * 4, "abc.", 4); /* 64 labels: 256 octets */
    strcpy(domain + 256, "x 127.0.0.2:25\n");
    load_fails(domain, 1, "the domain is longer than 255 octets (RFC 5321 §4.5.3.1.2)");
}

/* A file that is not there: the error names the file and the reason. */
static void test_missing_file(void **state)
{
    (void)state;
    struct routes r;
    char why[256] = "";
    assert_int_equal(routes_load(&r, "/nonexistent/routes.txt", why, sizeof why), -1);
    assert_string_equal(why,
                        "fopen(/nonexistent/routes.txt): No such file or directory");
    assert_int_equal(r.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_good_file, remove_routes),
        cmocka_unit_test_teardown(test_empty_file, remove_routes),
        cmocka_unit_test_teardown(test_ipv6, remove_routes),
        cmocka_unit_test_teardown(test_case_insensitive, remove_routes),
        cmocka_unit_test_teardown(test_smarthost_fallback, remove_routes),
        cmocka_unit_test_teardown(test_errors_name_the_line, remove_routes),
        cmocka_unit_test_teardown(test_duplicates, remove_routes),
        cmocka_unit_test_teardown(test_limits, remove_routes),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
