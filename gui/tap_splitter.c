/*
 * tap_splitter.c - lines until TLS, records after.
 *
 * Plaintext SMTP is easy to cut: every line ends in "\n". After STARTTLS the
 * bytes are TLS records, and a "\n" inside them is just a random byte of
 * ciphertext. So at the start of each unit we look at the first bytes: a
 * TLS record begins with its content type (20..23) and the version 3.x
 * (RFC 8446 §5.1). Once we have seen one, the direction stays in TLS mode:
 * there is no way back to plaintext on the same connection (RFC 3207 §4.2).
 */
#include "tap_splitter.h"

#include <string.h>

void tap_splitter_init(struct tap_splitter *s)
{
    s->len = 0;
    s->handed_out = 0;
    s->tls = false;
}

/* Drop the unit handed out last time. */
static void drop_handed_out(struct tap_splitter *s)
{
    if (s->handed_out == 0)
        return;
    memmove(s->buf, s->buf + s->handed_out, s->len - s->handed_out);
    s->len -= s->handed_out;
    s->handed_out = 0;
}

size_t tap_splitter_push(struct tap_splitter *s, const void *data, size_t len)
{
    drop_handed_out(s);
    size_t room = sizeof s->buf - s->len;
    size_t take = len < room ? len : room;
    memcpy(s->buf + s->len, data, take);
    s->len += take;
    return take;
}

bool tap_looks_like_tls(const unsigned char *data, size_t len)
{
    /* A handshake record (22) with major version 3 opens every TLS
     * connection: the ClientHello, then the ServerHello. */
    return len >= 3 && data[0] == TAP_TLS_HANDSHAKE && data[1] == 3 && data[2] <= 4;
}

const char *tap_tls_type_name(int type)
{
    switch (type) {
    case TAP_TLS_CHANGE_CIPHER_SPEC:
        return "change cipher spec";
    case TAP_TLS_ALERT:
        return "alert";
    case TAP_TLS_HANDSHAKE:
        return "handshake";
    case TAP_TLS_APPLICATION_DATA:
        return "application data";
    }
    return "unknown";
}

/* Hand out the first n buffered bytes as a unit of the given kind. */
static bool hand_out(struct tap_splitter *s, struct tap_unit *unit,
                     enum tap_unit_kind kind, size_t n)
{
    unit->kind = kind;
    unit->data = s->buf;
    unit->len = n;
    unit->tls_type = kind == TAP_UNIT_TLS_RECORD ? s->buf[0] : 0;
    s->handed_out = n;
    return true;
}

bool tap_splitter_next(struct tap_splitter *s, struct tap_unit *unit)
{
    drop_handed_out(s);
    if (s->len == 0)
        return false;

    if (!s->tls && s->len >= 3 && tap_looks_like_tls(s->buf, s->len))
        s->tls = true;

    if (s->tls) {
        /* Header: type (1), version (2), length (2, big-endian). */
        if (s->len < 5)
            return false;
        size_t record = 5 + ((size_t)s->buf[3] << 8 | s->buf[4]);
        if (record > sizeof s->buf) /* not a real record: show the bytes */
            return hand_out(s, unit, TAP_UNIT_LINE_PIECE, s->len);
        if (s->len < record)
            return false;
        return hand_out(s, unit, TAP_UNIT_TLS_RECORD, record);
    }

    const unsigned char *lf = memchr(s->buf, '\n', s->len);
    if (lf != NULL)
        return hand_out(s, unit, TAP_UNIT_LINE, (size_t)(lf - s->buf) + 1);
    if (s->len == sizeof s->buf)
        return hand_out(s, unit, TAP_UNIT_LINE_PIECE, s->len);
    return false;
}

bool tap_splitter_flush(struct tap_splitter *s, struct tap_unit *unit)
{
    drop_handed_out(s);
    if (s->len == 0)
        return false;
    return hand_out(s, unit, TAP_UNIT_LINE_PIECE, s->len);
}
