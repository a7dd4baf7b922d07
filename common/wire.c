/*
 * wire.c - turning a TCP byte stream into SMTP lines, and back.
 *
 * Tier: core — read this first.
 *
 * The reading side keeps one fixed buffer per connection. wire_read_line()
 * looks for "\n" in what is buffered; when there is none it reads more from
 * the socket, after poll() has said bytes are there (or the line's time ran
 * out: the timeout is for the whole line, however the bytes trickle in).
 * Every wait goes through wire_wait(), which also keeps the wire's
 * deadline, if it has one: that is how the client bounds a whole reply of
 * many lines, and a whole session (client/smtp_connection.c).
 * Nothing here allocates memory, so nothing a peer sends can make us grow.
 */
#include "wire.h"
#include "wire_private.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void wire_init(struct wire *w, int fd, int timeout_ms)
{
    w->fd = fd;
    w->ssl = NULL;
    w->timeout_ms = timeout_ms;
    w->deadline_ms = -1;
    w->in_start = 0;
    w->in_end = 0;
    w->peer_closed = false;
}

size_t wire_buffered(const struct wire *w)
{
    return w->in_end - w->in_start;
}

bool wire_line_ready(const struct wire *w, size_t cap)
{
    size_t avail = w->in_end - w->in_start;
    return avail >= cap + 1 || w->peer_closed ||
           memchr(w->in + w->in_start, '\n', avail) != NULL;
}

/* Milliseconds on a clock that never jumps (unlike the time of day). */
long long wire_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void wire_set_deadline(struct wire *w, long long deadline_ms)
{
    w->deadline_ms = deadline_ms;
}

