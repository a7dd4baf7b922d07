/*
 * test_config.c - the store-and-forward options of mailwalk-server.
 *
 * config_parse() reads the command line exactly as main() hands it over.
 * These tests cover the options issue 5 added: --queue, --routes,
 * --trusted, --retry and --queue-lifetime, with their defaults (RFC 5321
 * §4.5.4.1: retry after 30 minutes, give up after 5 days), the durations
 * they read ("30s", "5m", "2h", "5d") and the mistakes they must refuse
 * with a message instead of starting a server that relays wrongly; and
 * the lock-out limits of issue 12 (--max-per-client and the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* The longest command line a test uses. */
#define MAX_ARGS 24

/* Parse the words (NULL-terminated) as argv[1..]; the words are copied,
 * since --retry splits its value in place, as strtok does in argv. */
static enum config_result parse(struct server_config *config, ...)
{
    static char storage[MAX_ARGS][128];
    static char *argv[MAX_ARGS + 1];
    va_list ap;
    int argc = 0;
    argv[argc++] = strcpy(storage[0], "mailwalk-server");
    va_start(ap, config);
    for (const char *word; (word = va_arg(ap, const char *)) != NULL;) {
        assert_true(argc < MAX_ARGS);
        snprintf(storage[argc], sizeof storage[argc], "%s", word);
        argv[argc] = storage[argc];
        argc++;
    }
    va_end(ap);
    argv[argc] = NULL;
    optind = 0; /* glibc: start getopt afresh for each command line */
    return config_parse(argc, argv, config);
}

/* Without the options: no queue, no relaying, the RFC's timings. */
static void test_defaults(void **state)
{
    (void)state;
    struct server_config c;
    assert_int_equal(parse(&c, NULL), CONFIG_RUN);
    assert_null(c.queue_dir);
    assert_null(c.routes_path);
    assert_null(c.routes);
    assert_int_equal(c.trusted_count, 0);
    assert_int_equal(c.retry_count, 1);
    assert_int_equal(c.retry_schedule[0], 30 * 60);
    assert_int_equal(c.queue_lifetime, 5 * 24 * 60 * 60);
    assert_false(config_is_trusted(&c, "127.0.0.1"));
}

static void test_all_relay_options(void **state)
{
    (void)state;
    struct server_config c;
    assert_int_equal(parse(&c, "--queue", "/var/spool/q", "--routes", "routes.txt",
                           "--trusted", "127.0.0.0/8", "--trusted", "::1", "--retry",
                           "5s,10s,1m,2h", "--queue-lifetime", "2m", NULL),
                     CONFIG_RUN);
    assert_string_equal(c.queue_dir, "/var/spool/q");
    assert_string_equal(c.routes_path, "routes.txt");
    assert_int_equal(c.trusted_count, 2);
    assert_true(config_is_trusted(&c, "127.0.0.1"));
    assert_true(config_is_trusted(&c, "::ffff:127.1.2.3"));
    assert_true(config_is_trusted(&c, "::1"));
    assert_false(config_is_trusted(&c, "10.0.0.1"));
    assert_false(config_is_trusted(&c, "::2"));
    assert_int_equal(c.retry_count, 4);
    assert_int_equal(c.retry_schedule[0], 5);
    assert_int_equal(c.retry_schedule[1], 10);
    assert_int_equal(c.retry_schedule[2], 60);
    assert_int_equal(c.retry_schedule[3], 2 * 3600);
    assert_int_equal(c.queue_lifetime, 120);
}

/* The last --retry wins whole, it does not add to the first. */
static void test_retry_given_twice(void **state)
{
    (void)state;
    struct server_config c;
    assert_int_equal(
        parse(&c, "--queue", "q", "--retry", "1s,2s,3s", "--retry", "9s", NULL),
        CONFIG_RUN);
    assert_int_equal(c.retry_count, 1);
    assert_int_equal(c.retry_schedule[0], 9);
}

