/*
 * smtp_connection.c - opening the connection, and the one-command-one-reply
 * rhythm that every SMTP command follows.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * SMTP runs over TCP (RFC 5321 §2.1, port 25 for relaying, 587 for
 * submission). The *server* speaks first: after the TCP handshake the client
 * waits for the 220 greeting (§3.1, §4.3.1) before it may say anything.
 * After that the client leads: it sends a command line, the server answers
 * with a reply, and the client sends the next command (§4.3). Everything in
 * this file serves that rhythm; the commands themselves are in
 * smtp_commands.c.
 *
 * It also keeps the clocks. RFC 5321 §4.5.3.2 gives each command a time
 * for its *reply* - the whole reply, however many lines - so a reply gets
 * one deadline when we start to read it, and every line of it must arrive
 * before then. A second deadline covers the whole session
 * (c->session_limit_ms). Both live in the wire (wire_set_deadline), which
 * checks them before every wait; they are kept here, and not in the files
 * with the commands, so a lab that replaces those files keeps them too.
 */
#include "smtp_internal.h"

#include "wire_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void smtp_client_init(struct smtp_client *c, smtp_transcript_fn transcript,
                      void *transcript_user)
{
    memset(c, 0, sizeof *c);
    c->wire.fd = -1;
    c->timeout_cap_ms = -1;
    c->session_limit_ms = -1;
    c->session_deadline_ms = -1;
    c->transcript = transcript;
    c->transcript_user = transcript_user;
}

void smtp_report(struct smtp_client *c, enum smtp_direction direction, const char *line,
                 size_t len)
{
    if (c->transcript != NULL)
        c->transcript(c->transcript_user, direction, line, len);
}

void smtp_note(struct smtp_client *c, const char *format, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    smtp_report(c, SMTP_NOTE, text, strlen(text));
}

int smtp_fail(struct smtp_client *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(c->error, sizeof c->error, format, ap);
    va_end(ap);
    return -1;
}

void smtp_set_timeout(struct smtp_client *c, int seconds)
{
    int ms = seconds * 1000;
    if (c->timeout_cap_ms >= 0 && c->timeout_cap_ms < ms)
        ms = c->timeout_cap_ms;
    if (c->reply_timeout_ms > 0)
        ms = c->reply_timeout_ms;
    c->wire.timeout_ms = ms;
}

/* Start a non-blocking connect() and wait for it at most timeout_ms. A plain
 * connect() to an address where nothing answers can block for minutes (the
 * kernel's SYN retries); a user agent should say "no answer" much sooner.
 * Returns 0, or -1 with errno set. */
static int connect_with_timeout(int fd, const struct sockaddr *addr, socklen_t addr_len,
                                int timeout_ms)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    if (connect(fd, addr, addr_len) < 0) {
        if (errno != EINPROGRESS)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n;
        do
            n = poll(&pfd, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        /* The handshake finished, well or badly: SO_ERROR says which. */
        int err = 0;
        socklen_t err_len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
            return -1;
        if (err != 0) {
            errno = err;
            return -1;
        }
    }
    /* Back to blocking: wire.c waits with poll() before each read/write. */
    return fcntl(fd, F_SETFL, flags);
}

/* Remember our own address (for an EHLO address literal, §4.1.3). */
static void remember_local_address(struct smtp_client *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    c->local_address[0] = '\0';
    if (getsockname(c->wire.fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->local_address,
                  sizeof c->local_address);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->local_address,
                  sizeof c->local_address);
}

