/*
 * mime.c - reading a message the way Bob's user agent must.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Mail crosses SMTP as lines of (mostly) ASCII, so senders encode anything
 * else, and the reader has to undo each layer, outside in:
 *
 *   1. the header and body split at the first empty line (RFC 5322 §2.1);
 *   2. Content-Type says what the body is (RFC 2045 §5): text/plain with a
 *      charset, or multipart/... made of parts, each with its own header
 *      (RFC 2046 §5.1), separated by "--boundary" lines;
 *   3. Content-Transfer-Encoding says how the octets were packed for SMTP:
 *      7bit/8bit (as they are), quoted-printable ("caf=C3=A9", §6.7) or
 *      base64 (§6.8);
 *   4. the charset says which characters the octets stand for; iconv turns
 *      them into UTF-8 for the terminal;
 *   5. header fields carry non-ASCII text as RFC 2047 "encoded words":
 *      =?UTF-8?B?Q2Fmw6k=?= (B = base64, Q = a quoted-printable variant).
 *
 * The messages mailwalk-read shows were written by the server with LF line
 * endings (server/data.c); CR LF is accepted too.
 */
#include "mime.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Multipart inside multipart inside ...: this deep and no deeper, so a
 * hostile message cannot make us recurse without end. */
#define MAX_NESTING 8

/* ---- Lines and header fields -------------------------------------------- */

/* The line at pos: its length without LF or CR LF; *next is the next line. */
static size_t line_at(const char *m, size_t len, size_t pos, size_t *next)
{
    const char *lf = memchr(m + pos, '\n', len - pos);
    size_t end = lf != NULL ? (size_t)(lf - m) : len;
    *next = lf != NULL ? end + 1 : len;
    if (end > pos && m[end - 1] == '\r')
        end--;
    return end - pos;
}

/* Where the body starts: after the first empty line (RFC 5322 §2.1), or at
 * the end if the message is all header. */
static size_t body_start(const char *m, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        if (line_at(m, len, pos, &next) == 0)
            return next;
        pos = next;
    }
    return len;
}

bool mime_header(const char *m, size_t len, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    size_t end = body_start(m, len);
    size_t pos = 0;
    while (pos < end) {
        size_t next;
        size_t n = line_at(m, len, pos, &next);
        if (n > name_len && m[pos + name_len] == ':' &&
            strncasecmp(m + pos, name, name_len) == 0) {
            /* Unfold (§2.2.3): continuation lines start with a space or a
             * tab; the line break before them is removed, the blank kept. */
            size_t used = 0;
            const char *v = m + pos + name_len + 1;
            size_t vlen = n - name_len - 1;
            for (;;) {
                for (size_t i = 0; i < vlen && used + 1 < cap; i++)
                    out[used++] = v[i];
                pos = next;
                if (pos >= end || (m[pos] != ' ' && m[pos] != '\t'))
                    break;
                vlen = line_at(m, len, pos, &next);
                v = m + pos;
            }
            out[used] = '\0';
            /* Trim the blanks around the value. */
            size_t start = strspn(out, " \t");
            memmove(out, out + start, used - start + 1);
            used -= start;
            while (used > 0 && (out[used - 1] == ' ' || out[used - 1] == '\t'))
                out[--used] = '\0';
            return true;
        }
        pos = next;
    }
    return false;
}

/* ---- Transfer encodings -------------------------------------------------- */

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10; /* §6.7 (1): lower case is not allowed, but
                                "robust implementations" accept it */
    return -1;
}

void mime_decode_qp(const char *in, size_t len, struct text_buffer *out)
{
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        size_t n = line_at(in, len, pos, &next);
        /* §6.7 (3): trailing blanks on an encoded line are not data (a
         * transport may have added them). */
        while (n > 0 && (in[pos + n - 1] == ' ' || in[pos + n - 1] == '\t'))
            n--;
        bool soft_break = n > 0 && in[pos + n - 1] == '=';
        if (soft_break)
            n--; /* §6.7 (5): "=" at the end joins this line to the next */
        for (size_t i = 0; i < n; i++) {
            const char *p = in + pos + i;
            int hi, lo;
            if (*p == '=' && i + 2 < n && (hi = hex_value(p[1])) >= 0 &&
                (lo = hex_value(p[2])) >= 0) {
                char byte = (char)(hi * 16 + lo);
                text_buffer_add(out, &byte, 1);
                i += 2;
            } else {
                text_buffer_add(out, p, 1); /* a lone "=": keep it, as §6.7 suggests */
            }
        }
        /* A hard line break in the encoding is a line break in the text. */
        if (!soft_break && memchr(in + pos, '\n', next - pos) != NULL)
            text_buffer_add(out, "\n", 1);
        pos = next;
    }
}

