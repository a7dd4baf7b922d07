/*
 * smtp_limits.h - the sizes SMTP promises, as named constants.
 *
 * Tier: core — read this first.
 *
 * RFC 5321 §4.5.3.1 lists the smallest objects every implementation must
 * accept. A server that checks these *before* parsing never lets a peer make
 * it allocate without bound: that is how a few kilobytes of memory per
 * session can survive a client that sends megabytes without a line ending.
 */
#ifndef MAILWALK_SMTP_LIMITS_H
#define MAILWALK_SMTP_LIMITS_H

/* RFC 5321 §4.5.3.1.1: a local part ("bob" in bob@bob.example). */
#define SMTP_MAX_LOCAL_PART 64

/* RFC 5321 §4.5.3.1.2: a domain name or address literal. */
#define SMTP_MAX_DOMAIN 255

/* RFC 5321 §4.5.3.1.3: a whole path, "<" and ">" included. */
#define SMTP_MAX_PATH 256

/* RFC 5321 §4.5.3.1.4: a command line including the command word and CRLF. */
#define SMTP_MAX_COMMAND_LINE 512

/* RFC 5321 §4.5.3.1.5: a reply line including the code and CRLF. */
#define SMTP_MAX_REPLY_LINE 512

/* RFC 5321 §4.5.3.1.6: a text line of the message, CRLF included. */
#define SMTP_MAX_TEXT_LINE 1000

/* RFC 5321 §4.5.3.1.8: every server must buffer at least 100 recipients. */
#define SMTP_MIN_RECIPIENTS 100

/* RFC 5321 §4.5.3.1.7: every server must take messages of at least 64K. */
#define SMTP_MIN_MESSAGE_SIZE (64 * 1024)

/* RFC 5321 §4.5.3.2.7: the server waits 5 minutes for the next command. */
#define SMTP_SERVER_TIMEOUT_SECONDS 300

#endif
