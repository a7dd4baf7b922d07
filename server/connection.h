/*
 * connection.h - moving one client's bytes between the socket and the
 * session. This is the only part of the server that talks to the network.
 *
 * Tier: core — read this first.
 */
#ifndef MAILWALK_CONNECTION_H
#define MAILWALK_CONNECTION_H

#include "config.h"
#include "event_log.h"

/* Serve the client on fd until it quits, times out or the server stops.
 * Runs in a worker process (workers.c). `role` is the kind of listener
 * the client came through: on ROLE_SMTPS the TLS handshake comes first. */
void connection_serve(int fd, const struct server_config *config,
                      const struct event_log *log, const char *session_id,
                      const char *peer, enum listener_role role);

/* Have `hook` called in every session once its last reply is decided,
 * just before it is sent (workers.c tells the parent it is free). */
void connection_on_goodbye(void (*hook)(void));

/* Ask the connection (from a signal handler) to say 421 and close. */
void connection_request_stop(void);

#endif
