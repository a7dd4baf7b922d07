/*
 * pop3_text.h - a stored message, turned into the lines of a POP3
 * multi-line response, a piece at a time.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 *
 * RFC 1939 §3: a multi-line response is lines ending in CRLF; a line that
 * starts with "." gets one more "." in front ("byte-stuffing"), and the
 * response ends with a line holding only ".". It is the same trick SMTP
 * uses for DATA (RFC 5321 §4.5.2), run the other way: here the *server*
 * stuffs and the client takes the extra dot off.
 *
 * Maildir files hold lines ending in a plain LF (the Unix convention), so
 * each line ending becomes CRLF on the way out. That is also why a POP3
 * size is not the file's size: RFC 1939 §11 says sizes count the message
 * "as it would be sent", with CRLF line ends and without the stuffed dots,
 * and pop3_text_octets() counts exactly what pop3_text_next() sends.
 *
 * The reader never holds a whole line, let alone a whole message: a
 * 100 MB line without a line feed goes out in pieces of a few kilobytes,
 * so memory stays bounded whatever was stored.
 */
#ifndef MAILWALK_POP3_TEXT_H
#define MAILWALK_POP3_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The longest piece pop3_text_next() produces: one read of the file plus a
 * stuffed dot and a CRLF. The session's output buffer keeps room for it. */
#define POP3_TEXT_CHUNK     1024
#define POP3_TEXT_PIECE_MAX (POP3_TEXT_CHUNK + 3)

/* Where we are in one message. */
struct pop3_text {
    FILE *file;         /* the message file, or NULL when done */
    bool at_line_start; /* the next byte starts a line (stuff a dot?) */
    bool in_body;       /* the empty line after the header was passed */
    bool limit_body;    /* TOP: stop after body_lines_left body lines */
    unsigned long body_lines_left;
    unsigned long long stuffed; /* dots added so far (not part of the size) */
};

/* Start sending the whole message in `file` (RETR). Takes the FILE. */
void pop3_text_start(struct pop3_text *t, FILE *file);

/* Start sending the header, the empty line and `body_lines` lines of the
 * body (TOP, RFC 1939 §7). Takes the FILE. */
void pop3_text_start_top(struct pop3_text *t, FILE *file, unsigned long body_lines);

/* Append the next piece, as it goes on the wire, to out (which has room
 * for POP3_TEXT_PIECE_MAX bytes). Returns its length; 0 means the message
 * is over (the file is closed then; the caller sends the final ".").
 * A read error also ends it, with *failed set. */
size_t pop3_text_next(struct pop3_text *t, char *out, bool *failed);

/* Close the file early (the connection went away mid-message). */
void pop3_text_stop(struct pop3_text *t);

/* The size of the message in `file` as RFC 1939 counts it. Reads the file
 * to its end (and closes it). Returns 0, or -1 on a read error. */
int pop3_text_octets(FILE *file, unsigned long long *octets);

#endif
