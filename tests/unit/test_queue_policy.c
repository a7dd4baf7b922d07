/*
 * test_queue_policy.c - the queue runner's decisions, one rule at a time.
 *
 * Each function of queue_policy.c is a rule of RFC 5321 (§4.2.1 reply
 * classes, §4.5.4.1 retry and give-up, §4.5.5 and §6.1 bounces, §6.3
 * loops). The tests walk each rule's boundaries: the first and last code
 * of every class, the delay before the first try and after the last one
 * of the schedule, the second a message expires, the 25th and 26th
 * Received: header. Getting one wrong loses mail, floods a server, or
 * loops forever, so each edge is named here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "queue_policy.h"

/* §4.2.1: the first digit decides. 2yz delivered, 5yz never, everything
 * else (4yz, no reply at all, nonsense) try again. */
static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(policy_classify(200), OUTCOME_DELIVERED);
    assert_int_equal(policy_classify(250), OUTCOME_DELIVERED);
    assert_int_equal(policy_classify(251), OUTCOME_DELIVERED);
    assert_int_equal(policy_classify(299), OUTCOME_DELIVERED);

    assert_int_equal(policy_classify(500), OUTCOME_BOUNCE);
    assert_int_equal(policy_classify(550), OUTCOME_BOUNCE);
    assert_int_equal(policy_classify(554), OUTCOME_BOUNCE);
    assert_int_equal(policy_classify(599), OUTCOME_BOUNCE);

    assert_int_equal(policy_classify(400), OUTCOME_RETRY);
    assert_int_equal(policy_classify(421), OUTCOME_RETRY);
    assert_int_equal(policy_classify(451), OUTCOME_RETRY);
    assert_int_equal(policy_classify(499), OUTCOME_RETRY);
    /* No reply: the connection was refused or broke (§4.5.4.1). */
    assert_int_equal(policy_classify(0), OUTCOME_RETRY);
    /* Odd codes never lose a message: keep it. */
    assert_int_equal(policy_classify(354), OUTCOME_RETRY);
    assert_int_equal(policy_classify(199), OUTCOME_RETRY);
    assert_int_equal(policy_classify(300), OUTCOME_RETRY);
    assert_int_equal(policy_classify(600), OUTCOME_RETRY);
    assert_int_equal(policy_classify(-1), OUTCOME_RETRY);
    assert_int_equal(policy_classify(INT_MAX), OUTCOME_RETRY);
}

/* The schedule: after failure n wait schedule[n-1]; past the end, the
 * last delay again; before any try, none. */
static void test_retry_delay(void **state)
{
    (void)state;
    static const long schedule[] = {5, 10, 60};
    assert_int_equal(policy_retry_delay(schedule, 3, 0), 0);
    assert_int_equal(policy_retry_delay(schedule, 3, 1), 5);
    assert_int_equal(policy_retry_delay(schedule, 3, 2), 10);
    assert_int_equal(policy_retry_delay(schedule, 3, 3), 60);
    assert_int_equal(policy_retry_delay(schedule, 3, 4), 60);
    assert_int_equal(policy_retry_delay(schedule, 3, 1000), 60);
    assert_int_equal(policy_retry_delay(schedule, 3, UINT_MAX), 60);

    static const long one[] = {30};
    assert_int_equal(policy_retry_delay(one, 1, 1), 30);
    assert_int_equal(policy_retry_delay(one, 1, 7), 30);
}

/* No schedule at all: §4.5.4.1's "at least 30 minutes". */
static void test_retry_delay_without_schedule(void **state)
{
    (void)state;
    assert_int_equal(policy_retry_delay(NULL, 0, 1), 30 * 60);
    assert_int_equal(policy_retry_delay(NULL, 0, 9), 30 * 60);
}

/* Expired from the second the lifetime is over, not one second later. */
static void test_expired(void **state)
{
    (void)state;
    const time_t queued = 1700000000;
    const long five_days = 5 * 24 * 60 * 60;
    assert_false(policy_expired(queued, five_days, queued));
    assert_false(policy_expired(queued, five_days, queued + five_days - 1));
    assert_true(policy_expired(queued, five_days, queued + five_days));
    assert_true(policy_expired(queued, five_days, queued + five_days + 1));
    assert_true(policy_expired(queued, 1, queued + 1));
    assert_false(policy_expired(queued, 1, queued));
    /* A clock set back (now before the arrival) is not expiry. */
    assert_false(policy_expired(queued, five_days, queued - 3600));
}

/* §6.1 and §4.5.5: tell every sender except the null one. */
static void test_should_bounce(void **state)
{
    (void)state;
    assert_true(policy_should_bounce("alice@alice.example"));
    assert_true(policy_should_bounce("postmaster"));
    assert_true(policy_should_bounce("x"));
    assert_false(policy_should_bounce("")); /* MAIL FROM:<> */
    assert_false(policy_should_bounce(NULL));
}

/* §6.3: more than POLICY_MAX_RECEIVED (100, "normally at least 100")
 * Received: lines is a loop. */
static void test_is_loop(void **state)
{
    (void)state;
    assert_int_equal(POLICY_MAX_RECEIVED, 100);
    assert_false(policy_is_loop(0));
    assert_false(policy_is_loop(1));
    assert_false(policy_is_loop(10));
    assert_false(policy_is_loop(POLICY_MAX_RECEIVED));
    assert_true(policy_is_loop(POLICY_MAX_RECEIVED + 1));
    assert_false(policy_is_loop(99));
    assert_true(policy_is_loop(101));
    assert_true(policy_is_loop(UINT_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_retry_delay_without_schedule),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_should_bounce),
        cmocka_unit_test(test_is_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
