/*
 * command_table.c - which verb goes to which handler, and when.
 *
 * Tier: core — read this first.
 *
 * This is the server's whole vocabulary (RFC 5321 §4.5.1 lists the
 * commands every server must implement: EHLO, HELO, MAIL, RCPT, DATA,
 * RSET, NOOP, QUIT, VRFY), plus two security extensions: STARTTLS (RFC
 * 3207) and AUTH (RFC 4954). Read the table first: it is the map of
 * everything the handlers do.
 */
#include "commands.h"

#include <string.h>
#include <strings.h>

/* Reply text goes to the client, and replies are plain ASCII (RFC 5321
 * §4.2), so the help strings say "section" where comments say "§". */
static const struct command commands[] = {
    {"HELO", cmd_helo, IN_ANY_STATE, PHASE_SETUP,
     "HELO <your-domain>: start a plain SMTP session (RFC 5321 section 4.1.1.1)", NULL},
    {"EHLO", cmd_ehlo, IN_ANY_STATE, PHASE_SETUP,
     "EHLO <your-domain>: start an ESMTP session and list extensions "
     "(RFC 5321 section 4.1.1.1)",
     NULL},
    {"MAIL", cmd_mail, IN_GREETED, PHASE_TRANSFER,
     "MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]: start a "
     "message (RFC 5321 section 4.1.1.2)",
     "A message is already open: finish it or send RSET first"},
    {"RCPT", cmd_rcpt, IN_MAIL | IN_RCPT, PHASE_TRANSFER,
     "RCPT TO:<address>: add a recipient (RFC 5321 section 4.1.1.3)",
     "Send MAIL FROM first"},
    {"DATA", cmd_data, IN_RCPT, PHASE_TRANSFER,
     "DATA: send the message, ending with a line holding only \".\" "
     "(RFC 5321 section 4.1.1.4)",
     "Send MAIL FROM and at least one accepted RCPT TO first"},
    {"RSET", cmd_rset, IN_ANY_STATE, PHASE_TRANSFER,
     "RSET: forget the current message (RFC 5321 section 4.1.1.5)", NULL},
    {"VRFY", cmd_vrfy, IN_ANY_STATE, PHASE_TRANSFER,
     "VRFY <name>: ask whether a mailbox exists (RFC 5321 section 4.1.1.6)", NULL},
    {"EXPN", cmd_expn, IN_ANY_STATE, PHASE_TRANSFER,
     "EXPN <list>: expand a mailing list - switched off here "
     "(RFC 5321 section 4.1.1.7, section 7.3)",
     NULL},
    /* STARTTLS only after the hello and outside a transaction: the client
     * learns from EHLO that we offer it (RFC 3207 §4), and TLS resets
     * the session anyway (§4.2), so a half-built message would be lost. */
    {"STARTTLS", cmd_starttls, IN_GREETED, PHASE_SETUP,
     "STARTTLS: seal the connection with TLS, then EHLO again (RFC 3207 section 4)",
     "STARTTLS is not allowed inside a mail transaction: send RSET first"},
    /* RFC 4954 §4: "The AUTH command is not permitted during a mail
     * transaction", and it comes after EHLO (the client read AUTH there). */
    {"AUTH", cmd_auth, IN_GREETED, PHASE_SETUP,
     "AUTH PLAIN|LOGIN [initial-response]: log in, over TLS only "
     "(RFC 4954 section 4)",
     "AUTH is not allowed inside a mail transaction"},
    {"HELP", cmd_help, IN_ANY_STATE, PHASE_SETUP,
     "HELP [command]: this text (RFC 5321 section 4.1.1.8)", NULL},
    {"NOOP", cmd_noop, IN_ANY_STATE, PHASE_TRANSFER,
     "NOOP: do nothing, just answer 250 (RFC 5321 section 4.1.1.9)", NULL},
    {"QUIT", cmd_quit, IN_ANY_STATE, PHASE_TERMINATION,
     "QUIT: say goodbye; the server answers 221 and closes "
     "(RFC 5321 section 4.1.1.10)",
     NULL},
};

const struct command *command_table(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

const struct command *command_lookup(const char *verb)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcasecmp(commands[i].verb, verb) == 0)
            return &commands[i];
    return NULL;
}

void command_dispatch(struct session *s, const char *line, size_t len)
{
    /* A NUL byte cannot be part of any command (RFC 5321 §4.1.1 allows
     * only printable text), and C strings would stop at it. */
    if (memchr(line, '\0', len) != NULL) {
        session_reply(s, 500, "5.5.2", "Syntax error: NUL byte in command");
        return;
    }

    /* The verb is everything up to the first space (§4.1.1: a verb, then
     * SP and the arguments). Verbs are 4 letters; 15 is plenty. */
    char verb[16];
    size_t verb_len = strcspn(line, " ");
    if (verb_len == 0 || verb_len >= sizeof verb) {
        session_reply(s, 500, "5.5.2", "Syntax error: command unrecognized");
        return;
    }
    memcpy(verb, line, verb_len);
    verb[verb_len] = '\0';
    const char *args = line[verb_len] == ' ' ? line + verb_len + 1 : "";

    const struct command *command = command_lookup(verb);
    if (command == NULL) {
        session_reply(s, 500, "5.5.2", "Command unrecognized: \"%.40s\"", verb);
        return;
    }

    /* Right verb, wrong moment: 503, from this one place (§4.1.4). */
    if (!(command->allowed & (1u << s->state))) {
        if (s->state == STATE_CONNECTED)
            session_reply(s, 503, "5.5.1", "Say HELO or EHLO first");
        else
            session_reply(s, 503, "5.5.1", "%s", command->out_of_sequence);
        return;
    }
    command->handle(s, args);
}
