/*
 * bounce.h - writing the "your mail could not be delivered" message.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * When the queue gives up on a recipient it already said 250 for, it must
 * tell the sender (RFC 5321 §6.1). bounce_write() writes that notice as a
 * standard delivery status notification (DSN, RFC 3464) that both a person
 * and a program can read; the queue then sends it from the null
 * reverse-path, MAIL FROM:<>, to the original sender. bounce.c explains why.
 */
#ifndef MAILWALK_BOUNCE_H
#define MAILWALK_BOUNCE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* The most of the original's header section a bounce carries back. */
#define BOUNCE_MAX_HEADERS (64 * 1024)

/* One recipient that could not be reached, and why. */
struct bounce_recipient {
    const char *address; /* the recipient that failed: "carol@bob.example" */
    const char *status;  /* RFC 3463 code: "5.1.1" (NULL or malformed: 5.0.0) */
    /* the host that refused it ("127.0.0.2"), or NULL if we gave up ourselves */
    const char *remote_mta;
    /* the remote reply ("550 5.1.1 No such user here") or our own reason
     * ("gave up after 5 days: connection refused"); NULL: none */
    const char *diagnostic;
};

/* Everything a bounce says, about the message and each failed recipient. */
struct bounce_report {
    const char *reporting_mta; /* our --hostname, e.g. "mail.alice.example" */
    /* the bounce's From:, e.g. "MAILER-DAEMON@mail.alice.example" (no <>) */
    const char *from;
    /* reverse-path of the failed message: the bounce's To: */
    const char *original_sender;
    /* our queue id of the original, for the text and X-... field */
    const char *queue_id;
    time_t arrival;                            /* when we accepted the original */
    time_t now;                                /* Date: and Last-Attempt-Date */
    const struct bounce_recipient *recipients; /* recipients[0 .. count-1] */
    size_t count;                              /* at least 1 */
    const char *unique; /* a unique string for the MIME boundary and Message-ID */
};

/*
 * Write a whole DSN message (RFC 3464 inside an RFC 6522 multipart/report;
 * report-type=delivery-status) to out, with "\n" line endings (the queue
 * and Maildirs store LF; the sender converts to CRLF on the wire):
 *
 *   headers   From, To, Subject, Date, Message-ID, MIME-Version,
 *             Content-Type (with the boundary), Auto-Submitted: auto-replied
 *   part 1    text/plain: a friendly explanation, each recipient and why
 *   part 2    message/delivery-status: Reporting-MTA, Arrival-Date, then per
 *             recipient Final-Recipient, Action: failed, Status, Remote-MTA
 *             (when known), Diagnostic-Code, Last-Attempt-Date
 *   part 3    text/rfc822-headers: the header section of the original, read
 *             from `original` (a FILE at the start of the message, LF or
 *             CRLF lines) up to its first empty line, at most
 *             BOUNCE_MAX_HEADERS octets, cut at a line end
 *
 * Dates are in RFC 5322 §3.3 form, in UTC, with English names whatever the
 * locale. Returns 0, or -1 with why naming what failed (a write or read
 * error, or an original sender of "<>" or "", to whom no bounce may go).
 */
int bounce_write(FILE *out, const struct bounce_report *report, FILE *original,
                 char *why, size_t why_cap);

#endif
