/*
 * workers.c - prefork: start the session processes once, reuse them.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Why not fork() for every new client, the textbook way? Because fork() is
 * not free: it copies the parent's page tables, and on the virtual machines
 * where classes run it measured 0.7-1.9 ms, more than a whole SMTP session
 * takes. Forking ahead of time keeps what matters about "a process per
 * session" (a crash in one session cannot touch another, and each session
 * reads like a story) and pays for fork() once per worker, not per client.
 *
 *   parent                         worker (x max-sessions)
 *   ------                         ------
 *   fork the workers               loop:
 *   loop:                            wait for a client, accept()
 *     read "busy"/"idle" notes  <--  "busy"
 *     all busy and a client          serve it: 220 ... 221
 *       knocks? accept, 421     <--  "idle"
 *     a worker died? fork anew
 *
 * Before serving, a worker asks the shared counters (anvil.c) whether the
 * client's address already has its share of the workers: if so, the
 * client gets 421 at once, so that one address cannot take them all.
 */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anvil.h"
#include "connection.h"
#include "event_log.h"
#include "listener.h"

/* ----- inside a worker -------------------------------------------------- */

/* Set by SIGTERM in a worker. */
static volatile sig_atomic_t worker_stopping;

static void on_worker_sigterm(int signo)
{
    (void)signo;
    worker_stopping = 1;
    connection_request_stop(); /* a session in progress says 421 */
}

/* How long a worker stops watching the listeners when out of file
 * descriptors: long enough not to spin, short enough to serve again soon
 * after a descriptor frees. */
#define OUT_OF_DESCRIPTORS_PAUSE_MS 100

/* Tell the parent we are busy or idle. One write() of a few bytes to a
 * pipe is atomic (POSIX: up to PIPE_BUF), so notes from many workers
 * never mix. */
static void tell_parent(int fd, pid_t me, bool busy)
{
    struct worker_status note = {.pid = me, .busy = busy};
    ssize_t ignored = write(fd, &note, sizeof note);
    (void)ignored;
}

/* An epoll set of the listeners, made once per worker. EPOLLEXCLUSIVE
 * (Linux 4.5) avoids the "thundering herd": with plain poll(), every idle
 * worker wakes for every new client, one wins accept() and the rest go back
 * to sleep, which with 20 idle workers cost a third of the server's time.
 * With EPOLLEXCLUSIVE the kernel wakes just one of them. */
static int watch_listeners(const struct worker_pool *pool)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; epfd >= 0 && i < pool->listener_count; i++) {
        /* The event carries the listener's index, not just its socket,
         * so the worker knows the listener's role (plain, submission,
         * smtps) when a client arrives. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
                                 .data.u32 = (uint32_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, pool->listeners[i], &ev);
    }
    return epfd;
}

/* accept() failed for want of file descriptors (EMFILE: ours; ENFILE:
 * the whole system's). The client already got its 421 through the spare
 * descriptor if that worked (listener.c). Say so once per spell, not once
 * per client, and stop watching the listeners for a moment: they stay
 * readable while clients queue, so going straight back to epoll_wait()
 * would spin. */
static void out_of_descriptors(const struct worker_pool *pool, bool *said, int error)
{
    if (!*said)
        event_log_write(pool->log, "server", "error", "what",
                        error == EMFILE ? "accept: out of file descriptors (EMFILE); "
                                          "clients get 421 until one frees"
                                        : "accept: the system is out of file "
                                          "descriptors (ENFILE); clients get 421",
                        NULL);
    *said = true;
    poll(NULL, 0, OUT_OF_DESCRIPTORS_PAUSE_MS);
}

/* Wait for a client on any listener; -1 when stopping. The listening
 * sockets are non-blocking: if another worker (or the parent) took the
 * client first, accept() says EAGAIN and we wait again. *role says which
 * kind of listener the client came in through. */
static int wait_for_client(const struct worker_pool *pool, int epfd, char *peer,
                           size_t cap, enum listener_role *role)
{
    static bool said_out_of_descriptors;
    char refusal[300];
    snprintf(refusal, sizeof refusal,
             "421 4.3.2 %s Out of resources, try again later\r\n",
             pool->config->hostname);
    while (!worker_stopping) {
        struct epoll_event ready;
        if (epoll_wait(epfd, &ready, 1, -1) != 1)
            continue; /* EINTR: look at worker_stopping again */
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        size_t index = ready.data.u32;
        /* No plaintext on an --smtps port: just close (see main.c). */
        bool smtps = pool->config->roles[index] == ROLE_SMTPS;
        int fd = listener_accept(pool->listeners[index], &addr, &len,
                                 smtps ? NULL : refusal);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE))
            out_of_descriptors(pool, &said_out_of_descriptors, errno);
        if (fd < 0)
            continue; /* somebody was quicker */
        said_out_of_descriptors = false;
        *role = pool->config->roles[index];
        /* The listener is non-blocking, but on Linux the new socket does
         * not inherit O_NONBLOCK from it (accept(2), NOTES): it blocks,
         * as the session's poll()-then-read() code expects. (Portable
         * code would clear the flag with fcntl(); two system calls per
         * client that Linux does not need.) */
        listener_format_address(&addr, len, peer, cap, 0);
        return fd;
    }
    return -1;
}

