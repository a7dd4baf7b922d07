/*
 * test_tap.c - the wire tap relays real bytes, holds them in step mode,
 * passes a big message through intact, and can be pointed at a server
 * that starts after it.
 *
 * Each test runs a tiny upstream "server" and a client in threads of their
 * own, using plain blocking sockets on 127.0.0.1, while the main thread runs
 * the GLib main loop that drives the tap. Every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "tap.h"

#define TEST_SECONDS 40

/* ----- plain socket helpers ------------------------------------------------ */

/* Read one line (up to "\n", kept) into buf; returns its length, 0 at EOF. */
static size_t read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap && recv(fd, buf + n, 1, 0) == 1)
        if (buf[n++] == '\n')
            break;
    buf[n] = '\0';
    return n;
}

static void send_text(int fd, const char *text)
{
    size_t len = strlen(text);
    assert_int_equal(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* ----- the main loop, with a deadline -------------------------------------- */

static GMainLoop *loop;

static gboolean on_deadline(gpointer data)
{
    (void)data;
    fail_msg("the test did not finish within %d seconds", TEST_SECONDS);
    return G_SOURCE_REMOVE;
}

static void run_loop_until_quit(void)
{
    guint deadline = g_timeout_add_seconds(TEST_SECONDS, on_deadline, NULL);
    g_main_loop_run(loop);
    g_source_remove(deadline);
}

static void on_closed_quit(MwTap *tap, guint conn, gpointer data)
{
    (void)tap, (void)conn, (void)data;
    g_main_loop_quit(loop);
}

/* ----- 1: step mode ---------------------------------------------------------- */

/* A toy upstream: greets, answers "250 got <line>" to each line, QUIT ends. */
static gpointer toy_server(gpointer data)
{
    int listener = GPOINTER_TO_INT(data);
    int fd = accept(listener, NULL, NULL);
    char line[256], reply[300];
    send_text(fd, "220 toy ready\r\n");
    while (read_line(fd, line, sizeof line) > 0) {
        if (strncmp(line, "QUIT", 4) == 0) {
            send_text(fd, "221 bye\r\n");
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(reply, sizeof reply, "250 got %s\r\n", line);
        send_text(fd, reply);
    }
    close(fd);
    return NULL;
}

static gint client_lines_received; /* read by the main thread, atomically */

/* The client: pipelines EHLO and NOOP, then QUITs. Returns its transcript. */
static gpointer stepping_client(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), TEST_SECONDS);
    GString *seen = g_string_new(NULL);
    char line[256];
    for (int expected = 0; expected < 4; expected++) {
        if (expected == 1)
            send_text(fd, "EHLO x\r\nNOOP\r\n"); /* two commands, one write */
        if (expected == 3)
            send_text(fd, "QUIT\r\n");
        if (read_line(fd, line, sizeof line) == 0)
            break;
        g_atomic_int_inc(&client_lines_received);
        g_string_append(seen, line);
    }
    close(fd);
    return g_string_free(seen, FALSE);
}

struct step_state {
    MwTap *tap;
    GString *to_server; /* units seen going to the server, in order */
    GString *to_client; /* ... and to the client */
    GQueue directions;  /* direction of each held unit, oldest first */
    gint released_to_client;
    gboolean held_ok; /* the client never got an unreleased line */
};

static gboolean release_one_unit(gpointer data)
{
    struct step_state *st = data;
    /* The heart of the test: while a reply is held, the client must not
     * have it. Everything it has read was released before. */
    if (g_atomic_int_get(&client_lines_received) > st->released_to_client)
        st->held_ok = FALSE;
    /* Units leave in the order they arrived: the oldest goes now. */
    if (GPOINTER_TO_INT(g_queue_pop_head(&st->directions)) == MW_TAP_TO_CLIENT + 1)
        st->released_to_client++;
    mw_tap_release_next(st->tap);
    return G_SOURCE_REMOVE;
}

static void on_unit_arrived(MwTap *tap, guint conn, gint dir, GBytes *bytes, gint kind,
                            gint tls_type, gpointer data)
{
    (void)tap, (void)conn, (void)tls_type;
    struct step_state *st = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    assert_int_equal(kind, TAP_UNIT_LINE);
    g_string_append_len(dir == MW_TAP_TO_SERVER ? st->to_server : st->to_client, text,
                        (gssize)len);
    g_queue_push_tail(&st->directions, GINT_TO_POINTER(dir + 1));
    /* Release it a little later, as an animation would. */
    g_timeout_add(5, release_one_unit, st);
}

static void step_mode_holds_each_line_until_released(void **state)
{
    (void)state;
    guint16 upstream_port = 0;
    int listener = loopback_listen(&upstream_port);
    assert_true(listener >= 0);
    GThread *server = g_thread_new("toy-server", toy_server, GINT_TO_POINTER(listener));

    struct step_state st = {.to_server = g_string_new(NULL),
                            .to_client = g_string_new(NULL),
                            .held_ok = TRUE};
    g_queue_init(&st.directions);
    st.tap = mw_tap_new("127.0.0.1", upstream_port);
    mw_tap_set_hold(st.tap, TRUE);
    g_signal_connect(st.tap, "unit-arrived", G_CALLBACK(on_unit_arrived), &st);
    g_signal_connect(st.tap, "connection-closed", G_CALLBACK(on_closed_quit), NULL);
    assert_true(mw_tap_start(st.tap, NULL));

    g_atomic_int_set(&client_lines_received, 0);
    GThread *client = g_thread_new("client", stepping_client,
                                   GUINT_TO_POINTER(mw_tap_get_port(st.tap)));
    run_loop_until_quit();
    char *transcript = g_thread_join(client);
    g_thread_join(server);

    assert_true(st.held_ok);
    assert_string_equal(st.to_server->str, "EHLO x\r\nNOOP\r\nQUIT\r\n");
    assert_string_equal(
        st.to_client->str,
        "220 toy ready\r\n250 got EHLO x\r\n250 got NOOP\r\n221 bye\r\n");
    /* The client read exactly what the server wrote, nothing faked. */
    assert_string_equal(transcript, st.to_client->str);
    assert_int_equal(mw_tap_get_held_count(st.tap), 0);

    g_free(transcript);
    g_string_free(st.to_server, TRUE);
    g_string_free(st.to_client, TRUE);
    g_object_unref(st.tap);
    close(listener);
}

/* ----- 2: ten megabytes, intact ---------------------------------------------- */

#define BIG_LINES 100000 /* 100 000 lines of 100 bytes: 10 MB */

static guint32 fnv1a(guint32 hash, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (guchar)p[i]) * 16777619u;
    return hash;
}

