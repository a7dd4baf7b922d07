/*
 * cmd_data.c - DATA: "here comes the message".
 *
 * Tier: core — read this first.
 *
 * The server answers 354 (an intermediate reply: go on), and from then on
 * every line is message text, not a command, until a line holding just
 * ".". That final dot gets the real answer: 250 if the message is safely
 * stored, or an error (data.c).
 */
#include "commands.h"
#include "data.h"

/* DATA (RFC 5321 §4.1.1.4). Allowed once a RCPT was accepted.
 * Replies: 354 (send the text), 501 (arguments given), 451 4.3.0 (we
 * cannot store mail right now). */
void cmd_data(struct session *s, const char *args)
{
    if (args[0] != '\0') {
        session_reply(s, 501, "5.5.4", "Syntax: DATA takes no arguments");
        return;
    }
    if (data_begin(s) < 0)
        return; /* data_begin() said 451 */
    session_set_state(s, STATE_DATA);
    /* No enhanced code on 354: it is not a status, just "go on". */
    session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}