static void test_durations(void **state)
{
    (void)state;
    assert_int_equal(config_parse_duration("0"), 0);
    assert_int_equal(config_parse_duration("90"), 90);
    assert_int_equal(config_parse_duration("90s"), 90);
    assert_int_equal(config_parse_duration("5m"), 300);
    assert_int_equal(config_parse_duration("2h"), 7200);
    assert_int_equal(config_parse_duration("5d"), 432000);
    assert_int_equal(config_parse_duration("1000000s"), 1000000);
    assert_int_equal(config_parse_duration("1000000d"), 1000000L * 86400);
    assert_int_equal(config_parse_duration("1000001"), -1);
    assert_int_equal(config_parse_duration(""), -1);
    assert_int_equal(config_parse_duration("s"), -1);
    assert_int_equal(config_parse_duration("-5s"), -1);
    assert_int_equal(config_parse_duration("+5s"), -1);
    assert_int_equal(config_parse_duration(" 5s"), -1);
    assert_int_equal(config_parse_duration("5ms"), -1);
    assert_int_equal(config_parse_duration("5 s"), -1);
    assert_int_equal(config_parse_duration("5x"), -1);
    assert_int_equal(config_parse_duration("5w"), -1);
    assert_int_equal(config_parse_duration("99999999999999999999s"), -1);
}

