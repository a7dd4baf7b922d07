/*
 * listener.c - socket(), bind(), listen(): opening a door for clients.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * getaddrinfo() turns "localhost" or "::1" into socket addresses, so the
 * same code serves IPv4 and IPv6.
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_port.h"

void listener_format_address(const void *sockaddr, unsigned len, char *out, size_t cap,
                             int with_port)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(sockaddr, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "unknown");
        return;
    }
    if (!with_port)
        snprintf(out, cap, "%s", host);
    else if (((const struct sockaddr *)sockaddr)->sa_family == AF_INET6)
        snprintf(out, cap, "[%s]:%s", host, port);
    else
        snprintf(out, cap, "%s:%s", host, port);
}

int listener_open(const char *spec, char *bound, size_t bound_cap, char *why,
                  size_t why_cap)
{
    char host[256], port[16];
    if (!host_port_split(spec, host, sizeof host, port, sizeof port)) {
        snprintf(why, why_cap,
                 "--listen %s: expected HOST:PORT, like "
                 "127.0.0.1:2525 or [::1]:2525",
                 spec);
        return -1;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) {
        snprintf(why, why_cap, "--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }

    int fd = -1;
    for (struct addrinfo *ai = found; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(why, why_cap, "socket(%s): %s", spec, strerror(errno));
            continue;
        }
        /* SO_REUSEADDR: restart at once on the same port, even while old
         * connections linger in TIME_WAIT. */
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
            snprintf(why, why_cap, "bind(%s): %s%s", spec, strerror(errno),
                     errno == EADDRINUSE ? " (is another server running there?)"
                     : errno == EACCES   ? " (ports below 1024 need root)"
                                         : "");
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0)
        return -1;

    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    listener_format_address(&addr, len, bound, bound_cap, 1);
    return fd;
}

/* The spare descriptor (listener.h), or -1. */
static int spare_fd = -1;

void listener_keep_spare(void)
{
    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int listener_accept(int listener, struct sockaddr_storage *addr, socklen_t *len,
                    const char *refusal)
{
    socklen_t cap = *len;
    int fd = accept(listener, (struct sockaddr *)addr, len);
    if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || spare_fd < 0)
        return fd;
    int out_of = errno;
    close(spare_fd); /* now there is one descriptor free... */
    *len = cap;
    fd = accept(listener, (struct sockaddr *)addr, len);
    if (fd >= 0) { /* ...for just long enough to say why we cannot serve */
        if (refusal != NULL) {
            ssize_t ignored =
                send(fd, refusal, strlen(refusal), MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
        }
        close(fd);
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    errno = out_of;
    return -1;
}
