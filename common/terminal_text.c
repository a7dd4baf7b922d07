/*
 * terminal_text.c - escaping what a terminal would obey (terminal_text.h).
 *
 * One pass over the text, one character at a time: a well-formed UTF-8
 * character (common/utf8.c decides) is copied whole unless it is a C1 or
 * bidi control; a single byte that is not is shown as \xNN.
 */
#include "terminal_text.h"

#include <string.h>

#include "utf8.h"

/* The code point of a well-formed UTF-8 character of n (1-4) bytes. */
static unsigned long code_point(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0];
    unsigned long cp = p[0] & (0xFF >> (n + 1)); /* the lead byte's bits */
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

/* Must this code point be shown as an escape rather than as itself? */
static bool is_dangerous(unsigned long cp, bool keep_newlines)
{
    if (cp == '\t' || (cp == '\n' && keep_newlines))
        return false;
    if (cp < 0x20 || cp == 0x7F)
        return true; /* C0 controls (ESC is 0x1B) and DEL */
    if (cp >= 0x80 && cp <= 0x9F)
        return true; /* C1 controls: 0x9B is CSI, 0x9D OSC (ECMA-48 §5.3) */
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        return true; /* bidi embeddings, overrides, isolates (Unicode UAX #9) */
    return false;
}

/* Append n bytes at *at if they fit whole (leaving room for the NUL). */
static bool put(char *out, size_t cap, size_t *at, const char *bytes, size_t n)
{
    if (*at + n + 1 > cap)
        return false;
    memcpy(out + *at, bytes, n);
    *at += n;
    return true;
}

size_t terminal_escape(const char *text, size_t len, bool keep_newlines, char *out,
                       size_t cap)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t at = 0;
    if (cap == 0)
        return 0;
    bool fits = true;
    for (size_t i = 0; i < len && fits;) {
        size_t n = utf8_char_length(p + i, len - i);
        char escape[16];
        if (n == 0) {
            /* Not UTF-8: one byte, shown by its value. */
            snprintf(escape, sizeof escape, "\\x%02x", p[i]);
            fits = put(out, cap, &at, escape, strlen(escape));
            i++;
            continue;
        }
        unsigned long cp = code_point(p + i, n);
        if (!is_dangerous(cp, keep_newlines))
            fits = put(out, cap, &at, text + i, n);
        else if (cp < 0x80)
            fits = put(out, cap, &at, escape,
                       (size_t)snprintf(escape, sizeof escape, "\\x%02lx", cp));
        else
            fits = put(out, cap, &at, escape,
                       (size_t)snprintf(escape, sizeof escape, "\\u%04lx", cp));
        i += n;
    }
    out[at] = '\0';
    return at;
}

void terminal_write(FILE *f, const char *text, size_t len, bool keep_newlines)
{
    /* In pieces of at most 256 bytes: each escapes to at most 6 bytes a
     * byte (\u009b from 2 bytes is less), so 256 * 4 + 1 always fits. */
    char shown[256 * 4 + 1];
    size_t i = 0;
    while (i < len) {
        size_t piece = len - i < 256 ? len - i : 256;
        /* Do not cut a UTF-8 character in two: end the piece before it.
         * A character has at most 3 continuation bytes (0b10xxxxxx). */
        for (int k = 0; k < 3 && i + piece < len &&
                        ((unsigned char)text[i + piece] & 0xC0) == 0x80;
             k++)
            piece--;
        size_t n = terminal_escape(text + i, piece, keep_newlines, shown, sizeof shown);
        fwrite(shown, 1, n, f);
        i += piece;
    }
}

void terminal_puts(FILE *f, const char *text)
{
    terminal_write(f, text, strlen(text), false);
}