/* Each mistake stops the start with a message (CONFIG_ERROR: exit 2). */
static void test_mistakes(void **state)
{
    (void)state;
    struct server_config c;
    /* Relaying options need somewhere to keep the mail. */
    assert_int_equal(parse(&c, "--routes", "r.txt", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--trusted", "127.0.0.0/8", NULL), CONFIG_ERROR);
    /* Not networks. */
    assert_int_equal(parse(&c, "--queue", "q", "--trusted", "127.0.0.0/33", NULL),
                     CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--trusted", "localhost", NULL),
                     CONFIG_ERROR);
    /* Not waits: zero would retry in a tight loop. */
    assert_int_equal(parse(&c, "--queue", "q", "--retry", "0s", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--retry", "5s,soon", NULL),
                     CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--retry", ",", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--retry", "", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--queue-lifetime", "0", NULL),
                     CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", "q", "--queue-lifetime", "forever", NULL),
                     CONFIG_ERROR);
    assert_int_equal(parse(&c, "--queue", NULL), CONFIG_ERROR); /* no value */
}

/* CONFIG_MAX_TRUSTED networks, CONFIG_MAX_RETRIES waits, not one more. */
static void test_limits(void **state)
{
    (void)state;
    struct server_config c;
    assert_int_equal(CONFIG_MAX_TRUSTED, 8);
    assert_int_equal(parse(&c, "--queue", "q", "--trusted", "10.0.0.1", "--trusted",
                           "10.0.0.2", "--trusted", "10.0.0.3", "--trusted", "10.0.0.4",
                           "--trusted", "10.0.0.5", "--trusted", "10.0.0.6",
                           "--trusted", "10.0.0.7", "--trusted", "10.0.0.8", NULL),
                     CONFIG_RUN);
    assert_int_equal(c.trusted_count, 8);
    assert_true(config_is_trusted(&c, "10.0.0.8"));
    assert_false(config_is_trusted(&c, "10.0.0.9"));
    assert_int_equal(parse(&c, "--queue", "q", "--trusted", "10.0.0.1", "--trusted",
                           "10.0.0.2", "--trusted", "10.0.0.3", "--trusted", "10.0.0.4",
                           "--trusted", "10.0.0.5", "--trusted", "10.0.0.6",
                           "--trusted", "10.0.0.7", "--trusted", "10.0.0.8",
                           "--trusted", "10.0.0.9", NULL),
                     CONFIG_ERROR);

    char sixteen[128] = "", seventeen[160];
    for (int i = 1; i <= CONFIG_MAX_RETRIES; i++)
        snprintf(sixteen + strlen(sixteen), sizeof sixteen - strlen(sixteen), "%s%ds",
                 i > 1 ? "," : "", i);
    snprintf(seventeen, sizeof seventeen, "%s,17s", sixteen);
    assert_int_equal(parse(&c, "--queue", "q", "--retry", sixteen, NULL), CONFIG_RUN);
    assert_int_equal(c.retry_count, CONFIG_MAX_RETRIES);
    assert_int_equal(c.retry_schedule[CONFIG_MAX_RETRIES - 1], CONFIG_MAX_RETRIES);
    assert_int_equal(parse(&c, "--queue", "q", "--retry", seventeen, NULL),
                     CONFIG_ERROR);
}

/* The lock-out limits (issue 12): defaults, the per-client share worked
 * out from --max-sessions, --limit-exempt replacing the default list. */
static void test_lockout_limits(void **state)
{
    (void)state;
    struct server_config c;
    assert_int_equal(parse(&c, NULL), CONFIG_RUN);
    assert_int_equal(c.max_sessions, 100);
    assert_int_equal(c.max_per_client, 50); /* half, as Postfix */
    assert_int_equal(c.max_rate_per_client, 0);
    assert_int_equal(c.limit_exempt_count, 2);
    assert_true(network_contains(&c.limit_exempt[0], "127.0.0.1"));
    assert_false(network_contains(&c.limit_exempt[0], "127.0.0.2"));
    assert_true(network_contains(&c.limit_exempt[1], "::1"));
    assert_int_equal(c.session_limit, 30 * 60);
    assert_int_equal(c.busy_timeout_seconds, 10);
    assert_int_equal(c.min_rate, 100);
    assert_int_equal(c.max_auth_failures, 10);
    assert_int_equal(c.auth_failure_window, 60 * 60);

    assert_int_equal(parse(&c, "--max-sessions", "7", NULL), CONFIG_RUN);
    assert_int_equal(c.max_per_client, 3);
    assert_int_equal(parse(&c, "--max-sessions", "1", NULL), CONFIG_RUN);
    assert_int_equal(c.max_per_client, 1);
    assert_int_equal(parse(&c, "--max-per-client", "0", "--max-rate-per-client", "30",
                           "--session-limit", "2h", "--busy-timeout", "5", "--min-rate",
                           "0", "--max-auth-failures", "3", "--auth-failure-window",
                           "10m", NULL),
                     CONFIG_RUN);
    assert_int_equal(c.max_per_client, 0);
    assert_int_equal(c.max_rate_per_client, 30);
    assert_int_equal(c.session_limit, 2 * 60 * 60);
    assert_int_equal(c.busy_timeout_seconds, 5);
    assert_int_equal(c.min_rate, 0);
    assert_int_equal(c.max_auth_failures, 3);
    assert_int_equal(c.auth_failure_window, 10 * 60);

    /* A class behind one NAT address; the defaults give way. */
    assert_int_equal(parse(&c, "--limit-exempt", "203.0.113.7/32", NULL), CONFIG_RUN);
    assert_int_equal(c.limit_exempt_count, 1);
    assert_true(network_contains(&c.limit_exempt[0], "203.0.113.7"));
    assert_int_equal(parse(&c, "--limit-exempt", "none", NULL), CONFIG_RUN);
    assert_int_equal(c.limit_exempt_count, 0);
    /* ...and come back on the next command line. */
    assert_int_equal(parse(&c, NULL), CONFIG_RUN);
    assert_int_equal(c.limit_exempt_count, 2);

    assert_int_equal(parse(&c, "--limit-exempt", "nowhere", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--session-limit", "0", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--busy-timeout", "0", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--max-auth-failures", "0", NULL), CONFIG_ERROR);
    assert_int_equal(parse(&c, "--max-per-client", "-1", NULL), CONFIG_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_relay_options),
        cmocka_unit_test(test_retry_given_twice),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_mistakes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_lockout_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
