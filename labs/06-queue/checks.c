/*
 * checks.c - lab 6's C checks: each decision of the queue, called directly.
 * (The queue itself, with two real servers, is graded in grade.py.)
 *
 * Which rules of the handout (labs/06-queue/README.md, "Rules") each check
 * enforces is said where the check gets its name and points, in grade.py:
 * "loop threshold [L6.5]". tests/labs/test_rules_traced.py keeps
 * the two in step.
 */
#include <stdio.h>

#include "../checks.h"
#include "queue_policy.h"

static const char *outcome_name(enum relay_outcome o)
{
    switch (o) {
    case OUTCOME_DELIVERED:
        return "DELIVERED";
    case OUTCOME_RETRY:
        return "RETRY";
    case OUTCOME_BOUNCE:
        return "BOUNCE";
    }
    return "(not an outcome)";
}

static int classify(void)
{
    struct {
        int code;
        enum relay_outcome want;
        const char *why;
    } cases[] = {
        {250, OUTCOME_DELIVERED, "2yz: the next hop has it"},
        {251, OUTCOME_DELIVERED, "2yz: the next hop has it"},
        {421, OUTCOME_RETRY, "4yz: transient"},
        {450, OUTCOME_RETRY, "4yz: transient"},
        {452, OUTCOME_RETRY, "4yz: transient"},
        {0, OUTCOME_RETRY, "no reply: the server may be down for a while"},
        {354, OUTCOME_RETRY, "not a final answer: keep the message"},
        {550, OUTCOME_BOUNCE, "5yz: permanent"},
        {554, OUTCOME_BOUNCE, "5yz: permanent"},
        /* Every 5yz is permanent, whatever its second digit (§4.2.1, §4.2.2):
         * syntax (50z), connections (52z), authentication (53z), mail
         * system (55z). */
        {500, OUTCOME_BOUNCE, "5yz: permanent (syntax error)"},
        {501, OUTCOME_BOUNCE, "5yz: permanent (syntax error in arguments)"},
        {503, OUTCOME_BOUNCE, "5yz: permanent (bad sequence)"},
        {521, OUTCOME_BOUNCE, "5yz: permanent (does not accept mail, RFC 7504)"},
        {530, OUTCOME_BOUNCE, "5yz: permanent (authentication required)"},
        {551, OUTCOME_BOUNCE, "5yz: permanent"},
        {552, OUTCOME_BOUNCE, "5yz: permanent"},
        {553, OUTCOME_BOUNCE, "5yz: permanent"},
        {556, OUTCOME_BOUNCE, "5yz: permanent (domain does not accept mail)"},
        {599, OUTCOME_BOUNCE, "5yz: permanent"},
        {200, OUTCOME_DELIVERED, "2yz: the next hop has it"},
        {299, OUTCOME_DELIVERED, "2yz: the next hop has it"},
        {400, OUTCOME_RETRY, "4yz: transient"},
        {499, OUTCOME_RETRY, "4yz: transient"},
        {199, OUTCOME_RETRY, "not a reply: keep the message"},
        {600, OUTCOME_RETRY, "not a reply: keep the message"},
        {-1, OUTCOME_RETRY, "not a reply: keep the message"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum relay_outcome got = policy_classify(cases[i].code);
        CHECK(got == cases[i].want, "policy_classify(%d) should be %s (%s), got %s",
              cases[i].code, outcome_name(cases[i].want), cases[i].why,
              outcome_name(got));
    }
    return 0;
}

static int retry_delay(void)
{
    const long schedule[] = {5, 10, 30, 60};
    const long want[] = {0, 5, 10, 30, 60, 60, 60};
    for (unsigned attempts = 0; attempts < 7; attempts++) {
        long got = policy_retry_delay(schedule, 4, attempts);
        CHECK(got == want[attempts],
              "with --retry 5s,10s,30s,1m, after %u failed attempt(s) wait %ld s, got "
              "%ld",
              attempts, want[attempts], got);
    }
    long got = policy_retry_delay(schedule, 4, 1000000);
    CHECK(got == 60, "after a million attempts: the last delay (60), got %ld", got);
    const long one[] = {7};
    got = policy_retry_delay(one, 1, 3);
    CHECK(got == 7, "a schedule of one delay repeats it: expected 7, got %ld", got);
    got = policy_retry_delay(NULL, 0, 2);
    CHECK(got == 1800, "no schedule: 30 minutes (1800 s), got %ld", got);
    return 0;
}

static int expired(void)
{
    time_t t = 1700000000;
    CHECK(!policy_expired(t, 60, t), "queued just now: not expired");
    CHECK(!policy_expired(t, 60, t + 59), "59 s of a 60 s lifetime: not expired");
    CHECK(policy_expired(t, 60, t + 60), "60 s of a 60 s lifetime: expired");
    CHECK(policy_expired(t, 5 * 86400, t + 6 * 86400), "6 days of 5: expired");
    return 0;
}

static int should_bounce(void)
{
    CHECK(policy_should_bounce("alice@alice.example"),
          "a failure must be reported to alice@alice.example (RFC 5321 section 6.1)");
    CHECK(!policy_should_bounce(""), "the null reverse-path <> (\"\") is never bounced "
                                     "to: that message was a bounce itself");
    CHECK(!policy_should_bounce(NULL), "NULL: no bounce");
    return 0;
}

static int is_loop(void)
{
    CHECK(!policy_is_loop(0) && !policy_is_loop(8), "8 Received: lines is a normal "
                                                    "message");
    CHECK(!policy_is_loop(POLICY_MAX_RECEIVED), "exactly %d is still allowed",
          POLICY_MAX_RECEIVED);
    CHECK(policy_is_loop(POLICY_MAX_RECEIVED + 1), "more than %d is a loop",
          POLICY_MAX_RECEIVED);
    CHECK(policy_is_loop(1000), "1000 Received: lines is a loop");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct lab_check checks[] = {
        {"classify", classify}, {"retry_delay", retry_delay},
        {"expired", expired},   {"should_bounce", should_bounce},
        {"is_loop", is_loop},
    };
    return lab_checks_main(argc, argv, checks, sizeof checks / sizeof checks[0]);
}