/* Upstream: read everything to EOF, answer with byte count and hash. */
static gpointer counting_server(gpointer data)
{
    int listener = GPOINTER_TO_INT(data);
    int fd = accept(listener, NULL, NULL);
    char buf[65536], reply[100];
    size_t total = 0;
    guint32 hash = 2166136261u;
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        total += (size_t)n;
        hash = fnv1a(hash, buf, (size_t)n);
    }
    snprintf(reply, sizeof reply, "%zu %08x\r\n", total, hash);
    send_text(fd, reply);
    close(fd);
    return NULL;
}

static gpointer big_client(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), TEST_SECONDS);
    char line[101], reply[100];
    guint32 hash = 2166136261u;
    for (int i = 0; i < BIG_LINES; i++) {
        snprintf(line, sizeof line, "%08d %089d\r\n", i, i); /* 100 bytes */
        hash = fnv1a(hash, line, 100);
        assert_int_equal(send(fd, line, 100, MSG_NOSIGNAL), 100);
    }
    shutdown(fd, SHUT_WR); /* "that is all": the tap must pass this on */
    read_line(fd, reply, sizeof reply);
    close(fd);
    char expected[100];
    snprintf(expected, sizeof expected, "%d %08x\r\n", BIG_LINES * 100, hash);
    return g_strdup(strcmp(reply, expected) == 0 ? "intact" : reply);
}

static void ten_megabytes_pass_through_intact(void **state)
{
    (void)state;
    guint16 upstream_port = 0;
    int listener = loopback_listen(&upstream_port);
    assert_true(listener >= 0);
    GThread *server =
        g_thread_new("counting-server", counting_server, GINT_TO_POINTER(listener));
    MwTap *tap = mw_tap_new("127.0.0.1", upstream_port);
    g_signal_connect(tap, "connection-closed", G_CALLBACK(on_closed_quit), NULL);
    assert_true(mw_tap_start(tap, NULL));

    GThread *client =
        g_thread_new("big-client", big_client, GUINT_TO_POINTER(mw_tap_get_port(tap)));
    run_loop_until_quit();
    char *verdict = g_thread_join(client);
    g_thread_join(server);
    assert_string_equal(verdict, "intact");
    g_free(verdict);
    g_object_unref(tap);
    close(listener);
}

/* ----- 3: a long hold does not time the connection out -------------------- */

static gboolean release_later(gpointer data)
{
    mw_tap_release_next(data);
    return G_SOURCE_REMOVE;
}

static void hold_for_a_while(MwTap *tap, guint conn, gint dir, GBytes *bytes, gint kind,
                             gint tls_type, gpointer data)
{
    (void)conn, (void)dir, (void)bytes, (void)kind, (void)tls_type, (void)data;
    /* A student reading the explanation: 2.5 s per line, longer than the
     * tap's connect timeout. The relay must not give up meanwhile. */
    g_timeout_add(2500, release_later, tap);
}

