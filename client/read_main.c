/*
 * read_main.c - mailwalk-read, Bob's user agent.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The last arrow of the story (docs/architecture.md, "The story"): the
 * mail is already in Bob's mailbox, put there by his server. Reading it
 * involves no SMTP at all - SMTP only *pushes* mail towards the recipient. Bob's user agent *pulls*:
 * here by reading the Maildir files directly (a remote reader would use
 * POP3 or IMAP to do the same over the network). It
 *
 *   list    numbers the messages, oldest first, with new/seen, date, sender,
 *           subject and size;
 *   show N  prints one message's important header fields and its text,
 *           decoded (mime.c), then marks it seen (maildir_read.c);
 *   watch   checks the mailbox at intervals and announces new mail - which
 *           is all "you have new mail" ever was.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maildir_read.h"
#include "mime.h"
#include "terminal_text.h"

/* Exit codes (also in --help and docs/client.md). */
enum exit_code {
    EXIT_OK = 0,         /* done */
    EXIT_NO_MESSAGE = 1, /* show N: there is no message N */
    EXIT_USAGE = 2,      /* bad command line */
    EXIT_MAILBOX = 3,    /* the Maildir could not be read or changed */
};

static const char usage_text[] =
    "usage: mailwalk-read --maildir DIR --user NAME [list | show N | watch]\n"
    "                     [--interval SECONDS]\n"
    "\n"
    "Read the mail that mailwalk-server delivered into DIR/NAME/ (a Maildir).\n"
    "\n"
    "  list       one line per message, oldest first: number, new/seen,\n"
    "             when it arrived, sender, subject, size (the default)\n"
    "  show N     print message N (header fields that matter and the text,\n"
    "             decoded to UTF-8), then mark it seen: new/ -> cur/ ...:2,S\n"
    "  watch      check the mailbox every few seconds and announce new mail\n"
    "             (Ctrl-C stops)\n"
    "\n"
    "  --maildir DIR       the folder given to mailwalk-server --maildir\n"
    "  --user NAME         whose mailbox: bob for bob@bob.example\n"
    "  --interval SECONDS  how often watch looks (default 5)\n"
    "  --help              show this help and exit\n"
    "  --version           show the version and exit\n"
    "\n"
    "Exit status: 0 done, 1 no such message, 2 usage error,\n"
    "             3 the mailbox could not be read or changed\n";

/* What the user asked for. */
struct options {
    const char *maildir;
    char user[65];
    const char *command; /* "list", "show" or "watch" */
    long number;         /* show N */
    int interval_s;      /* watch */
};

/* Print a usage error and return EXIT_USAGE. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "mailwalk-read: %s%s%s%s\nTry 'mailwalk-read --help'.\n", what,
            arg ? ": '" : "", arg ? arg : "", arg ? "'" : "");
    return EXIT_USAGE;
}

/* Parse argv. Returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"maildir", required_argument, NULL, 'd'},
        {"user", required_argument, NULL, 'u'},
        {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->interval_s = 5;
    o->command = "list";
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "d:u:i:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->maildir = optarg;
            break;
        case 'u': {
            /* The server names mailboxes in lower case (server/cmd_rcpt.c),
             * and a name must be a safe folder name: no "/", no "..". */
            size_t n = strlen(optarg);
            if (n == 0 || n >= sizeof o->user || optarg[0] == '.' ||
                strchr(optarg, '/') != NULL)
                return usage_error("--user wants a mailbox name such as bob", optarg);
            for (size_t i = 0; i <= n; i++)
                o->user[i] = (optarg[i] >= 'A' && optarg[i] <= 'Z')
                                 ? (char)(optarg[i] - 'A' + 'a')
                                 : optarg[i];
            break;
        }
        case 'i': {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end != '\0' || s < 1 || s > 3600)
                return usage_error("--interval wants seconds (1-3600)", optarg);
            o->interval_s = (int)s;
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        case 'V':
            printf("mailwalk-read %s\n", MAILWALK_VERSION);
            return EXIT_OK;
        default:
            return usage_error("unknown option or missing value", argv[optind - 1]);
        }
    }
    if (o->maildir == NULL)
        return usage_error("--maildir DIR is missing", NULL);
    if (o->user[0] == '\0')
        return usage_error("--user NAME is missing", NULL);
    if (optind < argc)
        o->command = argv[optind++];
    if (strcmp(o->command, "show") == 0) {
        char *end;
        if (optind >= argc)
            return usage_error("show wants a message number, as in: show 1", NULL);
        o->number = strtol(argv[optind], &end, 10);
        if (*end != '\0' || o->number < 1)
            return usage_error("show wants a message number (1, 2, ...)", argv[optind]);
        optind++;
    } else if (strcmp(o->command, "list") != 0 && strcmp(o->command, "watch") != 0) {
        return usage_error("the command is list, show N or watch, not", o->command);
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    return -1;
}

