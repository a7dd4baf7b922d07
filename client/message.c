/*
 * message.c - what Alice's user agent writes before SMTP carries it.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A message is header fields, an empty line, and a body (RFC 5322 §2.1).
 * Two limits shape everything here:
 *
 *  - SMTP was built for 7-bit ASCII (RFC 5321 §4.5.2 speaks of "the 128
 *    ASCII characters"). Text in other scripts has octets above 127. Such
 *    "8-bit" text may travel as it is only if the server says 8BITMIME
 *    (RFC 6152); otherwise MIME (RFC 2045) encodes it into ASCII, here with
 *    quoted-printable, which leaves ASCII letters readable: "café" becomes
 *    "caf=C3=A9".
 *
 *  - Lines: at most 998 characters plus CR LF (RFC 5322 §2.1.1), and
 *    header lines SHOULD stay within 78, "folded" onto continuation lines
 *    that start with a space (§2.2.3).
 *
 * The MIME header fields (RFC 2045) tell the reader how to undo all this:
 * MIME-Version: 1.0, Content-Type: text/plain; charset=utf-8, and
 * Content-Transfer-Encoding: 7bit / 8bit / quoted-printable.
 */
#include "message.h"
#include "base64.h"
#include "smtp_internal.h"
#include "text_buffer.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- A growing buffer -------------------------------------------------- */

/* ---- Small pieces ------------------------------------------------------ */

bool message_is_utf8(const char *text, size_t len)
{
    return utf8_is_valid(text, len);
}

/* Does text need anything beyond plain ASCII? */
static bool has_8bit(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80)
            return true;
    return false;
}

void message_format_date(char *out, size_t cap, time_t when)
{
    /* Day and month names are fixed English abbreviations (RFC 5322 §3.3);
     * strftime's %a and %b would follow the user's locale. */
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    localtime_r(&when, &tm);
    long offset = tm.tm_gmtoff / 60; /* minutes east of UTC */
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    snprintf(out, cap, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec, sign, offset / 60, offset % 60);
}

void message_make_id(char *out, size_t cap, const char *from, time_t now)
{
    unsigned char random[6] = {0};
    /* getentropy: a few unpredictable bytes, so two messages sent in the
     * same second by the same process still get different ids. */
    if (getentropy(random, sizeof random) != 0)
        memset(random, 0, sizeof random); /* time and pid still differ */
    const char *at = strrchr(from, '@');
    const char *domain = (at != NULL && at[1] != '\0') ? at + 1 : "mailwalk.invalid";
    snprintf(out, cap, "<%lld.%ld.%02x%02x%02x%02x%02x%02x@%s>", (long long)now,
             (long)getpid(), random[0], random[1], random[2], random[3], random[4],
             random[5], domain);
}

size_t message_qp_encode(const char *text, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t at = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        size_t n = smtp_next_line(text, len, pos, &next);
        size_t column = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char b = (unsigned char)text[pos + i];
            bool space = (b == ' ' || b == '\t');
            /* RFC 2045 §6.7 rule (2): 33-60 and 62-126 stand for
             * themselves; rule (3): space and tab too, except at the end
             * of a line, where transports may strip them. */
            bool literal = (b >= 33 && b <= 126 && b != '=') || (space && i + 1 < n);
            char encoded[3] = {'=', hex[b >> 4], hex[b & 15]};
            size_t width = literal ? 1 : 3;
            /* Rule (5): encoded lines at most 76 characters; a "=" at the
             * end of a line is a soft break that the decoder removes. */
            if (column + width > 75) {
                smtp_put(out, cap, &at, "=\r\n", 3);
                column = 0;
            }
            if (literal)
                smtp_put(out, cap, &at, (const char *)&text[pos + i], 1);
            else
                smtp_put(out, cap, &at, encoded, 3);
            column += width;
        }
        /* Rule (4): a line break in the text is a CR LF in the encoding. */
        smtp_put(out, cap, &at, "\r\n", 2);
        pos = next;
    }
    return at;
}

/* Base64 (RFC 2045 §6.8) of n bytes (at most 48 here), appended to t. */
static void add_base64(struct text_buffer *t, const unsigned char *in, size_t n)
{
    char encoded[BASE64_ENCODED_SIZE(48)];
    long len = base64_encode(in, n, encoded, sizeof encoded);
    if (len > 0)
        text_buffer_add(t, encoded, (size_t)len);
}

