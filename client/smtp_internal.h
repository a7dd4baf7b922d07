/*
 * smtp_internal.h - what the files of the client library share with each
 * other but not with their callers: building command lines, sending them,
 * and choosing how long to wait.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_SMTP_INTERNAL_H
#define MAILWALK_SMTP_INTERNAL_H

#include "smtp_client.h"

/* RFC 5321 §4.5.3.2: how long a client should wait for each reply. A client
 * that gives up sooner may abandon mail that a busy server was about to
 * take; one that waits forever hangs on a dead server. */
#define SMTP_TIMEOUT_GREETING_S   300 /* §4.5.3.2.1: initial 220 message */
#define SMTP_TIMEOUT_COMMAND_S    300 /* §4.5.3.2.2/3: MAIL, RCPT (and the rest) */
#define SMTP_TIMEOUT_DATA_INIT_S  120 /* §4.5.3.2.4: the 354 after DATA */
#define SMTP_TIMEOUT_DATA_BLOCK_S 180 /* §4.5.3.2.5: each block of text sent */
#define SMTP_TIMEOUT_DATA_END_S   600 /* §4.5.3.2.6: the reply after the "." */

/* Use the RFC's timeout of `seconds` for the next waits, or the caller's
 * cap if that is shorter. */
void smtp_set_timeout(struct smtp_client *c, int seconds);

/* Report a line to the transcript callback, if there is one. */
void smtp_report(struct smtp_client *c, enum smtp_direction direction, const char *line,
                 size_t len);

/* Report a formatted note ("connected to ..."). */
void smtp_note(struct smtp_client *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Set c->error from a format; returns -1 so callers can `return fail(...)`. */
int smtp_fail(struct smtp_client *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Check a command line and append it, with CR LF, to buf (which holds *used
 * bytes of cap). Refuses CR or LF inside the line - they would smuggle a
 * second command in - and lines over §4.5.3.1.4's 512 octets. Reports the
 * line to the transcript. Returns 0 or -1 (c->error set). */
int smtp_queue_command(struct smtp_client *c, const char *line, char *buf, size_t *used,
                       size_t cap);

/* As smtp_queue_command(), but the transcript shows `shown` instead of
 * the line itself (AUTH: the password must not appear on screen). */
int smtp_queue_command_as(struct smtp_client *c, const char *line, const char *shown,
                          char *buf, size_t *used, size_t cap);

/* Open the TCP connection only (no greeting read yet); the transcript note
 * says "connected to ...; <next_step>". Returns 0 or -1. */
int smtp_open(struct smtp_client *c, const char *host, const char *port, int timeout_ms,
              const char *next_step);

/* Send what smtp_queue_command() collected. */
int smtp_flush(struct smtp_client *c, const char *buf, size_t len);

/* "MAIL FROM:<sender> SIZE=... BODY=8BITMIME SMTPUTF8", with only the
 * parameters the server advertised. Returns 0, or -1 if it does not fit. */
int smtp_format_mail(struct smtp_client *c, const char *sender,
                     const struct smtp_mail_options *options, char *line, size_t cap);

/* "RCPT TO:<recipient>". Returns 0, or -1 if it does not fit. */
int smtp_format_rcpt(struct smtp_client *c, const char *recipient, char *line,
                     size_t cap);

/* The line that starts at pos in m: its length without its ending, with
 * *next set to where the following line starts. CR LF, a bare LF and a bare
 * CR all end a line (all three become CR LF on the wire, RFC 5321 §2.3.8).
 * Used by DATA (smtp_data.c) and by message building (message.c). */
size_t smtp_next_line(const char *m, size_t len, size_t pos, size_t *next);

/* Copy n bytes to out at *at if they fit in cap; always advance *at, so a
 * first pass with out == NULL measures the size. */
void smtp_put(char *out, size_t cap, size_t *at, const char *bytes, size_t n);

#endif
