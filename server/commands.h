/*
 * commands.h - the SMTP verbs this server knows, as one table.
 *
 * Tier: core — read this first.
 *
 * Each row says which function handles the verb, in which states it may
 * come, which phase of the dialogue it belongs to (the visualizer and the
 * docs use the same three phases) and the help text HELP prints. The
 * dispatcher (command_table.c) is the only place that answers 500 (no such
 * verb) and 503 (right verb, wrong moment), so the handlers only deal with
 * their own command's arguments.
 */
#ifndef MAILWALK_COMMANDS_H
#define MAILWALK_COMMANDS_H

#include "session.h"

/* The three phases of an SMTP dialogue. */
enum smtp_phase {
    PHASE_SETUP,       /* 220 greeting, HELO/EHLO */
    PHASE_TRANSFER,    /* MAIL, RCPT, DATA, the message, "." */
    PHASE_TERMINATION, /* QUIT, 221, TCP close */
};

/* Bit masks of the states in which a command is allowed. */
enum allowed_states {
    IN_CONNECTED = 1 << STATE_CONNECTED,
    IN_GREETED = 1 << STATE_GREETED,
    IN_MAIL = 1 << STATE_MAIL,
    IN_RCPT = 1 << STATE_RCPT,
    IN_ANY_STATE = IN_CONNECTED | IN_GREETED | IN_MAIL | IN_RCPT,
};

/* A handler gets the text after the verb ("FROM:<a@b>"), or "". */
typedef void command_handler(struct session *s, const char *args);

struct command {
    const char *verb;            /* "MAIL": matched case-insensitively */
    command_handler *handle;     /* cmd_mail */
    unsigned allowed;            /* IN_... bits */
    enum smtp_phase phase;       /* where it belongs in the dialogue */
    const char *help;            /* one line, for HELP */
    const char *out_of_sequence; /* the 503 text when not allowed */
};

/* Find the row for `verb` (case-insensitive), or NULL. */
const struct command *command_lookup(const char *verb);

/* Every row, for HELP and the tests; *count gets the number of rows. */
const struct command *command_table(size_t *count);

/* Split a command line into verb and arguments, and run its handler. */
void command_dispatch(struct session *s, const char *line, size_t len);

/* The handlers, one per verb (RFC 5321 §4.1.1.x). */
command_handler cmd_helo; /* cmd_hello.c */
command_handler cmd_ehlo;
command_handler cmd_mail; /* cmd_mail.c */
command_handler cmd_rcpt; /* cmd_rcpt.c */
command_handler cmd_data; /* cmd_data.c */
command_handler cmd_rset; /* cmd_simple.c */
command_handler cmd_noop;
command_handler cmd_quit;
command_handler cmd_vrfy; /* cmd_info.c */
command_handler cmd_expn;
command_handler cmd_help;
command_handler cmd_starttls; /* cmd_starttls.c */
command_handler cmd_auth;     /* cmd_auth.c */

/* The client's answer to a 334 challenge of an open AUTH exchange
 * (cmd_auth.c). session_handle_line() calls it instead of the dispatcher
 * while s->auth_step is not AUTH_IDLE. */
void auth_continue(struct session *s, const char *line, size_t len);

#endif
