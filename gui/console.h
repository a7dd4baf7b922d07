/*
 * console.h - where a typed SMTP session stands, and what may come next.
 *
 * In the "Type it yourself" scenario the student is the client. After
 * each line the window asks this module which stage the dialogue has
 * reached (a little model of the server's state machine, RFC 5321 §4.1.4
 * and §3.3), and shows the hints explanations.ini has for that stage:
 * after 220, EHLO or HELO; after MAIL's 250, RCPT; in DATA, text lines and
 * then "."; and so on. The model follows only what it sees on the wire,
 * so a refused command leaves the stage where it was, as it does on the
 * server.
 */
#ifndef MAILWALK_CONSOLE_H
#define MAILWALK_CONSOLE_H

#include <glib.h>

#include "line.h"

typedef enum {
    MW_CONSOLE_CONNECTING, /* waiting for the 220 greeting */
    MW_CONSOLE_GREETED,    /* 220 came: say EHLO or HELO */
    MW_CONSOLE_READY,      /* hello done: MAIL FROM may start a letter */
    MW_CONSOLE_MAIL,       /* MAIL accepted: name a recipient */
    MW_CONSOLE_RCPT,       /* a recipient accepted: another, or DATA */
    MW_CONSOLE_DATA,       /* after 354: the text, then a lone "." */
    MW_CONSOLE_SENT,       /* the letter is stored: another, or QUIT */
    MW_CONSOLE_CLOSED,     /* 221 or 421: the server has closed */
} MwConsoleStage;

typedef struct {
    MwConsoleStage stage;
    char verb[16]; /* the last command ("MAIL"), or "." after the text */
} MwConsole;

void mw_console_init(MwConsole *console);

/* Follow one line of the dialogue (as it lands on the diagram). */
void mw_console_see(MwConsole *console, const MwLine *line);

/* The stage's name, as in explanations.ini's [hint:NAME] groups. */
const char *mw_console_stage_name(MwConsoleStage stage);

#endif