long long wire_earlier(long long a, long long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

/* Wait until fd is ready for `events` (POLLIN or POLLOUT), at most
 * timeout_ms milliseconds (-1: forever), and never past the deadline. */
enum wire_status wire_wait(const struct wire *w, short events, int timeout_ms)
{
    if (w->deadline_ms >= 0) {
        long long left = w->deadline_ms - wire_now_ms();
        if (left <= 0)
            return WIRE_TIMEOUT;
        if (timeout_ms < 0 || left < timeout_ms)
            timeout_ms = (int)left;
    }
    struct pollfd pfd = {.fd = w->fd, .events = events};
    int n = poll(&pfd, 1, timeout_ms);
    if (n == 0)
        return WIRE_TIMEOUT;
    if (n < 0)
        return errno == EINTR ? WIRE_INTERRUPTED : WIRE_ERROR;
    return WIRE_OK;
}

/* Read whatever the socket has into the free end of the buffer, waiting
 * at most timeout_ms for it. */
static enum wire_status fill_buffer(struct wire *w, int timeout_ms)
{
    /* Slide unread bytes to the front so the free space is one block. */
    if (w->in_start > 0) {
        memmove(w->in, w->in + w->in_start, w->in_end - w->in_start);
        w->in_end -= w->in_start;
        w->in_start = 0;
    }
    assert(w->in_end < sizeof w->in);
    if (w->ssl != NULL)
        return wire_tls_fill(w, timeout_ms); /* TLS decrypts: wire_tls.c */

    enum wire_status status = wire_wait(w, POLLIN, timeout_ms);
    if (status != WIRE_OK)
        return status;

    ssize_t n = read(w->fd, w->in + w->in_end, sizeof w->in - w->in_end);
    if (n < 0)
        return errno == EINTR ? WIRE_INTERRUPTED : WIRE_ERROR;
    if (n == 0) {
        w->peer_closed = true; /* TCP FIN: the peer will send nothing more */
        return WIRE_OK;
    }
    w->in_end += (size_t)n;
    return WIRE_OK;
}

/* Copy n buffered bytes out to line[], NUL-terminate, and skip `consumed`. */
static void hand_out(struct wire *w, char *line, size_t n, size_t consumed, size_t *len)
{
    memcpy(line, w->in + w->in_start, n);
    line[n] = '\0';
    *len = n;
    w->in_start += consumed;
}

enum wire_status wire_read_line(struct wire *w, char *line, size_t cap, size_t *len,
                                enum line_end *end)
{
    /* A text line of max bytes plus CR LF must fit in the buffer. */
    assert(cap >= 3 && cap + 1 <= sizeof w->in);
    size_t max = cap - 1; /* room for the NUL */
    /* The timeout bounds the whole line, not each read(): otherwise a
     * peer that trickles one byte every few seconds (a "slowloris") would
     * hold its session - and one of the --max-sessions slots - forever,
     * although it never finishes a command (RFC 5321 §4.5.3.2.7). */
    long long deadline = w->timeout_ms < 0 ? -1 : wire_now_ms() + w->timeout_ms;

    for (;;) {
        const unsigned char *p = w->in + w->in_start;
        size_t avail = w->in_end - w->in_start;

        /* A whole line fits if its "\n" is within max text bytes + CR LF. */
        size_t window = avail < max + 2 ? avail : max + 2;
        const unsigned char *lf = memchr(p, '\n', window);
        if (lf != NULL) {
            size_t text = (size_t)(lf - p);
            *end = LINE_END_LF;
            if (text > 0 && p[text - 1] == '\r') {
                text--;
                *end = LINE_END_CRLF;
            }
            if (text <= max) {
                hand_out(w, line, text, (size_t)(lf - p) + 1, len);
                return WIRE_OK;
            }
        }

        /* Too long for the caller: hand out a piece, keeping a trailing CR
         * in the buffer so that a CR LF split across pieces stays whole. */
        if (avail >= max + 2 || lf != NULL) {
            size_t piece = (p[max - 1] == '\r') ? max - 1 : max;
            *end = LINE_END_NONE;
            hand_out(w, line, piece, piece, len);
            return WIRE_OK;
        }

        if (w->peer_closed)
            return WIRE_EOF;

        int wait_ms = -1;
        if (deadline >= 0) {
            long long left = deadline - wire_now_ms();
            if (left <= 0)
                return WIRE_TIMEOUT; /* the bytes so far stay buffered */
            wait_ms = (int)left;
        }
        enum wire_status status = fill_buffer(w, wait_ms);
        if (status != WIRE_OK)
            return status;
    }
}

enum wire_status wire_write(struct wire *w, const void *data, size_t len)
{
    if (w->ssl != NULL)
        return wire_tls_write(w, data, len); /* TLS encrypts: wire_tls.c */
    const char *p = data;
    while (len > 0) {
        /* Try first, wait only if we must. A reply is a few dozen bytes
         * and the kernel's send buffer almost always has room, so asking
         * poll() first would be a wasted system call per reply.
         * MSG_DONTWAIT: if the buffer is full (a peer that does not read),
         * fail with EAGAIN instead of blocking without a time limit.
         * MSG_NOSIGNAL: a closed peer gives EPIPE here, not a fatal SIGPIPE. */
        ssize_t n = send(w->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue; /* a signal must not cut a reply in half */
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == EPIPE || errno == ECONNRESET ? WIRE_EOF : WIRE_ERROR;
        /* The buffer is full: wait until the peer has read some of it. */
        enum wire_status status = wire_wait(w, POLLOUT, w->timeout_ms);
        if (status != WIRE_OK && status != WIRE_INTERRUPTED)
            return status;
    }
    return WIRE_OK;
}

const char *wire_status_text(enum wire_status status)
{
    switch (status) {
    case WIRE_OK:
        return "ok";
    case WIRE_EOF:
        return "the peer closed the connection";
    case WIRE_TIMEOUT:
        return "timed out waiting for the peer";
    case WIRE_INTERRUPTED:
        return "interrupted by a signal";
    case WIRE_ERROR:
        return "a system call failed";
    }
    return "unknown";
}
