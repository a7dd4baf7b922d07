/*
 * smtp_tls.c - sealing the conversation: STARTTLS and implicit TLS.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Plain SMTP crosses the network as readable text: anyone on the path sees
 * the addresses, the message and - worse - an AUTH password. TLS seals it.
 * There are two ways in:
 *
 *   STARTTLS (RFC 3207, port 587 or 25): connect in plaintext, EHLO, see
 *   "250-STARTTLS" in the list, send STARTTLS, get "220 Ready to start
 *   TLS", run the TLS handshake on the same TCP connection, EHLO again.
 *
 *   Implicit TLS (RFC 8314 §3.3, port 465): the handshake comes first,
 *   right after TCP's, before even the greeting. Nothing is ever plaintext,
 *   so there is nothing an attacker can strip away.
 *
 * The STARTTLS way has a weakness the client must close itself: the
 * "250-STARTTLS" line travels in plaintext, and an attacker in the middle
 * can delete it. A client that then goes on without TLS has been
 * *downgraded* without noticing. mailwalk-send, told --starttls, stops
 * instead (RFC 3207 §6: ignoring the result of the negotiation "completely
 * invalidates using TLS for security").
 *
 * The handshake itself is common/wire_tls.c; here is what SMTP adds around
 * it, and the transcript note that shows where the plaintext ends.
 */
#include "smtp_internal.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "wire_tls.h"

bool smtp_tls_active(const struct smtp_client *c)
{
    return c->connected && c->wire.ssl != NULL;
}

/* Say in the transcript how the handshake went: the protocol, the cipher,
 * whose certificate, and whether anyone checked it. A student who sees
 * "NOT checked" should know that the padlock is only half there. */
static void note_tls_started(struct smtp_client *c, const char *verify_name)
{
    char describe[128], subject[256];
    wire_tls_describe(&c->wire, describe, sizeof describe);
    wire_tls_peer_subject(&c->wire, subject, sizeof subject);
    if (subject[0] == '\0')
        snprintf(subject, sizeof subject, "(none)");

    char checked[300];
    SSL *ssl = c->wire.ssl;
    long result = SSL_get_verify_result(ssl);
    if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0)
        /* The handshake ignored the result, but OpenSSL still computed it:
         * show what a checking client would have said. */
        snprintf(checked, sizeof checked, "NOT checked%s%s%s",
                 result == X509_V_OK ? "" : "; a check would have failed: ",
                 result == X509_V_OK ? "" : X509_verify_cert_error_string(result),
                 verify_name == NULL ? ", name not compared" : "");
    else if (verify_name == NULL)
        snprintf(checked, sizeof checked, "chain verified, name NOT checked");
    else
        snprintf(checked, sizeof checked, "verified: trusted chain, name %s",
                 verify_name);
    smtp_note(c, "TLS started: %s; server certificate %s (%s)", describe, subject,
              checked);
}

/* Run the handshake on the open connection; on success report it. */
static int handshake(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name)
{
    char why[300];
    size_t discarded = 0;
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    enum wire_status status =
        wire_start_tls_client(&c->wire, ctx, verify_name, &discarded, why, sizeof why);
    if (discarded > 0)
        /* CVE-2011-0411: bytes that arrived in plaintext behind the 220
         * may have been put there by an attacker; they must not be read
         * as if they came through TLS. */
        smtp_note(c,
                  "discarded %zu byte(s) the server sent in plaintext before the "
                  "handshake: they could have been injected (CVE-2011-0411)",
                  discarded);
    if (status != WIRE_OK) {
        c->tls_failed = true;
        c->sys_errno = 0;
        smtp_note(c, "%s: nothing was sent through TLS", why);
        if (verify_name != NULL)
            return smtp_fail(c, "%s (the certificate had to name %s)", why,
                             verify_name);
        return smtp_fail(c, "%s", why);
    }
    note_tls_started(c, verify_name);
    return 0;
}

/* STARTTLS (RFC 3207 §4). */
int smtp_starttls(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name,
                  struct smtp_reply *reply)
{
    c->tls_failed = false;
    if (smtp_tls_active(c))
        return smtp_fail(c, "TLS is already on: STARTTLS only once (RFC 3207 §4.2)");
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    if (smtp_command(c, "STARTTLS", reply) < 0)
        return -1;
    /* §4: 220 = go ahead; 454 = TLS not available (for now); 501 = syntax.
     * Anything but 220 leaves the connection as it was: plaintext. */
    if (reply->code != 220)
        return 0;
    if (handshake(c, ctx, verify_name) < 0)
        return -1;
    /* §4.2: "The client MUST discard any knowledge obtained from the
     * server, such as the list of SMTP service extensions, which was not
     * obtained from the TLS negotiation itself." The list came in
     * plaintext, so an attacker could have edited it (removed AUTH PLAIN,
     * say). A fresh EHLO, now sealed, gets the true list. */
    memset(&c->ext, 0, sizeof c->ext);
    smtp_note(c, "the old EHLO reply came in plaintext: forgotten; say EHLO "
                 "again (RFC 3207 §4.2)");
    return 0;
}

/* A context that seals but checks nobody: see smtp_client.h for when that
 * is the right choice (opportunistic STARTTLS between servers) and when
 * it is not (anything with a password in it). */
SSL_CTX *smtp_tls_context_unverified(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    /* RFC 8314 §4: "TLS 1.2 or later". */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* SSL_VERIFY_NONE: the handshake goes on whatever the certificate
     * says. OpenSSL still computes the verdict, and note_tls_started()
     * shows it ("NOT checked; a check would have failed: ..."). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

/* Implicit TLS (RFC 8314 §3.3): TCP, then TLS, then the 220 greeting. */
int smtp_connect_tls(struct smtp_client *c, const char *host, const char *port,
                     int timeout_ms, SSL_CTX *ctx, const char *verify_name,
                     struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (smtp_open(c, host, port, timeout_ms,
                  "implicit TLS: the handshake comes first (RFC 8314 §3.3)") < 0)
        return -1;
    if (handshake(c, ctx, verify_name) < 0)
        return -1;
    smtp_note(c, "waiting for the server to speak first, through TLS");
    smtp_set_timeout(c, SMTP_TIMEOUT_GREETING_S);
    return smtp_read_reply(c, reply);
}
