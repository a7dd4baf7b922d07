/*
 * starttls.c - LAB 5: sealing the connection with STARTTLS (RFC 3207).
 *
 * Plain SMTP crosses the network as readable text: the addresses, the
 * message, and - after AUTH - the password. STARTTLS seals a connection
 * that began in plaintext:
 *
 *     C: EHLO alice.example         S: 250-... 250-STARTTLS ...
 *     C: STARTTLS                   S: 220 Ready to start TLS
 *     (the TLS handshake, on the same TCP connection)
 *     C: EHLO alice.example         (again: now sealed)
 *
 * Three things make it safe, and each is a step of this lab:
 *  - Verify. TLS without checking the certificate keeps out eavesdroppers
 *    but not a machine in the middle, which simply shows its own
 *    certificate. The chain must lead to a trusted CA (the SSL_CTX you are
 *    given is set up for that) AND the certificate must name the server we
 *    meant to reach (RFC 6125): that check you switch on, per connection.
 *  - Discard. Bytes that arrived in plaintext behind the "220" may have
 *    been put there by an attacker; read after the handshake, they would
 *    look as if they came through TLS (CVE-2011-0411). Throw them away.
 *  - Forget. The EHLO reply came in plaintext too, and an attacker could
 *    have edited it (taken AUTH PLAIN away, say). RFC 3207 §4.2: "The
 *    client MUST discard any knowledge obtained from the server ... which
 *    was not obtained from the TLS negotiation itself." The caller then
 *    says EHLO again (mailwalk-send does) and learns the true list.
 *
 * This file replaces client/smtp_tls.c in the lab build; lab05-send is
 * mailwalk-send with it inside (try --starttls, --tls, --cafile). The
 * handshake loop itself is given (handshake.h).
 */
#include "handshake.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

/*
 * Is the connection sealed by TLS now? (c->wire.ssl is set once the
 * handshake started; and only a connected client can be sealed.)
 *
 * LAB 5: write this (one line).
 */
bool smtp_tls_active(const struct smtp_client *c)
{
    (void)c;
    return false;
}

/*
 * STARTTLS (RFC 3207 §4). Returns 0 when a reply was read - anything but
 * 220 means TLS did not start, and the connection is still plaintext: give
 * back that reply and do nothing more - and -1 when the conversation or the
 * handshake broke.
 *
 * LAB 5: write this, in this order:
 *  1. If TLS is already on, refuse: smtp_fail(...), nothing sent (STARTTLS
 *     once per connection, §4.2). Clear c->tls_failed first.
 *  2. Send "STARTTLS" with smtp_command() (SMTP_TIMEOUT_COMMAND_S). Not 220:
 *     return 0.
 *  3. Discard what is buffered: c->wire holds received bytes from
 *     c->wire.in[c->wire.in_start] to c->wire.in[c->wire.in_end - 1]. Empty
 *     the buffer (both to 0), and if there were any, say how many in the
 *     transcript with smtp_note() (name CVE-2011-0411).
 *  4. SSL_new(ctx), SSL_set_fd(ssl, c->wire.fd), and put it in c->wire.ssl.
 *     If verify_name is not NULL: SSL_set1_host(ssl, verify_name) makes the
 *     handshake fail unless the certificate carries that name (or, for an
 *     address like 127.0.0.1, that IP address); and for a name - not an
 *     address, RFC 6066 §3 forbids those - SSL_set_tlsext_host_name(ssl,
 *     verify_name) sends it as SNI. (inet_pton() tells an address.)
 *  5. tls_handshake(c, verify_name) (given); -1: return -1.
 *  6. Forget the extensions: memset(&c->ext, 0, sizeof c->ext), and say in
 *     the transcript that EHLO must come again.
 */
int smtp_starttls(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name,
                  struct smtp_reply *reply)
{
    (void)ctx;
    (void)verify_name;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 5: smtp_starttls() is not written yet");
}

/*
 * Implicit TLS (RFC 8314 §3.3, port 465): no STARTTLS, the handshake comes
 * first - right after TCP's, before the greeting - so nothing is ever in
 * plaintext and nothing can be stripped.
 *
 * LAB 5: write this: smtp_reply_clear(reply); smtp_open(c, host, port,
 * timeout_ms, "implicit TLS: the handshake comes first (RFC 8314 §3.3)");
 * then steps 4 and 5 above; then read the greeting through TLS with
 * smtp_read_reply() (SMTP_TIMEOUT_GREETING_S).
 */
int smtp_connect_tls(struct smtp_client *c, const char *host, const char *port,
                     int timeout_ms, SSL_CTX *ctx, const char *verify_name,
                     struct smtp_reply *reply)
{
    (void)host;
    (void)port;
    (void)timeout_ms;
    (void)ctx;
    (void)verify_name;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 5: smtp_connect_tls() is not written yet");
}
