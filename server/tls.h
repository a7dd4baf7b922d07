/*
 * tls.h - the server's TLS setup: a certificate, a key, an OpenSSL context.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * TLS needs the server to prove who it is with a certificate. A classroom
 * rarely has one, so when none is given we make a self-signed one on first
 * start and print its SHA-256 fingerprint: clients can then trust exactly
 * that certificate (mailwalk-send --cafile) instead of switching checks off.
 */
#ifndef MAILWALK_TLS_H
#define MAILWALK_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/*
 * Make cert_path and key_path (a self-signed certificate for hostname,
 * valid for a year, with the hostname as subjectAltName) unless both
 * already exist. Returns 0, or -1 with why set.
 */
int tls_ensure_self_signed(const char *cert_path, const char *key_path,
                           const char *hostname, char *why, size_t why_cap);

/* An OpenSSL server context with our certificate, TLS 1.2 or newer.
 * Returns NULL with why set. */
SSL_CTX *tls_server_context(const char *cert_path, const char *key_path, char *why,
                            size_t why_cap);

/* Does the certificate at cert_path carry hostname (subjectAltName, RFC
 * 6125)? Returns 1 (yes), 0 (no), or -1 (cannot read it). A certificate
 * made for an earlier --hostname would fail every client's name check. */
int tls_certificate_names(const char *cert_path, const char *hostname);

/* The certificate's SHA-256 fingerprint as "AB:CD:...". Returns 0 or -1. */
int tls_fingerprint(const char *cert_path, char *out, size_t cap);

#endif