/* ---- Header fields ----------------------------------------------------- */

/* The longest header line we aim for (RFC 5322 §2.1.1: SHOULD be 78). */
#define HEADER_LINE_TARGET 78

/* "Name: value", folded at spaces so that lines stay near 78 characters
 * (RFC 5322 §2.2.3: folding puts CR LF before a space; unfolding removes
 * the CR LF and gives back exactly the value). */
static void add_folded(struct text_buffer *t, const char *name, const char *value)
{
    text_buffer_add_str(t, name);
    text_buffer_add_str(t, ": ");
    size_t column = strlen(name) + 2;
    const char *p = value;
    while (*p) {
        /* One word: optional leading spaces, then up to the next space. */
        size_t n = strspn(p, " ");
        n += strcspn(p + n, " ");
        if (column + n > HEADER_LINE_TARGET && p != value && *p == ' ') {
            text_buffer_add_str(t, "\r\n");
            column = 0;
        }
        text_buffer_add(t, p, n);
        column += n;
        p += n;
    }
    text_buffer_add_str(t, "\r\n");
}

/* Subject: in plain ASCII, or - with other characters - as RFC 2047
 * "encoded words" (=?UTF-8?B?...?=), the MIME way to put non-ASCII text in a
 * header that must stay ASCII. (RFC 2047 §2
 * limits an encoded word to 75 characters.) */
static void add_subject(struct text_buffer *t, const char *subject, bool utf8_headers)
{
    size_t len = strlen(subject);
    if (!has_8bit(subject, len) || utf8_headers) {
        /* RFC 6532 (with SMTPUTF8): header fields may hold UTF-8 as is. */
        add_folded(t, "Subject", subject);
        return;
    }
    text_buffer_add_str(t, "Subject:");
    const unsigned char *s = (const unsigned char *)subject;
    size_t pos = 0;
    while (pos < len) {
        /* 36 octets become 48 base64 characters: 60 with =?UTF-8?B? ?=, so
         * each folded line stays under 78. Never split a UTF-8 sequence:
         * each encoded word must decode on its own. */
        size_t n = len - pos > 36 ? 36 : len - pos;
        while (n > 1 && pos + n < len && (s[pos + n] & 0xC0) == 0x80)
            n--;
        text_buffer_add_str(t, pos == 0 ? " " : "\r\n ");
        text_buffer_add_str(t, "=?UTF-8?B?");
        add_base64(t, s + pos, n);
        text_buffer_add_str(t, "?=");
        pos += n;
    }
    text_buffer_add_str(t, "\r\n");
}

/* To: a, b, c - folded between addresses when the line grows long. */
static void add_address_list(struct text_buffer *t, const char *name,
                             const char *const *addresses, size_t count)
{
    text_buffer_add_str(t, name);
    text_buffer_add_str(t, ":");
    size_t column = strlen(name) + 1;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(addresses[i]);
        if (i > 0 && column + n + 2 > HEADER_LINE_TARGET) {
            text_buffer_add_str(t, "\r\n");
            column = 0;
        }
        text_buffer_add_str(t, " ");
        text_buffer_add_str(t, addresses[i]);
        column += n + 1;
        if (i + 1 < count) {
            text_buffer_add_str(t, ",");
            column++;
        }
    }
    text_buffer_add_str(t, "\r\n");
}

/* ---- The message -------------------------------------------------------- */

/* Does any line of the body break the 998-octet rule (RFC 5322 §2.1.1), or
 * hold a NUL (not allowed in 7bit/8bit data, RFC 2045 §2.7-2.8)? */
static bool needs_encoding_anyway(const char *body, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        if (smtp_next_line(body, len, pos, &next) > 998)
            return true;
        pos = next;
    }
    return memchr(body, '\0', len) != NULL;
}

