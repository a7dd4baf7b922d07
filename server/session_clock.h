/*
 * session_clock.h - how long a client may keep its worker.
 *
 * RFC 5321 §4.5.3.2 gives a timeout per command (5 minutes for most): a
 * client that says nothing for that long is told 421 and let go. That
 * alone does not stop a client that says NOOP every few seconds for
 * ever, nor a room full of silent connections holding every worker for
 * five minutes each. So a session has three limits, checked at least once
 * a second while the worker waits for the next line:
 *
 *   idle time     --timeout since the last whole line (300 s); only
 *                 --busy-timeout (10 s) under stress: every worker busy
 *                 and clients turned away (anvil_under_stress()), as
 *                 Postfix shortens its timeouts "under stress";
 *   session time  --session-limit since the greeting (30 minutes);
 *   progress      under stress, a session older than
 *                 --busy-timeout must have sent --min-rate bytes a second
 *                 on average: "NOOP" every 5 seconds is about 1.
 *
 * When one passes, the session gets a 421 and is closed (RFC 5321 §3.8).
 */
#ifndef MAILWALK_SESSION_CLOCK_H
#define MAILWALK_SESSION_CLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "session.h"

struct session_clock {
    long long started_ms;        /* when the client connected (monotonic) */
    long long last_line_ms;      /* when its last whole line arrived */
    unsigned long long received; /* bytes of the lines received so far */
};

/* The client has just connected. */
void session_clock_start(struct session_clock *clock);

/* A line of `bytes` bytes (with its line ending) has arrived. */
void session_clock_line(struct session_clock *clock, size_t bytes);

/* How long to wait for the next line before looking at the clock again,
 * in milliseconds: never more than a second, so that a session notices
 * within a second when the server comes under stress. */
int session_clock_wait_ms(const struct session_clock *clock,
                          const struct server_config *config, bool stressed);

/* Has one of the limits passed? Then the session's 421 is queued, the
 * session is closing, and the answer is the reason (for the log);
 * otherwise NULL. */
const char *session_clock_check(const struct session_clock *clock, struct session *s,
                                bool stressed);

#endif