int smtp_open(struct smtp_client *c, const char *host, const char *port, int timeout_ms,
              const char *next_step)
{
    c->sys_errno = 0;
    c->tls_failed = false;
    /* The session's clock starts now, before the name lookup and connect. */
    c->session_deadline_ms =
        c->session_limit_ms < 0 ? -1 : wire_now_ms() + c->session_limit_ms;
    if (c->session_limit_ms >= 0 &&
        (timeout_ms < 0 || c->session_limit_ms < timeout_ms))
        timeout_ms = c->session_limit_ms;

    /* getaddrinfo turns "localhost" into 127.0.0.1 and ::1; we try each
     * address in turn until one answers.
     * SIMPLIFICATION: a real MTA first looks up the MX records of the
     * recipient's domain (RFC 5321 §5.1); here the user names the server. */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addrs;
    int rc = getaddrinfo(host, port, &hints, &addrs);
    if (rc != 0) {
        c->sys_errno = rc == EAI_SYSTEM ? errno : 0;
        return smtp_fail(c, "getaddrinfo(%s, %s): %s", host, port, gai_strerror(rc));
    }

    int fd = -1;
    char where[128] = "";
    for (struct addrinfo *a = addrs; a != NULL; a = a->ai_next) {
        char numeric[64];
        if (getnameinfo(a->ai_addr, a->ai_addrlen, numeric, sizeof numeric, NULL, 0,
                        NI_NUMERICHOST) != 0)
            snprintf(numeric, sizeof numeric, "%s", host);
        snprintf(where, sizeof where, "%s port %s", numeric, port);
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            c->sys_errno = errno;
            smtp_fail(c, "socket(): %s", strerror(errno));
            continue;
        }
        smtp_note(c, "connecting to %s ...", where);
        if (connect_with_timeout(fd, a->ai_addr, a->ai_addrlen, timeout_ms) == 0)
            break;
        c->sys_errno = errno;
        smtp_fail(c, "connect(%s): %s", where, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addrs);
    if (fd < 0)
        return -1;

    wire_init(&c->wire, fd, timeout_ms);
    wire_set_deadline(&c->wire, c->session_deadline_ms);
    c->connected = true;
    memset(&c->ext, 0, sizeof c->ext);
    remember_local_address(c);
    smtp_note(c, "connected to %s (TCP handshake done); %s", where, next_step);
    return 0;
}

/* Connect, then wait for the server to speak first. */
int smtp_connect(struct smtp_client *c, const char *host, const char *port,
                 int timeout_ms, struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (smtp_open(c, host, port, timeout_ms, "waiting for the server to speak first") <
        0)
        return -1;

    /* RFC 5321 §3.1: the server greets first; 220 = ready, 554 = it will
     * not talk to us (the client should still send QUIT). */
    smtp_set_timeout(c, SMTP_TIMEOUT_GREETING_S);
    return smtp_read_reply(c, reply);
}

void smtp_close(struct smtp_client *c)
{
    if (c->connected) {
        wire_tls_end(&c->wire);
        close(c->wire.fd);
        c->wire.fd = -1;
        c->connected = false;
    }
}

/* Turn a wire failure into c->error and -1. */
static int wire_failed(struct smtp_client *c, const char *call, enum wire_status status)
{
    if (status == WIRE_ERROR) {
        c->sys_errno = errno;
        return smtp_fail(c, "%s: %s", call, strerror(errno));
    }
    c->sys_errno = 0;
    return smtp_fail(c, "%s: %s", call, wire_status_text(status));
}

/* A reply that did not arrive in time: say which clock ran out, and how
 * much of the reply had come, so a dripping server is told from a dead one. */
static int reply_timed_out(struct smtp_client *c, const struct smtp_reply *reply,
                           int reply_ms)
{
    c->sys_errno = 0;
    if (c->session_deadline_ms >= 0 && wire_now_ms() >= c->session_deadline_ms)
        return smtp_fail(
            c,
            "reading the server's reply: timed out: the session's limit of "
            "%d s is over (%zu line%s of this reply had come)",
            (c->session_limit_ms + 999) / 1000, reply->line_count,
            reply->line_count == 1 ? "" : "s");
    return smtp_fail(
        c,
        "reading the server's reply: timed out: no whole reply within %d s "
        "(%zu line%s of it had come; RFC 5321 §4.5.3.2 times the "
        "whole reply, not each line)",
        (reply_ms + 999) / 1000, reply->line_count, reply->line_count == 1 ? "" : "s");
}

