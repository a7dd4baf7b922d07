/*
 * queue_policy.c - the queue runner's decisions (see queue_policy.h).
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * LAB 6 replaces this file: each function is one rule of RFC 5321 §4.5.4
 * (retry strategies), §6.1 (reliable delivery and bounces) and §6.3 (loop
 * detection), small enough to write in a few lines, important enough that
 * getting one wrong loses mail, floods someone, or loops forever.
 */
#include "queue_policy.h"

/* RFC 5321 §4.2.1: the first digit says it all. 2yz: the next hop has the
 * message. 4yz: "transient negative completion", the same command may
 * work later. 5yz: "permanent negative completion", it never will. And
 * no reply at all (connection refused, a timeout) is transient too: the
 * server may be down for a reboot (§4.5.4.1). */
enum relay_outcome policy_classify(int reply_code)
{
    if (reply_code >= 200 && reply_code < 300)
        return OUTCOME_DELIVERED;
    if (reply_code >= 500 && reply_code < 600)
        return OUTCOME_BOUNCE;
    /* 4yz, 0 (no reply) and anything odd (a 3yz where 250 was due, say):
     * keep the message. Losing it is worse than trying once more. */
    return OUTCOME_RETRY;
}

/* RFC 5321 §4.5.4.1: "the retry interval SHOULD be at least 30 minutes",
 * though "more sophisticated and variable strategies" are welcome. Ours
 * is a list: after the first failure wait schedule[0], after the second
 * schedule[1], ..., and after that keep waiting the last delay. Real
 * servers grow the delay (Postfix doubles it up to a maximum) so that a
 * server that is down for a day is not knocked on every minute. */
long policy_retry_delay(const long *schedule, size_t count, unsigned attempts)
{
    if (count == 0)
        return 30 * 60;
    if (attempts == 0)
        return 0; /* never tried yet: go now */
    size_t index = attempts - 1;
    if (index >= count)
        index = count - 1;
    return schedule[index];
}

/* RFC 5321 §4.5.4.1: "the give-up time generally needs to be at least
 * 4-5 days". After that the message bounces (RFC 3463 4.4.7, "delivery
 * time expired"). */
bool policy_expired(time_t queued_at, long lifetime, time_t now)
{
    return now - queued_at >= lifetime;
}

/* RFC 5321 §6.1: a failure after we said 250 MUST be reported to the
 * reverse-path ... unless that path is null. Bounces are sent from "<>"
 * precisely so that a bounce that fails is never bounced again (§4.5.5):
 * otherwise two broken servers could bounce bounces at each other forever. */
bool policy_should_bounce(const char *reverse_path)
{
    return reverse_path != NULL && reverse_path[0] != '\0';
}

/* RFC 5321 §6.3: every server adds a Received: line, so a message going
 * round in a circle grows one per hop, and counting them "has proven to
 * be an effective, although rarely optimal, method of detecting loops".
 * The RFC suggests a large threshold (at least 100); we use 25 so that a
 * loop in a classroom ends in seconds. A real message crosses 5 to 10. */
bool policy_is_loop(unsigned received_count)
{
    return received_count > POLICY_MAX_RECEIVED;
}
