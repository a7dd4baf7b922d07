/*
 * pop3_command_table.c - which POP3 command goes to which handler, and when.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 *
 * RFC 1939 names the commands of each state: in AUTHORIZATION USER, PASS
 * and QUIT (§7 adds APOP, which mailwalk leaves out: it needs the password
 * stored in the clear); in TRANSACTION STAT, LIST, RETR, DELE, NOOP, RSET
 * and QUIT, plus the optional TOP and UIDL (§7). RFC 2449 adds CAPA (in
 * both states) and RFC 2595 STLS (before the login only). Compare with
 * server/command_table.c: same shape, another protocol.
 */
#include "pop3_commands.h"

#include <string.h>
#include <strings.h>

static const struct pop3_command commands[] = {
    {"CAPA", pop3_capa, POP3_IN_BOTH,
     "CAPA: list what this server can do (RFC 2449 section 5)"},
    {"STLS", pop3_stls, POP3_IN_AUTHORIZATION,
     "STLS: seal the connection with TLS before logging in (RFC 2595 section 4)"},
    {"USER", pop3_user, POP3_IN_AUTHORIZATION,
     "USER name: who you are (RFC 1939 section 7)"},
    {"PASS", pop3_pass, POP3_IN_AUTHORIZATION,
     "PASS secret: your password, right after USER (RFC 1939 section 7)"},
    {"STAT", pop3_stat, POP3_IN_TRANSACTION,
     "STAT: how many messages, how many octets (RFC 1939 section 5)"},
    {"LIST", pop3_list, POP3_IN_TRANSACTION,
     "LIST [n]: the size of each message, or of message n (RFC 1939 section 5)"},
    {"RETR", pop3_retr, POP3_IN_TRANSACTION,
     "RETR n: send message n (RFC 1939 section 5)"},
    {"TOP", pop3_top, POP3_IN_TRANSACTION,
     "TOP n lines: the header of message n and its first lines (RFC 1939 section 7)"},
    {"DELE", pop3_dele, POP3_IN_TRANSACTION,
     "DELE n: mark message n deleted; it goes at QUIT (RFC 1939 section 5)"},
    {"RSET", pop3_rset, POP3_IN_TRANSACTION,
     "RSET: take back every DELE of this session (RFC 1939 section 5)"},
    {"NOOP", pop3_noop, POP3_IN_TRANSACTION,
     "NOOP: do nothing, answer +OK (RFC 1939 section 5)"},
    {"UIDL", pop3_uidl, POP3_IN_TRANSACTION,
     "UIDL [n]: the unique-id of each message (RFC 1939 section 7)"},
    {"QUIT", pop3_quit, POP3_IN_BOTH,
     "QUIT: end the session; in TRANSACTION the DELEs happen now (RFC 1939 section 6)"},
};

const struct pop3_command *pop3_command_table(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

const struct pop3_command *pop3_command_lookup(const char *keyword)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcasecmp(commands[i].keyword, keyword) == 0)
            return &commands[i];
    return NULL;
}

void pop3_dispatch(struct pop3_session *s, const char *line, size_t len)
{
    s->commands++;

    /* A NUL byte cannot be part of a command, and C strings stop at it. */
    if (memchr(line, '\0', len) != NULL) {
        pop3_err(s, NULL, "NUL byte in command");
        return;
    }

    /* RFC 1939 §3: "a case-insensitive keyword, possibly followed by one
     * or more arguments", keywords "three or four characters long". */
    char keyword[5];
    size_t keyword_len = strcspn(line, " ");
    if (keyword_len < 3 || keyword_len >= sizeof keyword) {
        pop3_err(s, NULL, "Unknown command");
        return;
    }
    memcpy(keyword, line, keyword_len);
    keyword[keyword_len] = '\0';
    const char *args = line[keyword_len] == ' ' ? line + keyword_len + 1 : "";

    const struct pop3_command *command = pop3_command_lookup(keyword);
    if (command == NULL) {
        pop3_err(s, NULL, "Unknown command: \"%s\"", keyword);
        return;
    }
    /* Right command, wrong state: POP3 has no 503, just -ERR (§3: "a POP3
     * server MUST respond to an unrecognized, unimplemented, or
     * syntactically invalid command by responding with a negative status
     * indicator", and a command outside its state is one of those). */
    if (!(command->allowed & (1u << s->state))) {
        if (s->state == POP3_AUTHORIZATION)
            pop3_err(s, NULL, "Log in first (USER, then PASS)");
        else
            pop3_err(s, NULL, "%s is not allowed after the login", command->keyword);
        return;
    }
    command->handle(s, args);
}
