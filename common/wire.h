/*
 * wire.h - buffered CRLF line I/O over a socket, the only code that both the
 * server and the client use to touch the network.
 *
 * Tier: core — read this first.
 *
 * SMTP is a line protocol: every command, every reply and every line of the
 * message ends in CR LF (RFC 5321 §2.3.8). TCP, though, delivers a *stream*
 * of bytes: one read() may return half a line or ten lines at once. This
 * module turns the stream back into lines, and it does so with a fixed-size
 * buffer: a peer that sends a megabyte without a line ending gets its bytes
 * handed out in pieces, never stored whole.
 *
 * Every wait has a timeout, so a silent peer can never hang us forever
 * (RFC 5321 §4.5.3.2). On top of it a wire may carry a deadline: a moment
 * after which every wait ends at once. The client sets one per reply and
 * one per session, so a peer that drips a line at a time cannot stretch a
 * reply, or a session, without end.
 */
#ifndef MAILWALK_WIRE_H
#define MAILWALK_WIRE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes received but not yet handed out. Must exceed the longest line the
 * callers ask for (a 1000-octet text line) plus its CR LF. */
#define WIRE_BUFFER_SIZE 16384

/* What happened when we asked the wire for something. */
enum wire_status {
    WIRE_OK,          /* done: a line was read, or all bytes were written */
    WIRE_EOF,         /* the peer closed the connection */
    WIRE_TIMEOUT,     /* no whole line arrived (or could be sent) in time */
    WIRE_INTERRUPTED, /* a signal arrived while waiting; the caller decides */
    WIRE_ERROR,       /* a system call failed; errno says why */
};

/* What ended the piece of input that wire_read_line() handed out. */
enum line_end {
    LINE_END_CRLF, /* "\r\n": the only line ending SMTP allows (§2.3.8) */
    LINE_END_LF,   /* a bare "\n": a sloppy client, or a smuggling attempt */
    LINE_END_NONE, /* the line did not fit the caller's buffer: more follows */
};

struct ssl_st; /* OpenSSL's SSL, from <openssl/ssl.h> (see wire_tls.h) */

/* One end of a connection. */
struct wire {
    int fd;                             /* the connected socket */
    struct ssl_st *ssl;                 /* after STARTTLS: TLS over fd; else NULL */
    int timeout_ms;                     /* longest wait for a whole line, or per
                                              write; -1 = forever */
    long long deadline_ms;              /* no wait goes past this moment
                                           (wire_now_ms() clock); -1 = none */
    unsigned char in[WIRE_BUFFER_SIZE]; /* received, not yet handed out */
    size_t in_start;                    /* first byte not yet handed out */
    size_t in_end;                      /* one past the last byte received */
    bool peer_closed;                   /* read() returned 0: no more bytes will come */
};

/* Start using a connected socket. timeout_ms bounds the time to receive
 * each line (however slowly its bytes trickle in) and each write (-1: none).
 * There is no deadline yet. */
void wire_init(struct wire *w, int fd, int timeout_ms);

/* Milliseconds on a clock that never jumps (CLOCK_MONOTONIC): the clock of
 * deadline_ms. */
long long wire_now_ms(void);

/* From now on, no wait (read, write, TLS handshake) goes on past the
 * moment deadline_ms; -1 removes the deadline. A wait that reaches it
 * ends with WIRE_TIMEOUT; bytes already buffered are still handed out.
 * The per-line timeout_ms still applies too: the earlier of the two wins. */
void wire_set_deadline(struct wire *w, long long deadline_ms);

/* The earlier of two deadlines, where -1 means "none". */
long long wire_earlier(long long a, long long b);

/*
 * Read the next line into line[0..cap-1] and NUL-terminate it. The line
 * ending is not copied: *end tells which one it was. A line longer than
 * cap - 1 bytes is handed out in pieces; every piece but the last has
 * *end == LINE_END_NONE. The text may contain NUL bytes: use *len.
 * A partial line left when the peer closes is dropped (WIRE_EOF): a line
 * that never ended was never a command.
 */
enum wire_status wire_read_line(struct wire *w, char *line, size_t cap, size_t *len,
                                enum line_end *end);

/* How many received bytes wait in the buffer (pipelined commands). */
size_t wire_buffered(const struct wire *w);

/* Would wire_read_line(w, ..., cap, ...) return at once, without waiting
 * for the network? (A whole line, or a piece of one, is buffered.) */
bool wire_line_ready(const struct wire *w, size_t cap);

/* Send all len bytes, waiting at most timeout_ms for each chunk to leave.
 * Signals do not interrupt it: a reply is never cut in half. */
enum wire_status wire_write(struct wire *w, const void *data, size_t len);

/* A one-line description of a status, for error messages. */
const char *wire_status_text(enum wire_status status);

#endif
