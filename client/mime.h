/*
 * mime.h - undoing what the sender's user agent did: reading header fields,
 * decoding quoted-printable and base64 (RFC 2045 §6.7, §6.8), RFC 2047
 * encoded words in headers, multipart bodies (RFC 2046 §5.1), and turning
 * any charset into UTF-8 for the terminal.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_MIME_H
#define MAILWALK_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "text_buffer.h"

/* Copy the value of the first header field `name` (any case) into out,
 * unfolded (RFC 5322 §2.2.3), raw. Returns false if there is none. The
 * header ends at the first empty line. */
bool mime_header(const char *message, size_t len, const char *name, char *out,
                 size_t cap);

/* Decode RFC 2047 encoded words ("=?ISO-8859-1?Q?caf=E9?=") in a header
 * value into UTF-8 text. */
void mime_decode_header(const char *value, struct text_buffer *out);

/* The readable text of a message: its text/plain part(s), transfer-decoded
 * and converted to UTF-8; other parts are named, not shown. */
void mime_body_text(const char *message, size_t len, struct text_buffer *out);

/* Quoted-printable to octets (RFC 2045 §6.7). */
void mime_decode_qp(const char *in, size_t len, struct text_buffer *out);

/* Base64 to octets (RFC 2045 §6.8); characters outside the alphabet are
 * ignored, as §6.8 says. */
void mime_decode_base64(const char *in, size_t len, struct text_buffer *out);

/* Convert text in `charset` to UTF-8 (iconv). Unknown charsets and bad
 * octets become U+FFFD, the replacement character. */
void mime_to_utf8(const char *charset, const char *in, size_t len,
                  struct text_buffer *out);

#endif
