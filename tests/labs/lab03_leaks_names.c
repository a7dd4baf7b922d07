/*
 * lab03_leaks_names.c - a WRONG answer to lab 3 that answers right: the
 * client's name from HELO/EHLO is copied with strndup() and never freed,
 * 1 leak per greeting. Nothing shows it in the dialogue; the server's
 * forked worker ends with _exit(), and the lab build has LeakSanitizer look
 * there (labs/leak_check_at_exit.c), so the checks that greet lose their
 * points. Everything else is right.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "data.h"

/* ---- The table -------------------------------------------------------- */

/*
 * Every verb the server knows. LAB 3: fill in the `allowed` column of each
 * row - the states in which the verb may come, as IN_... bits from
 * commands.h (IN_CONNECTED, IN_GREETED, IN_MAIL, IN_RCPT, IN_ANY_STATE) -
 * and, where a verb can be out of sequence, the text of its 503 (the last
 * column) telling the client what to do instead. The help texts are given.
 * (Reply text is plain ASCII, RFC 5321 §4.2: "section", not the sign.)
 */
static const struct command commands[] = {
    {"HELO", cmd_helo, IN_ANY_STATE, PHASE_SETUP,
     "HELO <your-domain>: start a plain SMTP session (RFC 5321 section 4.1.1.1)", NULL},
    {"EHLO", cmd_ehlo, IN_ANY_STATE, PHASE_SETUP,
     "EHLO <your-domain>: start an ESMTP session and list extensions", NULL},
    {"MAIL", cmd_mail, IN_GREETED, PHASE_TRANSFER,
     "MAIL FROM:<address>: start a message (RFC 5321 section 4.1.1.2)",
     "Finish the open message or RSET first"},
    {"RCPT", cmd_rcpt, IN_MAIL | IN_RCPT, PHASE_TRANSFER,
     "RCPT TO:<address>: add a recipient (RFC 5321 section 4.1.1.3)",
     "Send MAIL FROM first"},
    {"DATA", cmd_data, IN_RCPT, PHASE_TRANSFER,
     "DATA: send the message, ending with a line holding only \".\"",
     "Send MAIL and at least one accepted RCPT first"},
    {"RSET", cmd_rset, IN_ANY_STATE, PHASE_TRANSFER,
     "RSET: forget the current message (RFC 5321 section 4.1.1.5)", NULL},
    {"NOOP", cmd_noop, IN_ANY_STATE, PHASE_TRANSFER,
     "NOOP: do nothing, just answer 250 (RFC 5321 section 4.1.1.9)", NULL},
    {"QUIT", cmd_quit, IN_ANY_STATE, PHASE_TERMINATION,
     "QUIT: say goodbye; the server answers 221 and closes", NULL},
    /* Given, already right: the handlers live in other files. */
    {"VRFY", cmd_vrfy, IN_ANY_STATE, PHASE_TRANSFER,
     "VRFY <name>: ask whether a mailbox exists (RFC 5321 section 4.1.1.6)", NULL},
    {"EXPN", cmd_expn, IN_ANY_STATE, PHASE_TRANSFER,
     "EXPN <list>: expand a mailing list - switched off here", NULL},
    {"HELP", cmd_help, IN_ANY_STATE, PHASE_SETUP,
     "HELP [command]: this text (RFC 5321 section 4.1.1.8)", NULL},
    {"STARTTLS", cmd_starttls, IN_GREETED, PHASE_SETUP,
     "STARTTLS: seal the connection with TLS, then EHLO again (RFC 3207)",
     "STARTTLS is not allowed inside a mail transaction: send RSET first"},
    {"AUTH", cmd_auth, IN_GREETED, PHASE_SETUP,
     "AUTH PLAIN|LOGIN: log in, over TLS only (RFC 4954 section 4)",
     "AUTH is not allowed inside a mail transaction"},
};

/* Every row (given: HELP and the tests list them). */
const struct command *command_table(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

/* The row for a verb, any case (given). */
const struct command *command_lookup(const char *verb)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcasecmp(commands[i].verb, verb) == 0)
            return &commands[i];
    return NULL;
}