/* Refuse a client whose address has its share already (anvil.c). 4.7.0:
 * "other or undefined security status" (RFC 3463 §3.8), as Postfix's
 * "421 4.7.0 Error: too many connections from ..." */
static void refuse_client(int fd, const struct worker_pool *pool, const char *peer,
                          enum listener_role role, enum anvil_verdict verdict)
{
    const char *why = verdict == ANVIL_TOO_MANY
                          ? "Too many connections from your address"
                          : "Too many connections a minute from your address";
    if (role != ROLE_SMTPS) {
        char reply[300];
        /* snprintf() says how long the line would be; a very long
         * --hostname is cut, and the cut line is what we send. */
        int n = snprintf(reply, sizeof reply, "421 4.7.0 %s %s, try again later\r\n",
                         pool->config->hostname, why);
        if (n >= (int)sizeof reply)
            n = (int)sizeof reply - 1;
        ssize_t ignored = send(fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
    }
    close(fd);
    event_log_write(pool->log, "server", "refused", "peer", peer, "reason",
                    verdict == ANVIL_TOO_MANY ? "too many sessions from one address"
                                              : "too many connections a minute",
                    NULL);
}

/* The worker's own slot and the pipe to the parent, for the goodbye hook
 * that connection.c calls once a session's last reply is decided. */
static size_t my_slot;
static int my_status_fd;
static pid_t my_pid;
static bool in_session;

/* The session is over (or about to be, its last reply on the way): free
 * our slot in the shared counters, and tell the parent we are idle. */
static void session_over(void)
{
    if (!in_session)
        return;
    in_session = false;
    anvil_session_end(my_slot);
    tell_parent(my_status_fd, my_pid, false);
}

/* The life of a worker: serve clients one after another until told to
 * stop. Never returns. */
static void worker_main(struct worker_pool *pool, size_t slot)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_worker_sigterm; /* no SA_RESTART: poll() gets EINTR */
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C goes to the parent, which asks us */
    /* If the parent dies without stopping us (kill -9), stop too rather
     * than serve on unsupervised. (Linux-specific.) */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* ...but PDEATHSIG only covers a death *after* the prctl. If the parent
     * was killed between our fork() and here, we have been adopted already:
     * leave now, or we would hold the listeners (and the queue lock) for
     * ever. Compare with the pid we were forked by, not with 1: orphans
     * can be adopted by a "subreaper" that is not init. */
    if (getppid() != pool->parent_pid)
        _exit(0);
    /* start_worker() blocked SIGTERM around fork(); our handler is in
     * place now, so let it through. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    close(pool->status_pipe[0]);

    /* getpid() is a real system call (glibc stopped caching it), and a
     * worker asks for every client; ask once. */
    pid_t me = getpid();
    my_slot = slot;
    my_status_fd = pool->status_pipe[1];
    my_pid = me;
    connection_on_goodbye(session_over);
    unsigned long served = 0;
    char peer[64], id[64];
    int fd;
    enum listener_role role;
    int epfd = watch_listeners(pool);
    if (epfd < 0)
        _exit(1); /* the parent sees us die and says so in the log */
    while ((fd = wait_for_client(pool, epfd, peer, sizeof peer, &role)) >= 0) {
        enum anvil_verdict verdict = anvil_session_begin(slot, peer);
        if (verdict != ANVIL_WELCOME) {
            refuse_client(fd, pool, peer, role, verdict);
            continue;
        }
        in_session = true;
        tell_parent(pool->status_pipe[1], me, true);
        /* Session ids: server start, worker pid, count. They appear in
         * Received: headers, so a message can be matched to its log. */
        snprintf(id, sizeof id, "%lld.%ld.%lu", pool->started, (long)me, ++served);
        connection_serve(fd, pool->config, pool->log, id, peer, role);
        session_over(); /* if connection.c has not said so already */
    }
    _exit(0);
}

/* ----- in the parent -------------------------------------------------------- */