void mime_decode_base64(const char *in, size_t len, struct text_buffer *out)
{
    unsigned int bits = 0;
    int count = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=')
            break; /* padding: the data has ended */
        else
            continue; /* line breaks and anything else: ignored (§6.8) */
        bits = (bits << 6) | (unsigned int)v;
        count += 6;
        if (count >= 8) {
            count -= 8;
            char byte = (char)((bits >> count) & 0xFF);
            text_buffer_add(out, &byte, 1);
        }
    }
}

/* ---- Charsets ------------------------------------------------------------ */

void mime_to_utf8(const char *charset, const char *in, size_t len,
                  struct text_buffer *out)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    /* SIMPLIFICATION: text that claims US-ASCII (or says nothing, which
     * means US-ASCII, RFC 2045 §5.2) but is valid UTF-8 is shown as UTF-8:
     * many senders forget the charset. */
    if (charset[0] == '\0' || strcasecmp(charset, "us-ascii") == 0) {
        if (utf8_is_valid(in, len)) {
            text_buffer_add(out, in, len);
            return;
        }
        charset = "ISO-8859-1"; /* the usual culprit for stray 8-bit text */
    }
    /* UTF-8 is checked here, not by iconv: glibc's iconv lets some
     * invalid sequences through from UTF-8 to UTF-8 (the old forms beyond
     * U+10FFFF, lead bytes F5 and up, RFC 3629 §3), and they would reach
     * the terminal. */
    if (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0) {
        const unsigned char *p = (const unsigned char *)in;
        for (size_t i = 0; i < len;) {
            size_t n = utf8_char_length(p + i, len - i);
            if (n == 0) {
                text_buffer_add_str(out, replacement);
                i++;
            } else {
                text_buffer_add(out, in + i, n);
                i += n;
            }
        }
        return;
    }
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1) {
        char note[160];
        snprintf(note, sizeof note, "[unknown charset \"%.60s\": shown as it is]\n",
                 charset);
        text_buffer_add_str(out, note);
        text_buffer_add(out, in, len);
        return;
    }
    char *src = (char *)in;
    size_t src_left = len;
    while (src_left > 0) {
        char chunk[1024];
        char *dst = chunk;
        size_t dst_left = sizeof chunk;
        size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
        text_buffer_add(out, chunk, sizeof chunk - dst_left);
        if (rc == (size_t)-1) {
            if (errno == E2BIG)
                continue; /* chunk full: go round again */
            /* EILSEQ: an octet that is not text in this charset; EINVAL: a
             * character cut off at the end. Replace one octet, go on. */
            text_buffer_add_str(out, replacement);
            src++;
            src_left--;
        }
    }
    iconv_close(cd);
}

/* ---- Header values (RFC 2047) --------------------------------------------- */

/* Try to decode one encoded word "=?charset?B|Q?text?=" at p. On success
 * append its text and return its length; else return 0. */
static size_t decode_word(const char *p, struct text_buffer *out)
{
    if (p[0] != '=' || p[1] != '?')
        return 0;
    const char *charset = p + 2;
    const char *q1 = strchr(charset, '?');
    if (q1 == NULL || q1 == charset || q1 - charset > 60 || q1[1] == '\0' ||
        q1[2] != '?')
        return 0;
    char encoding = (char)toupper((unsigned char)q1[1]);
    const char *text = q1 + 3;
    const char *end = strstr(text, "?=");
    if (end == NULL || (encoding != 'B' && encoding != 'Q') ||
        memchr(text, ' ', (size_t)(end - text)) != NULL)
        return 0;

    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(q1 - charset), charset);
    name[strcspn(name, "*")] = '\0'; /* RFC 2231 language suffix: "UTF-8*en" */

    struct text_buffer raw = {0};
    if (encoding == 'B') {
        mime_decode_base64(text, (size_t)(end - text), &raw);
    } else {
        /* The Q encoding: like quoted-printable, and "_" is a space. */
        for (const char *c = text; c < end; c++) {
            int hi, lo;
            if (*c == '_') {
                text_buffer_add(&raw, " ", 1);
            } else if (*c == '=' && c + 2 < end && (hi = hex_value(c[1])) >= 0 &&
                       (lo = hex_value(c[2])) >= 0) {
                char byte = (char)(hi * 16 + lo);
                text_buffer_add(&raw, &byte, 1);
                c += 2;
            } else {
                text_buffer_add(&raw, c, 1);
            }
        }
    }
    mime_to_utf8(name, raw.data ? raw.data : "", raw.len, out);
    text_buffer_free(&raw);
    return (size_t)(end + 2 - p);
}

