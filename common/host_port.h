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

/* What host_port_problem() says when spec is not HOST:PORT at all. */
#define HOST_PORT_EXPECTED "expected HOST:PORT, like 127.0.0.1:2525 or [::1]:2525"

/* What is wrong with spec, in words for a usage error ("the port must be a
 * number from 0 to 65535"), or NULL when it is a good HOST:PORT. The one
 * check every option that takes an address goes through, so that a typo
 * is an error at once, before a program creates anything. */
const char *host_port_problem(const char *spec);

/* Split spec into host (brackets removed) and a numeric port, 0 to 65535.
 * False if host_port_problem() finds fault or a part does not fit. */
bool host_port_split(const char *spec, char *host, size_t host_cap, char *port,
                     size_t port_cap);

#endif
