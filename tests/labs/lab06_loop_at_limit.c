/*
 * lab06_loop_at_limit.c - a plausible WRONG answer to lab 6, kept for the CI
 * proof (labs/meson.build): it calls a message with exactly
 * POLICY_MAX_RECEIVED Received: lines a loop. That many hops are still
 * allowed; only one more is a loop (Rule L6.5), and a message on a long
 * but honest path is refused with 554. Everything else is right.
 */
#include "queue_policy.h"

enum relay_outcome policy_classify(int reply_code)
{
    if (reply_code >= 200 && reply_code < 300)
        return OUTCOME_DELIVERED;
    if (reply_code >= 500 && reply_code < 600)
        return OUTCOME_BOUNCE;
    return OUTCOME_RETRY;
}

long policy_retry_delay(const long *schedule, size_t count, unsigned attempts)
{
    if (count == 0)
        return 30 * 60;
    if (attempts == 0)
        return 0;
    size_t i = attempts - 1 < count ? attempts - 1 : count - 1;
    return schedule[i];
}

bool policy_expired(time_t queued_at, long lifetime, time_t now)
{
    return now - queued_at >= lifetime;
}

bool policy_should_bounce(const char *reverse_path)
{
    return reverse_path != NULL && reverse_path[0] != '\0';
}

bool policy_is_loop(unsigned received_count)
{
    return received_count >= POLICY_MAX_RECEIVED; /* WRONG: > */
}
