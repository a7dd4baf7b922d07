/*
 * queue_runner.c - store-and-forward: keep trying until the mail is gone.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * One pass over the queue, for every queued message:
 *
 *   1. recipients of our own (a message to bob@bob.example and to
 *      alice@alice.example) go into their Maildir, as data.c would;
 *   2. the others are grouped by domain, and each group is one SMTP session
 *      with the next hop that --routes names (relay.c);
 *   3. each answer becomes an outcome (queue_policy.c): sent; waiting, with
 *      the next try --retry later; or bounced. A recipient that is still
 *      waiting when --queue-lifetime is over bounces too (RFC 5321 §4.5.4.1);
 *   4. the sender gets one bounce (queue_bounce.c, bounce.c) listing every recipient that
 *      failed in this pass - unless the message was itself a bounce;
 *   5. the new envelope is saved, or, when nobody is waiting any more,
 *      the message leaves the queue.
 *
 * One slow next hop must not hold up the mail for everyone else, so the
 * runner does not do this itself: it hands each message that is due to a
 * child process of its own, at most QUEUE_RUNNER_CHILDREN at a time, and
 * each attempt has a deadline (relay.c). See "The children" below.
 *
 * Every decision goes to the event log ("attempt", "relayed", "deferred",
 * "bounced", "bounce_sent", "delivered", "done"), which is how the
 * visualizer and the tests see inside.
 *
 * Crashes: every change is a rename of a complete file (queue.c), so the
 * runner needs no shutdown code at all; SIGTERM or SIGKILL simply stop it.
 * The one window that matters: Bob's server said 250 and we die before the
 * envelope says "sent". Then the next runner sends the message again, and
 * Bob gets it twice. SMTP accepts that: a duplicate is better than a loss
 * (RFC 5321 §6.1; RFC 1047 tells the history). We call it at-least-once.
 */
#include "queue_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "maildir.h"
#include "queue.h"
#include "queue_bounce.h"
#include "queue_policy.h"
#include "relay.h"
#include "routes.h"
#include "text_buffer.h"

/* Everything one pass needs, passed around as one pointer. */
struct runner {
    const struct server_config *config;
    const struct event_log *log;
    time_t now;
};

/* ----- small helpers ---------------------------------------------------- */

