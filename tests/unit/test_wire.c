/*
 * test_wire.c - wire_read_line() and wire_write() over a socketpair.
 *
 * TCP delivers a stream, not lines: a line may arrive in several pieces,
 * several lines may arrive at once, and a hostile peer may never send a
 * line ending at all. These tests play each of those against the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

/* One wire on fds[0]; the test plays the peer on fds[1]. */
struct pair {
    int fds[2];
    struct wire w;
};

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof *p);
    if (p == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds) != 0)
        return -1;
    wire_init(&p->w, p->fds[0], 2000); /* never wait long in a test */
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    close(p->fds[0]);
    if (p->fds[1] >= 0)
        close(p->fds[1]);
    free(p);
    return 0;
}

static void peer_send(struct pair *p, const char *bytes, size_t n)
{
    assert_int_equal(write(p->fds[1], bytes, n), (ssize_t)n);
}

static void peer_says(struct pair *p, const char *text)
{
    peer_send(p, text, strlen(text));
}

/* Read one line with buffer size cap; expect text and ending. */
static void expect_line(struct pair *p, size_t cap, const char *text,
                        enum line_end want_end)
{
    char line[WIRE_BUFFER_SIZE];
    size_t len = 99999;
    enum line_end end;
    assert_int_equal(wire_read_line(&p->w, line, cap, &len, &end), WIRE_OK);
    assert_int_equal(len, strlen(text));
    assert_string_equal(line, text);
    assert_int_equal(end, want_end);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */

/* Several lines in one write; CR LF and bare LF told apart. */
static void test_line_endings(void **state)
{
    struct pair *p = *state;
    peer_says(p, "EHLO a\r\nbare\n\r\n\nlast\r\n");
    expect_line(p, 512, "EHLO a", LINE_END_CRLF);
    expect_line(p, 512, "bare", LINE_END_LF);
    expect_line(p, 512, "", LINE_END_CRLF);
    expect_line(p, 512, "", LINE_END_LF);
    assert_true(wire_line_ready(&p->w, 512));
    expect_line(p, 512, "last", LINE_END_CRLF);
    assert_int_equal(wire_buffered(&p->w), 0);
    assert_false(wire_line_ready(&p->w, 512));
}

/* A bare CR inside a line is text, not an ending (§2.3.8). */
static void test_bare_cr_is_text(void **state)
{
    struct pair *p = *state;
    peer_says(p, "a\rb\r\r\n.\r\r\n");
    expect_line(p, 512, "a\rb\r", LINE_END_CRLF);
    expect_line(p, 512, ".\r", LINE_END_CRLF);
}

/* A line that arrives in pieces: the reader waits for the rest (here it
 * times out once in between, keeping what it had). */
static void test_line_split_across_writes(void **state)
{
    struct pair *p = *state;
    char line[64];
    size_t len;
    enum line_end end;
    p->w.timeout_ms = 50;
    peer_says(p, "HE");
    assert_int_equal(wire_read_line(&p->w, line, sizeof line, &len, &end),
                     WIRE_TIMEOUT);
    assert_false(wire_line_ready(&p->w, sizeof line));
    peer_says(p, "LO alice.example\r");
    assert_int_equal(wire_read_line(&p->w, line, sizeof line, &len, &end),
                     WIRE_TIMEOUT);
    peer_says(p, "\nNOOP\r\n");
    expect_line(p, sizeof line, "HELO alice.example", LINE_END_CRLF);
    expect_line(p, sizeof line, "NOOP", LINE_END_CRLF);
}

/* Byte by byte: the slowest possible client still makes whole lines. */
static void test_one_byte_at_a_time(void **state)
{
    struct pair *p = *state;
    const char *text = "MAIL FROM:<a@b.example>\r\n";
    for (const char *c = text; *c; c++)
        peer_send(p, c, 1);
    expect_line(p, 512, "MAIL FROM:<a@b.example>", LINE_END_CRLF);
}

/* Too long for the caller's buffer: pieces of cap-1 bytes, the last one
 * with the real ending; joined, they are the line. Every length around
 * the boundary, so the CR LF lands on each side of a piece edge. */
static void test_long_lines_in_pieces(void **state)
{
    struct pair *p = *state;
    const size_t cap = 11; /* 10 bytes of text per piece */
    for (size_t n = 0; n <= 35; n++) {
        char sent[64];
        for (size_t i = 0; i < n; i++)
            sent[i] = (char)('a' + i % 26);
        memcpy(sent + n, "\r\n", 2);
        peer_send(p, sent, n + 2);

        char joined[64] = "";
        size_t total = 0;
        for (;;) {
            char piece[16];
            size_t len;
            enum line_end end;
            assert_int_equal(wire_read_line(&p->w, piece, cap, &len, &end), WIRE_OK);
            assert_true(len <= cap - 1);
            assert_null(memchr(piece, '\r', len)); /* the CR never leaks */
            assert_null(memchr(piece, '\n', len));
            memcpy(joined + total, piece, len);
            total += len;
            if (end != LINE_END_NONE) {
                assert_int_equal(end, LINE_END_CRLF);
                break;
            }
            assert_int_equal(len, cap - 1); /* only the last piece is short */
        }
        assert_int_equal(total, n);
        assert_memory_equal(joined, sent, n);
        assert_int_equal(wire_buffered(&p->w), 0);
    }
}

/* The CR of a CR LF arrives with the full piece, the LF later: the
 * reader must wait for it rather than cut the CR off as text. */
static void test_crlf_split_at_piece_edge(void **state)
{
    struct pair *p = *state;
    p->w.timeout_ms = 50;
    char line[16];
    size_t len;
    enum line_end end;
    peer_says(p, "0123456789\r"); /* 10 = cap - 1 bytes, then CR */
    assert_int_equal(wire_read_line(&p->w, line, 11, &len, &end), WIRE_TIMEOUT);
    peer_says(p, "\n");
    expect_line(p, 11, "0123456789", LINE_END_CRLF);

    /* A bare CR right at the edge is kept for the next piece. */
    peer_says(p, "012345678\rABCDEF\r\n");
    expect_line(p, 11, "012345678", LINE_END_NONE);
    expect_line(p, 11, "\rABCDEF", LINE_END_CRLF);
}

/* A megabyte with no line ending: handed out in pieces, never stored
 * whole (the wire has one fixed buffer). A child process writes it. */
static void test_megabyte_without_newline(void **state)
{
    struct pair *p = *state;
    const size_t total = 1024 * 1024;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        static char block[4096];
        memset(block, 'A', sizeof block);
        for (size_t sent = 0; sent < total; sent += sizeof block)
            if (write(p->fds[1], block, sizeof block) < 0)
                _exit(1);
        _exit(write(p->fds[1], "\r\n", 2) == 2 ? 0 : 1);
    }
    size_t got = 0, pieces = 0;
    for (;;) {
        char piece[1000];
        size_t len;
        enum line_end end;
        assert_int_equal(wire_read_line(&p->w, piece, sizeof piece, &len, &end),
                         WIRE_OK);
        got += len;
        pieces++;
        if (end != LINE_END_NONE)
            break;
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, total);
    assert_true(pieces >= total / 999);
}

