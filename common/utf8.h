/*
 * utf8.h - is this text UTF-8?
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * SMTP began as 7-bit ASCII. UTF-8 (RFC 3629) came later to mail: in
 * message bodies with 8BITMIME (RFC 6152) and in addresses and headers with
 * SMTPUTF8 (RFC 6531, which requires well-formed UTF-8). The server, the
 * event log and both clients ask the same question, so they share this
 * one answer.
 */
#ifndef MAILWALK_UTF8_H
#define MAILWALK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the well-formed UTF-8 character at p (looking at no more than
 * n bytes): 1 for ASCII, 2 to 4 for others, 0 if the bytes there are not
 * UTF-8 (a stray continuation byte, a cut-off sequence, an overlong form,
 * a UTF-16 surrogate, or a code point above U+10FFFF).
 */
size_t utf8_char_length(const unsigned char *p, size_t n);

/* Is text[0..len) well-formed UTF-8 from start to end? */
bool utf8_is_valid(const char *text, size_t len);

#endif
