/*
 * wire_tls.c - the TLS half of the wire, on OpenSSL 3.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Once a wire has TLS, its socket is non-blocking and every OpenSSL call
 * may answer "want read" or "want write": TLS records do not line up with
 * our reads (one SSL_read may need two more packets, and renegotiation may
 * even need to *write* while we read). So each call sits in a loop: try,
 * and if OpenSSL wants the socket, poll() for it - with a deadline, as
 * everywhere on the wire, so a peer that stops halfway through a record
 * cannot hold us.
 */
#include "wire_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "wire_private.h"

/* Which poll() event OpenSSL is waiting for, or 0 if it is a real error. */
static short wanted_event(int ssl_error)
{
    if (ssl_error == SSL_ERROR_WANT_READ)
        return POLLIN;
    if (ssl_error == SSL_ERROR_WANT_WRITE)
        return POLLOUT;
    return 0;
}

/* Milliseconds left until deadline (-1: no deadline), at least 0. */
static int time_left(long long deadline)
{
    if (deadline < 0)
        return -1;
    long long left = deadline - wire_now_ms();
    return left > 0 ? (int)left : 0;
}

/* Why the handshake failed, in words a student can act on. */
static void describe_failure(SSL *ssl, int rc, char *why, size_t why_cap)
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
    snprintf(why, why_cap, "TLS handshake failed: %s", detail);
    ERR_clear_error();
}

/* Start TLS on the socket in the given role and run the handshake. */
static enum wire_status start_tls(struct wire *w, SSL_CTX *ctx, bool server,
                                  const char *verify_name, size_t *discarded, char *why,
                                  size_t why_cap)
{
    /* CVE-2011-0411: nothing read before the handshake may count. */
    *discarded = w->in_end - w->in_start;
    w->in_start = w->in_end = 0;
    w->peer_closed = false;

    w->ssl = SSL_new(ctx);
    if (w->ssl == NULL || SSL_set_fd(w->ssl, w->fd) != 1) {
        snprintf(why, why_cap, "TLS could not start: out of memory");
        return WIRE_ERROR;
    }
    if (server) {
        SSL_set_accept_state(w->ssl);
    } else {
        SSL_set_connect_state(w->ssl);
        if (verify_name != NULL) {
            /* SNI tells the server which name we want (RFC 6066 §3), but
             * "literal IPv4 and IPv6 addresses are not permitted" in it.
             * set1_host makes OpenSSL check the certificate carries the
             * name - or, for an address such as 127.0.0.1, that address
             * in its subjectAltName (OpenSSL 3 tells the two apart). */
            unsigned char address[16];
            if (inet_pton(AF_INET, verify_name, address) != 1 &&
                inet_pton(AF_INET6, verify_name, address) != 1)
                SSL_set_tlsext_host_name(w->ssl, verify_name);
            SSL_set1_host(w->ssl, verify_name);
        }
    }
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);

    long long deadline = w->timeout_ms < 0 ? -1 : wire_now_ms() + w->timeout_ms;
    for (;;) {
        ERR_clear_error();
        int rc = SSL_do_handshake(w->ssl);
        if (rc == 1)
            return WIRE_OK;
        short event = wanted_event(SSL_get_error(w->ssl, rc));
        if (event == 0) {
            describe_failure(w->ssl, rc, why, why_cap);
            return WIRE_ERROR;
        }
        enum wire_status status = wire_wait(w, event, time_left(deadline));
        if (status == WIRE_TIMEOUT) {
            snprintf(why, why_cap, "TLS handshake failed: the peer stopped answering");
            return status;
        }
        if (status != WIRE_OK && status != WIRE_INTERRUPTED) {
            snprintf(why, why_cap, "TLS handshake failed: %s", strerror(errno));
            return status;
        }
    }
}

enum wire_status wire_start_tls_server(struct wire *w, SSL_CTX *ctx, size_t *discarded,
                                       char *why, size_t why_cap)
{
    return start_tls(w, ctx, true, NULL, discarded, why, why_cap);
}

enum wire_status wire_start_tls_client(struct wire *w, SSL_CTX *ctx,
                                       const char *verify_name, size_t *discarded,
                                       char *why, size_t why_cap)
{
    return start_tls(w, ctx, false, verify_name, discarded, why, why_cap);
}

enum wire_status wire_tls_fill(struct wire *w, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : wire_now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(w->ssl, w->in + w->in_end, (int)(sizeof w->in - w->in_end));
        if (n > 0) {
            w->in_end += (size_t)n;
            return WIRE_OK;
        }
        int err = SSL_get_error(w->ssl, n);
        /* close_notify, or the TCP connection simply ended: no more bytes. */
        if (err == SSL_ERROR_ZERO_RETURN ||
            (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) ||
            (err == SSL_ERROR_SSL &&
             ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
            w->peer_closed = true;
            return WIRE_OK;
        }
        short event = wanted_event(err);
        if (event == 0)
            return WIRE_ERROR;
        enum wire_status status = wire_wait(w, event, time_left(deadline));
        if (status != WIRE_OK)
            return status;
    }
}

enum wire_status wire_tls_write(struct wire *w, const void *data, size_t len)
{
    /* OpenSSL wants a retried SSL_write with the same arguments, and with
     * partial writes off (the default) it returns only when all is sent. */
    while (len > 0) {
        ERR_clear_error();
        int n = SSL_write(w->ssl, data, (int)len);
        if (n > 0)
            return WIRE_OK;
        int err = SSL_get_error(w->ssl, n);
        short event = wanted_event(err);
        if (event == 0)
            return err == SSL_ERROR_ZERO_RETURN ||
                           (err == SSL_ERROR_SYSCALL &&
                            (errno == EPIPE || errno == ECONNRESET))
                       ? WIRE_EOF
                       : WIRE_ERROR;
        /* As in plaintext: a signal must not cut a reply in half. */
        enum wire_status status = wire_wait(w, event, w->timeout_ms);
        if (status != WIRE_OK && status != WIRE_INTERRUPTED)
            return status;
    }
    return WIRE_OK;
}

void wire_tls_describe(const struct wire *w, char *out, size_t cap)
{
    if (w->ssl == NULL) {
        snprintf(out, cap, "%s", "");
        return;
    }
    snprintf(out, cap, "%s with %s", SSL_get_version(w->ssl),
             SSL_CIPHER_get_name(SSL_get_current_cipher(w->ssl)));
}

void wire_tls_peer_subject(const struct wire *w, char *out, size_t cap)
{
    snprintf(out, cap, "%s", "");
    X509 *cert = w->ssl ? SSL_get1_peer_certificate(w->ssl) : NULL;
    if (cert == NULL)
        return;
    X509_NAME_oneline(X509_get_subject_name(cert), out, (int)cap);
    X509_free(cert);
}

void wire_tls_end(struct wire *w)
{
    if (w->ssl == NULL)
        return;
    /* One try at close_notify; the peer may be gone, and that is fine. */
    SSL_shutdown(w->ssl);
    SSL_free(w->ssl);
    w->ssl = NULL;
}
