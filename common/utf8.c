/*
 * utf8.c - checking UTF-8 the way RFC 3629 §4 defines it.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A UTF-8 character is one lead byte that says how many bytes follow, then
 * that many continuation bytes (10xxxxxx). Checking only that shape is not
 * enough: the table in RFC 3629 §4 also narrows the range of the *second*
 * byte, which rules out overlong forms (C0 80 or E0 80 80 for NUL, a classic
 * way to sneak a NUL or "/" past a filter), UTF-16 surrogates (ED A0 80) and
 * code points beyond U+10FFFF (F4 90 80 80).
 */
#include "utf8.h"

size_t utf8_char_length(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        need = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        need = 3;
        if (p[0] == 0xE0)
            lo = 0xA0; /* below: overlong */
        if (p[0] == 0xED)
            hi = 0x9F; /* above: surrogates D800-DFFF */
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        need = 4;
        if (p[0] == 0xF0)
            lo = 0x90; /* below: overlong */
        if (p[0] == 0xF4)
            hi = 0x8F; /* above: beyond U+10FFFF */
    } else {
        return 0; /* 80-C1 and F5-FF never start a character */
    }
    if (need > n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

bool utf8_is_valid(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_length(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
