/*
 * queue_runner.h - the process that empties the queue.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Next to the workers that receive mail, a server with --queue runs one
 * more process: the queue runner. It looks at the queue a few times a
 * second, and for every recipient whose time has come it either puts the
 * message into a local Maildir or relays it to the next hop (relay.c),
 * then records what happened: sent, try again at a later time, or bounced.
 */
#ifndef MAILWALK_QUEUE_RUNNER_H
#define MAILWALK_QUEUE_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "event_log.h"

/* How often the runner looks at the queue. New mail goes out within this
 * time (a real server would also be woken by the receiver at once). */
#define QUEUE_POLL_MS 250

/* How many messages the runner works on at once, each in a child process
 * of its own, so that one slow next hop cannot hold up the others
 * (queue_runner.c, "The children"; docs/relay.md). */
#define QUEUE_RUNNER_CHILDREN 4

/* Files left in the queue's tmp/ (or messages without an envelope) this
 * many seconds old are leftovers of a crash; the runner removes them when
 * it starts. */
#define QUEUE_TIDY_AGE 3600

/* Claim the queue for this server: one runner per queue, or two would
 * send every message twice. Returns an fd to keep open (the lock lasts
 * as long as it), or -1 with why ("used by another mailwalk-server"). */
int queue_lock(const char *dir, char *why, size_t why_cap);

/* Start the runner process. Returns its pid, or -1 (errno). */
pid_t queue_runner_start(const struct server_config *config,
                         const struct event_log *log);

#endif