/* RFC 3339 time for the log: when the next try is due. */
static void format_time(time_t t, char *out, size_t cap)
{
    struct tm utc;
    gmtime_r(&t, &utc);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* Read the whole stored message into memory (it is at most --max-size
 * octets plus our headers). The caller frees *text. */
static int read_message(const struct runner *r, const char *id, char **text,
                        size_t *len)
{
    FILE *in = queue_open_stored(r->config->queue_dir, id);
    if (in == NULL)
        return -1;
    struct stat st;
    if (fstat(fileno(in), &st) < 0 ||
        (*text = malloc((size_t)st.st_size + 1)) == NULL) {
        fclose(in);
        return -1;
    }
    *len = fread(*text, 1, (size_t)st.st_size, in);
    (*text)[*len] = '\0';
    bool failed = ferror(in) || *len != (size_t)st.st_size;
    fclose(in);
    if (failed) {
        free(*text);
        return -1;
    }
    return 0;
}

/* ----- recording outcomes ----------------------------------------------- */

/* One recipient's answer, turned into its new state (queue_policy.c).
 * tls: "yes" if the answer came through TLS (--relay-tls), else "no"; the
 * events say it, so the log shows how each letter crossed the hop. */
static void record_answer(const struct runner *r, const struct queue_entry *e,
                          struct queue_recipient *rcpt, const struct relay_answer *a,
                          const char *remote, const char *tls, bool *bounced_now)
{
    rcpt->attempts++;
    text_copy(rcpt->last_reply, sizeof rcpt->last_reply, a->text);
    /* Remote-MTA is whoever answered; with no answer, nobody did. */
    text_copy(rcpt->remote_mta, sizeof rcpt->remote_mta, a->code ? remote : "");
    text_copy(rcpt->status, sizeof rcpt->status, a->enhanced);

    switch (policy_classify(a->code)) {
    case OUTCOME_DELIVERED:
        rcpt->state = QUEUE_SENT;
        event_log_write(r->log, "queue", "relayed", "id", e->id, "to", rcpt->address,
                        "host", remote, "reply", a->text, "tls", tls, NULL);
        return;
    case OUTCOME_BOUNCE:
        rcpt->state = QUEUE_BOUNCED;
        if (rcpt->status[0] != '5')
            snprintf(rcpt->status, sizeof rcpt->status, "5.0.0");
        *bounced_now = true;
        event_log_write(r->log, "queue", "bounced", "id", e->id, "to", rcpt->address,
                        "status", rcpt->status, "why", a->text, "tls", tls, NULL);
        return;
    case OUTCOME_RETRY:
        break;
    }
    /* Not now. Is there still time for another try? */
    time_t give_up = e->arrival + r->config->queue_lifetime;
    if (policy_expired(e->arrival, r->config->queue_lifetime, r->now)) {
        /* RFC 3463 4.4.7: "delivery time expired". The status stays a
         * 4.x.x (the trouble was transient) but the action is "failed". */
        rcpt->state = QUEUE_BOUNCED;
        snprintf(rcpt->status, sizeof rcpt->status, "4.4.7");
        char text[700];
        snprintf(text, sizeof text, "gave up after %u attempt%s: %s", rcpt->attempts,
                 rcpt->attempts == 1 ? "" : "s", a->text);
        text_copy(rcpt->last_reply, sizeof rcpt->last_reply, text);
        *bounced_now = true;
        event_log_write(r->log, "queue", "bounced", "id", e->id, "to", rcpt->address,
                        "status", rcpt->status, "why", text, "tls", tls, NULL);
        return;
    }
    if (rcpt->status[0] == '\0')
        snprintf(rcpt->status, sizeof rcpt->status, "4.0.0");
    long delay = policy_retry_delay(r->config->retry_schedule, r->config->retry_count,
                                    rcpt->attempts);
    rcpt->next_attempt = r->now + delay;
    /* The last try comes when the lifetime is up, not long after it. */
    if (rcpt->next_attempt > give_up)
        rcpt->next_attempt = give_up;
    char at[32], in[32];
    format_time(rcpt->next_attempt, at, sizeof at);
    snprintf(in, sizeof in, "%lds", (long)(rcpt->next_attempt - r->now));
    event_log_write(r->log, "queue", "deferred", "id", e->id, "to", rcpt->address,
                    "reply", a->text, "retry_at", at, "retry_in", in, "tls", tls, NULL);
}

/* ----- the two ways out: a Maildir here, or the next hop ---------------- */

/* Recipients of our own: final delivery into their Maildir. */
static void deliver_local_recipient(const struct runner *r, struct queue_entry *e,
                                    struct queue_recipient *rcpt, const char *text,
                                    size_t len, bool *bounced_now)
{
    char name[256], why[4608];
    if (maildir_deliver_text(r->config->maildir, rcpt->mailbox, r->config->hostname,
                             e->reverse_path, text, len, name, sizeof name, why,
                             sizeof why) == 0) {
        rcpt->state = QUEUE_SENT;
        rcpt->attempts++;
        event_log_write(r->log, "queue", "delivered", "id", e->id, "file", name,
                        "mailbox", rcpt->mailbox, NULL);
        return;
    }
    /* A full disk, say: like a 4xx from ourselves. Try again later. */
    struct relay_answer a = {.code = 0};
    snprintf(a.enhanced, sizeof a.enhanced, "4.3.0");
    snprintf(a.text, sizeof a.text, "local delivery failed: %.480s", why);
    record_answer(r, e, rcpt, &a, "", "no", bounced_now);
}

/* Is this recipient's time to be tried now? */
static bool is_due(const struct queue_recipient *rcpt, time_t now, bool flush)
{
    return rcpt->state == QUEUE_WAITING && (flush || rcpt->next_attempt <= now);
}

/* Relay to one domain: the due recipients there, in one SMTP session. */
static void relay_domain(const struct runner *r, struct queue_entry *e,
                         const char *domain, bool flush, const char *text, size_t len,
                         bool *tried, bool *bounced_now)
{
    size_t n = 0;
    size_t *which = calloc(e->count, sizeof *which);
    const char **addresses = calloc(e->count, sizeof *addresses);
    struct relay_answer *answers = calloc(e->count, sizeof *answers);
    if (which == NULL || addresses == NULL || answers == NULL)
        goto out;
    for (size_t i = 0; i < e->count; i++) {
        struct queue_recipient *rcpt = &e->recipients[i];
        if (!tried[i] && rcpt->mailbox[0] == '\0' && is_due(rcpt, r->now, flush) &&
            strcasecmp(queue_domain_of(rcpt->address), domain) == 0) {
            tried[i] = true;
            which[n] = i;
            addresses[n++] = rcpt->address;
        }
    }

    const struct route *route =
        r->config->routes ? routes_find(r->config->routes, domain) : NULL;
    char remote[300] = "", remote_mta[256] = "";
    bool sealed = false;
    if (route == NULL) {
        /* The route was removed since the message was queued. */
        for (size_t k = 0; k < n; k++) {
            answers[k].code = 550;
            snprintf(answers[k].enhanced, sizeof answers[k].enhanced, "5.1.2");
            snprintf(answers[k].text, sizeof answers[k].text,
                     "no route to %s in the --routes file", domain);
        }
    } else {
        snprintf(remote, sizeof remote, "%s:%s", route->host, route->port);
        /* RFC 3464 §2.3.5: Remote-MTA names the host, not the port. */
        text_copy(remote_mta, sizeof remote_mta, route->host);
        char to[1024], try[16];
        queue_join_addresses(e, which, n, to, sizeof to);
        snprintf(try, sizeof try, "%u", e->recipients[which[0]].attempts + 1);
        event_log_write(r->log, "queue", "attempt", "id", e->id, "host", remote, "to",
                        to, "try", try, NULL);
        struct relay_job job = {
            .host = route->host,
            .port = route->port,
            .helo_name = r->config->hostname,
            .reverse_path = e->reverse_path,
            .body_8bit = e->body_8bit,
            .smtputf8 = e->smtputf8,
            .recipients = addresses,
            .count = n,
            .message = text,
            .message_len = len,
            .timeout_ms = r->config->timeout_seconds * 1000,
            .attempt_limit_ms =
                RELAY_ATTEMPT_REPLIES * r->config->timeout_seconds * 1000,
            .tls = r->config->relay_tls,
            .log = r->log,
            .log_session = "relay",
        };
        sealed = relay_attempt(&job, answers);
    }
    for (size_t k = 0; k < n; k++)
        record_answer(r, e, &e->recipients[which[k]], &answers[k], remote_mta,
                      sealed ? "yes" : "no", &bounced_now[which[k]]);
out:
    free(which);
    free(addresses);
    free(answers);
}

/* ----- bounces that could not be stored --------------------------------- */

/* Is a bounce that failed before due for another try? */
static bool bounce_is_due(const struct queue_recipient *rcpt, time_t now, bool flush)
{
    return rcpt->state == QUEUE_BOUNCE_PENDING && (flush || rcpt->next_attempt <= now);
}

/* After a bounce attempt: stored, so those recipients are done; or not
 * (a full disk: "fsync: No space left on device"), so they stay in the
 * queue as bounce-pending and the bounce is tried again later. Deleting
 * the message now would lose the one notice RFC 5321 §6.1 says MUST be
 * sent: the sender would never learn that the mail did not arrive. */
static void keep_bounce_pending(const struct runner *r, struct queue_entry *e,
                                const bool *bounced_now, bool stored)
{
    for (size_t i = 0; i < e->count; i++) {
        struct queue_recipient *rcpt = &e->recipients[i];
        if (!bounced_now[i])
            continue;
        if (stored) {
            rcpt->state = QUEUE_BOUNCED;
            continue;
        }
        rcpt->state = QUEUE_BOUNCE_PENDING;
        rcpt->next_attempt = r->now + policy_retry_delay(r->config->retry_schedule,
                                                         r->config->retry_count, 1);
        event_log_write(r->log, "queue", "bounce_pending", "id", e->id, "to",
                        rcpt->address, NULL);
    }
}

/* ----- one message, one pass -------------------------------------------- */

/* Move an envelope we cannot read out of the way (once), so that it is
 * neither retried forever nor deleted: a person should look at it. */
static void set_aside(const struct runner *r, const char *id, const char *why)
{
    char from[4400], to[4400], folder[4100];
    snprintf(folder, sizeof folder, "%.4000s/broken", r->config->queue_dir);
    mkdir(folder, 0700);
    snprintf(from, sizeof from, "%.4000s/envelopes/%.256s", r->config->queue_dir, id);
    snprintf(to, sizeof to, "%s/%.256s", folder, id);
    rename(from, to);
    event_log_write(r->log, "queue", "error", "what", "set aside a broken envelope",
                    "id", id, "why", why, "moved_to", to, NULL);
}

static void process_message(const struct runner *r, const char *id, bool flush)
{
    struct queue_entry e;
    char why[4608];
    if (queue_load(r->config->queue_dir, id, &e, why, sizeof why) < 0) {
        if (errno != ENOENT) /* gone since the listing: another pass did it */
            set_aside(r, id, why);
        return;
    }
    bool any_due = false;
    for (size_t i = 0; i < e.count; i++)
        any_due = any_due || is_due(&e.recipients[i], r->now, flush) ||
                  bounce_is_due(&e.recipients[i], r->now, flush);
    if (!any_due) {
        queue_entry_free(&e);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (read_message(r, id, &text, &len) < 0) {
        snprintf(why, sizeof why, "cannot read %s/messages/%s: %s",
                 r->config->queue_dir, id, strerror(errno));
        set_aside(r, id, why);
        queue_entry_free(&e);
        return;
    }
    if (e.message_size > 0 && (long long)len != e.message_size) {
        /* Cut short after it was queued (a disk error, a careless hand):
         * relaying it would hand on half a letter as if it were whole. */
        snprintf(why, sizeof why,
                 "%s/messages/%s is truncated: %zu octets, the envelope says %lld",
                 r->config->queue_dir, id, len, e.message_size);
        set_aside(r, id, why);
        free(text);
        queue_entry_free(&e);
        return;
    }

    bool *tried = calloc(e.count, sizeof *tried);
    bool *bounced_now = calloc(e.count, sizeof *bounced_now);
    if (tried == NULL || bounced_now == NULL)
        goto out;
    for (size_t i = 0; i < e.count; i++) {
        struct queue_recipient *rcpt = &e.recipients[i];
        if (rcpt->mailbox[0] != '\0' && is_due(rcpt, r->now, flush)) {
            tried[i] = true;
            deliver_local_recipient(r, &e, rcpt, text, len, &bounced_now[i]);
        }
    }
    for (size_t i = 0; i < e.count; i++) {
        struct queue_recipient *rcpt = &e.recipients[i];
        if (!tried[i] && rcpt->mailbox[0] == '\0' && is_due(rcpt, r->now, flush)) {
            char domain[SMTP_MAX_DOMAIN + 1];
            text_copy(domain, sizeof domain, queue_domain_of(rcpt->address));
            relay_domain(r, &e, domain, flush, text, len, tried, bounced_now);
        }
    }

    bool any_bounced = false, any_waiting = false;
    for (size_t i = 0; i < e.count; i++) {
        /* A bounce that could not be stored before goes out with this one. */
        if (bounce_is_due(&e.recipients[i], r->now, flush))
            bounced_now[i] = true;
        any_bounced = any_bounced || bounced_now[i];
    }
    if (any_bounced) {
        bool stored =
            queue_send_bounce(r->config, r->log, r->now, &e, bounced_now) == 0;
        keep_bounce_pending(r, &e, bounced_now, stored);
    }
    for (size_t i = 0; i < e.count; i++)
        any_waiting = any_waiting || e.recipients[i].state == QUEUE_WAITING ||
                      e.recipients[i].state == QUEUE_BOUNCE_PENDING;
    if (!any_waiting) {
        if (queue_remove(r->config->queue_dir, id, why, sizeof why) == 0)
            event_log_write(r->log, "queue", "done", "id", id, NULL);
        else
            event_log_write(r->log, "queue", "error", "what", why, NULL);
    } else if (queue_save(r->config->queue_dir, &e, why, sizeof why) < 0) {
        event_log_write(r->log, "queue", "error", "what", why, NULL);
    }
out:
    free(tried);
    free(bounced_now);
    free(text);
    queue_entry_free(&e);
}

/* Is anything in this message due now? (Read from its envelope; a message
 * we cannot read is handed on, so that process_message() sets it aside.) */
static bool message_due(const struct runner *r, const char *id, bool flush)
{
    struct queue_entry e;
    char why[4608];
    if (queue_load(r->config->queue_dir, id, &e, why, sizeof why) < 0)
        return errno != ENOENT;
    bool due = false;
    for (size_t i = 0; i < e.count; i++)
        due = due || is_due(&e.recipients[i], r->now, flush) ||
              bounce_is_due(&e.recipients[i], r->now, flush);
    queue_entry_free(&e);
    return due;
}

/* ----- the children ----------------------------------------------------- */

/*
 * Why children: an attempt waits on the network. A next hop that drips
 * its replies may hold an attempt for the whole of RFC 5321 §4.5.3.2's
 * timeouts - minutes per reply - and a runner that tried one message after
 * the other would let every other domain wait that long. So each message
 * that is due goes to a child process, and the runner only keeps the
 * books: which message is with which child.
 *
 * Why a small fixed number: each child holds a connection and a copy of
 * its message; QUEUE_RUNNER_CHILDREN slow hops at once can still fill
 * every slot, and then the rest waits - but never longer than an
 * attempt's deadline (relay.h, RELAY_ATTEMPT_REPLIES), which is the
 * second half of the answer. A message is whole in one child (all its
 * domains, one after the other), so no two processes ever write the same
 * envelope: the queue needs no locks between them.
 */
struct child {
    pid_t pid;             /* 0: the slot is free */
    char id[QUEUE_ID_MAX]; /* the message it is working on */
};

/* Is this message already with a child? */
static bool in_flight(const struct child *children, const char *id)
{
    for (size_t k = 0; k < QUEUE_RUNNER_CHILDREN; k++)
        if (children[k].pid > 0 && strcmp(children[k].id, id) == 0)
            return true;
    return false;
}

/* Reap the children that have finished; with `block`, wait for one at
 * least. Returns a free slot, or NULL if none is free. */
static struct child *reap(struct child *children, const struct event_log *log,
                          bool block)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        block = false; /* one is enough; collect the rest without waiting */
        for (size_t k = 0; k < QUEUE_RUNNER_CHILDREN; k++) {
            if (children[k].pid != pid)
                continue;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                /* Its message stays as the last rename left it (see the
                 * top of the file): the next pass tries it again. */
                event_log_write(log, "queue", "error", "what",
                                "a relay child died; its message will be tried again",
                                "id", children[k].id, NULL);
            children[k].pid = 0;
        }
    }
    for (size_t k = 0; k < QUEUE_RUNNER_CHILDREN; k++)
        if (children[k].pid == 0)
            return &children[k];
    return NULL;
}

