/*
 * pop3_session.c - the heart of the POP3 server: one command in, a response
 * out (see pop3_session.h).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 */
#include "pop3_session.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pop3_commands.h"

void pop3_session_init(struct pop3_session *s, const struct pop3_session_config *config,
                       const struct event_log *log, const char *id, const char *peer,
                       bool tls)
{
    memset(s, 0, sizeof *s);
    s->config = config;
    s->log = log;
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->peer, sizeof s->peer, "%s", peer);
    s->state = POP3_AUTHORIZATION;
    s->tls = tls;
    s->mailbox.user_fd = -1;
    s->mailbox.cur_fd = -1;
}

void pop3_session_free(struct pop3_session *s)
{
    pop3_text_stop(&s->text);
    s->pending = POP3_PENDING_NONE;
    pop3_mailbox_close(&s->mailbox);
}

const char *pop3_state_name(enum pop3_state state)
{
    switch (state) {
    case POP3_AUTHORIZATION:
        return "AUTHORIZATION";
    case POP3_TRANSACTION:
        return "TRANSACTION";
    case POP3_UPDATE:
        return "UPDATE";
    case POP3_CLOSING:
        return "CLOSING";
    }
    return "?";
}

void pop3_set_state(struct pop3_session *s, enum pop3_state next)
{
    if (next == s->state)
        return;
    event_log_write(s->log, s->id, "state", "from", pop3_state_name(s->state), "to",
                    pop3_state_name(next), NULL);
    s->state = next;
}

/* ----- responses -------------------------------------------------------- */

/* Append one line and its CRLF to s->out. */
static void append_line(struct pop3_session *s, const char *line, size_t len)
{
    /* The connection sends before s->out holds POP3_FLUSH_AT bytes, and no
     * response line is longer than POP3_MAX_RESPONSE_LINE. */
    assert(s->out_len + len + 2 <= sizeof s->out);
    memcpy(s->out + s->out_len, line, len);
    memcpy(s->out + s->out_len + len, "\r\n", 2);
    s->out_len += len + 2;
}

/* Format a status line ("+OK ..." / "-ERR ...") and log it. */
static void status_line(struct pop3_session *s, const char *indicator, const char *code,
                        const char *format, va_list ap)
{
    /* RFC 2449 §4: a response's first line is at most 512 octets with CRLF. */
    char line[POP3_MAX_RESPONSE_LINE - 2 + 1];
    int n = snprintf(line, sizeof line, "%s ", indicator);
    if (code != NULL)
        n += snprintf(line + n, sizeof line - (size_t)n, "[%s] ", code);
    vsnprintf(line + n, sizeof line - (size_t)n, format, ap);
    size_t len = strlen(line);
    event_log_line(s->log, s->id, "line_out", line, len);
    append_line(s, line, len);
}

void pop3_ok(struct pop3_session *s, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    status_line(s, "+OK", NULL, format, ap);
    va_end(ap);
}

void pop3_err(struct pop3_session *s, const char *code, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    status_line(s, "-ERR", code, format, ap);
    va_end(ap);
}

void pop3_line(struct pop3_session *s, const char *format, ...)
{
    char line[POP3_MAX_RESPONSE_LINE - 2 + 1];
    va_list ap;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    assert(line[0] != '.'); /* such a line would need byte-stuffing */
    size_t len = strlen(line);
    event_log_line(s->log, s->id, "line_out", line, len);
    append_line(s, line, len);
}

void pop3_end(struct pop3_session *s)
{
    /* RFC 1939 §3: the termination octet "." and CRLF end a multi-line
     * response. */
    event_log_line(s->log, s->id, "line_out", ".", 1);
    append_line(s, ".", 1);
}

void pop3_session_greet(struct pop3_session *s)
{
    /* RFC 1939 §4: "the POP3 server issues a one line greeting". */
    pop3_ok(s, "%s POP3 mailwalk-pop3 ready", s->config->hostname);
}

/* ----- multi-line responses, a piece at a time -------------------------- */

bool pop3_session_has_more(const struct pop3_session *s)
{
    return s->pending != POP3_PENDING_NONE;
}

/* The next line of a LIST or UIDL listing, or the final "." */
static void continue_listing(struct pop3_session *s)
{
    while (s->next_message < s->mailbox.count && s->out_len < POP3_FLUSH_AT) {
        const struct pop3_message *msg = &s->mailbox.messages[s->next_message++];
        if (msg->deleted)
            continue; /* §5: messages marked deleted are not listed */
        if (s->pending == POP3_PENDING_LIST)
            pop3_line(s, "%zu %llu", s->next_message, msg->octets);
        else
            pop3_line(s, "%zu %s", s->next_message, msg->uid);
    }
    if (s->next_message >= s->mailbox.count) {
        pop3_end(s);
        s->pending = POP3_PENDING_NONE;
    }
}

