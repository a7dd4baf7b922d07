/*
 * wire_tls.h - sealing a connection with TLS, in the middle of it.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * STARTTLS (RFC 3207) begins in plaintext: the client asks, the server
 * answers "220 Ready to start TLS", and then both run the TLS handshake on
 * the same TCP connection. From then on wire_read_line() and wire_write()
 * go through OpenSSL: the same lines, but on the network only sealed TLS
 * records. On the implicit-TLS port (465, RFC 8314) the handshake comes
 * first, before any SMTP at all.
 *
 * Both sides must forget anything the other sent *before* the handshake:
 * an attacker in the middle can add plaintext commands right behind the
 * STARTTLS, and a server that kept them would run them as if they came
 * through TLS (CVE-2011-0411). The functions below throw them away and say
 * how many bytes that was.
 */
#ifndef MAILWALK_WIRE_TLS_H
#define MAILWALK_WIRE_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "wire.h"

/* Run the handshake as the server, with ctx's certificate. Bytes that
 * were buffered before are discarded (*discarded says how many). Every
 * wait is bounded by w->timeout_ms. Returns WIRE_OK, or another status
 * with why set ("TLS handshake failed: ..."). */
enum wire_status wire_start_tls_server(struct wire *w, SSL_CTX *ctx, size_t *discarded,
                                       char *why, size_t why_cap);

/* Run the handshake as the client. verify_name: the name the server's
 * certificate must carry (RFC 6125), also sent as SNI; NULL skips the name
 * check (for --insecure; whether the chain is checked is ctx's setting). */
enum wire_status wire_start_tls_client(struct wire *w, SSL_CTX *ctx,
                                       const char *verify_name, size_t *discarded,
                                       char *why, size_t why_cap);

/* "TLSv1.3 with TLS_AES_256_GCM_SHA384", for transcripts and logs; "" if
 * the wire is not using TLS. */
void wire_tls_describe(const struct wire *w, char *out, size_t cap);

/* The subject of the peer's certificate ("CN=mx.bob.example"), or "". */
void wire_tls_peer_subject(const struct wire *w, char *out, size_t cap);

/* Say goodbye the TLS way (close_notify) and free the TLS state. The
 * socket itself stays open: the caller closes it. */
void wire_tls_end(struct wire *w);

#endif