/* Read the lines of one reply until its last line; the deadline is set. */
static int read_reply_lines(struct smtp_client *c, struct smtp_reply *reply,
                            int reply_ms)
{
    for (;;) {
        /* §4.5.3.1.5: a reply line is at most 512 octets with its CR LF. */
        char line[SMTP_MAX_REPLY_LINE + 1];
        size_t len;
        enum line_end end;
        enum wire_status status;
        do
            status = wire_read_line(&c->wire, line, sizeof line, &len, &end);
        while (status == WIRE_INTERRUPTED);
        if (status == WIRE_TIMEOUT)
            return reply_timed_out(c, reply, reply_ms);
        if (status != WIRE_OK)
            return wire_failed(c, "reading the server's reply", status);

        smtp_report(c, SMTP_RECEIVED, line, len);
        if (end == LINE_END_NONE)
            return smtp_fail(c,
                             "the server sent a reply line longer than "
                             "%d octets (RFC 5321 §4.5.3.1.5)",
                             SMTP_MAX_REPLY_LINE);
        /* SIMPLIFICATION: a reply line ended by a bare LF is accepted; only
         * the server side must be strict about line endings (data.c). */
        char why[200];
        enum smtp_reply_step step = smtp_reply_feed(reply, line, len, why, sizeof why);
        if (step == SMTP_REPLY_MALFORMED)
            return smtp_fail(c, "the server's reply is malformed: %s", why);
        if (step == SMTP_REPLY_DONE)
            return 0;
    }
}

int smtp_read_reply(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (!c->connected)
        return smtp_fail(c, "not connected");

    /* The command's timeout (smtp_set_timeout) is for its whole reply: the
     * clock starts now and does not start again with each line. Otherwise
     * a server that sends one line of a 10-line EHLO reply every 290 s
     * would hold us for 48 minutes on a 5-minute timeout. */
    int reply_ms = c->wire.timeout_ms;
    long long reply_deadline = reply_ms < 0 ? -1 : wire_now_ms() + reply_ms;
    wire_set_deadline(&c->wire, wire_earlier(reply_deadline, c->session_deadline_ms));
    int rc = read_reply_lines(c, reply, reply_ms);
    /* Between replies (while we send) only the session's deadline holds. */
    wire_set_deadline(&c->wire, c->session_deadline_ms);
    return rc;
}

int smtp_queue_command(struct smtp_client *c, const char *line, char *buf, size_t *used,
                       size_t cap)
{
    return smtp_queue_command_as(c, line, line, buf, used, cap);
}

int smtp_queue_command_as(struct smtp_client *c, const char *line, const char *shown,
                          char *buf, size_t *used, size_t cap)
{
    size_t len = strlen(line);
    /* A CR or LF inside the line would end it early, and what follows
     * would reach the server as a second command nobody meant to send. */
    if (strpbrk(line, "\r\n") != NULL)
        return smtp_fail(c, "refusing to send a command with a line break "
                            "inside it");
    /* §4.5.3.1.4: a command line is at most 512 octets, CR LF included. */
    if (len + 2 > SMTP_MAX_COMMAND_LINE)
        return smtp_fail(c,
                         "command longer than %d octets (RFC 5321 "
                         "§4.5.3.1.4)",
                         SMTP_MAX_COMMAND_LINE);
    if (*used + len + 2 > cap)
        return smtp_fail(c, "too many commands for one group");
    memcpy(buf + *used, line, len);
    memcpy(buf + *used + len, "\r\n", 2);
    *used += len + 2;
    smtp_report(c, SMTP_SENT, shown, strlen(shown));
    return 0;
}

int smtp_flush(struct smtp_client *c, const char *buf, size_t len)
{
    if (!c->connected)
        return smtp_fail(c, "not connected");
    enum wire_status status = wire_write(&c->wire, buf, len);
    if (status != WIRE_OK)
        return wire_failed(c, "sending to the server", status);
    return 0;
}

int smtp_command(struct smtp_client *c, const char *line, struct smtp_reply *reply)
{
    char buf[SMTP_MAX_COMMAND_LINE];
    size_t used = 0;
    smtp_reply_clear(reply);
    if (smtp_queue_command(c, line, buf, &used, sizeof buf) < 0 ||
        smtp_flush(c, buf, used) < 0)
        return -1;
    return smtp_read_reply(c, reply);
}
