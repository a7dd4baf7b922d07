/*
 * message.h - building an Internet message (RFC 5322) with a MIME text body
 * (RFC 2045), the way a user agent does before it hands it to SMTP.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * SMTP does not care what the message says: after DATA it carries lines. The
 * *format* of those lines is another standard, RFC 5322: header fields
 * (From:, To:, Subject:, Date:, Message-ID:), an empty line, the body. The
 * header From:/To: are what the reader sees; the envelope (MAIL FROM, RCPT
 * TO) is what the servers use - and nothing forces the two to agree.
 */
#ifndef MAILWALK_MESSAGE_H
#define MAILWALK_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What the user asked for. */
struct message_spec {
    const char *from;      /* the author's address, for From: */
    const char *const *to; /* the recipients, for To: */
    size_t to_count;
    const char *subject; /* UTF-8, or NULL for no Subject: */
    const char *body;    /* UTF-8 text, any line endings */
    size_t body_len;
    time_t date;             /* for Date: */
    const char *message_id;  /* for Message-ID:, with its <> */
    bool allow_8bit;         /* the server offered 8BITMIME (RFC 6152) */
    bool allow_utf8_headers; /* the server offered SMTPUTF8 (RFC 6531) */
};

/* The message, ready for smtp_data(). */
struct message {
    char *data; /* header, empty line, body; CR LF endings */
    size_t len;
    const char *transfer_encoding; /* "7bit", "8bit" or "quoted-printable" */
    bool eight_bit;                /* needs BODY=8BITMIME */
    bool utf8_headers;             /* needs SMTPUTF8 */
};

/* Build the message. Returns 0, or -1 with why[] telling the user what to
 * fix (invalid UTF-8, a line break in the subject, out of memory). */
int message_build(const struct message_spec *spec, struct message *out, char *why,
                  size_t why_cap);

void message_free(struct message *m);

/* "<1700000000.4242.8f3a9c@alice.example>" from the time, the process and
 * a few random bytes, with the domain of the from address (RFC 5322 §3.6.4:
 * globally unique). */
void message_make_id(char *out, size_t cap, const char *from, time_t now);

/* RFC 5322 §3.3: "Mon, 23 Nov 2026 09:00:00 +0100", in local time. */
void message_format_date(char *out, size_t cap, time_t when);

/*
 * Quoted-printable (RFC 2045 §6.7) for a text body: lines end in CR LF,
 * octets outside printable ASCII become =XX, encoded lines stay within 76
 * characters using "=" soft line breaks. Writes at most cap bytes and
 * returns the full length, like snprintf (out may be NULL to measure).
 */
size_t message_qp_encode(const char *text, size_t len, char *out, size_t cap);

/* Is text valid UTF-8 (RFC 3629)? */
bool message_is_utf8(const char *text, size_t len);

#endif