/* The next pieces of a message (RETR, TOP), or the final "." */
static void continue_text(struct pop3_session *s)
{
    /* Each piece is at most POP3_TEXT_PIECE_MAX, so stopping once
     * POP3_FLUSH_AT is reached leaves room for the last one and the ".". */
    while (s->out_len < POP3_FLUSH_AT) {
        bool failed;
        size_t len = pop3_text_next(&s->text, s->out + s->out_len, &failed);
        s->out_len += len;
        if (len > 0)
            continue;
        if (failed) {
            /* The "+OK" is already sent, so there is no way to say -ERR any
             * more: hang up instead of sending a final ".", so the client
             * knows the letter it got is not whole. */
            event_log_write(s->log, s->id, "error", "what",
                            "reading the message failed", NULL);
            pop3_set_state(s, POP3_CLOSING);
        } else {
            pop3_end(s);
        }
        s->pending = POP3_PENDING_NONE;
        return;
    }
}

void pop3_session_continue(struct pop3_session *s)
{
    if (s->pending == POP3_PENDING_TEXT)
        continue_text(s);
    else if (s->pending != POP3_PENDING_NONE)
        continue_listing(s);
}

/* ----- command lines ---------------------------------------------------- */

size_t pop3_session_line_limit(const struct pop3_session *s)
{
    (void)s;
    /* 255 octets with CRLF (RFC 2449 §4): 253 of text, plus the NUL. */
    return POP3_MAX_COMMAND_LINE - 2 + 1;
}

/* Does the line start with "PASS " (any case)? It holds a password in the
 * clear, so the event log gets only the keyword. */
static bool is_pass_command(const char *line, size_t len)
{
    return len >= 4 && strncasecmp(line, "PASS", 4) == 0 &&
           (len == 4 || line[4] == ' ');
}

void pop3_session_handle_line(struct pop3_session *s, const char *line, size_t len,
                              enum line_end end)
{
    /* After QUIT nothing more is read; after "+OK Begin TLS negotiation"
     * the next bytes must be a TLS handshake, and a line here was sent in
     * plaintext behind STLS - perhaps injected by an attacker in the middle
     * (the same lesson as SMTP's STARTTLS, CVE-2011-0411). Never obey it. */
    if (s->state == POP3_CLOSING || s->tls_pending)
        return;

    /* A command line over 255 octets: drop all of it, answer -ERR once. */
    if (end == LINE_END_NONE || s->discarding_long_line) {
        bool first_piece = !s->discarding_long_line;
        s->discarding_long_line = (end == LINE_END_NONE);
        if (first_piece)
            pop3_err(s, NULL, "Line too long (the limit is %d octets)",
                     POP3_MAX_COMMAND_LINE);
        return;
    }

    if (is_pass_command(line, len))
        event_log_write(s->log, s->id, "line_in", "text", "PASS (password not logged)",
                        NULL);
    else
        event_log_line(s->log, s->id, "line_in", line, len);

    /* RFC 1939 §3: commands end in CRLF. A bare LF is accepted here (unlike
     * SMTP, POP3 carries no message text from the client, so there is
     * nothing to smuggle); the client still gets a proper CRLF back. */
    pop3_dispatch(s, line, len);
    pop3_session_continue(s); /* the first pieces of a long response */
}

void pop3_session_tls_started(struct pop3_session *s)
{
    /* RFC 2595 §4: after the handshake the client must forget what it
     * learned before (it asks CAPA again), and nothing said before TLS
     * counts: a USER sent in plaintext could have been changed on the way. */
    s->tls_pending = false;
    s->tls = true;
    s->user[0] = '\0';
    s->user_command = 0;
    event_log_write(s->log, s->id, "tls", "state", "started", NULL);
}

void pop3_session_timed_out(struct pop3_session *s)
{
    /* RFC 1939 §3: "If a session terminates for some reason other than a
     * client-issued QUIT command, the POP3 session does NOT enter the
     * UPDATE state and MUST not remove any messages from the maildrop."
     * The RFC asks for no goodbye line here; we send one -ERR so that a
     * person at a terminal sees why the line went dead. */
    pop3_text_stop(&s->text);
    s->pending = POP3_PENDING_NONE;
    pop3_err(s, NULL, "Autologout: you were silent too long; nothing was deleted");
    pop3_set_state(s, POP3_CLOSING);
}

bool pop3_session_wants_close(const struct pop3_session *s)
{
    return s->state == POP3_CLOSING && s->pending == POP3_PENDING_NONE;
}
