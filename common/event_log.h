/*
 * event_log.h - what happened inside, one JSON object per line.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The wire shows what crossed the network; the event log shows what each
 * program *did* about it: a connection arrived, a line came in, the session
 * moved from MAIL to RCPT, a message reached a mailbox. The visualizer and
 * the tests read it to follow the story from the inside. Example line:
 *
 *   {"time":"2026-11-23T09:00:00.123Z","pid":4242,"session":"4242.1",
 *    "event":"line_in","text":"EHLO alice.example"}
 *
 * Logging is optional: with no file open, every call does nothing.
 */
#ifndef MAILWALK_EVENT_LOG_H
#define MAILWALK_EVENT_LOG_H

#include <stddef.h>

struct event_log {
    int fd; /* the log file opened for appending, or -1 when not logging */
};

/* A log that writes nothing (the default). */
void event_log_init(struct event_log *log);

/* Open (create or append to) path. Returns 0, or -1 with errno set. */
int event_log_open(struct event_log *log, const char *path);

void event_log_close(struct event_log *log);

/*
 * Write one event. After `event` come pairs of strings, key then value,
 * ended by NULL:  event_log_write(log, sid, "state", "from", "MAIL",
 * "to", "RCPT", NULL);  Values are escaped for JSON.
 */
void event_log_write(const struct event_log *log, const char *session,
                     const char *event, ...);

/* Write a line that crossed the wire ("line_in" / "line_out"). The text may
 * hold any bytes, NULs included; non-UTF-8 bytes are written as \u00XX. */
void event_log_line(const struct event_log *log, const char *session, const char *event,
                    const char *text, size_t len);

#endif
