/*
 * handshake.c - lab 5's given code: the handshake loop (see handshake.h).
 * It does what common/wire_tls.c does for mailwalk-send, for an SSL that
 * your code has made.
 */
#include "handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "wire_private.h"
#include "wire_tls.h"

/* Why the handshake failed, in words a student can act on. */
static void describe_failure(SSL *ssl, int rc, char *why, size_t cap)
{
    long verify = SSL_get_verify_result(ssl);
    unsigned long err = ERR_peek_error();
    char detail[256] = "the connection was closed";
    if (verify != X509_V_OK)
        snprintf(detail, sizeof detail, "certificate check failed: %s",
                 X509_verify_cert_error_string(verify));
    else if (err != 0)
        ERR_error_string_n(err, detail, sizeof detail);
    else if (SSL_get_error(ssl, rc) == SSL_ERROR_SYSCALL && errno != 0)
        snprintf(detail, sizeof detail, "%s", strerror(errno));
    snprintf(why, cap, "TLS handshake failed: %s", detail);
    ERR_clear_error();
}

/* The transcript line after a good handshake: version, cipher, whose
 * certificate, and whether anybody checked it. */
static void note_started(struct smtp_client *c, const char *verify_name)
{
    char describe[128], subject[256];
    wire_tls_describe(&c->wire, describe, sizeof describe);
    wire_tls_peer_subject(&c->wire, subject, sizeof subject);
    SSL *ssl = c->wire.ssl;
    const char *checked = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0
                              ? "NOT checked"
                          : verify_name == NULL ? "chain verified, name NOT checked"
                                                : "verified: trusted chain";
    smtp_note(
        c, "TLS started: %s; server certificate %s (%s%s%s)", describe,
        subject[0] ? subject : "(none)", checked,
        verify_name && strcmp(checked, "verified: trusted chain") == 0 ? ", name " : "",
        verify_name && strcmp(checked, "verified: trusted chain") == 0 ? verify_name
                                                                       : "");
}

int tls_handshake(struct smtp_client *c, const char *verify_name)
{
    SSL *ssl = c->wire.ssl;
    char why[300] = "TLS handshake failed: no SSL was made (c->wire.ssl is NULL)";
    c->tls_failed = true;
    c->sys_errno = 0;
    if (ssl == NULL)
        return smtp_fail(c, "%s", why);
    /* From now on the wire waits with poll() and never blocks in OpenSSL. */
    fcntl(c->wire.fd, F_SETFL, fcntl(c->wire.fd, F_GETFL) | O_NONBLOCK);
    SSL_set_connect_state(ssl);
    long long deadline =
        c->wire.timeout_ms < 0 ? -1 : wire_now_ms() + c->wire.timeout_ms;
    for (;;) {
        ERR_clear_error();
        int rc = SSL_do_handshake(ssl);
        if (rc == 1)
            break;
        int err = SSL_get_error(ssl, rc);
        short event = err == SSL_ERROR_WANT_READ    ? POLLIN
                      : err == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                    : 0;
        if (event == 0) {
            describe_failure(ssl, rc, why, sizeof why);
            goto failed;
        }
        long long left = deadline < 0 ? -1 : deadline - wire_now_ms();
        int wait_ms = deadline < 0 ? -1 : left > 0 ? (int)left : 0;
        enum wire_status status = wire_wait(&c->wire, event, wait_ms);
        if (status == WIRE_TIMEOUT) {
            snprintf(why, sizeof why,
                     "TLS handshake failed: the peer stopped answering");
            goto failed;
        }
        if (status != WIRE_OK && status != WIRE_INTERRUPTED) {
            snprintf(why, sizeof why, "TLS handshake failed: %s", strerror(errno));
            goto failed;
        }
    }
    c->tls_failed = false;
    note_started(c, verify_name);
    return 0;

failed:
    smtp_note(c, "%s: nothing was sent through TLS", why);
    if (verify_name != NULL)
        return smtp_fail(c, "%s (the certificate had to name %s)", why, verify_name);
    return smtp_fail(c, "%s", why);
}
