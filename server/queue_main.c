/*
 * queue_main.c - mailwalk-queue: what waits in a server's queue, and why.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The queue is a folder of small text files (queue.h), so this program
 * only reads them and prints them for people, like Postfix's mailq or
 * Sendmail's `mailq`. With --flush it asks the running server's queue
 * runner to try every waiting message now instead of at its next retry
 * time - the "retry now" button of the Bob-is-down demo.
 *
 * Much of what it prints came from elsewhere: the addresses from a client,
 * the last answer from a next hop that may say anything. All of that goes
 * through terminal_puts() (common/terminal_text.h), so an escape sequence
 * in a reply cannot reach the terminal of whoever looks at the queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "terminal_text.h"

static const char usage_text[] =
    "Usage: mailwalk-queue --queue DIR [--list | --flush]\n"
    "Show the mail waiting in a mailwalk-server queue (the folder given to\n"
    "mailwalk-server --queue), or ask the server to retry it now.\n"
    "\n"
    "  --queue DIR   the queue folder (required)\n"
    "  --list        list each waiting message: sender, recipients, how far\n"
    "                each got, the last answer, when it is tried next\n"
    "                (the default)\n"
    "  --flush       ask the running server to try every waiting message now\n"
    "  --help        show this help and exit\n"
    "  --version     show the version and exit\n"
    "\n"
    "Exit status: 0 success (also for an empty queue), 1 the queue could not\n"
    "be read, 2 wrong usage.\n";

/* "2m 5s", "3h 10m", "2d 4h": a duration as a person says it. */
static void format_duration(long seconds, char *out, size_t cap)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        snprintf(out, cap, "%lds", seconds);
    else if (seconds < 3600)
        snprintf(out, cap, "%ldm %lds", seconds / 60, seconds % 60);
    else if (seconds < 86400)
        snprintf(out, cap, "%ldh %ldm", seconds / 3600, seconds % 3600 / 60);
    else
        snprintf(out, cap, "%ldd %ldh", seconds / 86400, seconds % 86400 / 3600);
}

/* One recipient: its address, where it stands, and what happened last. */
static void print_recipient(const struct queue_recipient *r, time_t now)
{
    char when[32];
    printf("  to <");
    terminal_puts(stdout, r->address);
    printf(">%s\n", r->mailbox[0] ? " (a local mailbox)" : "");
    switch (r->state) {
    case QUEUE_WAITING:
        format_duration((long)(r->next_attempt - now), when, sizeof when);
        if (r->attempts == 0)
            printf("     waiting: not tried yet, first try in %s\n", when);
        else
            printf("     waiting: %u attempt%s so far, next in %s\n", r->attempts,
                   r->attempts == 1 ? "" : "s", when);
        break;
    case QUEUE_SENT:
        printf("     sent\n");
        break;
    case QUEUE_BOUNCED:
        printf("     bounced (");
        terminal_puts(stdout, r->status);
        printf("): the sender was told\n");
        break;
    case QUEUE_BOUNCE_PENDING:
        printf("     bounced (%s): the bounce could not be stored yet; the message "
               "stays queued until it is\n",
               r->status);
        break;
    }
    if (r->last_reply[0] != '\0') {
        printf("     last answer%s", r->remote_mta[0] ? " from " : "");
        terminal_puts(stdout, r->remote_mta);
        printf(": ");
        terminal_puts(stdout, r->last_reply);
        printf("\n");
    }
}

/* --list: every message, oldest first. */
static int list_queue(const char *dir)
{
    char **ids, why[4608];
    long count = queue_list(dir, &ids, why, sizeof why);
    if (count < 0) {
        fprintf(stderr, "mailwalk-queue: cannot read the queue: %s\n", why);
        return 1;
    }
    time_t now = time(NULL);
    printf("Queue %s: %ld message%s waiting\n", dir, count, count == 1 ? "" : "s");
    for (long i = 0; i < count; i++) {
        struct queue_entry e;
        if (queue_load(dir, ids[i], &e, why, sizeof why) < 0) {
            /* ENOENT: sent while we were looking. Else why may quote the
             * envelope, and so a client's text: escaped. */
            if (errno != ENOENT) {
                printf("\n");
                terminal_puts(stdout, ids[i]);
                printf("\n  (cannot read: ");
                terminal_puts(stdout, why);
                printf(")\n");
            }
            continue;
        }
        char age[32], path[4400];
        struct stat st;
        format_duration((long)(now - e.arrival), age, sizeof age);
        snprintf(path, sizeof path, "%s/messages/%s", dir, e.id);
        long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
        printf("\n%s\n  queued %s ago, %lld octets\n", e.id, age, size);
        printf("  from <");
        terminal_puts(stdout, e.reverse_path);
        printf(">%s\n", e.reverse_path[0] ? "" : " (a bounce: from the null path)");
        for (size_t k = 0; k < e.count; k++)
            print_recipient(&e.recipients[k], now);
        queue_entry_free(&e);
    }
    queue_free_ids(ids, count);
    return 0;
}

/* --flush: leave the request for the runner, and say whether one runs. */
static int flush_queue(const char *dir)
{
    char why[4608], lock[4200];
    if (queue_request_flush(dir, why, sizeof why) < 0) {
        fprintf(stderr, "mailwalk-queue: cannot ask for a flush: %s\n", why);
        return 1;
    }
    /* If we can take the runner's lock, no server holds it (queue_lock). */
    snprintf(lock, sizeof lock, "%s/lock", dir);
    int fd = open(lock, O_RDONLY | O_CLOEXEC);
    bool running = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0;
    if (fd >= 0)
        close(fd);
    if (running)
        printf("mailwalk-queue: asked the server to try every waiting message now\n");
    else
        printf("mailwalk-queue: no mailwalk-server is running on %s; the next one "
               "started will try every waiting message at once\n",
               dir);
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_QUEUE = 256, OPT_LIST, OPT_FLUSH, OPT_HELP, OPT_VERSION };
    static const struct option options[] = {
        {"queue", required_argument, NULL, OPT_QUEUE},
        {"list", no_argument, NULL, OPT_LIST},
        {"flush", no_argument, NULL, OPT_FLUSH},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    bool flush = false, list = false;
    int code;
    opterr = 0;
    while ((code = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (code) {
        case OPT_QUEUE:
            dir = optarg;
            break;
        case OPT_LIST:
            list = true;
            break;
        case OPT_FLUSH:
            flush = true;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            printf("mailwalk-queue %s\n", MAILWALK_VERSION);
            return 0;
        default:
            fprintf(stderr,
                    "mailwalk-queue: unknown option or missing value: '%s'\n"
                    "Try 'mailwalk-queue --help'.\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (list && flush) {
        fprintf(stderr, "mailwalk-queue: --list and --flush do not go together: "
                        "give one\nTry 'mailwalk-queue --help'.\n");
        return 2;
    }
    if (optind < argc || dir == NULL) {
        fprintf(stderr, "mailwalk-queue: %s\nTry 'mailwalk-queue --help'.\n",
                dir == NULL ? "which queue? Give --queue DIR" : "unexpected argument");
        return 2;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mailwalk-queue: %s is not a queue folder: %s\n", dir,
                stat(dir, &st) < 0 ? strerror(errno) : "not a folder");
        return 1;
    }
    return flush ? flush_queue(dir) : list_queue(dir);
}
