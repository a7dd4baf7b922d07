/*
 * policy.c - LAB 6: the queue's decisions.
 *
 * Store-and-forward (RFC 5321 §2.1): Alice's server says 250 to her
 * message, and from that moment it is responsible for it (§6.1) - it may
 * not lose it, even if Bob's server is down for a day. So the message waits
 * in a queue on disk, and a queue runner tries to hand it on, again and
 * again, until Bob's server takes it, or says "never", or too much time has
 * passed; in the last two cases Alice gets a bounce.
 *
 * The runner (server/queue_runner.c) does the I/O: it reads the queue,
 * connects, relays with the client library, writes bounces. Every decision
 * it makes comes from the five functions below, declared in
 * server/queue_policy.h. This file replaces server/queue_policy.c in the lab
 * build; lab06-server is mailwalk-server with it inside (try --queue,
 * --routes, --retry, --queue-lifetime: the handout shows how).
 */
#include "queue_policy.h"

/*
 * What does the next hop's reply mean for one recipient? reply_code is the
 * reply to RCPT (or to the final "."), or 0 when there was no reply at all:
 * no connection, a timeout, a connection that broke.
 *
 * Read RFC 5321 §4.2.1 (what each first digit means) and §4.5.4.1 (a
 * server that does not answer), and decide for every int this can get -
 * including 0, a 3yz where a final answer was due, and numbers that are no
 * reply code at all. The handout's Rule L6.1 says what the grader expects.
 *
 * LAB 6: write this.
 */
enum relay_outcome policy_classify(int reply_code)
{
    (void)reply_code;
    return OUTCOME_RETRY; /* LAB 6: keeps everything, decides nothing */
}

/*
 * How many seconds to wait after `attempts` attempts have failed, before
 * the next one. schedule holds count delays, from --retry (e.g. 5s,10s,
 * 30s,1m is {5, 10, 30, 60}). The handout's Rule L6.2 says which delay
 * belongs to which attempt, what comes after the last one, and what an
 * empty schedule means (§4.5.4.1); work out the index yourself, for
 * attempts 0, 1, count and a million.
 *
 * LAB 6: write this.
 */
long policy_retry_delay(const long *schedule, size_t count, unsigned attempts)
{
    (void)schedule;
    (void)count;
    (void)attempts;
    return 30 * 60; /* LAB 6: ignores the schedule */
}

/*
 * Has a message queued at queued_at waited for lifetime seconds or more by
 * now? Then the runner gives up and bounces it (RFC 5321 §4.5.4.1: the
 * give-up time "generally needs to be at least 4-5 days"; RFC 3463 4.4.7
 * "delivery time expired").
 *
 * LAB 6: write this.
 */
bool policy_expired(time_t queued_at, long lifetime, time_t now)
{
    (void)queued_at;
    (void)lifetime;
    (void)now;
    return false; /* LAB 6: nothing ever expires */
}

/*
 * May a failure be reported to this reverse-path (the MAIL FROM, without
 * the angle brackets)? RFC 5321 §6.1: a failure after our 250 MUST be
 * reported to the sender - unless the reverse-path is null ("<>", stored as
 * ""): that message was itself a bounce, and bouncing bounces lets two
 * broken servers bounce at each other forever (§4.5.5). Also false for
 * NULL.
 *
 * LAB 6: write this.
 */
bool policy_should_bounce(const char *reverse_path)
{
    (void)reverse_path;
    return false; /* LAB 6: never tells anyone */
}

/*
 * Does a message with this many Received: header lines look like a loop?
 * Every server adds one (§4.4), so a message going round in circles grows
 * one per hop (§6.3). POLICY_MAX_RECEIVED is the limit (Rule L6.5 says
 * which side of it a message of exactly that many lines is on).
 * (server/data.c asks this when a message arrives, and says 554 5.4.6.)
 *
 * LAB 6: write this.
 */
bool policy_is_loop(unsigned received_count)
{
    (void)received_count;
    return false; /* LAB 6: never sees a loop */
}
