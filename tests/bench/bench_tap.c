/*
 * bench_tap.c - what the wire tap costs when nothing is held.
 *
 * A client sends 2000 lines one at a time to an echo server and waits for
 * each echo (the shape of an SMTP dialogue: command, reply, command...),
 * first straight to the server, then through an MwTap that passes every
 * line at once. The difference per round trip is what the tap adds.
 * Then 10 MB go through the tap, and the rate is printed.
 *
 *   build/tests/bench/bench_tap
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "tap.h"

#define ROUND_TRIPS 2000

/* The server: echoes the first two connections (ping-pong); for the
 * third it counts bytes to the end, then answers with the count. */
static gpointer echo_server(gpointer data)
{
    int listener = GPOINTER_TO_INT(data);
    for (int conn = 0; conn < 3; conn++) {
        int fd = accept(listener, NULL, NULL);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char buf[65536];
        ssize_t n;
        size_t total = 0;
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
            total += (size_t)n;
            if (conn < 2)
                send(fd, buf, (size_t)n, MSG_NOSIGNAL);
        }
        if (conn == 2) {
            int len = snprintf(buf, sizeof buf, "%zu\n", total);
            send(fd, buf, (size_t)len, MSG_NOSIGNAL);
        }
        close(fd);
    }
    return NULL;
}

/* Ping-pong ROUND_TRIPS lines; returns microseconds per round trip. */
static gpointer ping_pong(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), 60);
    const char line[] = "NOOP just checking the line is alive\r\n";
    char buf[128];
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        send(fd, line, sizeof line - 1, MSG_NOSIGNAL);
        size_t got = 0;
        while (got < sizeof line - 1) {
            ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
    }
    gint64 us = g_get_monotonic_time() - start;
    close(fd);
    return GSIZE_TO_POINTER((gsize)us);
}

/* 10 MB up, then wait for the server's count; returns microseconds. */
static gpointer bulk(gpointer data)
{
    int fd = loopback_connect((guint16)GPOINTER_TO_UINT(data), 60);
    static char chunk[100 * 1000];
    memset(chunk, 'x', sizeof chunk);
    for (size_t i = 99; i < sizeof chunk; i += 100)
        chunk[i] = '\n'; /* 100-byte lines, like a message */
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < 100; i++)
        send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    char reply[64] = "";
    recv(fd, reply, sizeof reply - 1, MSG_WAITALL);
    gint64 us = g_get_monotonic_time() - start;
    close(fd);
    if (strtoul(reply, NULL, 10) != 100 * sizeof chunk) {
        fprintf(stderr, "bench_tap: the server got %s bytes, not 10000000\n", reply);
        return GSIZE_TO_POINTER(0);
    }
    return GSIZE_TO_POINTER((gsize)us);
}

/* A client thread, and the main loop that serves the tap meanwhile. */
struct client_job {
    GThreadFunc fn;
    guint16 port;
    GMainLoop *loop;
    gint64 us;
};

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static gpointer client_thread(gpointer data)
{
    struct client_job *job = data;
    job->us = (gint64)GPOINTER_TO_SIZE(job->fn(GUINT_TO_POINTER(job->port)));
    g_idle_add(quit_loop, job->loop); /* thread-safe: wakes the main loop */
    return NULL;
}

static gint64 run_client(GThreadFunc fn, guint16 port)
{
    struct client_job job = {
        .fn = fn, .port = port, .loop = g_main_loop_new(NULL, FALSE)};
    GThread *t = g_thread_new("client", client_thread, &job);
    g_main_loop_run(job.loop);
    g_thread_join(t);
    g_main_loop_unref(job.loop);
    return job.us;
}

int main(void)
{
    guint16 upstream = 0;
    int listener = loopback_listen(&upstream);
    if (listener < 0)
        return 1;
    GThread *server = g_thread_new("echo", echo_server, GINT_TO_POINTER(listener));

    /* 1: straight to the server (the main loop has nothing to do). */
    gint64 direct = run_client(ping_pong, upstream);

    /* 2: through the tap, passing every unit at once. */
    MwTap *tap = mw_tap_new("127.0.0.1", upstream);
    if (!mw_tap_start(tap, NULL))
        return 1;
    gint64 tapped = run_client(ping_pong, mw_tap_get_port(tap));
    gint64 ten_mb = run_client(bulk, mw_tap_get_port(tap));

    double per_direct = direct / (double)ROUND_TRIPS;
    double per_tapped = tapped / (double)ROUND_TRIPS;
    printf("round trip, direct:        %7.1f us\n", per_direct);
    printf("round trip, through tap:   %7.1f us\n", per_tapped);
    printf("the tap adds per line:     %7.1f us (%.1f us per direction; goal: under "
           "1000)\n",
           per_tapped - per_direct, (per_tapped - per_direct) / 2);
    if (ten_mb == 0)
        return 1;
    printf("10 MB through the tap, intact: %.0f ms (%.0f MB/s)\n", ten_mb / 1000.0,
           10.0 / (ten_mb / 1e6));
    g_object_unref(tap);
    close(listener);
    g_thread_unref(server);
    return 0;
}
