/*
 * fuzz_wire.c - the line splitter (common/wire.c) over a real socket.
 *
 * The input's first byte picks the caller's buffer size: small ones (3 to
 * 202 bytes) to make long-line pieces common, or the sizes the server
 * really uses (a command line, a text line, an AUTH answer). The rest is
 * what the peer sends; it goes into one end of a socketpair, and
 * wire_read_line() reads the other end until EOF. The peer closes only
 * when no whole line (or buffer-full piece) is left to read, so
 * wire_line_ready() is tested with the connection still open.
 *
 * Checks, for any input:
 *  - every piece fits the buffer and is NUL-terminated;
 *  - nothing is lost, added or reordered: the pieces with their line
 *    endings ("\r\n", "\n" or nothing) give back exactly the bytes sent,
 *    except a last line that never ended (dropped at EOF, by design);
 *  - when wire_line_ready() says a line is there, reading it does not wait
 *    (it returns at once with the line, never a timeout).
 */
#include "fuzz.h"
#include "smtp_limits.h"
#include "wire.h"

/* The buffer sizes the server and client really pass. */
static const size_t real_caps[] = {
    SMTP_MAX_COMMAND_LINE - 2 + 1,  /* a command line (session_line_limit) */
    SMTP_MAX_TEXT_LINE - 2 + 1 + 1, /* a text line after DATA */
    12288 - 2 + 1,                  /* an AUTH answer (RFC 4954 §4) */
    WIRE_BUFFER_SIZE - 1,           /* the largest wire.c allows */
};

/* Would wire_read_line() get a line or a piece without waiting: is a line
 * end, or cap bytes, among what is buffered plus what the socket holds?
 * If not, the peer hangs up now (SHUT_WR) instead. */
static bool more_comes_at_once(const struct wire *w, int fd, size_t cap)
{
    static unsigned char waiting[4 * WIRE_BUFFER_SIZE];
    ssize_t n = recv(fd, waiting, sizeof waiting, MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0)
        return false;
    return wire_buffered(w) + (size_t)n >= cap + 1 || memchr(waiting, '\n', (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = data[0] < 200 ? (size_t)data[0] + 3 : real_caps[data[0] % 4];
    data++, size--;

    int reader, writer;
    size_t sent = fuzz_socket_with(data, size, &reader, &writer);
    static struct wire w;
    wire_init(&w, reader, 2000);
    char *line = malloc(cap); /* exactly cap: ASan sees one byte more */
    FUZZ_CHECK(line != NULL);

    size_t matched = 0; /* bytes of data[] the pieces gave back so far */
    for (;;) {
        bool ready = wire_line_ready(&w, cap);
        if (!ready && !more_comes_at_once(&w, reader, cap))
            shutdown(writer, SHUT_WR); /* else the read would wait, in vain */
        size_t len = 0;
        enum line_end end;
        enum wire_status status = wire_read_line(&w, line, cap, &len, &end);
        if (ready)
            FUZZ_CHECK(status == WIRE_OK || status == WIRE_EOF);
        if (status != WIRE_OK) {
            FUZZ_CHECK(status == WIRE_EOF);
            break;
        }
        FUZZ_CHECK(len < cap && line[len] == '\0');
        FUZZ_CHECK(end == LINE_END_NONE || end == LINE_END_LF || end == LINE_END_CRLF);
        FUZZ_CHECK(matched + len <= sent && memcmp(data + matched, line, len) == 0);
        matched += len;
        const char *ending = end == LINE_END_CRLF ? "\r\n"
                             : end == LINE_END_LF ? "\n"
                                                  : "";
        size_t ending_len = strlen(ending);
        FUZZ_CHECK(matched + ending_len <= sent &&
                   memcmp(data + matched, ending, ending_len) == 0);
        matched += ending_len;
        /* A piece (no line end) is handed out only when the line is too
         * long for the buffer: it fills it, or leaves out only a CR. */
        if (end == LINE_END_NONE)
            FUZZ_CHECK(len == cap - 1 || (len == cap - 2 && data[matched] == '\r'));
    }
    /* What is left is the unfinished last line: no line feed in it. */
    FUZZ_CHECK(memchr(data + matched, '\n', sent - matched) == NULL);

    free(line);
    close(reader);
    close(writer);
    return 0;
}
