/*
 * main.c - mailwalk-server: open the doors, start the workers, supervise.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The parent process does no SMTP at all. It opens the listening sockets,
 * starts a pool of worker processes (workers.c) that each serve one client
 * at a time, and then only watches over them:
 *
 *   - when every worker is busy and another client knocks, the parent
 *     answers it "421 Too many connections" (RFC 5321 §3.8) and hangs up,
 *     at once: with hundreds of clients queued, each gets its 421 in
 *     milliseconds, not after the ones before it;
 *   - when a worker dies, the parent starts a new one;
 *   - on SIGTERM (or Ctrl-C) it asks every worker to finish: open sessions
 *     get 421, and every message already answered 250 is on disk.
 *
 * Before the workers start, the parent also loads (or makes) the TLS
 * certificate once, so every worker inherits the same ready OpenSSL
 * context through fork() instead of reading the key again per client.
 *
 * With --queue there is one more child, the queue runner (queue_runner.c),
 * which relays queued mail to the next hop. The parent restarts it if it
 * dies, and stops it with the workers.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "anvil.h"
#include "config.h"
#include "event_log.h"
#include "listener.h"
#include "maildir.h"
#include "queue.h"
#include "queue_runner.h"
#include "routes.h"
#include "tls.h"
#include "users.h"
#include "workers.h"

/* How long the parent waits for sessions to finish after SIGTERM. */
#define SHUTDOWN_GRACE_SECONDS 30

/* The most overflow clients refused in one go, before the parent looks
 * at its workers' notes again. */
#define REFUSE_AT_ONCE 64

/* How long the parent stops watching the listeners when it is out of
 * file descriptors itself, so as not to spin (see listener.h). */
#define OUT_OF_DESCRIPTORS_PAUSE_MS 100

/* Set by SIGTERM/SIGINT in the parent. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

/* Set by SIGCHLD: a worker or the queue runner has exited, so it is worth
 * asking which (waitpid for each of them is a system call per child). */
static volatile sig_atomic_t child_exited;

