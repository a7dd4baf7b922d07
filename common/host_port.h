/*
 * host_port.h - reading "HOST:PORT", the way both programs take addresses.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * "127.0.0.1:2525", "localhost:25" and, for IPv6, "[::1]:2525": the square
 * brackets keep the colons of an IPv6 address apart from the one before
 * the port (the same convention as URLs, RFC 3986 §3.2.2).
 */
#ifndef MAILWALK_HOST_PORT_H
#define MAILWALK_HOST_PORT_H

#include <stdbool.h>
#include <stddef.h>

/* Split spec into host (brackets removed) and a numeric port. False if
 * spec is not of that form or a part does not fit. */
bool host_port_split(const char *spec, char *host, size_t host_cap, char *port,
                     size_t port_cap);

#endif
