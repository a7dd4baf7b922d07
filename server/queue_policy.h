/*
 * queue_policy.h - what the queue runner decides, apart from how it does it.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Store-and-forward (RFC 5321 §2.1, §4.5.4) is a handful of decisions made
 * again and again: did that reply mean "delivered", "try later" or "never"?
 * How long until the next try? Has this message waited too long? May we
 * tell the sender it failed? Is this message going round in circles?
 * They live here, with no files and no sockets, so that the unit tests
 * (and lab 6, where students write them) can check each one directly.
 */
#ifndef MAILWALK_QUEUE_POLICY_H
#define MAILWALK_QUEUE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What one attempt means for one recipient. */
enum relay_outcome {
    OUTCOME_DELIVERED, /* the next hop took responsibility (2xx) */
    OUTCOME_RETRY,     /* not now: keep it queued and try again (4xx, no reply) */
    OUTCOME_BOUNCE,    /* never: give up and tell the sender (5xx) */
};

/* Received: headers a message may carry before we call it a loop. RFC
 * 5321 §6.3: servers "SHOULD use a large rejection threshold, normally at
 * least 100 Received entries" - a low one bounces honest mail that went
 * through many hops (lists, forwarders, gateways). */
#define POLICY_MAX_RECEIVED 100

/* Classify a reply code from the next hop; 0 means there was no reply at
 * all (no connection, a timeout, the connection broke). */
enum relay_outcome policy_classify(int reply_code);

/* Seconds to wait after the attempt numbered `attempts` (1 = the first
 * one failed) before the next, given the schedule of delays (--retry). */
long policy_retry_delay(const long *schedule, size_t count, unsigned attempts);

/* Has a message queued at queued_at outlived --queue-lifetime by now? */
bool policy_expired(time_t queued_at, long lifetime, time_t now);

/* May a failure be reported to this reverse-path? Not to the null path
 * "<>" (stored as ""): that message was itself a bounce. */
bool policy_should_bounce(const char *reverse_path);

/* Does a message with this many Received: headers look like a loop? */
bool policy_is_loop(unsigned received_count);

#endif
