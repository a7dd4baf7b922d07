/*
 * pop3_commands.h - the POP3 commands this server knows, as one table.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 * It is server/commands.h again,
 * for the other protocol: each row names the handler, the states the
 * command is allowed in, and a line of help. The dispatcher
 * (pop3_command_table.c) is the only place that answers an unknown command
 * or a command in the wrong state, so each handler deals only with its own
 * arguments.
 */
#ifndef MAILWALK_POP3_COMMANDS_H
#define MAILWALK_POP3_COMMANDS_H

#include <stddef.h>

#include "pop3_session.h"

/* Bit masks of the states in which a command is allowed. */
enum pop3_allowed_states {
    POP3_IN_AUTHORIZATION = 1 << POP3_AUTHORIZATION,
    POP3_IN_TRANSACTION = 1 << POP3_TRANSACTION,
    POP3_IN_BOTH = POP3_IN_AUTHORIZATION | POP3_IN_TRANSACTION,
};

/* A handler gets the text after the keyword ("1 10" for "TOP 1 10"), or "". */
typedef void pop3_handler(struct pop3_session *s, const char *args);

struct pop3_command {
    const char *keyword;  /* "RETR": matched case-insensitively (RFC 1939 §3) */
    pop3_handler *handle; /* pop3_retr */
    unsigned allowed;     /* POP3_IN_... bits */
    const char *help;     /* what it does, with its RFC section */
};

/* Find the row for `keyword` (case-insensitive), or NULL. */
const struct pop3_command *pop3_command_lookup(const char *keyword);

/* Every row, for the tests and the docs; *count gets the number of rows. */
const struct pop3_command *pop3_command_table(size_t *count);

/* Split a command line into keyword and arguments, and run its handler. */
void pop3_dispatch(struct pop3_session *s, const char *line, size_t len);

/* The handlers, one per command. AUTHORIZATION (pop3_cmd_login.c): */
pop3_handler pop3_user;
pop3_handler pop3_pass;
pop3_handler pop3_stls;
pop3_handler pop3_capa;
pop3_handler pop3_quit;
/* TRANSACTION (pop3_cmd_mailbox.c): */
pop3_handler pop3_stat;
pop3_handler pop3_list;
pop3_handler pop3_retr;
pop3_handler pop3_top;
pop3_handler pop3_dele;
pop3_handler pop3_rset;
pop3_handler pop3_noop;
pop3_handler pop3_uidl;

#endif