/* ---- Printing ------------------------------------------------------------ */

/* Print text from a message. A message is written by a stranger, so it
 * must not be able to send commands to Bob's terminal: C0 and C1 controls
 * and the bidi controls that reorder what is shown come out as visible
 * escapes (\x1b, \u009b, \u202e: common/terminal_text.h); newlines (in
 * the body), tabs and UTF-8 text stay as they are. */
static void print_clean(const char *s, size_t n, bool keep_newlines)
{
    terminal_write(stdout, s, n, keep_newlines);
}

/* Copy utf8 into out, cut to at most width characters (code points), with
 * "…" marking a cut, and padded with spaces to exactly width.
 * SIMPLIFICATION: every character counts as one column; CJK characters
 * take two on a real terminal. */
static void fit(const char *text, size_t width, char *out, size_t cap)
{
    /* Escape first (as print_clean), then count the escapes as characters. */
    char utf8[2048];
    terminal_escape(text, strlen(text), false, utf8, sizeof utf8);
    size_t chars = 0, i = 0, o = 0;
    size_t total = 0;
    for (const char *p = utf8; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            total++;
    bool cut = total > width;
    size_t keep = cut ? width - 1 : total;
    while (utf8[i] && o + 8 < cap) {
        unsigned char c = (unsigned char)utf8[i];
        if ((c & 0xC0) != 0x80) {
            if (chars == keep)
                break;
            chars++;
        }
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
        i++;
    }
    if (cut && o + 4 < cap) {
        memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
        chars++;
    }
    while (chars < width && o + 1 < cap) {
        out[o++] = ' ';
        chars++;
    }
    out[o] = '\0';
}

/* A decoded header field, or `fallback` if the message has none. */
static void header_text(const char *msg, size_t len, const char *name,
                        const char *fallback, struct text_buffer *out)
{
    char raw[2000];
    if (mime_header(msg, len, name, raw, sizeof raw))
        mime_decode_header(raw, out);
    else
        mime_decode_header(fallback, out);
    if (out->data == NULL)
        mime_decode_header(" ", out); /* never leave it NULL */
}

/* "612 B", "4.1 KB", "2.3 MB". */
static void human_size(long long size, char *out, size_t cap)
{
    if (size < 1024)
        snprintf(out, cap, "%lld B", size);
    else if (size < 1024 * 1024)
        snprintf(out, cap, "%.1f KB", (double)size / 1024);
    else
        snprintf(out, cap, "%.1f MB", (double)size / (1024 * 1024));
}

/* "2026-11-23 09:00", the local time of delivery. */
static void short_date(long long seconds, char *out, size_t cap)
{
    time_t t = (time_t)seconds;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

/* One line of the list for message number n. */
static void print_summary(const struct maildir_entry *e, size_t n)
{
    char *msg = NULL;
    size_t len = 0;
    char why[300];
    struct text_buffer from = {0}, subject = {0};
    if (maildir_read_message(e, &msg, &len, why, sizeof why) < 0) {
        printf("%3zu  (cannot read: %s)\n", n, why);
        return;
    }
    header_text(msg, len, "From", "(no From:)", &from);
    header_text(msg, len, "Subject", "(no subject)", &subject);
    char date[32], size[32], from_col[200], subject_col[300];
    short_date(e->seconds, date, sizeof date);
    human_size((long long)e->size, size, sizeof size);
    fit(from.data, 28, from_col, sizeof from_col);
    fit(subject.data, 34, subject_col, sizeof subject_col);
    printf("%3zu  %-4s  %s  %s  %s  %8s\n", n, e->seen ? "seen" : "NEW", date, from_col,
           subject_col, size);
    text_buffer_free(&from);
    text_buffer_free(&subject);
    free(msg);
}

/* ---- The commands -------------------------------------------------------- */

/* Scan the mailbox; on error print it and return -1. */
static int scan(const struct options *o, struct maildir_listing *l)
{
    char why[600];
    enum maildir_scan_result r = maildir_scan(o->maildir, o->user, l, why, sizeof why);
    if (r == MAILDIR_SCAN_ERROR) {
        fprintf(stderr,
                "mailwalk-read: cannot read the mailbox: %s\n"
                "  (is --maildir the folder mailwalk-server was given?)\n",
                why);
        return -1;
    }
    return 0;
}

/* list: one line per message, oldest first. */
static int cmd_list(const struct options *o)
{
    struct maildir_listing l;
    if (scan(o, &l) < 0)
        return EXIT_MAILBOX;
    size_t unseen = 0;
    for (size_t i = 0; i < l.count; i++)
        unseen += !l.entries[i].seen;
    printf("Mailbox %s in %s: %zu message%s, %zu new\n", o->user, o->maildir, l.count,
           l.count == 1 ? "" : "s", unseen);
    if (l.count > 0) {
        char from[64], subject[64];
        fit("from", 28, from, sizeof from);
        fit("subject", 34, subject, sizeof subject);
        printf("  #  flag  arrived           %s  %s  %8s\n", from, subject, "size");
    }
    for (size_t i = 0; i < l.count; i++)
        print_summary(&l.entries[i], i + 1);
    maildir_listing_free(&l);
    return EXIT_OK;
}

/* show N: the fields that matter, the decoded text, then mark it seen. */
static int cmd_show(const struct options *o)
{
    struct maildir_listing l;
    if (scan(o, &l) < 0)
        return EXIT_MAILBOX;
    if ((size_t)o->number > l.count) {
        fprintf(stderr,
                "mailwalk-read: there is no message %ld: the mailbox of %s "
                "has %zu (see: mailwalk-read --maildir %s --user %s list)\n",
                o->number, o->user, l.count, o->maildir, o->user);
        maildir_listing_free(&l);
        return EXIT_NO_MESSAGE;
    }
    struct maildir_entry *e = &l.entries[o->number - 1];
    char *msg;
    size_t len;
    char why[600];
    if (maildir_read_message(e, &msg, &len, why, sizeof why) < 0) {
        fprintf(stderr, "mailwalk-read: %s\n", why);
        maildir_listing_free(&l);
        return EXIT_MAILBOX;
    }

    printf("Message %ld of %zu%s\n", o->number, l.count, e->seen ? "" : " (new)");
    /* The header fields a reader cares about (RFC 5322 §3.6). Return-Path is
     * the *envelope* sender that the last server recorded (RFC 5321 §4.4),
     * shown so the difference from From: can be seen. */
    static const char *const fields[] = {"From", "To", "Cc", "Date", "Subject"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char raw[2000];
        if (!mime_header(msg, len, fields[i], raw, sizeof raw))
            continue;
        struct text_buffer value = {0};
        mime_decode_header(raw, &value);
        char label[16];
        snprintf(label, sizeof label, "%s:", fields[i]);
        printf("%-9s", label);
        print_clean(value.data ? value.data : "", value.len, false);
        putchar('\n');
        text_buffer_free(&value);
    }
    char envelope[600];
    if (mime_header(msg, len, "Return-Path", envelope, sizeof envelope)) {
        printf("(envelope sender, from Return-Path: ");
        print_clean(envelope, strlen(envelope), false);
        printf(")\n");
    }
    putchar('\n');

    struct text_buffer body = {0};
    mime_body_text(msg, len, &body);
    print_clean(body.data ? body.data : "", body.len, true);
    if (body.len > 0 && body.data[body.len - 1] != '\n')
        putchar('\n');
    text_buffer_free(&body);
    free(msg);

    int rc = EXIT_OK;
    if (!e->seen || e->in_new) {
        char old_name[sizeof e->name];
        bool was_new = e->in_new;
        snprintf(old_name, sizeof old_name, "%s", e->name);
        if (maildir_mark_seen(o->maildir, o->user, e, why, sizeof why) < 0) {
            fprintf(stderr, "mailwalk-read: could not mark the message seen: %s\n",
                    why);
            rc = EXIT_MAILBOX;
        } else {
            printf("\n== marked seen: %s/%s -> cur/%s\n", was_new ? "new" : "cur",
                   old_name, e->name);
        }
    }
    maildir_listing_free(&l);
    return rc;
}

/* Have we announced this message already? keys holds `count` unique names. */
static bool known(char **keys, size_t count, const char *name)
{
    size_t n = maildir_key_length(name);
    for (size_t i = 0; i < count; i++)
        if (strlen(keys[i]) == n && strncmp(keys[i], name, n) == 0)
            return true;
    return false;
}

/* watch: look every interval seconds; announce what is new since the last
 * look. Runs until interrupted (Ctrl-C). */
static int cmd_watch(const struct options *o)
{
    char **keys = NULL;
    size_t count = 0, cap = 0;
    bool first = true;
    for (;;) {
        struct maildir_listing l;
        if (scan(o, &l) < 0)
            return EXIT_MAILBOX;
        if (first) {
            size_t unseen = 0;
            for (size_t i = 0; i < l.count; i++)
                unseen += !l.entries[i].seen;
            printf("== watching the mailbox of %s in %s every %d s (Ctrl-C stops): "
                   "%zu message%s, %zu new\n",
                   o->user, o->maildir, o->interval_s, l.count, l.count == 1 ? "" : "s",
                   unseen);
        }
        for (size_t i = 0; i < l.count; i++) {
            const struct maildir_entry *e = &l.entries[i];
            if (known(keys, count, e->name))
                continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 64;
                char **grown = realloc(keys, cap * sizeof *keys);
                if (grown == NULL) {
                    fprintf(stderr, "mailwalk-read: out of memory\n");
                    return EXIT_MAILBOX;
                }
                keys = grown;
            }
            keys[count] = strndup(e->name, maildir_key_length(e->name));
            if (keys[count] == NULL) {
                fprintf(stderr, "mailwalk-read: out of memory\n");
                return EXIT_MAILBOX;
            }
            count++;
            if (!first) {
                printf("You have new mail:\n");
                print_summary(e, i + 1);
            }
        }
        maildir_listing_free(&l);
        first = false;
        fflush(stdout);

        /* SIMPLIFICATION: we poll, as the classic "biff"/"mail" did. A modern
         * reader on Linux could ask the kernel (inotify) to wake it instead. */
        struct timespec pause = {.tv_sec = o->interval_s, .tv_nsec = 0};
        while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
            ;
    }
}

int main(int argc, char **argv)
{
    /* Line-buffered even into a pipe, so watch's news arrives at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (strcmp(o.command, "show") == 0)
        return cmd_show(&o);
    if (strcmp(o.command, "watch") == 0)
        return cmd_watch(&o);
    return cmd_list(&o);
}
