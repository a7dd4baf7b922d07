/*
 * line.h - one line of the diagram: who said what to whom, and what kind
 * of thing it was.
 */
#ifndef MAILWALK_LINE_H
#define MAILWALK_LINE_H

#include <glib.h>

/* What a line is, for colour, label and explanation. */
typedef enum {
    MW_LINE_COMMAND, /* client -> server, a command ("MAIL FROM:<...>") */
    MW_LINE_DATA,    /* client -> server, message text after 354 */
    MW_LINE_REPLY,   /* server -> client, a reply line ("250 2.1.0 OK") */
    MW_LINE_TLS,     /* a sealed TLS record, either way */
    MW_LINE_EVENT,   /* not on the wire: the server's event log ("delivered") */
} MwLineKind;

/* The three phases of an SMTP session (RFC 5321 §3). */
typedef enum {
    MW_PHASE_SETUP,       /* connection setup: 220, HELO/EHLO (STARTTLS, AUTH) */
    MW_PHASE_TRANSFER,    /* mail transfer: MAIL, RCPT, DATA, text, "." */
    MW_PHASE_TERMINATION, /* termination: QUIT, 221, close */
    MW_PHASE_READING,     /* not SMTP: the user agent reads the mailbox,
                             a pull, after SMTP has ended (POP3, IMAP) */
} MwPhase;

/* Which part of the message a data line is. */
typedef enum {
    MW_DATA_HEADER,    /* "Subject: Lunch" */
    MW_DATA_SEPARATOR, /* the empty line */
    MW_DATA_BODY,      /* the letter */
    MW_DATA_END,       /* "." */
} MwDataPart;

typedef struct {
    guint from; /* actor column it leaves */
    guint to;   /* actor column it reaches */
    MwLineKind kind;
    MwPhase phase;
    MwDataPart data_part; /* for MW_LINE_DATA */
    int code;             /* for replies: 250; else 0 */
    gboolean last;        /* for replies: the last line ("250 ", not "250-") */
    char enhanced[16];    /* for replies: "2.1.5", or "" */
    char *text;           /* what is shown (CR LF removed; TLS: a summary) */
    char *tls_type;       /* for TLS records: "handshake", "application data" */
    char *event;          /* for events: "delivered", "read" (explanations.ini) */
    guint hop;            /* which hop it belongs to when a story has two
                             (1: Alice's UA -> her server, 2: the relay),
                             or 0 */
    char *answers;        /* for replies: the command this reply answers
                             ("RCPT TO:<bob@bob.example>") or one of the
                             MW_ANSWERS_ words below; or NULL */
    char *mark;           /* a lab run: how the reference differed here
                             ("the reference answered ..."), or NULL */
    MwLineKind inside;    /* a line decrypted inside TLS (event "inside"):
                             the command, reply or message text it is, so
                             it is coloured and explained as one (code,
                             last, enhanced, data_part and answers are set
                             as for that kind); MW_LINE_EVENT otherwise */
} MwLine;

/* What MwLine.answers says when a reply answers no command line: the
 * greeting, the end of a message (RFC 5321 §4.1.1.4: the reply to DATA's
 * final dot), or nothing at all (a reply nobody asked for). One spelling,
 * so that run.c, which writes them, and explain.c and lab_check.c, which
 * read them, always agree. */
#define MW_ANSWERS_GREETING    "(greeting)"
#define MW_ANSWERS_END_OF_DATA "(end of data)"
#define MW_ANSWERS_NOTHING     "(nothing asked)"

/* A new line; text is copied. */
MwLine *mw_line_new(MwLineKind kind, guint from, guint to, const char *text);
void mw_line_free(MwLine *line);
/* A deep copy. */
MwLine *mw_line_copy(const MwLine *line);

/* Take a reply line apart: code, "-" or " ", enhanced status code. */
void mw_line_parse_reply(MwLine *line);

/* The phase a command belongs to. */
MwPhase mw_phase_of_command(const char *command_line);
const char *mw_phase_name(MwPhase phase);
/* "setup", "transfer", "termination": for narrow places. */
const char *mw_phase_short_name(MwPhase phase);

/* A line of the letter that went out with a doubled leading dot (the
 * sender's ".." for the writer's "."; RFC 5321 §4.5.2), not the end. */
gboolean mw_line_is_dot_stuffed(const MwLine *line);

/* "2xx completion", "5xx permanent failure"...: the label every reply
 * carries beside its colour, so colour is never the only cue. */
const char *mw_reply_label(int code);

#endif
