/*
 * tap_splitter.h - cutting one direction of a TCP stream into the pieces a
 * person can watch: SMTP lines while the talk is plaintext, TLS records
 * once STARTTLS has sealed it.
 *
 * The wire tap (tap.c) sits between a client and a server and feeds every
 * byte it relays into one splitter per direction. Out come *units*: a whole
 * line ("MAIL FROM:<alice@alice.example>\r\n"), or a whole TLS record (a
 * 5-byte header saying type, version and length, then that many sealed
 * bytes: RFC 8446 §5.1). The splitter holds no GLib types, so the unit tests
 * drive it byte by byte.
 */
#ifndef MAILWALK_TAP_SPLITTER_H
#define MAILWALK_TAP_SPLITTER_H

#include <stdbool.h>
#include <stddef.h>

/* Longest unit we hold: a TLS record is at most 2^14 + 2048 bytes of
 * payload plus its 5-byte header (RFC 8446 §5.2); a longer text "line" is
 * handed out in pieces of this size. */
#define TAP_UNIT_MAX (16384 + 2048 + 5)

enum tap_unit_kind {
    TAP_UNIT_LINE,       /* text up to and including "\n" */
    TAP_UNIT_LINE_PIECE, /* part of a line too long to hold; more follows */
    TAP_UNIT_TLS_RECORD, /* one whole TLS record */
};

/* What a TLS record carries (its first header byte, RFC 8446 §5.1). */
enum tap_tls_type {
    TAP_TLS_CHANGE_CIPHER_SPEC = 20,
    TAP_TLS_ALERT = 21,
    TAP_TLS_HANDSHAKE = 22,
    TAP_TLS_APPLICATION_DATA = 23,
};

struct tap_splitter {
    unsigned char buf[TAP_UNIT_MAX]; /* bytes received, not yet handed out */
    size_t len;                      /* how many */
    size_t handed_out;               /* bytes of the unit last handed out,
                                        removed on the next call */
    bool tls;                        /* this direction now carries TLS */
};

struct tap_unit {
    enum tap_unit_kind kind;
    const unsigned char *data; /* valid until the next tap_splitter_ call */
    size_t len;
    int tls_type; /* for TLS records: enum tap_tls_type (or another byte) */
};

void tap_splitter_init(struct tap_splitter *s);

/* Add received bytes. Returns how many were taken: fewer than len when the
 * buffer is full, in which case take units out and push the rest again. */
size_t tap_splitter_push(struct tap_splitter *s, const void *data, size_t len);

/* The next whole unit, if there is one. */
bool tap_splitter_next(struct tap_splitter *s, struct tap_unit *unit);

/* Hand out whatever is left as a last piece (the connection closed). */
bool tap_splitter_flush(struct tap_splitter *s, struct tap_unit *unit);

/* Does data start with a TLS record header? ("\x16\x03\x01", say.) */
bool tap_looks_like_tls(const unsigned char *data, size_t len);

/* A name for a TLS record type: "handshake", "application data"... */
const char *tap_tls_type_name(int type);

#endif
