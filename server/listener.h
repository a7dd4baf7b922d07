/*
 * listener.h - the listening sockets: where clients knock.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_LISTENER_H
#define MAILWALK_LISTENER_H

#include <stddef.h>

/*
 * Listen on spec ("127.0.0.1:2525", "[::1]:2525", "localhost:0").
 * Returns the socket, with `bound` set to the address really in use (the
 * port the kernel chose for port 0), or -1 with `why` explaining.
 */
int listener_open(const char *spec, char *bound, size_t bound_cap, char *why,
                  size_t why_cap);

/* The printable "ip:port" (or "[ip6]:port") of a socket address. */
void listener_format_address(const void *sockaddr, unsigned len, char *out, size_t cap,
                             int with_port);

#endif
