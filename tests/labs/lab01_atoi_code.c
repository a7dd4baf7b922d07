/*
 * lab01_atoi_code.c - a plausible WRONG answer to lab 1, kept for the CI
 * proof (labs/meson.build): it reads the code with atoi() and accepts any
 * number from 200 to 599, so "260 OK" (or "599 x") passes as a reply.
 * Rule L1.1: RFC 5321 §4.2 allows only a second digit from 0 to 5. A
 * student who learned "2xx to 5xx" and stopped there writes this.
 * Everything else is right.
 */
#include "smtp_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void smtp_reply_clear(struct smtp_reply *r)
{
    r->code = 0;
    r->enhanced[0] = '\0';
    r->line_count = 0;
    r->truncated = false;
    r->text[0] = '\0';
}

/* Is text an RFC 3463 status code "class.subject.detail" followed by a space
 * or the end? RFC 2034 §4: class is 2, 4 or 5, subject 1-3 digits, detail
 * 1-3 digits. Returns its length, or 0. */
static size_t enhanced_code_length(const char *text)
{
    const char *p = text;
    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    p++;
    for (int part = 0; part < 2; part++) {
        if (*p != '.')
            return 0;
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) {
            p++;
            digits++;
        }
        if (digits < 1 || digits > 3)
            return 0;
    }
    return (*p == ' ' || *p == '\0') ? (size_t)(p - text) : 0;
}

/* Append one line's text to r->text, '\n'-separated, dropping what does not
 * fit: memory stays bounded whatever the server sends. */
static void append_text(struct smtp_reply *r, const char *text, size_t len)
{
    size_t used = strlen(r->text);
    size_t room = sizeof r->text - 1 - used;
    if (r->line_count > 0) {
        if (room == 0) {
            r->truncated = true;
            return;
        }
        r->text[used++] = '\n';
        room--;
    }
    if (len > room) {
        len = room;
        r->truncated = true;
    }
    memcpy(r->text + used, text, len);
    r->text[used + len] = '\0';
}

enum smtp_reply_step smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
                                     char *why, size_t why_cap)
{
    /* RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, that is a first
     * digit 2-5, a second 0-5 and any third digit. Anything else - a blank
     * line, "hello", an HTTP server's "HTTP/1.1 400" - is not SMTP. */
    int number = atoi(line);
    if (len < 3 || number < 200 || number > 599 || !isdigit((unsigned char)line[2])) {
        snprintf(why, why_cap,
                 "not an SMTP reply (it should start with a "
                 "three-digit code such as 250): \"%.60s\"",
                 line);
        return SMTP_REPLY_MALFORMED;
    }
    /* After the code: "-" (more lines follow), " " (last line), or nothing
     * at all - §4.2.1 says clients MUST accept a bare code. */
    if (len > 3 && line[3] != '-' && line[3] != ' ') {
        snprintf(why, why_cap,
                 "reply code not followed by a space or a "
                 "hyphen: \"%.60s\"",
                 line);
        return SMTP_REPLY_MALFORMED;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');

    /* §4.2.1: "the reply code on each of the lines MUST be the same". */
    if (r->line_count > 0 && code != r->code) {
        snprintf(why, why_cap,
                 "a multi-line reply changed its code from %d "
                 "to %d",
                 r->code, code);
        return SMTP_REPLY_MALFORMED;
    }
    if (r->line_count >= SMTP_REPLY_MAX_LINES) {
        snprintf(why, why_cap, "a reply of more than %d lines", SMTP_REPLY_MAX_LINES);
        return SMTP_REPLY_MALFORMED;
    }

    const char *text = len > 4 ? line + 4 : "";
    size_t text_len = len > 4 ? len - 4 : 0;
    if (r->line_count == 0) {
        r->code = code;
        /* RFC 2034 §4: with ENHANCEDSTATUSCODES the text starts with a
         * code like 5.1.1, whose class must match the first digit. */
        size_t n = enhanced_code_length(text);
        if (n > 0 && n < sizeof r->enhanced && text[0] == line[0]) {
            memcpy(r->enhanced, text, n);
            r->enhanced[n] = '\0';
        }
    }
    append_text(r, text, text_len);
    r->line_count++;
    return (len > 3 && line[3] == '-') ? SMTP_REPLY_MORE : SMTP_REPLY_DONE;
}

void smtp_reply_first_line(const struct smtp_reply *r, char *out, size_t cap)
{
    size_t n = strcspn(r->text, "\n");
    snprintf(out, cap, "%d %.*s", r->code, (int)n, r->text);
}

const char *smtp_reply_meaning(int code)
{
    switch (code / 100) {
    case 2:
        return "positive completion";
    case 3:
        return "positive intermediate: send more";
    case 4:
        return "transient negative: try again later";
    case 5:
        return "permanent negative: do not retry as it is";
    }
    return "not a reply";
}

/* Does this EHLO line start with keyword (any case), followed by a space or
 * the end? Then *params points at what follows. RFC 5321 §4.1.1.1:
 * ehlo-line = ehlo-keyword *( SP ehlo-param ). */
static bool ehlo_keyword(const char *line, size_t len, const char *keyword,
                         const char **params, size_t *params_len)
{
    size_t k = strlen(keyword);
    if (len < k || strncasecmp(line, keyword, k) != 0)
        return false;
    if (len > k && line[k] != ' ')
        return false;
    *params = line + (len > k ? k + 1 : k);
    *params_len = len > k ? len - k - 1 : 0;
    return true;
}

void smtp_parse_extensions(const struct smtp_reply *reply, struct smtp_extensions *ext)
{
    memset(ext, 0, sizeof *ext);
    if (reply->code != 250)
        return;
    ext->esmtp = true;

    /* The first line is the server's name and greeting; every other line
     * is one extension keyword with its parameters. */
    const char *line = strchr(reply->text, '\n');
    while (line != NULL) {
        line++;
        size_t len = strcspn(line, "\n");
        const char *p;
        size_t plen;
        if (ehlo_keyword(line, len, "SIZE", &p, &plen)) {
            ext->size = true;
            /* RFC 1870 §4: "SIZE 10485760" is the limit; "SIZE" alone or
             * "SIZE 0" means there is no fixed one. */
            ext->size_limit = plen > 0 ? strtoull(p, NULL, 10) : 0;
        } else if (ehlo_keyword(line, len, "8BITMIME", &p, &plen)) {
            ext->eightbitmime = true;
        } else if (ehlo_keyword(line, len, "PIPELINING", &p, &plen)) {
            ext->pipelining = true;
        } else if (ehlo_keyword(line, len, "SMTPUTF8", &p, &plen)) {
            ext->smtputf8 = true;
        } else if (ehlo_keyword(line, len, "ENHANCEDSTATUSCODES", &p, &plen)) {
            ext->enhancedstatuscodes = true;
        } else if (ehlo_keyword(line, len, "STARTTLS", &p, &plen)) {
            ext->starttls = true;
        } else if (ehlo_keyword(line, len, "AUTH", &p, &plen)) {
            ext->auth = true;
            snprintf(ext->auth_mechanisms, sizeof ext->auth_mechanisms, "%.*s",
                     (int)plen, p);
        }
        /* Keywords we do not know are ignored: the server offers, the
         * client picks what it understands (RFC 5321 §2.2.2). */
        line = strchr(line, '\n');
    }
}
