/*
 * base64.c - RFC 4648 §4 base64, written out so you can see it work.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Encoding: take 3 bytes (24 bits), cut them into 4 groups of 6 bits, and
 * write each group as one letter of the alphabet below. At the end, 1 or 2
 * leftover bytes are padded with "=" so the text is a multiple of 4.
 */
#include "base64.h"

#include <stdbool.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long base64_encode(const void *in, size_t len, char *out, size_t cap)
{
    const unsigned char *p = in;
    if (cap < BASE64_ENCODED_SIZE(len))
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned long bits = (unsigned long)p[i] << 16;
        if (i + 1 < len)
            bits |= (unsigned long)p[i + 1] << 8;
        if (i + 2 < len)
            bits |= p[i + 2];
        out[o++] = alphabet[(bits >> 18) & 63];
        out[o++] = alphabet[(bits >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(bits >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[bits & 63] : '=';
    }
    out[o] = '\0';
    return (long)o;
}

/* The 6-bit value of a base64 letter, or -1. */
static int letter_value(char c)
{
    const char *at = c ? strchr(alphabet, c) : NULL;
    return at ? (int)(at - alphabet) : -1;
}

long base64_decode(const char *text, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = (i + 4 == len);
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            /* "=" may only end the text: "xx==" or "xxx=". */
            if (c == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                pad++;
            } else if ((v[k] = letter_value(c)) < 0) {
                return -1;
            }
        }
        unsigned long bits = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                             ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        size_t n = 3 - (size_t)pad;
        if (o + n > cap)
            return -1;
        out[o++] = (unsigned char)(bits >> 16);
        if (n > 1)
            out[o++] = (unsigned char)(bits >> 8);
        if (n > 2)
            out[o++] = (unsigned char)bits;
    }
    return (long)o;
}