int message_build(const struct message_spec *spec, struct message *out, char *why,
                  size_t why_cap)
{
    memset(out, 0, sizeof *out);
    const char *subject = spec->subject;
    if (subject != NULL && strpbrk(subject, "\r\n") != NULL) {
        /* A line break would end the Subject: field, and what follows
         * would become a header field of its own: "header injection". */
        snprintf(why, why_cap,
                 "the subject contains a line break; a header "
                 "field must be one line");
        return -1;
    }
    if (subject != NULL && !message_is_utf8(subject, strlen(subject))) {
        snprintf(why, why_cap, "the subject is not valid UTF-8");
        return -1;
    }
    if (!message_is_utf8(spec->body, spec->body_len)) {
        snprintf(why, why_cap,
                 "the body is not valid UTF-8: convert it first "
                 "(iconv -t UTF-8), or send it as it is with --raw");
        return -1;
    }
    /* Non-ASCII addresses can go in neither the envelope nor the header
     * unless the server speaks SMTPUTF8 (RFC 6531 §3.2, RFC 6532). */
    bool utf8_addresses = has_8bit(spec->from, strlen(spec->from));
    for (size_t i = 0; i < spec->to_count; i++)
        utf8_addresses |= has_8bit(spec->to[i], strlen(spec->to[i]));
    if (utf8_addresses && !spec->allow_utf8_headers) {
        snprintf(why, why_cap,
                 "an address is not ASCII, and the server does "
                 "not offer SMTPUTF8 (RFC 6531), so it cannot be sent there");
        return -1;
    }
    out->utf8_headers = utf8_addresses;

    /* Choose the body's transfer encoding (RFC 2045 §6). */
    bool eight_bit = has_8bit(spec->body, spec->body_len);
    bool must_encode = needs_encoding_anyway(spec->body, spec->body_len);
    if (must_encode || (eight_bit && !spec->allow_8bit))
        out->transfer_encoding = "quoted-printable";
    else if (eight_bit)
        out->transfer_encoding = "8bit";
    else
        out->transfer_encoding = "7bit";
    out->eight_bit = eight_bit && strcmp(out->transfer_encoding, "8bit") == 0;

    struct text_buffer t = {0};
    char date[64];
    message_format_date(date, sizeof date, spec->date);
    /* RFC 5322 §3.6: Date and From are the only fields every message
     * must have; the order below is the customary one. */
    text_buffer_add_str(&t, "Date: ");
    text_buffer_add_str(&t, date);
    text_buffer_add_str(&t, "\r\n");
    text_buffer_add_str(&t, "From: ");
    text_buffer_add_str(&t, spec->from);
    text_buffer_add_str(&t, "\r\n");
    if (spec->to_count > 0)
        add_address_list(&t, "To", spec->to, spec->to_count);
    if (subject != NULL)
        add_subject(&t, subject, spec->allow_utf8_headers && utf8_addresses);
    /* §3.6.4: a unique id, so replies and duplicates can be recognised. */
    text_buffer_add_str(&t, "Message-ID: ");
    text_buffer_add_str(&t, spec->message_id);
    text_buffer_add_str(&t, "\r\n");
    /* RFC 2045 §4, §5, §6: how to read the body. */
    text_buffer_add_str(&t, "MIME-Version: 1.0\r\n");
    text_buffer_add_str(&t, "Content-Type: text/plain; charset=");
    text_buffer_add_str(&t, eight_bit ? "utf-8" : "us-ascii");
    text_buffer_add_str(&t, "\r\n");
    text_buffer_add_str(&t, "Content-Transfer-Encoding: ");
    text_buffer_add_str(&t, out->transfer_encoding);
    text_buffer_add_str(&t, "\r\n");
    /* RFC 5322 §2.1: an empty line separates the header from the body. */
    text_buffer_add_str(&t, "\r\n");

    if (strcmp(out->transfer_encoding, "quoted-printable") == 0) {
        size_t n = message_qp_encode(spec->body, spec->body_len, NULL, 0);
        char *encoded = malloc(n + 1);
        if (encoded == NULL) {
            t.failed = true;
        } else {
            message_qp_encode(spec->body, spec->body_len, encoded, n);
            text_buffer_add(&t, encoded, n);
            free(encoded);
        }
    } else {
        /* Lines end in CR LF in the message format (RFC 5322 §2.1). */
        size_t pos = 0;
        while (pos < spec->body_len) {
            size_t next;
            size_t n = smtp_next_line(spec->body, spec->body_len, pos, &next);
            text_buffer_add(&t, spec->body + pos, n);
            text_buffer_add_str(&t, "\r\n");
            pos = next;
        }
    }

    if (t.failed) {
        free(t.data);
        snprintf(why, why_cap, "out of memory building the message");
        return -1;
    }
    out->data = t.data;
    out->len = t.len;
    return 0;
}

void message_free(struct message *m)
{
    free(m->data);
    m->data = NULL;
    m->len = 0;
}
