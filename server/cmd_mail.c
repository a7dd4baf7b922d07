/*
 * cmd_mail.c - MAIL FROM: the start of a mail transaction.
 *
 * Tier: core — read this first.
 *
 * MAIL names the reverse-path: where to send a bounce if delivery fails.
 * It is the *envelope* sender and need not match the From: header inside
 * the message; nothing in SMTP itself checks either (that is what SPF,
 * DKIM and DMARC later added). After the path, ESMTP parameters may
 * follow, each belonging to an extension that EHLO advertised.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"

/* The MAIL parameters we understand, taken from the line. */
struct mail_parameters {
    unsigned long long size; /* SIZE=n (RFC 1870), 0 if not given */
    bool body_8bit;          /* BODY=8BITMIME (RFC 6152) */
    bool smtputf8;           /* SMTPUTF8 (RFC 6531) */
};

/* The parameters we know, as bits: each may come once. */
enum parameter_seen {
    SEEN_SIZE = 1 << 0,
    SEEN_BODY = 1 << 1,
    SEEN_SMTPUTF8 = 1 << 2,
    SEEN_AUTH = 1 << 3,
};

/* Which known parameter the key names, or 0. */
static unsigned parameter_bit(const char *key, size_t key_len)
{
    static const struct {
        const char *name;
        unsigned bit;
    } known[] = {{"SIZE", SEEN_SIZE},
                 {"BODY", SEEN_BODY},
                 {"SMTPUTF8", SEEN_SMTPUTF8},
                 {"AUTH", SEEN_AUTH}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == key_len &&
            strncasecmp(key, known[i].name, key_len) == 0)
            return known[i].bit;
    return 0;
}

/* Read "SIZE=123 BODY=8BITMIME SMTPUTF8". On a bad one, queue the reply
 * and return false. Parameters exist only after EHLO (RFC 5321 §4.1.2). */
static bool read_parameters(struct session *s, const char *p,
                            struct mail_parameters *out)
{
    unsigned seen = 0;
    memset(out, 0, sizeof *out);
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;
        const char *value = eq ? eq + 1 : "";
        size_t value_len = eq ? len - key_len - 1 : 0;

        if (!s->esmtp) {
            session_reply(s, 555, "5.5.4", "Parameters need EHLO, not HELO");
            return false;
        }
        /* "SIZE=10 SIZE=99999999": which one counts? RFC 5321 §4.1.2 gives
         * each keyword once; a repeat is a syntax error (501), not a choice
         * for us to make - two servers that choose differently disagree
         * about the message. */
        unsigned bit = parameter_bit(p, key_len);
        if (bit != 0 && (seen & bit) != 0) {
            session_reply(s, 501, "5.5.4", "Parameter %.*s given twice", (int)key_len,
                          p);
            return false;
        }
        seen |= bit;
        if (key_len == 4 && strncasecmp(p, "SIZE", 4) == 0) {
            char *end;
            errno = 0;
            /* RFC 1870 §3: size-value ::= 1*20DIGIT. strtoull() would also
             * take "-1" (and a leading "+" or space) and turn "-1" into
             * the largest number there is: digits only. */
            bool digits = value_len > 0 && value[0] >= '0' && value[0] <= '9';
            out->size = digits ? strtoull(value, &end, 10) : 0;
            if (!digits || end != value + value_len || errno == ERANGE) {
                session_reply(s, 501, "5.5.4", "SIZE wants a number of octets");
                return false;
            }
        } else if (key_len == 4 && strncasecmp(p, "BODY", 4) == 0) {
            if (value_len == 4 && strncasecmp(value, "7BIT", 4) == 0)
                out->body_8bit = false;
            else if (value_len == 8 && strncasecmp(value, "8BITMIME", 8) == 0)
                out->body_8bit = true;
            else {
                session_reply(s, 501, "5.5.4", "BODY is 7BIT or 8BITMIME");
                return false;
            }
        } else if (key_len == 8 && strncasecmp(p, "SMTPUTF8", 8) == 0 && !eq) {
            out->smtputf8 = true;
        } else if (key_len == 4 && strncasecmp(p, "AUTH", 4) == 0 && eq && s->tls) {
            /* RFC 4954 §5: AUTH=<mailbox> names who first submitted the
             * message, for relays that trust each other. A server that
             * offers AUTH must accept it. SIMPLIFICATION: we do not
             * keep it; a real MTA passes it on when it relays. */
        } else {
            /* RFC 5321 §4.1.1.11: 555 for a parameter we do not know. */
            session_reply(s, 555, "5.5.4", "Unsupported parameter: %.*s",
                          (int)(key_len > 40 ? 40 : key_len), p);
            return false;
        }
        p += len;
    }
    return true;
}

/* MAIL FROM:<reverse-path> [parameters] (RFC 5321 §4.1.1.2).
 * Allowed after HELO/EHLO with no transaction open (table: IN_GREETED).
 * Replies: 250 2.1.0; 501 (syntax); 555 (parameter); 552 5.3.4 (SIZE over
 * our limit, RFC 1870 §6.1); 550 5.6.7 (UTF-8 without SMTPUTF8); 530
 * 5.7.0 (--require-tls and no STARTTLS yet, RFC 3207 §4; or a submission
 * listener and no AUTH yet, RFC 6409 §4.3 / RFC 4954 §6). */
void cmd_mail(struct session *s, const char *args)
{
    if (s->config->require_tls && !s->tls) {
        /* RFC 3207 §4: the reply a server gives when it insists on TLS.
         * The same section says a publicly-referenced server MUST NOT
         * insist for mail to its own users (senders without TLS would be
         * locked out), so this is opt-in, for classrooms and private
         * submission ports. */
        session_reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
        return;
    }
    if (session_is_submission(s) && s->auth_user[0] == '\0') {
        /* RFC 6409 §4.3: a submission server must know who hands in mail;
         * RFC 4954 §6: 530 5.7.0 "Authentication required". */
        session_reply(s, 530, "5.7.0", "Authentication required");
        return;
    }
    if (strncasecmp(args, "FROM:", 5) != 0) {
        session_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
        return;
    }
    /* §4.1.2 allows no space after the colon, but many clients send one;
     * refusing them would teach nothing (RFC 1122's "be liberal"). */
    const char *p = args + 5;
    while (*p == ' ')
        p++;

    struct mailbox_address sender;
    const char *rest;
    enum path_result result = path_parse(p, &sender, &rest);
    if (result == PATH_SYNTAX || result == PATH_TOO_LONG) {
        session_reply(s, 501, "5.1.7", "Bad sender address syntax");
        return;
    }
    if (*rest != '\0' && *rest != ' ') {
        session_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
        return;
    }

    struct mail_parameters params;
    if (!read_parameters(s, rest, &params))
        return;
    if (params.size > s->config->max_size) {
        session_reply(s, 552, "5.3.4", "Message size exceeds our limit of %llu octets",
                      s->config->max_size);
        return;
    }
    if (sender.utf8 && !params.smtputf8) {
        session_reply(s, 550, "5.6.7",
                      "Non-ASCII address needs the SMTPUTF8 "
                      "parameter");
        return;
    }

    struct envelope *e = &s->envelope;
    if (result == PATH_NULL)
        e->reverse_path[0] = '\0'; /* a bounce: it must never bounce back */
    else
        path_format(&sender, e->reverse_path, sizeof e->reverse_path);
    e->declared_size = params.size;
    e->body_8bit = params.body_8bit;
    e->smtputf8 = params.smtputf8;
    session_set_state(s, STATE_MAIL);
    session_reply(s, 250, "2.1.0", "Sender <%s> OK", e->reverse_path);
}
