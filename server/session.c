/*
 * session.c - the heart of the server: one line in, replies out.
 *
 * Tier: core — read this first.
 *
 * session_handle_line() is called for every line the client sends. Before
 * DATA the line is a command and goes to the dispatcher; after 354 it is
 * message text and goes to the DATA reader (data.c); while an AUTH
 * exchange is open it is the client's answer to our 334 (cmd_auth.c).
 * Replies are appended to s->out by session_reply(); connection.c sends
 * them.
 */
#include "session.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "data.h"

int session_init(struct session *s, const struct server_config *config,
                 const struct event_log *log, const char *id, const char *peer,
                 enum listener_role role)
{
    memset(s, 0, sizeof *s);
    s->config = config;
    s->role = role;
    s->log = log;
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->peer, sizeof s->peer, "%s", peer);
    s->state = STATE_CONNECTED;
    /* The recipient list is the one allocation that depends on the
     * configuration; it is made once, so RCPT never allocates. */
    s->envelope.recipients =
        calloc(config->max_recipients, sizeof s->envelope.recipients[0]);
    return s->envelope.recipients ? 0 : -1;
}

void session_free(struct session *s)
{
    data_discard(s);
    free(s->envelope.recipients);
    s->envelope.recipients = NULL;
}

const char *session_state_name(enum session_state state)
{
    switch (state) {
    case STATE_CONNECTED:
        return "CONNECTED";
    case STATE_GREETED:
        return "GREETED";
    case STATE_MAIL:
        return "MAIL";
    case STATE_RCPT:
        return "RCPT";
    case STATE_DATA:
        return "DATA";
    case STATE_CLOSING:
        return "CLOSING";
    }
    return "?";
}

void session_set_state(struct session *s, enum session_state next)
{
    if (next == s->state)
        return;
    event_log_write(s->log, s->id, "state", "from", session_state_name(s->state), "to",
                    session_state_name(next), NULL);
    s->state = next;
}

void session_reset_transaction(struct session *s)
{
    data_discard(s);
    struct recipient *keep = s->envelope.recipients;
    memset(&s->envelope, 0, sizeof s->envelope);
    s->envelope.recipients = keep;
    if (s->state != STATE_CONNECTED && s->state != STATE_CLOSING)
        session_set_state(s, STATE_GREETED);
}

/* Append one reply line: "250-text" (more follows) or "250 text" (last). */
static void append_reply(struct session *s, int code, char separator,
                         const char *enhanced, const char *format, va_list ap)
{
    /* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
    char line[SMTP_MAX_REPLY_LINE];
    int n = snprintf(line, sizeof line, "%03d%c", code, separator);
    if (enhanced != NULL)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s ", enhanced);
    vsnprintf(line + n, sizeof line - (size_t)n - 2, format, ap);
    size_t len = strlen(line);
    /* Replies echo what the client said ("Command unrecognized: ...").
     * §4.2 allows only HT and printable text in a reply line, and a bare
     * CR from the client would break §2.3.8 and let it write "lines" of
     * our reply: control octets become '?' (UTF-8 stays, RFC 6531). */
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)line[i] < 32 && line[i] != '\t') || line[i] == 127)
            line[i] = '?';

    event_log_line(s->log, s->id, "line_out", line, len);
    /* connection.c sends before s->out holds SESSION_FLUSH_AT bytes, and
     * one command makes less than SESSION_OUT_SIZE - SESSION_FLUSH_AT. */
    assert(s->out_len + len + 2 <= sizeof s->out);
    memcpy(s->out + s->out_len, line, len);
    memcpy(s->out + s->out_len + len, "\r\n", 2);
    s->out_len += len + 2;
}

void session_reply(struct session *s, int code, const char *enhanced,
                   const char *format, ...)
{
    /* Every final error reply counts against the session's budget (see
     * enforce_error_budget); 421 is the closing reply itself. */
    if (code >= 400 && code != 421)
        s->errors++;
    va_list ap;
    va_start(ap, format);
    append_reply(s, code, ' ', enhanced, format, ap);
    va_end(ap);
}