/* Hand one message to a child process in the slot. */
static void start_child(struct child *slot, const struct runner *r, const char *id,
                        bool flush)
{
    pid_t runner = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        /* No child: do it ourselves, slow or not, rather than not at all. */
        process_message(r, id, flush);
        return;
    }
    if (pid == 0) {
        /* If the runner dies, so do we: a new runner will try this message
         * again, and two processes must never work on one envelope. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != runner)
            _exit(0);
        struct runner mine = *r;
        mine.now = time(NULL);
        process_message(&mine, id, flush);
        _exit(0);
    }
    slot->pid = pid;
    text_copy(slot->id, sizeof slot->id, id);
}

/* One look at the queue: every message with something due (everything
 * waiting, if flush) goes to a child; when all are busy, wait for one to
 * finish. */
static void pass_with_children(const struct server_config *config,
                               const struct event_log *log, bool flush,
                               struct child *children)
{
    struct runner r = {.config = config, .log = log, .now = time(NULL)};
    char **ids, why[4608];
    long count = queue_list(config->queue_dir, &ids, why, sizeof why);
    if (count < 0) {
        event_log_write(log, "queue", "error", "what", why, NULL);
        return;
    }
    for (long i = 0; i < count; i++) {
        if (in_flight(children, ids[i]) || !message_due(&r, ids[i], flush))
            continue;
        struct child *slot = reap(children, log, false);
        if (slot == NULL)
            slot = reap(children, log, true);
        if (slot != NULL)
            start_child(slot, &r, ids[i], flush);
    }
    queue_free_ids(ids, count);
}

/* ----- the process ------------------------------------------------------ */

int queue_lock(const char *dir, char *why, size_t why_cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, why_cap, "open(%s): %s", path, strerror(errno));
        return -1;
    }
    /* flock() belongs to the open file, which fork() shares: the runner
     * child keeps the lock as long as it or the parent lives. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(why, why_cap,
                 "the queue %s is in use by another mailwalk-server (two runners "
                 "would send every message twice)",
                 dir);
        close(fd);
        return -1;
    }
    return fd;
}

/* The runner's life: look at the queue, sleep a little, again. A request
 * from `mailwalk-queue --flush` makes the next look try everything. */
