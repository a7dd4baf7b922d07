/*
 * cmd_simple.c - the small commands that steer the session: RSET, NOOP,
 * QUIT.
 *
 * Tier: core — read this first.
 *
 * RSET throws the open transaction away, NOOP does nothing at all, QUIT
 * ends the session; RFC 5321 §4.1.4 allows all three at any time. (The
 * commands that only answer questions - VRFY, EXPN, HELP - are in
 * cmd_info.c.)
 */
#include "commands.h"

/* RSET (RFC 5321 §4.1.1.5): forget the sender, recipients and text of the
 * open transaction; the session itself (HELO/EHLO) stays.
 * Replies: 250 2.0.0, or 501 if arguments were given. */
void cmd_rset(struct session *s, const char *args)
{
    if (args[0] != '\0') {
        session_reply(s, 501, "5.5.4", "Syntax: RSET takes no arguments");
        return;
    }
    session_reset_transaction(s);
    session_reply(s, 250, "2.0.0", "OK: transaction reset");
}

/* NOOP (RFC 5321 §4.1.1.9): nothing happens; a client uses it to check
 * that the connection is still alive. Any argument is ignored.
 * Replies: 250 2.0.0. */
void cmd_noop(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 250, "2.0.0", "OK");
}

/* QUIT (RFC 5321 §4.1.1.10): the client is done. We answer 221 and close
 * the connection; an open transaction is dropped (nothing was promised).
 * Replies: 221 2.0.0. */
void cmd_quit(struct session *s, const char *args)
{
    (void)args;
    session_reset_transaction(s);
    session_reply(s, 221, "2.0.0", "%s Bye", s->config->hostname);
    session_set_state(s, STATE_CLOSING);
}
