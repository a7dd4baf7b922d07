/*
 * workers.h - the pool of session processes.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * mailwalk-server starts --max-sessions worker processes when it starts.
 * Each worker waits for a client, serves it from greeting to goodbye, and
 * waits for the next one: one process per session at a time, as in Postfix
 * (its smtpd processes) or Apache's "prefork" model. The parent only
 * watches: it replaces a worker that dies, turns clients away with 421
 * when every worker is busy, and stops them all on SIGTERM.
 */
#ifndef MAILWALK_WORKERS_H
#define MAILWALK_WORKERS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "event_log.h"

/* What a worker tells the parent through the status pipe. */
struct worker_status {
    pid_t pid; /* which worker */
    bool busy; /* true: serving a client now; false: waiting for one */
};

/* One slot of the pool. */
struct worker {
    pid_t pid; /* 0 = empty slot */
    bool busy; /* as last reported */
};

struct worker_pool {
    const struct server_config *config;
    const struct event_log *log;
    const int *listeners; /* the listening sockets, shared by all */
    size_t listener_count;
    struct worker *workers; /* config->max_sessions slots */
    size_t size;
    int status_pipe[2]; /* workers write [1], the parent reads [0] */
    long long started;  /* server start time, for session ids */
    pid_t parent_pid;   /* the supervisor, as a worker checks after fork() */
};

/* Prepare the pool and fork every worker. Returns 0, or -1 (errno). */
int workers_start(struct worker_pool *pool, const struct server_config *config,
                  const struct event_log *log, const int *listeners,
                  size_t listener_count);

/* Read the workers' status messages that have arrived (non-blocking). */
void workers_read_status(struct worker_pool *pool);

/* How many workers are serving a client right now. */
size_t workers_busy(const struct worker_pool *pool);

/* Collect dead workers and, unless stopping, start new ones in their place. */
void workers_reap(struct worker_pool *pool, bool replace);

/* SIGTERM every worker and wait up to grace_seconds for them to finish
 * their sessions (they answer 421); then SIGKILL what is left. */
void workers_stop(struct worker_pool *pool, int grace_seconds);

#endif