static void runner_main(const struct server_config *config, const struct event_log *log,
                        pid_t parent)
{
    signal(SIGTERM, SIG_DFL);         /* no clean-up needed: see the top of file */
    signal(SIGINT, SIG_IGN);          /* Ctrl-C goes to the parent, which stops us */
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* and so does the parent's death */
    signal(SIGCHLD, SIG_DFL);         /* the parent's handler is not ours: our
                                         relay children are reaped by reap() */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    if (getppid() != parent)
        _exit(0); /* the parent died before PDEATHSIG was set: adopted */
    event_log_write(log, "queue", "runner_started", "queue", config->queue_dir, NULL);
    /* Leftovers of a crash: an hour old is surely not being written. */
    long removed = queue_tidy(config->queue_dir, time(NULL), QUEUE_TIDY_AGE);
    if (removed > 0) {
        char count[32];
        snprintf(count, sizeof count, "%ld", removed);
        event_log_write(log, "queue", "tidied", "files", count, NULL);
    }
    struct child children[QUEUE_RUNNER_CHILDREN] = {{0}};
    for (;;) {
        bool flush = queue_take_flush_request(config->queue_dir);
        pass_with_children(config, log, flush, children);
        poll(NULL, 0, QUEUE_POLL_MS);
        reap(children, log, false);
    }
}

pid_t queue_runner_start(const struct server_config *config,
                         const struct event_log *log)
{
    /* As for workers: keep SIGTERM blocked until the child has reset it. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        runner_main(config, log, parent); /* never returns */
    sigprocmask(SIG_SETMASK, &old, NULL);
    return pid;
}