/* Fork a worker into slot i. */
static int start_worker(struct worker_pool *pool, size_t i)
{
    /* A SIGTERM that arrived between fork() and the worker's own
     * sigaction() would run the parent's handler in the worker and be
     * lost; blocked, it waits until worker_main() is ready for it. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    pool->parent_pid = getpid();
    pid_t pid = fork();
    if (pid == 0)
        worker_main(pool, i); /* never returns */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        return -1;
    pool->workers[i] = (struct worker){.pid = pid, .busy = false};
    return 0;
}

int workers_start(struct worker_pool *pool, const struct server_config *config,
                  const struct event_log *log, const int *listeners,
                  size_t listener_count)
{
    pool->config = config;
    pool->log = log;
    pool->listeners = listeners;
    pool->listener_count = listener_count;
    pool->size = config->max_sessions;
    pool->started = (long long)time(NULL);
    pool->workers = calloc(pool->size, sizeof pool->workers[0]);
    if (pool->workers == NULL || pipe(pool->status_pipe) < 0)
        return -1;
    /* The parent must never block on the pipe, nor workers on accept(). */
    fcntl(pool->status_pipe[0], F_SETFL, O_NONBLOCK);
    for (size_t i = 0; i < listener_count; i++)
        fcntl(listeners[i], F_SETFL, fcntl(listeners[i], F_GETFL) | O_NONBLOCK);
    workers_keep_spares(pool);
    return pool->size == 0 || pool->workers[0].pid != 0 ? 0 : -1;
}

void workers_keep_spares(struct worker_pool *pool)
{
    size_t idle = 0;
    for (size_t i = 0; i < pool->size; i++)
        if (pool->workers[i].pid != 0 && !pool->workers[i].busy)
            idle++;
    /* A client that arrives while the new worker is being forked waits in
     * the listen queue for a millisecond, not for a 421. */
    for (size_t i = 0; i < pool->size && idle < WORKERS_SPARE; i++) {
        if (pool->workers[i].pid != 0)
            continue;
        if (start_worker(pool, i) < 0) {
            fprintf(stderr, "mailwalk-server: fork: %s\n", strerror(errno));
            return;
        }
        idle++;
    }
}

bool workers_all_busy(const struct worker_pool *pool)
{
    return workers_busy(pool) == pool->size;
}

static struct worker *find_worker(struct worker_pool *pool, pid_t pid)
{
    for (size_t i = 0; i < pool->size; i++)
        if (pool->workers[i].pid == pid)
            return &pool->workers[i];
    return NULL;
}

void workers_read_status(struct worker_pool *pool)
{
    struct worker_status note;
    while (read(pool->status_pipe[0], &note, sizeof note) == sizeof note) {
        struct worker *w = find_worker(pool, note.pid);
        if (w != NULL)
            w->busy = note.busy;
    }
}

size_t workers_busy(const struct worker_pool *pool)
{
    size_t busy = 0;
    for (size_t i = 0; i < pool->size; i++)
        if (pool->workers[i].pid != 0 && pool->workers[i].busy)
            busy++;
    return busy;
}

void workers_reap(struct worker_pool *pool, bool replace)
{
    int status;
    /* Ask about our workers by pid, not with waitpid(-1): the parent has
     * another child (the queue runner) that it reaps itself. */
    for (size_t i = 0; i < pool->size; i++) {
        struct worker *w = &pool->workers[i];
        pid_t pid = w->pid;
        if (pid == 0 || waitpid(pid, &status, WNOHANG) != pid)
            continue;
        if (WIFSIGNALED(status) && replace) {
            /* A crash costs its one session; the server goes on. */
            char what[64];
            snprintf(what, sizeof what, "worker %ld died of signal %d", (long)pid,
                     WTERMSIG(status));
            event_log_write(pool->log, "server", "error", "what", what, NULL);
        }
        w->pid = 0;
        w->busy = false;
        /* A worker that died in a session cannot free its slot itself. */
        anvil_session_end((size_t)(w - pool->workers));
    }
    if (replace)
        workers_keep_spares(pool); /* the slot gets a new worker if needed */
}

void workers_stop(struct worker_pool *pool, int grace_seconds)
{
    for (size_t i = 0; i < pool->size; i++)
        if (pool->workers[i].pid != 0)
            kill(pool->workers[i].pid, SIGTERM);
    for (int tenths = 0; tenths < grace_seconds * 10; tenths++) {
        workers_reap(pool, false);
        bool any = false;
        for (size_t i = 0; i < pool->size; i++)
            any = any || pool->workers[i].pid != 0;
        if (!any)
            break;
        usleep(100 * 1000);
    }
    for (size_t i = 0; i < pool->size; i++) /* still there: no mercy */
        if (pool->workers[i].pid != 0)
            kill(pool->workers[i].pid, SIGKILL);
    workers_reap(pool, false);
    free(pool->workers);
    pool->workers = NULL;
}