void mime_decode_header(const char *value, struct text_buffer *out)
{
    const char *p = value;
    bool after_word = false;
    while (*p) {
        /* Blanks between two encoded words are not part of the text
         * (RFC 2047 §6.2), so "=?..?= =?..?=" reads as one word. */
        size_t blanks = strspn(p, " \t");
        if (blanks > 0 && after_word && p[blanks] == '=' && p[blanks + 1] == '?') {
            struct text_buffer probe = {0};
            size_t n = decode_word(p + blanks, &probe);
            text_buffer_free(&probe);
            if (n > 0) {
                p += blanks;
                continue;
            }
        }
        size_t n = decode_word(p, out);
        if (n > 0) {
            p += n;
            after_word = true;
            continue;
        }
        /* Plain text. 8-bit octets here are RFC 6532 UTF-8 (or a sloppy
         * sender's Latin-1, which mime_to_utf8 catches). */
        size_t plain = 1;
        while (p[plain] && !(p[plain] == '=' && p[plain + 1] == '?'))
            plain++;
        mime_to_utf8("", p, plain, out);
        after_word = false;
        p += plain;
    }
}

/* ---- Content-Type and bodies --------------------------------------------- */

/* A parsed Content-Type (RFC 2045 §5.1): "type/subtype; name=value ...". */
struct content_type {
    char type[80];      /* "text/plain", lower case */
    char charset[64];   /* the charset parameter, or "" */
    char boundary[200]; /* the boundary parameter (multipart), or "" */
    char name[120];     /* the name parameter (attachments), or "" */
};

/* Copy a parameter's value (a token or a "quoted string") into out. */
static const char *param_value(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < cap)
                out[n++] = *p;
        }
        if (*p == '"')
            p++;
    } else {
        for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
            if (n + 1 < cap)
                out[n++] = *p;
    }
    out[n] = '\0';
    return p;
}

/* Read the Content-Type of an entity; the default is text/plain; charset=
 * us-ascii (RFC 2045 §5.2). */
static void read_content_type(const char *m, size_t len, struct content_type *ct)
{
    char value[1000];
    memset(ct, 0, sizeof *ct);
    if (!mime_header(m, len, "Content-Type", value, sizeof value)) {
        strcpy(ct->type, "text/plain");
        return;
    }
    size_t n = strcspn(value, "; \t");
    if (n >= sizeof ct->type)
        n = sizeof ct->type - 1;
    for (size_t i = 0; i < n; i++)
        ct->type[i] = (char)tolower((unsigned char)value[i]);
    ct->type[n] = '\0';

    const char *p = value + n;
    while ((p = strchr(p, ';')) != NULL) {
        p++;
        p += strspn(p, " \t");
        size_t key = strcspn(p, "=; \t");
        if (p[key] != '=')
            continue;
        const char *v = p + key + 1;
        if (key == 7 && strncasecmp(p, "charset", 7) == 0)
            p = param_value(v, ct->charset, sizeof ct->charset);
        else if (key == 8 && strncasecmp(p, "boundary", 8) == 0)
            p = param_value(v, ct->boundary, sizeof ct->boundary);
        else if (key == 4 && strncasecmp(p, "name", 4) == 0)
            p = param_value(v, ct->name, sizeof ct->name);
        else
            p = v;
    }
}

static void decode_entity(const char *m, size_t len, int depth,
                          struct text_buffer *out);

/* Does the line at pos start with "--boundary"? Then is it the closing one
 * ("--boundary--")? RFC 2046 §5.1.1. */
