/*
 * connection.c - the loop "read a line, let the session answer, send".
 *
 * Tier: core — read this first.
 *
 * PIPELINING (RFC 2920) falls out of this loop: if the client sent several
 * commands at once, they sit in the wire's buffer; we answer each in turn,
 * collect the replies, and send them together once no whole line is left
 * to read (§3: the server must answer in order, and should send replies in
 * groups rather than one packet each).
 *
 * The thing the protocol core cannot do itself happens here too: the TLS
 * handshake after STARTTLS (the session sets s->tls_pending; we send its
 * 220 and then hand the socket to OpenSSL). And the loop keeps the
 * session's clock (session_clock.c): the idle timeout, the session limit,
 * and shorter limits while the server is under stress (every worker busy,
 * clients turned away).
 */
#include "connection.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "anvil.h"
#include "session.h"
#include "session_clock.h"
#include "wire.h"
#include "wire_tls.h"

/* Set by the SIGTERM handler; read by the loop. */
static volatile sig_atomic_t stop_requested;
/* The socket, so that the signal handler can wake the loop (see below). */
static volatile sig_atomic_t client_fd = -1;

/* Called once the session's last reply is decided (workers.c: "I am
 * about to be free"), or NULL. */
static void (*goodbye_hook)(void);

void connection_on_goodbye(void (*hook)(void))
{
    goodbye_hook = hook;
}

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

/* Close without losing our last reply. If the client sent bytes we never
 * read (lines pipelined behind QUIT, the rest of a letter when the server
 * stops), close() makes the kernel answer them with a reset (RST) instead
 * of an orderly end (FIN): RFC 9293 §3.6.1 asks a TCP to signal so that
 * data was lost. A reset can arrive before the client has read our 221 or
 * 421, and a client's TCP may then throw that reply away. So: first say
 * "no more from us" (shutdown SHUT_WR sends the FIN after the reply),
 * then read and drop whatever is already waiting, without waiting for
 * more, and only then close. */
static void close_gently(int fd)
{
    char ignored[4096];
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 16; i++) /* at most 64 KiB: bounded, never blocks */
        if (recv(fd, ignored, sizeof ignored, MSG_DONTWAIT) <= 0)
            break;
    close(fd);
}

/* Send the replies the session has queued. */
static enum wire_status flush_replies(struct wire *w, struct session *s)
{
    enum wire_status status = wire_write(w, s->out, s->out_len);
    s->out_len = 0;
    return status;
}

/* Run the server side of the TLS handshake and log what came of it:
 * the version and cipher (the "tls" event), or why it failed. Returns
 * true when the connection is now inside TLS. */
static bool start_tls(struct wire *w, const struct server_config *config,
                      const struct event_log *log, const char *session_id,
                      char *description, size_t cap)
{
    size_t discarded = 0;
    char why[512], count[32];
    enum wire_status status =
        wire_start_tls_server(w, config->tls_context, &discarded, why, sizeof why);
    snprintf(count, sizeof count, "%zu", discarded);
    if (status != WIRE_OK) {
        event_log_write(log, session_id, "tls", "result", "failed", "why", why,
                        "discarded_bytes", count, NULL);
        return false;
    }
    wire_tls_describe(w, description, cap);
    /* discarded_bytes > 0 means the client (or someone in the middle)
     * sent plaintext behind STARTTLS: CVE-2011-0411, thrown away. */
    event_log_write(log, session_id, "tls", "result", "ok", "protocol", description,
                    "discarded_bytes", count, NULL);
    return true;
}

/* Read the next line, but wait no longer than the session's clock says;
 * a piece of a line that arrived meanwhile stays in the wire's buffer. */
static enum wire_status read_line_within(struct wire *w, int wait_ms, char *line,
                                         size_t cap, size_t *len, enum line_end *end)
{
    int usual = w->timeout_ms; /* writes and TLS handshakes keep theirs */
    w->timeout_ms = wait_ms;
    enum wire_status status = wire_read_line(w, line, cap, len, end);
    w->timeout_ms = usual;
    return status;
}

