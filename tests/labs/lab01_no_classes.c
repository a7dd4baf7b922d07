/*
 * lab01_no_classes.c - a plausible WRONG answer to lab 1, kept for the CI
 * proof: it tells success from failure but not the four classes of RFC 5321
 * §4.2.1 (354 is not "done", 4xx is not "give up"). Everything else is
 * right.
 */
#include "smtp_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Start reading a new reply: nothing read yet. (Given: read it, it tells
 * you what every field starts as.) */
void smtp_reply_clear(struct smtp_reply *r)
{
    r->code = 0;
    r->enhanced[0] = '\0';
    r->line_count = 0;
    r->truncated = false;
    r->text[0] = '\0';
}

/*
 * Add one received line (without its CR LF) to the reply being read.
 *
 * LAB 1: write this. For each line:
 *  - Check it is a reply line (RFC 5321 §4.2: three digits, the first 2-5,
 *    the second 0-5). If not, write a short reason into why[] and return
 *    SMTP_REPLY_MALFORMED.
 *  - After the code comes "-" (more lines follow: return SMTP_REPLY_MORE),
 *    " " (the last line: SMTP_REPLY_DONE), or nothing at all (§4.2.1 says a
 *    bare "250" must be accepted: DONE too). Anything else is MALFORMED.
 *  - Every line of one reply has the same code (§4.2.1); a line with a
 *    different code is MALFORMED.
 *  - On the first line, set r->code; if the text starts with an RFC 3463
 *    status code such as "5.1.1" (RFC 2034 §4: class.subject.detail, class
 *    the same as the first digit), copy it to r->enhanced.
 *  - Append the line's text (what follows "250-" / "250 ") to r->text,
 *    lines joined by '\n', count it in r->line_count. r->text has room for
 *    SMTP_REPLY_TEXT_MAX bytes with its NUL: drop what does not fit and set
 *    r->truncated. Refuse (MALFORMED) a reply of more than
 *    SMTP_REPLY_MAX_LINES lines: a server must not make us read forever.
 */
static size_t enhanced_len(const char *t)
{
    const char *p = t;
    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    p++;
    for (int part = 0; part < 2; part++) {
        if (*p++ != '.')
            return 0;
        int d = 0;
        while (isdigit((unsigned char)*p) && d < 4) {
            p++;
            d++;
        }
        if (d < 1 || d > 3)
            return 0;
    }
    return (*p == ' ' || *p == '\0') ? (size_t)(p - t) : 0;
}

enum smtp_reply_step smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
                                     char *why, size_t why_cap)
{
    if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
        !isdigit((unsigned char)line[2])) {
        snprintf(why, why_cap, "not a reply");
        return SMTP_REPLY_MALFORMED;
    }
    if (len > 3 && line[3] != ' ' && line[3] != '-') {
        snprintf(why, why_cap, "bad separator");
        return SMTP_REPLY_MALFORMED;
    }
    int code = atoi((char[]){line[0], line[1], line[2], 0});
    if (r->line_count > 0 && code != r->code) {
        snprintf(why, why_cap, "code changed");
        return SMTP_REPLY_MALFORMED;
    }
    if (r->line_count >= SMTP_REPLY_MAX_LINES) {
        snprintf(why, why_cap, "too many lines");
        return SMTP_REPLY_MALFORMED;
    }
    const char *text = len > 4 ? line + 4 : "";
    size_t tlen = len > 4 ? len - 4 : 0;
    if (r->line_count == 0) {
        r->code = code;
        size_t n = enhanced_len(text);
        if (n > 0 && n < sizeof r->enhanced && text[0] == line[0]) {
            memcpy(r->enhanced, text, n);
            r->enhanced[n] = '\0';
        }
    }
    size_t used = strlen(r->text);
    size_t room = sizeof r->text - 1 - used;
    if (r->line_count > 0) {
        if (room == 0)
            r->truncated = true;
        else {
            r->text[used++] = '\n';
            r->text[used] = '\0';
            room--;
        }
    }
    if (tlen > room) {
        tlen = room;
        r->truncated = true;
    }
    memcpy(r->text + used, text, tlen);
    r->text[used + tlen] = '\0';
    r->line_count++;
    return (len > 3 && line[3] == '-') ? SMTP_REPLY_MORE : SMTP_REPLY_DONE;
}

void smtp_reply_first_line(const struct smtp_reply *r, char *out, size_t cap)
{
    int n = (int)strcspn(r->text, "\n");
    snprintf(out, cap, "%d %.*s", r->code, n, r->text);
}

const char *smtp_reply_meaning(int code)
{
    /* WRONG: only two classes, where the RFC has four. */
    if (code >= 200 && code < 400)
        return "positive completion";
    return "permanent negative: do not retry as it is";
}

static bool kw(const char *line, size_t len, const char *k, const char **p, size_t *pl)
{
    size_t n = strlen(k);
    if (len < n || strncasecmp(line, k, n) != 0 || (len > n && line[n] != ' '))
        return false;
    *p = line + (len > n ? n + 1 : n);
    *pl = len > n ? len - n - 1 : 0;
    return true;
}

void smtp_parse_extensions(const struct smtp_reply *reply, struct smtp_extensions *ext)
{
    memset(ext, 0, sizeof *ext);
    if (reply->code != 250)
        return;
    ext->esmtp = true;
    const char *line = strchr(reply->text, '\n');
    while (line != NULL) {
        line++;
        size_t len = strcspn(line, "\n");
        const char *p;
        size_t pl;
        if (kw(line, len, "SIZE", &p, &pl)) {
            ext->size = true;
            ext->size_limit = pl ? strtoull(p, NULL, 10) : 0;
        } else if (kw(line, len, "8BITMIME", &p, &pl))
            ext->eightbitmime = true;
        else if (kw(line, len, "PIPELINING", &p, &pl))
            ext->pipelining = true;
        else if (kw(line, len, "SMTPUTF8", &p, &pl))
            ext->smtputf8 = true;
        else if (kw(line, len, "ENHANCEDSTATUSCODES", &p, &pl))
            ext->enhancedstatuscodes = true;
        else if (kw(line, len, "STARTTLS", &p, &pl))
            ext->starttls = true;
        else if (kw(line, len, "AUTH", &p, &pl)) {
            ext->auth = true;
            snprintf(ext->auth_mechanisms, sizeof ext->auth_mechanisms, "%.*s", (int)pl,
                     p);
        }
        line = strchr(line, '\n');
    }
}
