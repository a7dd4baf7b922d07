/*
 * listener.h - the listening sockets: where clients knock.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_LISTENER_H
#define MAILWALK_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * Listen on spec ("127.0.0.1:2525", "[::1]:2525", "localhost:0").
 * Returns the socket, with `bound` set to the address really in use (the
 * port the kernel chose for port 0), or -1 with `why` explaining.
 */
int listener_open(const char *spec, char *bound, size_t bound_cap, char *why,
                  size_t why_cap);

/*
 * Out of file descriptors (EMFILE, ENFILE), accept() fails and the client
 * stays in the listen queue: the socket stays readable, so a server that
 * waits with poll() or epoll wakes again at once, and again, spinning,
 * while the client hears nothing. The way out (used by libuv, nginx and
 * others) is a spare descriptor, opened at start and kept unused: when
 * accept() says EMFILE, close the spare, accept the client with the
 * descriptor that frees, tell it `refusal` (a 421 line, or NULL to say
 * nothing, as on an --smtps port), close it, and open the spare again.
 */

/* Open the spare descriptor (before fork(): every worker gets its own). */
void listener_keep_spare(void);

/* accept() the next client on the non-blocking `listener`: its socket, or
 * -1 with errno: EAGAIN when nobody is waiting (another process took the
 * client), EMFILE or ENFILE when out of descriptors (the client, if the
 * spare helped, was told `refusal` and closed). */
int listener_accept(int listener, struct sockaddr_storage *addr, socklen_t *len,
                    const char *refusal);

/* The printable "ip:port" (or "[ip6]:port") of a socket address. */
void listener_format_address(const void *sockaddr, unsigned len, char *out, size_t cap,
                             int with_port);

#endif
