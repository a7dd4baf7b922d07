/*
 * pop3_response.h - reading what a POP3 server answers: the status line,
 * and the lines of a multi-line response.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 * Pure functions, no I/O: the unit
 * tests feed them lines, and the POP3 client calls them for every line it
 * receives.
 *
 * A POP3 server answers every command with a status line (RFC 1939 §3):
 *
 *     +OK 2 messages (740 octets)          it worked
 *     -ERR [IN-USE] Mailbox is locked      it did not (RFC 2449 §8 adds
 *                                          the reason in brackets)
 *
 * Some answers (LIST, RETR, TOP, UIDL, CAPA) go on after "+OK" with more
 * lines, ended by a line holding only "." - and a line of the letter that
 * starts with "." came with one more "." in front, which the client takes
 * off again ("byte-stuffing", §3). SMTP's DATA does the same, the other way
 * round: there the client stuffs and the server unstuffs.
 */
#ifndef MAILWALK_POP3_RESPONSE_H
#define MAILWALK_POP3_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 2449 §4: a status line is at most 512 octets with its CRLF. */
#define POP3_STATUS_LINE_MAX 512

/* The first line of a response. */
struct pop3_status {
    bool ok;                         /* "+OK" (true) or "-ERR" (false) */
    char code[32];                   /* "IN-USE", "AUTH", "SYS/TEMP"...,
                                              or "" when none was given */
    char text[POP3_STATUS_LINE_MAX]; /* what follows, for people */
};

/* Parse a status line (without its CRLF). Returns 0, or -1 if the line is
 * neither "+OK" nor "-ERR" (why[] says what it was). */
int pop3_parse_status(const char *line, size_t len, struct pop3_status *status,
                      char *why, size_t why_cap);

/* What one line of a multi-line response was. */
enum pop3_body_step {
    POP3_BODY_LINE, /* a line of the response: *text is it, unstuffed */
    POP3_BODY_END,  /* the lone "." that ends the response */
};

/* Take one received line (without its CRLF) of a multi-line response. */
enum pop3_body_step pop3_body_line(const char *line, size_t len, const char **text,
                                   size_t *text_len);

#endif