void session_reply_more(struct session *s, int code, const char *enhanced,
                        const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    append_reply(s, code, '-', enhanced, format, ap);
    va_end(ap);
}

void session_greet(struct session *s)
{
    /* RFC 5321 §4.2: "220 <domain> <text>". No enhanced code here (RFC
     * 2034 §3): the client has not yet asked for extensions. */
    session_reply(s, 220, NULL, "%s ESMTP mailwalk-server ready", s->config->hostname);
}

size_t session_line_limit(const struct session *s)
{
    /* The +1 is for the NUL that wire_read_line() adds. Command lines:
     * 512 octets with CRLF (§4.5.3.1.4), so 510 of text. Text lines:
     * 1000 with CRLF (§4.5.3.1.6) plus a dot of transparency. Longer text
     * lines are not refused, they just arrive in pieces (see data.c). */
    if (s->state == STATE_DATA)
        return SMTP_MAX_TEXT_LINE - 2 + 1 + 1;
    /* RFC 4954 §4: the base64 answers in an AUTH exchange may be much
     * longer than a command; 12288 octets is the size the RFC names. */
    if (s->auth_step != AUTH_IDLE)
        return SESSION_AUTH_LINE - 2 + 1;
    return SMTP_MAX_COMMAND_LINE - 2 + 1;
}

/* A command line that did not fit in 512 octets: drop all of it, then say
 * so once (RFC 5321 §4.5.3.1.9, "500 Line too long"). An AUTH answer over
 * 12288 octets was already answered 500 5.5.6 by cmd_auth.c. */
static void handle_long_command_piece(struct session *s, enum line_end end)
{
    s->discarding_long_line = (end == LINE_END_NONE);
    if (!s->discarding_long_line && !s->long_line_answered)
        session_reply(s, 500, "5.5.2", "Line too long (the limit is %d octets)",
                      SMTP_MAX_COMMAND_LINE);
    if (!s->discarding_long_line)
        s->long_line_answered = false;
}

/* Does the line start with "AUTH " (any case)? Its initial response
 * holds a password, so the log gets only the verb. */
static bool is_auth_command(const char *line, size_t len)
{
    return len >= 5 && strncasecmp(line, "AUTH ", 5) == 0;
}

/* A command line that ended in LF alone. RFC 5321 §2.3.8: "Conforming
 * implementations MUST NOT recognize or generate any other character or
 * character sequence as a line terminator" than CR LF, and bare LF "has a
 * long history of causing problems". So "MAIL FROM:<a@b>" LF is not a
 * command: it gets 500 and does nothing. A server that shrugs here teaches
 * clients that sloppy framing works - the root of "SMTP smuggling"
 * (§4.1.1.4 and data.c), where two servers disagree on where a line, or
 * the whole message, ends. */
static void refuse_bare_line_feed(struct session *s)
{
    session_reply(s, 500, "5.5.2",
                  "Command line ended in a bare LF: SMTP lines end in CR LF "
                  "(RFC 5321 section 2.3.8)");
}

/* Too many errors in one session (SESSION_MAX_ERRORS): 421 and close,
 * as RFC 5321 §3.8 allows a server that must end the conversation. */
static void enforce_error_budget(struct session *s)
{
    if (s->errors < SESSION_MAX_ERRORS || s->state == STATE_CLOSING)
        return;
    session_reply(s, 421, "4.7.0", "%s Too many errors (%u): closing connection",
                  s->config->hostname, s->errors);
    event_log_write(s->log, s->id, "error", "what", "too many errors in one session",
                    NULL);
    session_set_state(s, STATE_CLOSING);
}

static void handle_line(struct session *s, const char *line, size_t len,
                        enum line_end end);