/* The peer closes: whole lines still come out, then WIRE_EOF; a line
 * that never ended is dropped (it was never a command). */
static void test_eof_with_partial_line(void **state)
{
    struct pair *p = *state;
    peer_says(p, "QUIT\r\nhalf a li");
    close(p->fds[1]);
    p->fds[1] = -1;
    expect_line(p, 512, "QUIT", LINE_END_CRLF);
    char line[512];
    size_t len;
    enum line_end end;
    assert_int_equal(wire_read_line(&p->w, line, sizeof line, &len, &end), WIRE_EOF);
    assert_int_equal(wire_read_line(&p->w, line, sizeof line, &len, &end), WIRE_EOF);
}

/* A silent peer: WIRE_TIMEOUT after about timeout_ms, not before. */
static void test_timeout(void **state)
{
    struct pair *p = *state;
    p->w.timeout_ms = 200;
    char line[512];
    size_t len;
    enum line_end end;
    double start = now_seconds();
    assert_int_equal(wire_read_line(&p->w, line, sizeof line, &len, &end),
                     WIRE_TIMEOUT);
    double waited = now_seconds() - start;
    assert_true(waited >= 0.15);
    assert_true(waited < 1.5);
}

/* A peer that trickles a byte every 30 ms never finishes a line: the
 * timeout is for the whole line, so it still ends (a "slowloris"). */
