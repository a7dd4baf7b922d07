/*
 * session_harness.h - drive a session with no sockets, for the unit tests.
 *
 * The protocol core appends its replies to s.out; these helpers feed it
 * lines, pull the reply codes back out, and give each test a fresh Maildir
 * under a mkdtemp() folder that teardown removes again.
 */
#ifndef MAILWALK_SESSION_HARNESS_H
#define MAILWALK_SESSION_HARNESS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/remove_tree.h"

#include "commands.h"
#include "session.h"

struct harness {
    struct server_config config;
    enum listener_role role; /* the listener the client "came through" */
    struct session s;
    char root[64];                      /* the mkdtemp() folder */
    char maildir[128];                  /* root/maildir: the --maildir */
    char replies[SESSION_OUT_SIZE * 4]; /* what the last call(s) produced */
};

/* A fresh server configuration and a greeted session (220 read). */
static inline struct harness *harness_new(void)
{
    struct harness *h = calloc(1, sizeof *h);
    if (h == NULL)
        abort();
    snprintf(h->root, sizeof h->root, "/tmp/mailwalk-unit-XXXXXX");
    if (mkdtemp(h->root) == NULL)
        abort();
    snprintf(h->maildir, sizeof h->maildir, "%s/maildir", h->root);
    struct server_config *c = &h->config;
    c->hostname = "bob.example";
    c->domains[0] = "bob.example";
    c->domain_count = 1;
    c->maildir = h->maildir;
    c->max_size = 10 * 1024 * 1024;
    c->max_recipients = SMTP_MIN_RECIPIENTS;
    c->max_sessions = 20;
    c->timeout_seconds = 300;
    return h;
}

/* Start the session (after changing h->config, if the test wants to). */
static inline void harness_start(struct harness *h)
{
    if (session_init(&h->s, &h->config, NULL, "test.1", "192.0.2.7", h->role) != 0)
        abort();
    session_greet(&h->s);
}

static inline void harness_free(struct harness *h)
{
    session_free(&h->s);
    remove_tree(h->root);
    free(h);
}

/* cmocka fixtures: a fresh harness (its own temporary Maildir) for each
 * test, removed afterwards, so that no test sees another's mail. */
static inline int harness_setup(void **state)
{
    *state = harness_new();
    return 0;
}

static inline int harness_teardown(void **state)
{
    harness_free(*state);
    return 0;
}

/* Move what the session queued into h->replies (as a C string). */
static inline const char *take_replies(struct harness *h)
{
    memcpy(h->replies, h->s.out, h->s.out_len);
    h->replies[h->s.out_len] = '\0';
    h->s.out_len = 0;
    return h->replies;
}

/* Hand the session one line ending in CR LF. */
static inline void feed(struct harness *h, const char *line)
{
    session_handle_line(&h->s, line, strlen(line), LINE_END_CRLF);
}

/*
 * The codes of the replies in `text`, one per reply (a multi-line reply
 * "250-...\r\n250 ...\r\n" counts once). Returns how many were found.
 */
static inline size_t reply_codes(const char *text, int *codes, size_t max)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *eol = strstr(p, "\r\n");
        if (eol == NULL || eol - p < 4)
            return (size_t)-1; /* not a reply line: the test will fail */
        if (p[3] == ' ' && n < max)
            codes[n++] = atoi(p);
        p = eol + 2;
    }
    return n;
}

/* Send one command and return the code of its single reply (-1 if the
 * session queued anything but exactly one reply). */
static inline int command(struct harness *h, const char *line)
{
    feed(h, line);
    int codes[4];
    size_t n = reply_codes(take_replies(h), codes, 4);
    return n == 1 ? codes[0] : -1;
}

/* How many files are in maildir/<mailbox>/<folder> (-1: no such folder). */
static inline int count_files(struct harness *h, const char *mailbox,
                              const char *folder)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", h->maildir, mailbox, folder);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Read the only file in maildir/<mailbox>/new into buf; returns its size
 * (-1 if there is not exactly one). */
static inline long read_only_message(struct harness *h, const char *mailbox, char *buf,
                                     size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/new", h->maildir, mailbox);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    char name[256] = "";
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') {
            snprintf(name, sizeof name, "%s", e->d_name);
            n++;
        }
    closedir(d);
    if (n != 1)
        return -1;
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", path, name);
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        return -1;
    size_t got = fread(buf, 1, cap - 1, f);
    buf[got] = '\0';
    fclose(f);
    return (long)got;
}

/* The body of a stored message: what follows our two trace headers
 * (Return-Path and the Received header with its folded lines). */
static inline const char *after_trace_headers(const char *message)
{
    if (strncmp(message, "Return-Path: <", 14) != 0)
        return NULL;
    const char *p = strchr(message, '\n');
    if (p == NULL || strncmp(p + 1, "Received: from ", 15) != 0)
        return NULL;
    /* The Received header ends at the first newline not followed by a tab
     * (a folded header continues on lines that start with white space). */
    for (p = strchr(p + 1, '\n'); p != NULL && p[1] == '\t'; p = strchr(p + 1, '\n'))
        ;
    return p ? p + 1 : NULL;
}

#endif
