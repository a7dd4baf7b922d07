/*
 * cmd_hello.c - HELO and EHLO: the client says who it is.
 *
 * Tier: core — read this first.
 *
 * Both open the session (RFC 5321 §4.1.1.1). HELO is the 1982 greeting of
 * RFC 821; EHLO is the "extended hello" that asks the server to list its
 * service extensions, one per line of a multi-line 250 reply. A client that
 * gets 500 for EHLO (a very old server) falls back to HELO.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* Take the client's name from the arguments; false if there is none. */
static bool read_client_name(struct session *s, const char *args)
{
    size_t n = strcspn(args, " ");
    if (n == 0)
        return false;
    /* SIMPLIFICATION: we do not check that the name is a real domain or
     * that it matches the client's address; many clients say odd things
     * here, and RFC 5321 §4.1.4 says a server MUST NOT refuse for that. */
    if (n > SMTP_MAX_DOMAIN)
        n = SMTP_MAX_DOMAIN;
    /* The name goes into our Received: header, so it must not smuggle in
     * control characters (a CR would start a new header line) or 8-bit
     * junk: anything but printable ASCII is written as '?'. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)args[i];
        s->client_name[i] = (c > 32 && c < 127) ? (char)c : '?';
    }
    s->client_name[n] = '\0';
    return true;
}

/* The first line of our answer: "mx.bob.example Hello alice.example
 * [127.0.0.1]" - the name the client gave and the address it really comes
 * from (which may differ: nobody checks, RFC 5321 §4.1.4). */
static void reply_hello(struct session *s, bool more)
{
    char seen[80];
    snprintf(seen, sizeof seen, " [%s]", s->peer);
    const char *from = strcmp(s->client_name, seen + 1) == 0 ? "" : seen;
    if (more)
        session_reply_more(s, 250, NULL, "%s Hello %s%s", s->config->hostname,
                           s->client_name, from);
    else
        session_reply(s, 250, NULL, "%s Hello %s%s", s->config->hostname,
                      s->client_name, from);
}

/* HELO <domain> (RFC 5321 §4.1.1.1). Any state.
 * Replies: 250 (greeting done), 501 (no domain given). */
void cmd_helo(struct session *s, const char *args)
{
    if (!read_client_name(s, args)) {
        session_reply(s, 501, "5.5.4", "Syntax: HELO <your-domain>");
        return;
    }
    /* A new hello starts afresh, as RSET would (§4.1.4). */
    session_reset_transaction(s);
    s->esmtp = false;
    session_set_state(s, STATE_GREETED);
    reply_hello(s, false);
}

/* EHLO <domain> (RFC 5321 §4.1.1.1, §2.2). Any state.
 * Replies: a multi-line 250 listing extensions, or 501 (no domain). */
void cmd_ehlo(struct session *s, const char *args)
{
    if (!read_client_name(s, args)) {
        session_reply(s, 501, "5.5.4", "Syntax: EHLO <your-domain>");
        return;
    }
    session_reset_transaction(s);
    s->esmtp = true;
    session_set_state(s, STATE_GREETED);

    /* The first line greets; each further line names one extension that
     * this server promises to honour. */
    reply_hello(s, true);
    /* RFC 1870: the largest message we take, so a client can ask before
     * it sends 10 MB for nothing. */
    session_reply_more(s, 250, NULL, "SIZE %llu", s->config->max_size);
    /* RFC 6152: message text may use all 8 bits of each octet. */
    session_reply_more(s, 250, NULL, "8BITMIME");
    /* RFC 2920: the client may send MAIL, RCPT... without waiting for
     * each reply; we answer them in order (see connection.c). */
    session_reply_more(s, 250, NULL, "PIPELINING");
    /* RFC 2034: replies carry RFC 3463 codes such as 5.1.1. */
    session_reply_more(s, 250, NULL, "ENHANCEDSTATUSCODES");
    /* RFC 6531: UTF-8 in addresses and headers, if MAIL says SMTPUTF8. */
    session_reply_more(s, 250, NULL, "SMTPUTF8");
    /* RFC 3207 §4: TLS on request - but only while it is not on yet
     * (§4.2: the server MUST NOT list STARTTLS after the handshake). */
    if (!s->tls && session_tls_available(s))
        session_reply_more(s, 250, NULL, "STARTTLS");
    /* RFC 4954 §3: the mechanisms we accept. PLAIN and LOGIN carry the
     * password itself, so we list AUTH only inside TLS: RFC 4954 §4 lets
     * a server offer mechanisms only over TLS, and a client that never
     * sees AUTH in plaintext is never tempted to send a password there. */
    if (s->tls)
        session_reply_more(s, 250, NULL, "AUTH PLAIN LOGIN");
    session_reply(s, 250, NULL, "HELP");
}
