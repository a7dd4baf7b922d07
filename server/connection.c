/*
 * connection.c - the loop "read a line, let the session answer, send".
 *
 * PIPELINING (RFC 2920) falls out of this loop: if the client sent several
 * commands at once, they sit in the wire's buffer; we answer each in turn,
 * collect the replies, and send them together once no whole line is left
 * to read (§3: the server must answer in order, and should send replies in
 * groups rather than one packet each).
 */
#include "connection.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session.h"
#include "wire.h"

/* Set by the SIGTERM handler; read by the loop. */
static volatile sig_atomic_t stop_requested;
/* The socket, so that the signal handler can wake the loop (see below). */
static volatile sig_atomic_t client_fd = -1;

void connection_request_stop(void)
{
    stop_requested = 1;
    /* The loop may be waiting in poll() for the client's next line, and
     * would not look at stop_requested for minutes. Shutting down our
     * *reading* half makes that wait end at once with "end of input",
     * while we can still *write* the 421. shutdown() is safe to call in
     * a signal handler (POSIX lists it as async-signal-safe). */
    if (client_fd >= 0)
        shutdown(client_fd, SHUT_RD);
}

/* Send the replies the session has queued. */
static enum wire_status flush_replies(struct wire *w, struct session *s)
{
    enum wire_status status = wire_write(w, s->out, s->out_len);
    s->out_len = 0;
    return status;
}

void connection_serve(int fd, const struct server_config *config,
                      const struct event_log *log, const char *session_id,
                      const char *peer)
{
    static struct wire w; /* static: 16 KiB is better off the stack */
    static struct session s;
    char line[SMTP_MAX_TEXT_LINE + 2];
    const char *reason = NULL; /* why the connection ended, for the log */

    client_fd = fd;
    wire_init(&w, fd, config->timeout_seconds * 1000);
    event_log_write(log, session_id, "connect", "peer", peer, NULL);
    if (session_init(&s, config, log, session_id, peer) < 0) {
        const char busy[] = "421 4.3.0 Out of memory, try again later\r\n";
        wire_write(&w, busy, sizeof busy - 1);
        close(fd);
        return;
    }
    session_greet(&s);

    while (!session_wants_close(&s)) {
        size_t cap = session_line_limit(&s);
        /* Send what we have before we would wait for the client. */
        if (s.out_len > 0 &&
            (!wire_line_ready(&w, cap) || s.out_len >= SESSION_FLUSH_AT)) {
            if (flush_replies(&w, &s) != WIRE_OK) {
                reason = "could not send to the client";
                break;
            }
        }
        if (stop_requested) {
            session_shutting_down(&s);
            reason = "server shutting down";
            break;
        }

        size_t len;
        enum line_end end;
        enum wire_status status = wire_read_line(&w, line, cap, &len, &end);
        if (status == WIRE_OK) {
            session_handle_line(&s, line, len, end);
        } else if (status == WIRE_TIMEOUT) {
            session_timed_out(&s);
            reason = "timeout";
        } else if (status == WIRE_INTERRUPTED) {
            continue; /* a signal: the top of the loop looks at it */
        } else if (stop_requested) {
            continue; /* our own shutdown(SHUT_RD), not the client */
        } else {
            /* The client vanished. If it was in the middle of DATA, the
             * half-received message is discarded by session_free(): it was
             * never acknowledged, so the client still has it. */
            if (status == WIRE_ERROR)
                reason = "connection error";
            break;
        }
    }
    if (s.out_len > 0)
        flush_replies(&w, &s);
    if (reason == NULL)
        reason = session_wants_close(&s) ? "quit" : "client closed the connection";
    event_log_write(log, session_id, "disconnect", "reason", reason, NULL);
    client_fd = -1;
    session_free(&s);
    close(fd);
}