static void test_trickle_times_out(void **state)
{
    struct pair *p = *state;
    p->w.timeout_ms = 300;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        for (int i = 0; i < 200; i++) { /* 6 seconds' worth, if let */
            if (write(p->fds[1], "x", 1) != 1)
                _exit(0);
            usleep(30 * 1000);
        }
        _exit(0);
    }
    char line[512];
    size_t len;
    enum line_end end;
    double start = now_seconds();
    enum wire_status status = wire_read_line(&p->w, line, sizeof line, &len, &end);
    double waited = now_seconds() - start;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(status, WIRE_TIMEOUT);
    assert_true(waited >= 0.25);
    assert_true(waited < 1.5);
}

/* wire_write sends everything, and a closed peer is EOF, not SIGPIPE. */
static void test_write(void **state)
{
    struct pair *p = *state;
    assert_int_equal(wire_write(&p->w, "250 OK\r\n", 8), WIRE_OK);
    char buf[16];
    assert_int_equal(read(p->fds[1], buf, sizeof buf), 8);
    assert_memory_equal(buf, "250 OK\r\n", 8);

    close(p->fds[1]);
    p->fds[1] = -1;
    /* Without MSG_NOSIGNAL this would kill the test with SIGPIPE. */
    assert_int_equal(wire_write(&p->w, "221 Bye\r\n", 9), WIRE_EOF);
}

/* More than the socket buffers hold, to a peer that reads slowly: the
 * first send() fills the buffer and says EAGAIN, wire_write() waits for
 * room and goes on, and every byte arrives in order. */
static void test_write_more_than_the_buffer_holds(void **state)
{
    struct pair *p = *state;
    enum { TOTAL = 4 * 1024 * 1024 };
    char *big = malloc(TOTAL);
    assert_non_null(big);
    for (size_t i = 0; i < TOTAL; i++)
        big[i] = (char)('a' + i % 26);

    pid_t child = fork();
    if (child == 0) { /* the slow reader: checks each byte, exit 0 if all right */
        size_t got = 0;
        char buf[65536];
        ssize_t n;
        close(p->fds[0]);   /* or our own copy would keep EOF from coming */
        usleep(200 * 1000); /* let the writer hit a full buffer first */
        while ((n = read(p->fds[1], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++, got++)
                if (buf[i] != (char)('a' + got % 26))
                    _exit(2);
        }
        _exit(got == TOTAL ? 0 : 1);
    }
    assert_true(child > 0);
    assert_int_equal(wire_write(&p->w, big, TOTAL), WIRE_OK);
    close(p->fds[0]);           /* EOF for the reader */
    p->fds[0] = dup(p->fds[1]); /* something for teardown to close */
    int status = -1;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free(big);
}

/* A peer that never reads cannot hold a writer for ever: once the buffer
 * is full, wire_write() waits at most the timeout, then gives up. */
static void test_write_to_a_peer_that_never_reads(void **state)
{
    struct pair *p = *state;
    wire_init(&p->w, p->fds[0], 300);
    enum { TOTAL = 16 * 1024 * 1024 }; /* far more than any socket buffer */
    char *big = calloc(1, TOTAL);
    assert_non_null(big);
    double started = now_seconds();
    assert_int_equal(wire_write(&p->w, big, TOTAL), WIRE_TIMEOUT);
    double waited = now_seconds() - started;
    assert_true(waited >= 0.25);
    assert_true(waited < 2.0);
    free(big);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_line_endings),
        T(test_bare_cr_is_text),
        T(test_line_split_across_writes),
        T(test_one_byte_at_a_time),
        T(test_long_lines_in_pieces),
        T(test_crlf_split_at_piece_edge),
        T(test_megabyte_without_newline),
        T(test_eof_with_partial_line),
        T(test_timeout),
        T(test_trickle_times_out),
        T(test_write),
        T(test_write_more_than_the_buffer_holds),
        T(test_write_to_a_peer_that_never_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
