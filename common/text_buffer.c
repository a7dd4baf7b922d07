/*
 * text_buffer.c - a buffer that doubles when it is full.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Doubling (rather than growing by a fixed step) keeps the total copying
 * linear: n appends cost O(n) bytes copied in all, however many reallocs.
 */
#include "text_buffer.h"

#include <stdlib.h>
#include <string.h>

void text_buffer_add(struct text_buffer *t, const char *bytes, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void text_buffer_add_str(struct text_buffer *t, const char *s)
{
    text_buffer_add(t, s, strlen(s));
}

void text_buffer_free(struct text_buffer *t)
{
    free(t->data);
    t->data = NULL;
    t->len = t->cap = 0;
    t->failed = false;
}

void text_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}