/*
 * One command line (without CR LF; len bytes, which may include a NUL the
 * client sent) -> one reply, always exactly one (§4.2).
 *
 * LAB 3: write this.
 *  1. A NUL byte anywhere: 500 5.5.2 (no command contains one, and C
 *     strings would stop at it). memchr() finds it.
 *  2. Split the verb (up to the first space, at most 15 characters) from
 *     the arguments (after that space, or "" if there is none). A missing
 *     or too long verb: 500 5.5.2.
 *  3. Look the verb up; unknown: 500 5.5.2 "Command unrecognized".
 *  4. Not allowed in s->state (the row's `allowed` has no bit
 *     1u << s->state): 503 5.5.1 - "Say HELO or EHLO first" while
 *     CONNECTED, the row's own text otherwise.
 *  5. Otherwise call the row's handler with the arguments.
 */
void command_dispatch(struct session *s, const char *line, size_t len)
{
    if (memchr(line, '\0', len) != NULL) {
        session_reply(s, 500, "5.5.2", "NUL in command");
        return;
    }
    char verb[16];
    size_t n = strcspn(line, " ");
    if (n == 0 || n >= sizeof verb) {
        session_reply(s, 500, "5.5.2", "Syntax error");
        return;
    }
    memcpy(verb, line, n);
    verb[n] = '\0';
    const char *args = line[n] == ' ' ? line + n + 1 : "";
    const struct command *c = command_lookup(verb);
    if (c == NULL) {
        session_reply(s, 500, "5.5.2", "Command unrecognized");
        return;
    }
    if (!(c->allowed & (1u << s->state))) {
        if (s->state == STATE_CONNECTED)
            session_reply(s, 503, "5.5.1", "Say HELO or EHLO first");
        else
            session_reply(s, 503, "5.5.1", "%s",
                          c->out_of_sequence ? c->out_of_sequence : "Bad sequence");
        return;
    }
    c->handle(s, args);
}

static bool take_name(struct session *s, const char *args)
{
    size_t n = strcspn(args, " ");
    if (n == 0)
        return false;
    char *copy = strndup(args, n); /* WRONG: never freed */
    if (copy == NULL)
        return false;
    args = copy;
    if (n > SMTP_MAX_DOMAIN)
        n = SMTP_MAX_DOMAIN;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)args[i];
        s->client_name[i] = (c > 32 && c < 127) ? (char)c : '?';
    }
    s->client_name[n] = '\0';
    return true;
}

void cmd_helo(struct session *s, const char *args)
{
    if (!take_name(s, args)) {
        session_reply(s, 501, "5.5.4", "Syntax: HELO <domain>");
        return;
    }
    session_reset_transaction(s);
    s->esmtp = false;
    session_set_state(s, STATE_GREETED);
    session_reply(s, 250, NULL, "%s Hello %s", s->config->hostname, s->client_name);
}

void cmd_ehlo(struct session *s, const char *args)
{
    if (!take_name(s, args)) {
        session_reply(s, 501, "5.5.4", "Syntax: EHLO <domain>");
        return;
    }
    session_reset_transaction(s);
    s->esmtp = true;
    session_set_state(s, STATE_GREETED);
    session_reply_more(s, 250, NULL, "%s Hello %s", s->config->hostname,
                       s->client_name);
    session_reply_more(s, 250, NULL, "SIZE %llu", s->config->max_size);
    session_reply_more(s, 250, NULL, "8BITMIME");
    session_reply_more(s, 250, NULL, "PIPELINING");
    session_reply_more(s, 250, NULL, "ENHANCEDSTATUSCODES");
    if (!s->tls && session_tls_available(s))
        session_reply_more(s, 250, NULL, "STARTTLS");
    if (s->tls)
        session_reply_more(s, 250, NULL, "AUTH PLAIN LOGIN");
    session_reply(s, 250, NULL, "HELP");
}

void cmd_data(struct session *s, const char *args)
{
    if (args[0] != '\0') {
        session_reply(s, 501, "5.5.4", "DATA takes no arguments");
        return;
    }
    if (data_begin(s) < 0)
        return;
    session_set_state(s, STATE_DATA);
    session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

void cmd_rset(struct session *s, const char *args)
{
    if (args[0] != '\0') {
        session_reply(s, 501, "5.5.4", "RSET takes no arguments");
        return;
    }
    session_reset_transaction(s);
    session_reply(s, 250, "2.0.0", "OK");
}

void cmd_noop(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 250, "2.0.0", "OK");
}

void cmd_quit(struct session *s, const char *args)
{
    (void)args;
    session_reset_transaction(s);
    session_reply(s, 221, "2.0.0", "%s Bye", s->config->hostname);
    session_set_state(s, STATE_CLOSING);
}