static void a_long_hold_is_not_a_timeout(void **state)
{
    (void)state;
    guint16 upstream_port = 0;
    int listener = loopback_listen(&upstream_port);
    assert_true(listener >= 0);
    GThread *server = g_thread_new("toy-server", toy_server, GINT_TO_POINTER(listener));
    MwTap *tap = mw_tap_new("127.0.0.1", upstream_port);
    mw_tap_set_connect_timeout(tap, 1);
    mw_tap_set_hold(tap, TRUE);
    g_signal_connect(tap, "unit-arrived", G_CALLBACK(hold_for_a_while), NULL);
    g_signal_connect(tap, "connection-closed", G_CALLBACK(on_closed_quit), NULL);
    assert_true(mw_tap_start(tap, NULL));
    g_atomic_int_set(&client_lines_received, 0);
    GThread *client =
        g_thread_new("client", stepping_client, GUINT_TO_POINTER(mw_tap_get_port(tap)));
    run_loop_until_quit();
    char *transcript = g_thread_join(client);
    g_thread_join(server);
    /* Every reply arrived although the server waited 2.5 s per line. */
    assert_string_equal(
        transcript, "220 toy ready\r\n250 got EHLO x\r\n250 got NOOP\r\n221 bye\r\n");
    g_free(transcript);
    g_object_unref(tap);
    close(listener);
}

/* ----- 4: nobody home ---------------------------------------------------------- */

static void on_failed(MwTap *tap, guint conn, const char *message, gpointer data)
{
    (void)tap, (void)conn;
    *(char **)data = g_strdup(message);
    g_main_loop_quit(loop);
}

static gpointer lonely_client(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), TEST_SECONDS);
    char line[64];
    size_t n = read_line(fd, line, sizeof line); /* the tap closes on us */
    close(fd);
    return GSIZE_TO_POINTER(n + 1);
}

static void a_server_that_is_down_is_reported(void **state)
{
    (void)state;
    guint16 dead_port = 0;
    int listener = loopback_listen(&dead_port);
    assert_true(listener >= 0);
    close(listener); /* nobody listens there now */
    MwTap *tap = mw_tap_new("127.0.0.1", dead_port);
    char *message = NULL;
    g_signal_connect(tap, "connection-failed", G_CALLBACK(on_failed), &message);
    assert_true(mw_tap_start(tap, NULL));
    GThread *client =
        g_thread_new("lonely", lonely_client, GUINT_TO_POINTER(mw_tap_get_port(tap)));
    run_loop_until_quit();
    /* The client saw the connection close with no bytes at all. */
    assert_int_equal(GPOINTER_TO_SIZE(g_thread_join(client)), 1);
    assert_non_null(message);
    g_free(message);
    g_object_unref(tap);
}

/* ----- 5: a server that starts late ------------------------------------------- */

/* Connect, read the greeting, say QUIT, read the goodbye: TRUE if it came. */
static gpointer quitting_client(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), TEST_SECONDS);
    char line[64];
    read_line(fd, line, sizeof line);
    send_text(fd, "QUIT\r\n");
    read_line(fd, line, sizeof line);
    close(fd);
    return GINT_TO_POINTER(strncmp(line, "221", 3) == 0);
}

/* Bob's server is down, then starts on a port of its own: the tap that was
 * already listening (and named in Alice's routes file) is pointed at it,
 * and the next connection gets through. */
static void a_server_that_starts_late_is_reached(void **state)
{
    (void)state;
    guint16 dead_port = 0;
    int dead = loopback_listen(&dead_port);
    assert_true(dead >= 0);
    close(dead);
    MwTap *tap = mw_tap_new("127.0.0.1", dead_port);
    char *message = NULL;
    gulong failed =
        g_signal_connect(tap, "connection-failed", G_CALLBACK(on_failed), &message);
    assert_true(mw_tap_start(tap, NULL));
    guint16 tap_port = mw_tap_get_port(tap);
    GThread *client = g_thread_new("lonely", lonely_client, GUINT_TO_POINTER(tap_port));
    run_loop_until_quit();
    g_thread_join(client);
    assert_non_null(message);
    g_free(message);
    g_signal_handler_disconnect(tap, failed);

    guint16 port = 0;
    int listener = loopback_listen(&port);
    assert_true(listener >= 0);
    GThread *server = g_thread_new("toy", toy_server, GINT_TO_POINTER(listener));
    mw_tap_set_upstream(tap, "127.0.0.1", port);
    g_signal_connect(tap, "connection-closed", G_CALLBACK(on_closed_quit), NULL);
    client = g_thread_new("quitting", quitting_client, GUINT_TO_POINTER(tap_port));
    run_loop_until_quit();
    assert_true(GPOINTER_TO_INT(g_thread_join(client)));
    g_thread_join(server);
    g_object_unref(tap);
    close(listener);
}

static int setup(void **state)
{
    (void)state;
    loop = g_main_loop_new(NULL, FALSE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    g_main_loop_unref(loop);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(step_mode_holds_each_line_until_released, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(ten_megabytes_pass_through_intact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_server_that_is_down_is_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_long_hold_is_not_a_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(a_server_that_starts_late_is_reached, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
