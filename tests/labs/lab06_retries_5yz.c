/*
 * lab06_retries_5yz.c - a plausible WRONG answer to lab 6, kept for the CI
 * proof (labs/meson.build): it bounces only "mailbox" refusals (55x) and
 * retries the other 5yz replies - 500 to 549, "syntax errors, perhaps a
 * glitch". But every 5yz is permanent (RFC 5321 §4.2.1, Rule L6.1): the
 * same command will fail again, so the message waits days in the queue for
 * nothing, and the sender hears nothing until it expires. Everything else
 * is right.
 */
#include "queue_policy.h"

enum relay_outcome policy_classify(int reply_code)
{
    if (reply_code >= 200 && reply_code < 300)
        return OUTCOME_DELIVERED;
    if (reply_code >= 550 && reply_code < 600) /* WRONG: 500-549 are 5yz too */
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
    return received_count > POLICY_MAX_RECEIVED;
}
