/*
 * lab05_keeps_extensions.c - a plausible WRONG answer to lab 5, kept for
 * the CI proof (labs/meson.build): after the handshake it keeps what the
 * plaintext EHLO said, "the caller says EHLO again anyway and will
 * overwrite it". But a caller that does not, or a reply that lists less,
 * leaves the plaintext list in force - the one an attacker could edit
 * (RFC 3207 §4.2, Rule L5.6). Everything else is right.
 */
#include "handshake.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

bool smtp_tls_active(const struct smtp_client *c)
{
    return c->connected && c->wire.ssl != NULL;
}

static int seal(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, c->wire.fd) != 1)
        return smtp_fail(c, "SSL_new failed");
    c->wire.ssl = ssl;
    if (verify_name != NULL) {
        unsigned char a[16];
        if (inet_pton(AF_INET, verify_name, a) != 1 &&
            inet_pton(AF_INET6, verify_name, a) != 1)
            SSL_set_tlsext_host_name(ssl, verify_name);
        SSL_set1_host(ssl, verify_name);
    }
    return tls_handshake(c, verify_name);
}

int smtp_starttls(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name,
                  struct smtp_reply *reply)
{
    c->tls_failed = false;
    if (smtp_tls_active(c))
        return smtp_fail(c, "TLS is already on");
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    if (smtp_command(c, "STARTTLS", reply) < 0)
        return -1;
    if (reply->code != 220)
        return 0;
    size_t n = c->wire.in_end - c->wire.in_start;
    c->wire.in_start = c->wire.in_end = 0;
    if (n > 0)
        smtp_note(c, "discarded %zu plaintext byte(s) (CVE-2011-0411)", n);
    if (seal(c, ctx, verify_name) < 0)
        return -1;
    /* WRONG: c->ext should be forgotten here. */
    smtp_note(c, "EHLO again (RFC 3207 section 4.2)");
    return 0;
}

int smtp_connect_tls(struct smtp_client *c, const char *host, const char *port,
                     int timeout_ms, SSL_CTX *ctx, const char *verify_name,
                     struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (smtp_open(c, host, port, timeout_ms, "implicit TLS first") < 0)
        return -1;
    if (seal(c, ctx, verify_name) < 0)
        return -1;
    smtp_set_timeout(c, SMTP_TIMEOUT_GREETING_S);
    return smtp_read_reply(c, reply);
}