/* How many bytes a line took on the wire, with its line ending. */
static size_t wire_bytes(size_t len, enum line_end end)
{
    return len + (end == LINE_END_CRLF ? 2 : end == LINE_END_LF ? 1 : 0);
}

void connection_serve(int fd, const struct server_config *config,
                      const struct event_log *log, const char *session_id,
                      const char *peer, enum listener_role role)
{
    static struct wire w; /* static: 16 KiB is better off the stack */
    static struct session s;
    /* The longest piece the session asks for: an AUTH answer (RFC 4954
     * §4), longer than any command or text line. */
    static char line[SESSION_AUTH_LINE + 2];
    const char *reason = NULL; /* why the connection ended, for the log */
    char tls[128];
    struct session_clock clock;

    client_fd = fd;
    wire_init(&w, fd, config->timeout_seconds * 1000);
    event_log_write(log, session_id, "connect", "peer", peer, "role",
                    config_role_name(role), NULL);
    if (session_init(&s, config, log, session_id, peer, role) < 0) {
        const char busy[] = "421 4.3.0 Out of memory, try again later\r\n";
        wire_write(&w, busy, sizeof busy - 1);
        close(fd);
        return;
    }
    /* RFC 8314 §3.3: on the implicit-TLS port the handshake comes first;
     * the 220 greeting is already the first sealed line. */
    if (role == ROLE_SMTPS) {
        if (config->tls_context == NULL ||
            !start_tls(&w, config, log, session_id, tls, sizeof tls)) {
            event_log_write(log, session_id, "disconnect", "reason",
                            "TLS handshake failed", NULL);
            goto done;
        }
        session_tls_implicit(&s, tls);
    }
    session_greet(&s);
    session_clock_start(&clock);

    while (!session_wants_close(&s)) {
        size_t cap = session_line_limit(&s);
        /* Send what we have before we would wait for the client - and
         * always before a TLS handshake, whose 220 must go out first. */
        if (s.out_len > 0 && (s.tls_pending || !wire_line_ready(&w, cap) ||
                              s.out_len >= SESSION_FLUSH_AT)) {
            if (flush_replies(&w, &s) != WIRE_OK) {
                reason = "could not send to the client";
                break;
            }
        }
        if (s.tls_pending) {
            /* RFC 3207 §4.2: after 220 the handshake; wire_start_tls_server
             * discards what the client sent behind STARTTLS. */
            if (!start_tls(&w, config, log, session_id, tls, sizeof tls)) {
                reason = "TLS handshake failed";
                break;
            }
            session_tls_started(&s, tls);
            continue;
        }
        if (stop_requested) {
            session_shutting_down(&s);
            reason = "server shutting down";
            break;
        }

        /* Before every wait: has a limit of the session's clock passed?
         * (After a line too: NOOP every second never lets a wait run out.) */
        bool stressed = anvil_under_stress();
        if ((reason = session_clock_check(&clock, &s, stressed)) != NULL)
            continue; /* its 421 is queued; the loop ends and sends it */

        size_t len;
        enum line_end end;
        enum wire_status status = read_line_within(
            &w, session_clock_wait_ms(&clock, config, stressed), line, cap, &len, &end);
        if (status == WIRE_OK) {
            session_clock_line(&clock, wire_bytes(len, end));
            session_handle_line(&s, line, len, end);
        } else if (status == WIRE_TIMEOUT) {
            continue; /* the clock's tick: the top of the loop looks at it */
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
    /* The last reply is decided: tell the parent we are free before the
     * client can read it. A client that reconnects at once must not find
     * us still "busy" and be refused. */
    if (goodbye_hook != NULL)
        goodbye_hook();
    if (s.out_len > 0 && !s.tls_pending)
        flush_replies(&w, &s);
    if (reason == NULL)
        reason = session_wants_close(&s) ? "quit" : "client closed the connection";
    event_log_write(log, session_id, "disconnect", "reason", reason, NULL);
done:
    client_fd = -1;
    if (w.ssl != NULL)
        wire_tls_end(&w); /* close_notify, and free OpenSSL's state */
    session_free(&s);
    close_gently(fd);
}
