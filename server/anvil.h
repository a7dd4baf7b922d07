/*
 * anvil.h - per-client counters that every worker shares.
 *
 * Each worker serves one client and knows nothing of the others. But some
 * limits are about all sessions at once: "at most 50 sessions from one
 * address", "at most 10 failed logins an hour from one address, or for one
 * user name", "is the server under stress right now?". Postfix keeps such
 * counters in a small server of their own called anvil; here they live in
 * one table of shared memory, made by the parent before the workers fork,
 * that each worker locks for the few microseconds it takes to look and
 * count. (A first reading of the server can skip this file: without a
 * table, as in the unit tests, every question answers "allowed".)
 */
#ifndef MAILWALK_ANVIL_H
#define MAILWALK_ANVIL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What anvil_session_begin() decided about a new client. */
enum anvil_verdict {
    ANVIL_WELCOME,        /* serve it */
    ANVIL_TOO_MANY,       /* --max-per-client sessions from its address already */
    ANVIL_TOO_MANY_A_MIN, /* --max-rate-per-client connections this minute */
};

/* Make the shared table for `slots` workers, with the limits of `config`.
 * Call once, in the parent, before fork(). Returns 0, or -1 (errno). */
int anvil_create(const struct server_config *config, size_t slots);

/* In a worker: the client at `address` has just connected to the worker
 * in `slot`. Counts the connection and, if the verdict is ANVIL_WELCOME,
 * notes that this slot now serves that address. */
enum anvil_verdict anvil_session_begin(size_t slot, const char *address);

/* The session in `slot` is over (the worker says so, or the parent, when
 * a worker died in the middle of one). */
void anvil_session_end(size_t slot);

/* The parent has just turned a client away because every worker was busy
 * (main.c). */
void anvil_turned_away(void);

/* Is the server under stress: every worker serving a client, and clients
 * turned away for it within the last minute? Then sessions get shorter
 * limits (session_clock.c). This is Postfix's "stress": all busy alone is
 * not enough, or the one student of a --max-sessions 1 server typing
 * slowly would be cut off with nobody waiting. */
bool anvil_under_stress(void);

/* May a login be tried now? False when the address, or the user name, has
 * had --max-auth-failures failed logins within --auth-failure-window.
 * True: the try is counted as a failure already, for both, until
 * anvil_auth_succeeded() takes it back. (Checking a password takes a
 * while; counting first means that guessers on many connections at once
 * cannot all slip through the same gap.) `user` may be NULL. */
bool anvil_auth_begin(const char *address, const char *user);

/* The login begun with anvil_auth_begin() succeeded (or could not be
 * checked): it is not a failure after all. */
void anvil_auth_succeeded(const char *address, const char *user);

/* A login failed without anvil_auth_begin() (an unusable name, or acting
 * for someone else): count it for the address and the user name. */
void anvil_auth_failed(const char *address, const char *user);

#endif
