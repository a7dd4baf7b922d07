/*
 * workers.h - the pool of session processes.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * mailwalk-server starts a few worker processes when it starts, and more
 * as clients come, up to --max-sessions. Each worker waits for a client,
 * serves it from greeting to goodbye, and waits for the next one: one
 * process per session at a time, as in Postfix (its smtpd processes) or
 * Apache's "prefork" model. The parent only watches: it keeps WORKERS_SPARE
 * workers idle and ready, replaces a worker that dies, turns clients away
 * with 421 when all --max-sessions workers are busy, and stops them all on
 * SIGTERM.
 */
#ifndef MAILWALK_WORKERS_H
#define MAILWALK_WORKERS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "event_log.h"

/* Idle workers kept ready for the next clients. The pool starts with this
 * many and grows one worker for each that becomes busy, up to
 * --max-sessions: a classroom's 100 sessions cost 100 processes only while
 * 100 clients are there, and a server that starts (as every test does)
 * forks 8 processes, not 100. The pool never shrinks: a worker that was
 * needed once is kept, idle, for the next rush (Apache's prefork also
 * kills spares; we keep it simpler). */
#define WORKERS_SPARE 8

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

/* Prepare the pool and fork the first WORKERS_SPARE workers. Returns 0,
 * or -1 (errno). */
int workers_start(struct worker_pool *pool, const struct server_config *config,
                  const struct event_log *log, const int *listeners,
                  size_t listener_count);

/* Read the workers' status messages that have arrived (non-blocking). */
void workers_read_status(struct worker_pool *pool);

/* Fork workers into empty slots until WORKERS_SPARE of them are idle, or
 * every slot has one. The parent calls it after each batch of notes. */
void workers_keep_spares(struct worker_pool *pool);

/* Are all --max-sessions workers there and serving a client? Only then is
 * a new client refused: otherwise a worker is, or will in a moment be,
 * ready for it. */
bool workers_all_busy(const struct worker_pool *pool);

/* How many workers are serving a client right now. */
size_t workers_busy(const struct worker_pool *pool);

/* Collect dead workers and, unless stopping, start new ones in their place. */
void workers_reap(struct worker_pool *pool, bool replace);

/* SIGTERM every worker and wait up to grace_seconds for them to finish
 * their sessions (they answer 421); then SIGKILL what is left. */
void workers_stop(struct worker_pool *pool, int grace_seconds);

#endif
