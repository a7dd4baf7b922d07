/*
 * base64.h - the encoding SMTP AUTH uses to carry binary over a text line.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * RFC 4954 §4 sends every SASL challenge and response base64-encoded
 * (RFC 4648 §4): three bytes become four letters from a 64-letter
 * alphabet, so NUL bytes (PLAIN's separator) and any other octet can
 * travel on an SMTP line. MIME uses the same encoding for attachments
 * (RFC 2045 §6.8).
 */
#ifndef MAILWALK_BASE64_H
#define MAILWALK_BASE64_H

#include <stddef.h>

/* Bytes needed to encode n bytes, NUL included. */
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)

/* Encode in[0..len) into out (of size cap, at least
 * BASE64_ENCODED_SIZE(len)), NUL-terminated. Returns the text length,
 * or -1 if out is too small. */
long base64_encode(const void *in, size_t len, char *out, size_t cap);

/* Decode text (of length len, no line breaks) into out (of size cap).
 * Returns the number of bytes, or -1 if the text is not base64 or does
 * not fit. Padding "=" is required when the length is not a multiple of 4. */
long base64_decode(const char *text, size_t len, unsigned char *out, size_t cap);

#endif