static bool boundary_line(const char *line, size_t n, const char *boundary,
                          bool *closing)
{
    size_t b = strlen(boundary);
    if (n < b + 2 || line[0] != '-' || line[1] != '-' ||
        memcmp(line + 2, boundary, b) != 0)
        return false;
    *closing = n >= b + 4 && line[b + 2] == '-' && line[b + 3] == '-';
    return true;
}

/* A multipart body: find the parts between the boundary lines and decode
 * them. For multipart/alternative (the same text in several forms, §5.1.4)
 * show just the plain-text one. */
static void decode_multipart(const char *body, size_t len,
                             const struct content_type *ct, int depth,
                             struct text_buffer *out)
{
    bool alternative = strcmp(ct->type, "multipart/alternative") == 0;
    const char *parts[64];
    size_t part_len[64];
    size_t count = 0;
    const char *part = NULL;
    size_t pos = 0;
    while (pos < len && count < 64) {
        size_t next;
        size_t n = line_at(body, len, pos, &next);
        bool closing;
        if (ct->boundary[0] && boundary_line(body + pos, n, ct->boundary, &closing)) {
            if (part != NULL) {
                /* §5.1.1: the line break before the boundary belongs to it. */
                size_t plen = (size_t)(body + pos - part);
                if (plen > 0 && part[plen - 1] == '\n')
                    plen--;
                if (plen > 0 && part[plen - 1] == '\r')
                    plen--;
                parts[count] = part;
                part_len[count++] = plen;
            }
            if (closing)
                break;
            part = body + next;
        }
        pos = next;
    }
    if (count == 0) {
        text_buffer_add_str(out, "[a multipart message with no parts we could find]\n");
        return;
    }
    if (alternative) {
        for (size_t i = 0; i < count; i++) {
            struct content_type pct;
            read_content_type(parts[i], part_len[i], &pct);
            if (strcmp(pct.type, "text/plain") == 0) {
                decode_entity(parts[i], part_len[i], depth + 1, out);
                return;
            }
        }
        decode_entity(parts[0], part_len[0], depth + 1, out);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && out->len > 0 && out->data[out->len - 1] != '\n')
            text_buffer_add_str(out, "\n");
        decode_entity(parts[i], part_len[i], depth + 1, out);
    }
}

/* Decode one entity (a message or a body part): header, then body. */
static void decode_entity(const char *m, size_t len, int depth, struct text_buffer *out)
{
    struct content_type ct;
    read_content_type(m, len, &ct);
    size_t start = body_start(m, len);
    const char *body = m + start;
    size_t body_len = len - start;

    if (strncmp(ct.type, "multipart/", 10) == 0 && depth < MAX_NESTING) {
        decode_multipart(body, body_len, &ct, depth, out);
        return;
    }
    char disposition[200] = "";
    mime_header(m, len, "Content-Disposition", disposition, sizeof disposition);
    bool attachment = strncasecmp(disposition, "attachment", 10) == 0;
    if (strncmp(ct.type, "text/", 5) != 0 || strcmp(ct.type, "text/html") == 0 ||
        attachment) {
        /* SIMPLIFICATION: a terminal reader shows text; anything else is
         * named so the user knows it is there. */
        char note[400];
        snprintf(note, sizeof note, "[%s part%s%s%s, %zu octets encoded: not shown]\n",
                 ct.type, ct.name[0] ? " \"" : "", ct.name, ct.name[0] ? "\"" : "",
                 body_len);
        text_buffer_add_str(out, note);
        return;
    }

    char cte[80] = "7bit";
    mime_header(m, len, "Content-Transfer-Encoding", cte, sizeof cte);
    struct text_buffer octets = {0};
    if (strcasecmp(cte, "quoted-printable") == 0)
        mime_decode_qp(body, body_len, &octets);
    else if (strcasecmp(cte, "base64") == 0)
        mime_decode_base64(body, body_len, &octets);
    else
        text_buffer_add(&octets, body, body_len); /* 7bit, 8bit, binary: as they are */
    mime_to_utf8(ct.charset, octets.data ? octets.data : "", octets.len, out);
    text_buffer_free(&octets);
}

void mime_body_text(const char *message, size_t len, struct text_buffer *out)
{
    decode_entity(message, len, 0, out);
    /* Make sure out->data is a string even for an empty body. */
    text_buffer_add(out, "", 0);
}
