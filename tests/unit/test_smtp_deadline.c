/*
 * test_smtp_deadline.c - the client's clocks: a whole reply within the
 * command's timeout (RFC 5321 §4.5.3.2), a whole session within its limit,
 * and the wire's deadline under both.
 *
 * The server is a child process on the other end of a socketpair that
 * drips its lines: each one well inside any per-line timeout, the whole
 * far outside the per-reply one.
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

#include "smtp_client.h"

struct pair {
    int fds[2];
    pid_t peer; /* the dripping server, or 0 */
    struct smtp_client c;
};

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof *p);
    if (p == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds) != 0)
        return -1;
    smtp_client_init(&p->c, NULL, NULL);
    wire_init(&p->c.wire, p->fds[0], 1000); /* 1 s for each whole reply */
    p->c.connected = true;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    if (p->peer > 0) {
        kill(p->peer, SIGKILL);
        waitpid(p->peer, NULL, 0);
    }
    close(p->fds[0]);
    close(p->fds[1]);
    free(p);
    return 0;
}

/* Start a peer that writes lines[0], lines[1], ... (up to NULL), one
 * every `every_ms`; with repeat > 1, the whole list that many times. */
static void drip(struct pair *p, const char *const *lines, int repeat, int every_ms)
{
    p->peer = fork();
    assert_true(p->peer >= 0);
    if (p->peer == 0) {
        for (int r = 0; r < repeat; r++) {
            for (size_t i = 0; lines[i] != NULL; i++) {
                if (write(p->fds[1], lines[i], strlen(lines[i])) < 0)
                    _exit(1);
                struct timespec pause = {every_ms / 1000, (every_ms % 1000) * 1000000L};
                nanosleep(&pause, NULL);
            }
        }
        _exit(0);
    }
}

static const char *const more[] = {"250-still coming\r\n", NULL};
static const char *const ok[] = {"250 ok\r\n", NULL};

static void test_a_dripping_reply_times_out_whole(void **state)
{
    struct pair *p = *state;
    /* 10 lines, one every 300 ms: no line waits long, the reply takes 3 s. */
    drip(p, more, 10, 300);
    struct smtp_reply reply;
    long long started = wire_now_ms();
    assert_int_equal(smtp_read_reply(&p->c, &reply), -1);
    long long took = wire_now_ms() - started;
    assert_true(took >= 900 && took < 1500);
    assert_non_null(strstr(p->c.error, "timed out: no whole reply within 1 s"));
    assert_non_null(strstr(p->c.error, "§4.5.3.2"));
    assert_true(reply.line_count >= 3 && reply.line_count <= 4);
}

static void test_a_slow_whole_reply_is_read(void **state)
{
    struct pair *p = *state;
    /* 4 lines in 800 ms: inside the second, so the reply is read whole. */
    static const char *const lines[] = {"250-one\r\n", "250-two\r\n", "250-three\r\n",
                                        "250 four\r\n", NULL};
    drip(p, lines, 1, 200);
    struct smtp_reply reply;
    assert_int_equal(smtp_read_reply(&p->c, &reply), 0);
    assert_int_equal(reply.code, 250);
    assert_int_equal(reply.line_count, 4);
}

static void test_each_reply_gets_its_own_time(void **state)
{
    struct pair *p = *state;
    /* Five one-line replies, 400 ms apart: each within its 1 s. */
    drip(p, ok, 5, 400);
    struct smtp_reply reply;
    for (int i = 0; i < 5; i++)
        assert_int_equal(smtp_read_reply(&p->c, &reply), 0);
    /* After a reply, only the session's deadline (none here) is left on
     * the wire, so sending is not cut short by the reply's clock. */
    assert_true(p->c.wire.deadline_ms == -1);
}

static void test_the_session_has_a_limit(void **state)
{
    struct pair *p = *state;
    /* What smtp_open() does: the session's clock starts. 800 ms here. */
    p->c.session_limit_ms = 800;
    p->c.session_deadline_ms = wire_now_ms() + 800;
    wire_set_deadline(&p->c.wire, p->c.session_deadline_ms);
    drip(p, ok, 10, 300);
    struct smtp_reply reply;
    long long started = wire_now_ms();
    int read = 0;
    while (smtp_read_reply(&p->c, &reply) == 0)
        read++;
    long long took = wire_now_ms() - started;
    assert_true(read >= 2 && read <= 3); /* at 0, 300, 600 ms; not at 900 */
    assert_true(took >= 700 && took < 1300);
    assert_non_null(strstr(p->c.error, "timed out: the session's limit of 1 s"));
}

static void test_wire_deadline_stops_waits_not_buffered_lines(void **state)
{
    struct pair *p = *state;
    struct wire *w = &p->c.wire;
    char line[64];
    size_t len;
    enum line_end end;
    assert_int_equal(write(p->fds[1], "one\r\ntwo\r\n", 10), 10);
    assert_int_equal(wire_read_line(w, line, sizeof line, &len, &end), WIRE_OK);
    assert_string_equal(line, "one");
    wire_set_deadline(w, wire_now_ms() - 1); /* already past */
    /* A line already buffered needs no wait: it is handed out... */
    assert_int_equal(wire_read_line(w, line, sizeof line, &len, &end), WIRE_OK);
    assert_string_equal(line, "two");
    /* ...but the next one would, and the deadline ends that at once, not
     * after the wire's 1 s timeout. */
    long long started = wire_now_ms();
    assert_int_equal(wire_read_line(w, line, sizeof line, &len, &end), WIRE_TIMEOUT);
    assert_true(wire_now_ms() - started < 100);
    /* Writing waits only when the socket is full, so it still works. */
    assert_int_equal(wire_write(w, "NOOP\r\n", 6), WIRE_OK);
    wire_set_deadline(w, -1);
}

static void test_earlier(void **state)
{
    (void)state;
    assert_true(wire_earlier(-1, -1) == -1);
    assert_true(wire_earlier(-1, 5) == 5);
    assert_true(wire_earlier(7, -1) == 7);
    assert_true(wire_earlier(7, 5) == 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_dripping_reply_times_out_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_slow_whole_reply_is_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_each_reply_gets_its_own_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_session_has_a_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_wire_deadline_stops_waits_not_buffered_lines, setup, teardown),
        cmocka_unit_test(test_earlier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
