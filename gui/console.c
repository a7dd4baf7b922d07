/*
 * console.c - following a typed session, to suggest the next line.
 *
 * This is the server's state machine seen from outside: the stage changes
 * only when a reply says a command worked (a 2xx, or 354 for DATA). The
 * words of the hints are not here but in explanations.ini ([hint:STAGE]),
 * next to the explanations of the commands they suggest.
 */
#include "console.h"

#include <string.h>

void mw_console_init(MwConsole *console)
{
    console->stage = MW_CONSOLE_CONNECTING;
    console->verb[0] = '\0';
}

/* A reply's last line to the command in console->verb moves the stage. */
static void see_reply(MwConsole *console, const MwLine *line)
{
    if (!line->last)
        return; /* "250-PIPELINING": more lines of the same reply follow */
    const char *verb = console->verb;
    if (line->code == 221 || line->code == 421) {
        /* Goodbye, or "service not available, closing" (§3.8). */
        console->stage = MW_CONSOLE_CLOSED;
    } else if (line->code == 220 && console->stage == MW_CONSOLE_CONNECTING) {
        console->stage = MW_CONSOLE_GREETED;
    } else if (line->code == 354) {
        console->stage = MW_CONSOLE_DATA;
    } else if (line->code / 100 == 2) {
        if (strcmp(verb, "EHLO") == 0 || strcmp(verb, "HELO") == 0 ||
            strcmp(verb, "RSET") == 0)
            console->stage = MW_CONSOLE_READY;
        else if (strcmp(verb, "MAIL") == 0)
            console->stage = MW_CONSOLE_MAIL;
        else if (strcmp(verb, "RCPT") == 0)
            console->stage = MW_CONSOLE_RCPT;
        else if (strcmp(verb, ".") == 0)
            console->stage = MW_CONSOLE_SENT;
    } else if (strcmp(verb, ".") == 0) {
        /* The letter was refused after its text: the transaction is over
         * all the same (§4.1.1.4), and a new one may start. */
        console->stage = MW_CONSOLE_READY;
    }
}

void mw_console_see(MwConsole *console, const MwLine *line)
{
    switch (line->kind) {
    case MW_LINE_COMMAND: {
        size_t n = strcspn(line->text, " :\r\n");
        n = MIN(n, sizeof console->verb - 1);
        for (size_t i = 0; i < n; i++)
            console->verb[i] = g_ascii_toupper(line->text[i]);
        console->verb[n] = '\0';
        break;
    }
    case MW_LINE_DATA:
        if (line->data_part == MW_DATA_END)
            g_strlcpy(console->verb, ".", sizeof console->verb);
        break;
    case MW_LINE_REPLY:
        see_reply(console, line);
        break;
    case MW_LINE_TLS:
    case MW_LINE_EVENT:
        break;
    }
}

const char *mw_console_stage_name(MwConsoleStage stage)
{
    static const char *const names[] = {
        [MW_CONSOLE_CONNECTING] = "connecting",
        [MW_CONSOLE_GREETED] = "greeted",
        [MW_CONSOLE_READY] = "ready",
        [MW_CONSOLE_MAIL] = "mail",
        [MW_CONSOLE_RCPT] = "rcpt",
        [MW_CONSOLE_DATA] = "data",
        [MW_CONSOLE_SENT] = "sent",
        [MW_CONSOLE_CLOSED] = "closed",
    };
    return names[stage];
}
