/*
 * path.c - a small recursive-descent reader for RFC 5321 §4.1.2 paths.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Each grammar rule of the RFC becomes one function below, named after the
 * rule, so you can read the two side by side. Every function takes a cursor
 * (const char **p), advances it past what it accepted and returns true, or
 * returns false and leaves the caller to report a syntax error.
 */
#include "path.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Parsing state: where we are, and whether a non-ASCII byte was seen. */
struct cursor {
    const char *p;
    bool saw_utf8;
};

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* atext (RFC 5322 §3.2.3), widened by UTF8-non-ascii (RFC 6531 §3.3). */
static bool is_atext(struct cursor *c, unsigned char ch)
{
    if (ch >= 0x80) {
        c->saw_utf8 = true;
        return true;
    }
    return is_alpha(ch) || is_digit(ch) || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch));
}

/* Let-dig = ALPHA / DIGIT, plus UTF-8 for U-labels (RFC 6531 §3.3). */
static bool is_let_dig(struct cursor *c, unsigned char ch)
{
    if (ch >= 0x80) {
        c->saw_utf8 = true;
        return true;
    }
    return is_alpha(ch) || is_digit(ch);
}

/* Dot-string = Atom *("." Atom), Atom = 1*atext */
static bool dot_string(struct cursor *c)
{
    for (;;) {
        if (!is_atext(c, (unsigned char)*c->p))
            return false;
        while (is_atext(c, (unsigned char)*c->p))
            c->p++;
        if (*c->p != '.')
            return true;
        c->p++;
    }
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE  ("john smith"@example) */
static bool quoted_string(struct cursor *c)
{
    if (*c->p != '"')
        return false;
    c->p++;
    for (;;) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return true;
        }
        if (ch == '\\') { /* quoted-pairSMTP = "\" followed by %d32-126 */
            unsigned char next = (unsigned char)c->p[1];
            if (next < 32 || next > 126)
                return false;
            c->p += 2;
        } else if ((ch >= 32 && ch <= 126) || ch >= 0x80) {
            if (ch >= 0x80)
                c->saw_utf8 = true;
            c->p++;
        } else {
            return false; /* control characters and the end of the line */
        }
    }
}

/* Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] */
static bool domain(struct cursor *c)
{
    for (;;) {
        if (!is_let_dig(c, (unsigned char)*c->p))
            return false;
        while (is_let_dig(c, (unsigned char)*c->p) || *c->p == '-')
            c->p++;
        if (c->p[-1] == '-')
            return false; /* Ldh-str may not end in a hyphen */
        if (*c->p != '.')
            return true;
        c->p++;
    }
}

/* address-literal = "[" ( IPv4 / "IPv6:" IPv6 / General ) "]" (§4.1.3) */
static bool address_literal(struct cursor *c)
{
    if (*c->p != '[')
        return false;
    const char *close = strchr(c->p, ']');
    if (close == NULL || close - c->p > 64)
        return false;
    char inside[65];
    memcpy(inside, c->p + 1, (size_t)(close - c->p - 1));
    inside[close - c->p - 1] = '\0';
    unsigned char addr[16];
    bool ok = inet_pton(AF_INET, inside, addr) == 1 ||
              (strncmp(inside, "IPv6:", 5) == 0 &&
               inet_pton(AF_INET6, inside + 5, addr) == 1);
    /* SIMPLIFICATION: General-address-literal (tag:content) is refused. */
    if (ok)
        c->p = close + 1;
    return ok;
}

/* A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain.
 * The source route of RFC 821: accepted, then ignored (§3.3, Appendix C). */
static bool source_route(struct cursor *c)
{
    for (;;) {
        if (*c->p != '@')
            return false;
        c->p++;
        if (!domain(c))
            return false;
        if (*c->p != ',')
            return true;
        c->p++;
    }
}

/* Copy [start, end) into dst of size cap, or fail if it does not fit. */
static bool copy_part(char *dst, size_t cap, const char *start, const char *end)
{
    size_t n = (size_t)(end - start);
    if (n >= cap)
        return false;
    memcpy(dst, start, n);
    dst[n] = '\0';
    return true;
}

enum path_result path_parse(const char *text, struct mailbox_address *out,
                            const char **rest)
{
    struct cursor c = {.p = text, .saw_utf8 = false};

    if (*c.p != '<')
        return PATH_SYNTAX;
    c.p++;
    if (*c.p == '>') { /* "<>": the null reverse-path */
        out->local[0] = out->domain[0] = '\0';
        out->utf8 = false;
        *rest = c.p + 1;
        return PATH_NULL;
    }
    if (*c.p == '@') {
        if (!source_route(&c) || *c.p != ':')
            return PATH_SYNTAX;
        c.p++;
    }

    /* Mailbox = Local-part "@" ( Domain / address-literal ) */
    const char *local_start = c.p;
    if (!(*c.p == '"' ? quoted_string(&c) : dot_string(&c)))
        return PATH_SYNTAX;
    const char *local_end = c.p;
    if (*c.p != '@')
        return PATH_SYNTAX;
    c.p++;
    const char *domain_start = c.p;
    if (!(*c.p == '[' ? address_literal(&c) : domain(&c)))
        return PATH_SYNTAX;
    const char *domain_end = c.p;
    if (*c.p != '>')
        return PATH_SYNTAX;
    c.p++;

    if (c.p - text > SMTP_MAX_PATH ||
        !copy_part(out->local, sizeof out->local, local_start, local_end) ||
        !copy_part(out->domain, sizeof out->domain, domain_start, domain_end))
        return PATH_TOO_LONG;
    /* RFC 6531 §3.3 allows UTF-8, and only well-formed UTF-8. */
    if (c.saw_utf8 && (!utf8_is_valid(out->local, strlen(out->local)) ||
                       !utf8_is_valid(out->domain, strlen(out->domain))))
        return PATH_SYNTAX;
    out->utf8 = c.saw_utf8;
    *rest = c.p;
    return PATH_OK;
}

void path_format(const struct mailbox_address *address, char *buf, unsigned long cap)
{
    snprintf(buf, cap, "%s@%s", address->local, address->domain);
}
