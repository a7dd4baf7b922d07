/*
 * handshake.h - lab 5's given code: the TLS handshake loop.
 *
 * The handshake is a dozen messages back and forth, and on a socket that
 * must never block forever each OpenSSL call may say "I need to read (or
 * write) first - call me again". That loop, with its deadline, is the same
 * in every program and teaches little about SMTP, so it is given. What
 * comes before it (asking with STARTTLS, throwing away what arrived in
 * plaintext, telling OpenSSL which name the certificate must carry) and
 * after it (forgetting what the plaintext EHLO said) is the lab.
 */
#ifndef MAILWALK_LAB05_HANDSHAKE_H
#define MAILWALK_LAB05_HANDSHAKE_H

#include "smtp_internal.h"

/*
 * Run the client side of the TLS handshake on c->wire.ssl, which you have
 * made with SSL_new(ctx) and tied to the socket with SSL_set_fd(ssl,
 * c->wire.fd) (and, to check the server's name, SSL_set1_host()). Waits at
 * most c->wire.timeout_ms. From its return on, c->wire reads and writes go
 * through TLS.
 *
 * Returns 0 and says "TLS started: ..." in the transcript (with whether
 * the certificate was checked), or -1 with c->error set ("TLS handshake
 * failed: certificate check failed: ...") and c->tls_failed true.
 */
int tls_handshake(struct smtp_client *c, const char *verify_name);

#endif