void session_handle_line(struct session *s, const char *line, size_t len,
                         enum line_end end)
{
    handle_line(s, line, len, end);
    enforce_error_budget(s);
}

static void handle_line(struct session *s, const char *line, size_t len,
                        enum line_end end)
{
    if (s->state == STATE_CLOSING)
        return; /* after QUIT or 421 nothing more is read (§4.1.1.10) */

    if (s->state == STATE_DATA) {
        data_receive_line(s, line, len, end);
        return;
    }

    /* After "220 Ready to start TLS" the next bytes must be a TLS
     * handshake. A line here was sent in plaintext behind STARTTLS -
     * possibly by an attacker in the middle (CVE-2011-0411) - and must not
     * be obeyed. connection.c runs the handshake before reading on, and
     * the wire discards such bytes; this is the core's own guard. */
    if (s->tls_pending)
        return;

    if (s->auth_step != AUTH_IDLE && !s->discarding_long_line) {
        /* Never log what the client answers in an AUTH exchange: it is a
         * password, only base64-encoded (which is not encryption). */
        event_log_write(s->log, s->id, "line_in", "text", "(AUTH response, not logged)",
                        NULL);
        if (end == LINE_END_NONE) {
            /* RFC 4954 §4: longer than our AUTH buffer -> 500 5.5.6. */
            session_reply(s, 500, "5.5.6", "Authentication exchange line is too long");
            s->auth_step = AUTH_IDLE;
            s->discarding_long_line = true;
            s->long_line_answered = true;
            return;
        }
        auth_continue(s, line, len);
        return;
    }

    if (is_auth_command(line, len))
        event_log_write(s->log, s->id, "line_in", "text",
                        "AUTH ... (the rest is not logged)", NULL);
    else
        event_log_line(s->log, s->id, "line_in", line, len);
    if (s->discarding_long_line || end == LINE_END_NONE) {
        handle_long_command_piece(s, end);
        return;
    }
    if (end == LINE_END_LF) {
        refuse_bare_line_feed(s);
        return;
    }
    command_dispatch(s, line, len);
}

void session_timed_out(struct session *s)
{
    /* RFC 5321 §4.5.3.2.7: the server may close an idle connection; 421
     * tells the client why (§3.8: 421 is the "closing" reply). */
    session_reply(s, 421, "4.4.2", "%s Timeout: closing connection",
                  s->config->hostname);
    session_set_state(s, STATE_CLOSING);
}

void session_shutting_down(struct session *s)
{
    session_reply(s, 421, "4.3.2", "%s Service shutting down, try again later",
                  s->config->hostname);
    session_set_state(s, STATE_CLOSING);
}

bool session_wants_close(const struct session *s)
{
    return s->state == STATE_CLOSING;
}

void session_tls_started(struct session *s, const char *description)
{
    /* RFC 3207 §4.2: "the server MUST discard any knowledge obtained from
     * the client, such as the argument to the EHLO command, which was not
     * obtained from the TLS negotiation itself." So: no hello, no
     * transaction, no login; and no new 220 either - the client speaks
     * first, with EHLO. Counters that protect us (failed logins) stay. */
    session_reset_transaction(s);
    s->esmtp = false;
    s->client_name[0] = '\0';
    s->auth_step = AUTH_IDLE;
    s->auth_user[0] = '\0';
    s->login_user[0] = '\0';
    s->tls_pending = false;
    s->tls = true;
    snprintf(s->tls_description, sizeof s->tls_description, "%s", description);
    session_set_state(s, STATE_CONNECTED);
}

void session_tls_implicit(struct session *s, const char *description)
{
    s->tls = true;
    snprintf(s->tls_description, sizeof s->tls_description, "%s", description);
}

bool session_tls_available(const struct session *s)
{
    return s->config->tls_context != NULL;
}

bool session_is_submission(const struct session *s)
{
    return s->role == ROLE_SUBMISSION || s->role == ROLE_SMTPS;
}
