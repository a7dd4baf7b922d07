/*
 * commands.c - LAB 3: the server's commands and its state machine.
 *
 * This file replaces four files of mailwalk-server in the lab build:
 * server/command_table.c (the table and the dispatcher), cmd_hello.c (HELO,
 * EHLO), cmd_data.c (DATA) and cmd_simple.c (RSET, NOOP, QUIT). The rest of
 * the server stays as it is: the network loop, MAIL and RCPT (cmd_mail.c,
 * cmd_rcpt.c: read them - they parse the addresses and move the state to
 * MAIL and RCPT), the message text (data.c), VRFY/EXPN/HELP (cmd_info.c),
 * STARTTLS and AUTH. lab03-server is mailwalk-server with your file inside;
 * it takes the same options.
 *
 * The session is a state machine (server/session.h, RFC 5321 §4.1.4 and
 * §3.3):
 *
 *   CONNECTED --HELO/EHLO--> GREETED --MAIL--> MAIL --RCPT--> RCPT --DATA--> DATA
 *                               ^                                              |
 *                               +------ RSET, EHLO, or the final "." ----------+
 *
 * A command that comes at the wrong moment - RCPT before MAIL, DATA before
 * any RCPT, MAIL inside a transaction, anything but HELO/EHLO (and the
 * harmless ones) before the hello - gets "503 Bad sequence of commands"
 * (§4.1.4, §4.2.4). Here that answer comes from ONE place, the dispatcher,
 * driven by the table: each row says in which states its verb is allowed.
 * The handlers then only check their own arguments.
 *
 * What you may call (server/session.h):
 *   session_reply(s, 250, "2.0.0", "text %s", ...)     one reply line (the
 *       last or only one); session_reply_more() for the "250-" lines before
 *   session_set_state(s, STATE_GREETED)                 the one place the
 *       state changes (it logs old -> new for the visualizer)
 *   session_reset_transaction(s)                        forget MAIL/RCPT and
 *       go back to GREETED (unless still CONNECTED)
 *   data_begin(s)                                       get ready for the
 *       text; -1 if not (it already replied 451)        (server/data.h)
 *   s->config->hostname, s->config->max_size, s->peer, s->tls ...
 * Enhanced status codes (the "2.0.0", RFC 3463) are NULL for the greeting,
 * HELO/EHLO and 354; the handout lists the ones to use.
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
    {"HELO", cmd_helo, 0 /* LAB 3 */, PHASE_SETUP,
     "HELO <your-domain>: start a plain SMTP session (RFC 5321 section 4.1.1.1)", NULL},
    {"EHLO", cmd_ehlo, 0 /* LAB 3 */, PHASE_SETUP,
     "EHLO <your-domain>: start an ESMTP session and list extensions", NULL},
    {"MAIL", cmd_mail, 0 /* LAB 3 */, PHASE_TRANSFER,
     "MAIL FROM:<address>: start a message (RFC 5321 section 4.1.1.2)", NULL},
    {"RCPT", cmd_rcpt, 0 /* LAB 3 */, PHASE_TRANSFER,
     "RCPT TO:<address>: add a recipient (RFC 5321 section 4.1.1.3)", NULL},
    {"DATA", cmd_data, 0 /* LAB 3 */, PHASE_TRANSFER,
     "DATA: send the message, ending with a line holding only \".\"", NULL},
    {"RSET", cmd_rset, 0 /* LAB 3 */, PHASE_TRANSFER,
     "RSET: forget the current message (RFC 5321 section 4.1.1.5)", NULL},
    {"NOOP", cmd_noop, 0 /* LAB 3 */, PHASE_TRANSFER,
     "NOOP: do nothing, just answer 250 (RFC 5321 section 4.1.1.9)", NULL},
    {"QUIT", cmd_quit, 0 /* LAB 3 */, PHASE_TERMINATION,
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
    (void)line;
    (void)len;
    session_reply(s, 502, "5.5.1", "LAB 3: command_dispatch() is not written yet");
}

/* ---- HELO and EHLO (RFC 5321 §4.1.1.1) --------------------------------- */

/*
 * HELO <domain>: the 1982 hello. Allowed in any state.
 *   no domain given  -> 501 5.5.4
 *   otherwise        -> keep the name in s->client_name (at most
 *                       SMTP_MAX_DOMAIN characters; it goes into the
 *                       Received: header, so write anything but printable
 *                       ASCII as '?'), forget any open transaction, plain
 *                       SMTP (s->esmtp = false), state GREETED, and
 *                       "250 <our hostname> Hello <name>" (no enhanced code).
 *
 * LAB 3: write this.
 */
void cmd_helo(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_helo() is not written yet");
}

/*
 * EHLO <domain>: as HELO, but s->esmtp = true and the 250 reply has several
 * lines: the greeting first, then one extension per line (§4.1.1.1), e.g.
 *
 *     250-bob.example Hello alice.example
 *     250-SIZE 10485760          (RFC 1870: s->config->max_size)
 *     250-8BITMIME               (RFC 6152)
 *     250-PIPELINING             (RFC 2920)
 *     250-ENHANCEDSTATUSCODES    (RFC 2034)
 *     250-SMTPUTF8               (RFC 6531: the reference server takes UTF-8
 *                                 addresses; cmd_mail.c reads the parameter)
 *     250 HELP
 *
 * Offer STARTTLS only if !s->tls && session_tls_available(s) (RFC 3207
 * §4.2: never again once TLS is on), and "AUTH PLAIN LOGIN" only if s->tls:
 * PLAIN and LOGIN carry the password itself, and a client that never sees
 * AUTH in plaintext is never tempted to send one there (RFC 4954 §4).
 *
 * LAB 3: write this.
 */
void cmd_ehlo(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_ehlo() is not written yet");
}

/* ---- DATA (RFC 5321 §4.1.1.4) ------------------------------------------ */

/*
 * DATA: "here comes the message". The table lets it in only after an
 * accepted RCPT.
 *   arguments given       -> 501 5.5.4
 *   data_begin(s) < 0     -> nothing more (it has replied 451 already)
 *   otherwise             -> state DATA, then "354 End data with
 *                            <CR><LF>.<CR><LF>" (no enhanced code: 354 is
 *                            not a status, just "go on"). From now on
 *                            server/data.c gets the lines, until the ".".
 *
 * LAB 3: write this.
 */
void cmd_data(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_data() is not written yet");
}

/* ---- RSET, NOOP, QUIT -------------------------------------------------- */

/*
 * RSET (§4.1.1.5): forget the sender and recipients of the open
 * transaction; the hello stays. Arguments -> 501 5.5.4; else 250 2.0.0.
 *
 * LAB 3: write this.
 */
void cmd_rset(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_rset() is not written yet");
}

/*
 * NOOP (§4.1.1.9): do nothing; 250 2.0.0. Arguments are ignored.
 *
 * LAB 3: write this.
 */
void cmd_noop(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_noop() is not written yet");
}

/*
 * QUIT (§4.1.1.10): drop any open transaction, answer
 * "221 2.0.0 <hostname> Bye" and move to STATE_CLOSING: the network loop
 * closes the connection once the reply is sent.
 *
 * LAB 3: write this.
 */
void cmd_quit(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "LAB 3: cmd_quit() is not written yet");
}
