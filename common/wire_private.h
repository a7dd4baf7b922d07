/*
 * wire_private.h - what wire.c and wire_tls.c share with each other and
 * with nobody else.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_WIRE_PRIVATE_H
#define MAILWALK_WIRE_PRIVATE_H

#include "wire.h"

/* poll() the socket for events (POLLIN/POLLOUT), at most timeout_ms, and
 * never past w->deadline_ms (then WIRE_TIMEOUT at once). */
enum wire_status wire_wait(const struct wire *w, short events, int timeout_ms);

/* The TLS versions of reading into the buffer and writing (wire_tls.c). */
enum wire_status wire_tls_fill(struct wire *w, int timeout_ms);
enum wire_status wire_tls_write(struct wire *w, const void *data, size_t len);

#endif