static void on_child_exit(int signo)
{
    (void)signo;
    child_exited = 1;
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

/* RFC 5321 §3.8: a server that cannot serve now answers 421 and closes.
 * Refuse the clients waiting on one listener, up to REFUSE_AT_ONCE, without
 * waiting for anything: the reply fits in the socket's send buffer, so
 * send() never blocks. Returns false when out of file descriptors. */
static bool refuse_busy(int listener, enum listener_role role,
                        const struct server_config *config, const struct event_log *log)
{
    char reply[300];
    snprintf(reply, sizeof reply,
             "421 4.3.2 %s Too many connections, try again later\r\n",
             config->hostname);
    /* On an --smtps listener every byte, the greeting included, belongs
     * inside TLS (RFC 8314 §3.3): a plaintext 421 would reach the client
     * as garbage where it expects a TLS handshake. The parent does not
     * shake hands (a client that stalls the handshake would stall the
     * parent), so it just closes; a client treats a closed connection as
     * a temporary failure and tries again later (RFC 5321 §4.5.4.1). */
    const char *refusal = role == ROLE_SMTPS ? NULL : reply;
    for (int i = 0; i < REFUSE_AT_ONCE; i++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = listener_accept(listener, &addr, &len, refusal);
        if (fd < 0)
            return errno != EMFILE && errno != ENFILE; /* EAGAIN: all refused */
        char peer[64];
        listener_format_address(&addr, len, peer, sizeof peer, 0);
        if (refusal != NULL) {
            ssize_t ignored =
                send(fd, refusal, strlen(refusal), MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
        }
        close(fd);
        anvil_turned_away(); /* the sessions now get shorter limits */
        event_log_write(log, "server", "refused", "peer", peer, "reason",
                        "too many sessions", NULL);
    }
    return true;
}

/* The TLS certificate: the one given, or our own self-signed one in the
 * state directory (made on the first start, reused after). Prints its
 * fingerprint so that a student can compare it with what a client sees. */
static int setup_tls(struct server_config *config, const struct event_log *log)
{
    char why[4608], state_dir[4096], cert[4200], key[4200];
    const char *cert_path = config->tls_cert, *key_path = config->tls_key;
    if (cert_path == NULL) {
        /* A dot-folder can never be a mailbox (maildir_name_is_safe), so
         * the default state directory cannot clash with anyone's mail. */
        if (config->state_dir != NULL)
            snprintf(state_dir, sizeof state_dir, "%s", config->state_dir);
        else
            snprintf(state_dir, sizeof state_dir, "%s/.state", config->maildir);
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
            fprintf(stderr, "mailwalk-server: cannot make --state-dir %s: %s\n",
                    state_dir, strerror(errno));
            return -1;
        }
        snprintf(cert, sizeof cert, "%s/tls-cert.pem", state_dir);
        snprintf(key, sizeof key, "%s/tls-key.pem", state_dir);
        cert_path = cert;
        key_path = key;
        if (tls_ensure_self_signed(cert, key, config->hostname, why, sizeof why) < 0) {
            fprintf(stderr, "mailwalk-server: cannot make a TLS certificate: %s\n",
                    why);
            return -1;
        }
    }
    config->tls_context = tls_server_context(cert_path, key_path, why, sizeof why);
    if (config->tls_context == NULL) {
        fprintf(stderr, "mailwalk-server: cannot use the TLS certificate: %s\n", why);
        return -1;
    }
    /* A certificate kept from a start with another --hostname would fail
     * every client's name check; say so instead of leaving a puzzle. */
    if (tls_certificate_names(cert_path, config->hostname) == 0)
        fprintf(stderr,
                "mailwalk-server: warning: %s is not for %s, so clients that "
                "check names will refuse it%s\n",
                cert_path, config->hostname,
                config->tls_cert ? "" : " (delete it and its key to make a new one)");
    char fingerprint[128];
    if (tls_fingerprint(cert_path, fingerprint, sizeof fingerprint) < 0)
        snprintf(fingerprint, sizeof fingerprint, "unknown");
    printf("mailwalk-server: TLS certificate for %s, SHA-256 %s (%s)\n",
           config->hostname, fingerprint, cert_path);
    event_log_write(log, "server", "tls_certificate", "path", cert_path, "sha256",
                    fingerprint, NULL);
    return 0;
}

/* --hash-password: read one password line from standard input and print
 * the string that follows "name:" in the users file. On a terminal the
 * typing is not echoed (termios), as passwd(1) does. Returns the exit code. */
static int hash_password_command(void)
{
    struct termios saved, quiet;
    bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        fputs("Password (not shown): ", stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char password[1024];
    bool got = fgets(password, sizeof password, stdin) != NULL;
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    password[got ? strcspn(password, "\r\n") : 0] = '\0';
    if (password[0] == '\0') {
        fprintf(stderr, "mailwalk-server: --hash-password: no password given\n");
        return 2;
    }
    char hash[512], why[256];
    int rc = users_hash_password(password, hash, sizeof hash, why, sizeof why);
    /* Do not leave the password lying in memory longer than needed. */
    OPENSSL_cleanse(password, sizeof password);
    if (rc < 0) {
        fprintf(stderr, "mailwalk-server: --hash-password: %s\n", why);
        return 1;
    }
    printf("%s\n", hash);
    return 0;
}

/* Open every --listen address and say where we are. */
static int open_listeners(const struct server_config *config, int *listeners,
                          const struct event_log *log)
{
    for (size_t i = 0; i < config->listen_count; i++) {
        char bound[128], why[512];
        listeners[i] =
            listener_open(config->listen[i], bound, sizeof bound, why, sizeof why);
        if (listeners[i] < 0) {
            fprintf(stderr, "mailwalk-server: %s\n", why);
            return -1;
        }
        /* Plain listeners keep the old line (tools read it); the others
         * say their role after the address. */
        if (config->roles[i] == ROLE_PLAIN)
            printf("mailwalk-server: listening on %s\n", bound);
        else
            printf("mailwalk-server: listening on %s (%s)\n", bound,
                   config_role_name(config->roles[i]));
        event_log_write(log, "server", "listening", "address", bound, "role",
                        config_role_name(config->roles[i]), NULL);
    }
    printf("mailwalk-server: delivering mail for %s", config->domains[0]);
    for (size_t i = 1; i < config->domain_count; i++)
        printf(", %s", config->domains[i]);
    printf(" into %s/\n", config->maildir);
    fflush(stdout); /* tests and the GUI wait for these lines */
    return 0;
}

/* --queue and --routes: make the queue, claim it, read the routes. The
 * routes live in a static: every child reads them through fork(). */
static int setup_queue(struct server_config *config, int *lock_fd)
{
    static struct routes routes;
    char why[4608];
    *lock_fd = -1;
    if (config->routes_path != NULL) {
        if (routes_load(&routes, config->routes_path, why, sizeof why) < 0) {
            fprintf(stderr, "mailwalk-server: --routes: %s\n", why);
            return -1;
        }
        config->routes = &routes;
    }
    if (config->queue_dir == NULL)
        return 0;
    if (queue_create(config->queue_dir, why, sizeof why) < 0) {
        fprintf(stderr, "mailwalk-server: cannot use --queue %s: %s\n",
                config->queue_dir, why);
        return -1;
    }
    if ((*lock_fd = queue_lock(config->queue_dir, why, sizeof why)) < 0) {
        fprintf(stderr, "mailwalk-server: %s\n", why);
        return -1;
    }
    printf("mailwalk-server: queueing mail for other domains in %s/",
           config->queue_dir);
    if (config->routes != NULL)
        printf(" (%zu route%s from %s)", routes.count, routes.count == 1 ? "" : "s",
               config->routes_path);
    printf("\n");
    return 0;
}

/* Has the queue runner died? Then say so and start another: a crash while
 * relaying one message must not stop the relaying of all the others. */
static void check_runner(pid_t *runner, const struct server_config *config,
                         const struct event_log *log)
{
    int status;
    if (*runner <= 0 || waitpid(*runner, &status, WNOHANG) != *runner)
        return;
    char what[96];
    snprintf(what, sizeof what, "queue runner %ld stopped (status %d); restarting it",
             (long)*runner, status);
    event_log_write(log, "server", "error", "what", what, NULL);
    sleep(1); /* not a tight loop if it keeps dying */
    *runner = queue_runner_start(config, log);
}

/* The parent's loop: listen to the workers, refuse the overflow. */
static void supervise(struct worker_pool *pool, const int *listeners,
                      const struct server_config *config, const struct event_log *log,
                      pid_t *runner)
{
    struct pollfd waiting[1 + CONFIG_MAX_LISTEN];
    bool said_out_of_descriptors = false;
    while (!stop_requested) {
        /* Always hear the workers' notes; watch the doors only while every
         * worker is busy (otherwise a worker will take the client). */
        size_t n = 0;
        waiting[n++] = (struct pollfd){.fd = pool->status_pipe[0], .events = POLLIN};
        bool all_busy = workers_all_busy(pool);
        for (size_t i = 0; all_busy && i < config->listen_count; i++)
            waiting[n++] = (struct pollfd){.fd = listeners[i], .events = POLLIN};

        /* Wake at least once a second, so that a SIGCHLD that arrived
         * just before poll() began is still seen within a second. */
        int ready = poll(waiting, n, 1000);
        workers_read_status(pool);
        workers_keep_spares(pool); /* a worker became busy: fork a spare */
        if (child_exited) {
            child_exited = 0;
            workers_reap(pool, true);
            check_runner(runner, config, log);
        }
        if (ready <= 0)
            continue; /* timeout, or EINTR from a signal */
        /* No waiting for a worker to come free: a worker tells us it is
         * free as soon as its session's last reply is decided, before the
         * client can read it (connection_on_goodbye), so a client that
         * reconnects at once finds it free. Notes read, still all busy?
         * Then every client waiting now gets 421. */
        for (size_t i = 1; i < n && workers_all_busy(pool); i++) {
            if (!(waiting[i].revents & POLLIN))
                continue;
            if (refuse_busy(waiting[i].fd, config->roles[i - 1], config, log)) {
                said_out_of_descriptors = false;
                continue;
            }
            /* Out of descriptors: say so once, and pause rather than spin
             * on a listener that stays readable (listener.h). */
            if (!said_out_of_descriptors)
                event_log_write(log, "server", "error", "what",
                                "accept: out of file descriptors; clients get 421",
                                NULL);
            said_out_of_descriptors = true;
            poll(NULL, 0, OUT_OF_DESCRIPTORS_PAUSE_MS);
        }
    }
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
    if (config.hash_password)
        return hash_password_command();

    struct event_log log;
    event_log_init(&log);
    if (config.log_path != NULL && event_log_open(&log, config.log_path) < 0) {
        fprintf(stderr, "mailwalk-server: cannot open log %s: %s\n", config.log_path,
                strerror(errno));
        return 1;
    }

    /* A client that vanishes mid-write must give us EPIPE, not kill us;
     * a file-size limit must give EFBIG (-> 452), not kill us either. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    set_handler(SIGTERM, on_stop_signal);
    set_handler(SIGINT, on_stop_signal);
    set_handler(SIGCHLD, on_child_exit);

    char why[4608];
    if (maildir_create_root(config.maildir, why, sizeof why) < 0) {
        fprintf(stderr, "mailwalk-server: cannot use --maildir %s: %s\n",
                config.maildir, why);
        return 1;
    }

    if (setup_tls(&config, &log) < 0)
        return 1;

    int queue_lock_fd;
    if (setup_queue(&config, &queue_lock_fd) < 0)
        return 1;
    /* The runner starts before the listeners open, so it holds none of
     * their sockets (it never takes clients). */
    pid_t runner = -1;
    if (config.queue_dir != NULL && (runner = queue_runner_start(&config, &log)) < 0) {
        fprintf(stderr, "mailwalk-server: cannot start the queue runner: %s\n",
                strerror(errno));
        return 1;
    }

    int listeners[CONFIG_MAX_LISTEN];
    if (open_listeners(&config, listeners, &log) < 0)
        return 1;

    /* The shared per-client counters and the spare descriptor, made now
     * so that every worker inherits them through fork(). */
    if (anvil_create(&config, config.max_sessions) < 0) {
        fprintf(stderr, "mailwalk-server: cannot make the per-client table: %s\n",
                strerror(errno));
        return 1;
    }
    listener_keep_spare();

    struct worker_pool pool;
    if (workers_start(&pool, &config, &log, listeners, config.listen_count) < 0) {
        fprintf(stderr, "mailwalk-server: cannot start workers: %s\n", strerror(errno));
        return 1;
    }
    supervise(&pool, listeners, &config, &log, &runner);

    for (size_t i = 0; i < config.listen_count; i++)
        close(listeners[i]); /* no new clients from here on */
    size_t busy = workers_busy(&pool);
    printf("mailwalk-server: stopping; waiting for %zu session%s\n", busy,
           busy == 1 ? "" : "s");
    fflush(stdout);
    workers_stop(&pool, SHUTDOWN_GRACE_SECONDS);
    if (runner > 0) {
        kill(runner, SIGTERM); /* safe at any moment: see queue_runner.c */
        waitpid(runner, NULL, 0);
    }
    if (queue_lock_fd >= 0)
        close(queue_lock_fd);
    event_log_write(&log, "server", "stopped", NULL);
    SSL_CTX_free(config.tls_context);
    event_log_close(&log);
    return 0;
}
