/*
 * main.c - mailwalk-server: accept connections, one process each.
 *
 * The shape is the classic Unix server:
 *
 *   open the listening sockets
 *   loop:  wait for a client -> accept() -> fork()
 *            child:  serve that one client, then exit
 *            parent: count the child, go back to waiting
 *
 * A process per connection costs more than threads or an event loop, but it
 * reads like a story and it isolates: a child that crashes loses one
 * session, never the server or another client's mail.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "connection.h"
#include "event_log.h"
#include "listener.h"

/* How long the parent waits for sessions to finish after SIGTERM. */
#define SHUTDOWN_GRACE_SECONDS 30

/* Set by SIGTERM/SIGINT in the parent. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

/* In a child, SIGTERM means "tell your client 421 and leave". */
static void on_stop_signal_in_child(int signo)
{
    (void)signo;
    connection_request_stop();
}

/* Install a handler without SA_RESTART, so that poll() returns EINTR. */
static void set_handler(int signo, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(signo, &sa, NULL);
}

/* The children we have forked and not yet reaped. */
struct children {
    pid_t *pids;     /* max_sessions slots; 0 = free */
    size_t max;
    size_t count;
};

/* Collect the exit status of every finished child (no zombies). */
static void reap_children(struct children *c)
{
    pid_t pid;
    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        for (size_t i = 0; i < c->max; i++) {
            if (c->pids[i] == pid) {
                c->pids[i] = 0;
                c->count--;
                break;
            }
        }
    }
}

static void remember_child(struct children *c, pid_t pid)
{
    for (size_t i = 0; i < c->max; i++) {
        if (c->pids[i] == 0) {
            c->pids[i] = pid;
            c->count++;
            return;
        }
    }
}

/* RFC 5321 §3.8: a server that cannot serve now answers 421 and closes. */
static void refuse_busy(int fd, const struct server_config *config)
{
    char reply[300];
    int n = snprintf(reply, sizeof reply,
                     "421 4.3.2 %s Too many connections, try again later\r\n",
                     config->hostname);
    ssize_t ignored = send(fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    close(fd);
}

/* Fork a child to serve the client on fd. */
static void start_session(int fd, int *listeners, size_t listener_count,
                          const struct server_config *config,
                          const struct event_log *log, struct children *c,
                          const char *peer, unsigned long serial)
{
    char id[64];
    /* Session ids: server start time + a counter; they also appear in
     * the Received: header, so a message can be matched to its log. */
    static time_t started;
    if (started == 0)
        started = time(NULL);
    snprintf(id, sizeof id, "%lld.%lu", (long long)started, serial);

    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "mailwalk-server: fork: %s\n", strerror(errno));
        refuse_busy(fd, config);
        return;
    }
    if (pid == 0) { /* the child */
        for (size_t i = 0; i < listener_count; i++)
            close(listeners[i]);
        set_handler(SIGTERM, on_stop_signal_in_child);
        set_handler(SIGINT, SIG_IGN); /* Ctrl-C reaches the parent, which
                                         then asks each child in turn */
        connection_serve(fd, config, log, id, peer);
        _exit(0);
    }
    remember_child(c, pid);
    close(fd);
}

/* Stop: tell every session (they answer 421), wait for them, then go. */
static void shut_down(struct children *c)
{
    for (size_t i = 0; i < c->max; i++)
        if (c->pids[i] != 0)
            kill(c->pids[i], SIGTERM);
    for (int waited = 0; c->count > 0 && waited < SHUTDOWN_GRACE_SECONDS * 10;
         waited++) {
        reap_children(c);
        if (c->count > 0)
            usleep(100 * 1000);
    }
    for (size_t i = 0; i < c->max; i++) /* still there: no mercy */
        if (c->pids[i] != 0)
            kill(c->pids[i], SIGKILL);
    reap_children(c);
}

int main(int argc, char **argv)
{
    struct server_config config;
    switch (config_parse(argc, argv, &config)) {
    case CONFIG_EXIT_OK:
        return 0;
    case CONFIG_ERROR:
        return 2;
    case CONFIG_RUN:
        break;
    }

    struct event_log log;
    event_log_init(&log);
    if (config.log_path != NULL && event_log_open(&log, config.log_path) < 0) {
        fprintf(stderr, "mailwalk-server: cannot open log %s: %s\n",
                config.log_path, strerror(errno));
        return 1;
    }

    /* A client that vanishes mid-write must give us EPIPE, not kill us;
     * a file-size limit must give EFBIG (-> 452), not kill us either. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    set_handler(SIGTERM, on_stop_signal);
    set_handler(SIGINT, on_stop_signal);

    int listeners[CONFIG_MAX_LISTEN];
    struct pollfd waiting[CONFIG_MAX_LISTEN];
    for (size_t i = 0; i < config.listen_count; i++) {
        char bound[128], why[512];
        listeners[i] = listener_open(config.listen[i], bound, sizeof bound, why,
                                     sizeof why);
        if (listeners[i] < 0) {
            fprintf(stderr, "mailwalk-server: %s\n", why);
            return 1;
        }
        waiting[i] = (struct pollfd){.fd = listeners[i], .events = POLLIN};
        printf("mailwalk-server: listening on %s\n", bound);
        event_log_write(&log, "server", "listening", "address", bound, NULL);
    }
    printf("mailwalk-server: delivering mail for %s", config.domains[0]);
    for (size_t i = 1; i < config.domain_count; i++)
        printf(", %s", config.domains[i]);
    printf(" into %s/\n", config.maildir);
    fflush(stdout); /* tests and the GUI wait for these lines */

    struct children children = {.max = config.max_sessions};
    children.pids = calloc(config.max_sessions, sizeof(pid_t));
    if (children.pids == NULL) {
        fprintf(stderr, "mailwalk-server: out of memory\n");
        return 1;
    }

    unsigned long serial = 0;
    while (!stop_requested) {
        /* Wake at least once a second, so a stop request is never missed. */
        int ready = poll(waiting, config.listen_count, 1000);
        reap_children(&children);
        if (ready <= 0)
            continue; /* timeout, or EINTR from a signal */
        for (size_t i = 0; i < config.listen_count; i++) {
            if (!(waiting[i].revents & POLLIN))
                continue;
            struct sockaddr_storage addr;
            socklen_t len = sizeof addr;
            int fd = accept(listeners[i], (struct sockaddr *)&addr, &len);
            if (fd < 0)
                continue; /* the client left already, or EINTR */
            char peer[64];
            listener_format_address(&addr, len, peer, sizeof peer, 0);
            if (children.count >= children.max) {
                event_log_write(&log, "server", "refused", "peer", peer,
                                "reason", "too many sessions", NULL);
                refuse_busy(fd, &config);
                continue;
            }
            start_session(fd, listeners, config.listen_count, &config, &log,
                          &children, peer, ++serial);
        }
    }

    for (size_t i = 0; i < config.listen_count; i++)
        close(listeners[i]); /* no new clients from here on */
    printf("mailwalk-server: stopping; waiting for %zu session%s\n",
           children.count, children.count == 1 ? "" : "s");
    fflush(stdout);
    shut_down(&children);
    event_log_write(&log, "server", "stopped", NULL);
    event_log_close(&log);
    free(children.pids);
    return 0;
}
