/*
 * text_buffer.h - text that grows as it is built.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The clients build whole messages (mailwalk-send) and decode them
 * (mailwalk-read) in memory; this is the one growing buffer they share.
 * Running out of memory sets `failed` and makes every later append do
 * nothing, so a caller checks once, at the end, instead of after every
 * append.
 */
#ifndef MAILWALK_TEXT_BUFFER_H
#define MAILWALK_TEXT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

struct text_buffer {
    char *data;  /* the text, always NUL-terminated once anything was added */
    size_t len;  /* bytes of text (the NUL not counted) */
    size_t cap;  /* bytes allocated */
    bool failed; /* an allocation failed: the text is incomplete */
};

/* Append n bytes (which may include NULs). */
void text_buffer_add(struct text_buffer *t, const char *bytes, size_t n);

/* Append a NUL-terminated string. */
void text_buffer_add_str(struct text_buffer *t, const char *s);

/* Copy the string src into a fixed-size field of cap bytes, cut short if
 * it does not fit, always NUL-terminated. (For fields where a shortened
 * text is fine: a reply kept for the log, a name shown to a person.) */
void text_copy(char *dst, size_t cap, const char *src);

/* Free the text and start empty again. */
void text_buffer_free(struct text_buffer *t);

#endif
