/*
 * lab06_delay_off_by_one.c - a plausible WRONG answer to lab 6, kept for the
 * CI proof (labs/meson.build): it indexes the schedule with the number of
 * attempts as it is, so after the first failure it waits schedule[1], not
 * schedule[0] - every retry comes one step late, and the first delay of
 * the schedule is never used (Rule L6.2). Everything else is right.
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
    size_t i = attempts < count ? attempts : count - 1; /* WRONG: 1-based */
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
    return received_count > POLICY_MAX_RECEIVED;
}
