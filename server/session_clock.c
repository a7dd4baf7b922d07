/*
 * session_clock.c - the time limits of a session (see session_clock.h).
 *
 * The clock is monotonic (CLOCK_MONOTONIC): setting the wall clock back
 * or forward must not end a session, or keep one alive.
 */
#include "session_clock.h"

#include <time.h>

/* Look at the clock at least this often while waiting for a line. */
#define CLOCK_TICK_MS 1000

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The idle limit in force: the short one under stress. */
static long long idle_limit_ms(const struct server_config *config, bool stressed)
{
    int seconds = config->timeout_seconds;
    if (stressed && config->busy_timeout_seconds < seconds)
        seconds = config->busy_timeout_seconds;
    return (long long)seconds * 1000;
}

void session_clock_start(struct session_clock *clock)
{
    clock->started_ms = clock->last_line_ms = now_ms();
    clock->received = 0;
}

void session_clock_line(struct session_clock *clock, size_t bytes)
{
    clock->last_line_ms = now_ms();
    clock->received += bytes;
}

int session_clock_wait_ms(const struct session_clock *clock,
                          const struct server_config *config, bool stressed)
{
    long long now = now_ms();
    long long idle_end = clock->last_line_ms + idle_limit_ms(config, stressed);
    long long session_end = clock->started_ms + config->session_limit * 1000LL;
    long long end = idle_end < session_end ? idle_end : session_end;
    long long wait = end - now;
    if (wait > CLOCK_TICK_MS)
        wait = CLOCK_TICK_MS;
    return wait < 1 ? 1 : (int)wait;
}

const char *session_clock_check(const struct session_clock *clock, struct session *s,
                                bool stressed)
{
    const struct server_config *config = s->config;
    long long now = now_ms();
    long long age = now - clock->started_ms;
    if (now - clock->last_line_ms >= idle_limit_ms(config, stressed)) {
        session_timed_out(s); /* 421 4.4.2, as RFC 5321 §4.5.3.2 has it */
        return stressed ? "timeout (server busy)" : "timeout";
    }
    if (age >= config->session_limit * 1000LL) {
        /* RFC 3463 §3.5: X.4.2 "bad connection", as for a timeout. */
        session_reply(s, 421, "4.4.2", "%s Session too long, closing connection",
                      config->hostname);
        session_set_state(s, STATE_CLOSING);
        return "session limit";
    }
    /* Progress: only while others are waiting for a worker, and never in
     * a session's first --busy-timeout seconds (it had no time yet). */
    if (stressed && config->min_rate > 0 &&
        age >= (long long)config->busy_timeout_seconds * 1000 &&
        clock->received * 1000 <
            (unsigned long long)config->min_rate * (unsigned long long)age) {
        session_reply(s, 421, "4.4.2",
                      "%s Too slow while the server is busy, closing connection",
                      config->hostname);
        session_set_state(s, STATE_CLOSING);
        return "too slow while the server is busy";
    }
    return NULL;
}
