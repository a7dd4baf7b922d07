/*
 * maildir_read.c - listing a Maildir and marking messages seen.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The reader never locks anything. The server writes each message in tmp/
 * and renames it into new/ only when it is complete (server/maildir.c), so
 * every file a reader finds in new/ or cur/ is whole. And the reader's one
 * change, new/ -> cur/, is a rename too: at no moment does a message exist
 * half-moved.
 */
#include "maildir_read.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Fill why[] with "call(path): reason" from errno. */
static void fail(char *why, size_t cap, const char *call, const char *path)
{
    snprintf(why, cap, "%s(%s): %s", call, path, strerror(errno));
}

size_t maildir_key_length(const char *name)
{
    const char *info = strstr(name, ":2,");
    return info != NULL ? (size_t)(info - name) : strlen(name);
}

/* The flags after ":2,", or "" if there are none. */
static const char *flags_of(const char *name)
{
    const char *info = strstr(name, ":2,");
    return info != NULL ? info + 3 : "";
}

/* The delivery time from a name like "1732352400.M123456P4242Q1.host" (the
 * Maildir convention: seconds, then M and the microseconds). */
static bool time_from_name(const char *name, long long *seconds, long *micros)
{
    char *end;
    long long s = strtoll(name, &end, 10);
    if (end == name || *end != '.')
        return false;
    *seconds = s;
    *micros = 0;
    if (end[1] == 'M')
        *micros = strtol(end + 2, NULL, 10);
    return true;
}

/* Add the files of one folder (new/ or cur/) to the listing. */
static int scan_folder(const char *dir, bool in_new, struct maildir_listing *l,
                       size_t *cap, char *why, size_t why_cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0; /* an empty mailbox may lack cur/ */
        fail(why, why_cap, "opendir", dir);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* Dot files are not messages (the Maildir spec). */
        if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof l->entries->name)
            continue;
        if (l->count == *cap) {
            size_t grown_cap = *cap ? *cap * 2 : 32;
            struct maildir_entry *grown =
                realloc(l->entries, grown_cap * sizeof *grown);
            if (grown == NULL) {
                closedir(d);
                snprintf(why, why_cap, "out of memory listing %s", dir);
                return -1;
            }
            l->entries = grown;
            *cap = grown_cap;
        }
        struct maildir_entry *e = &l->entries[l->count];
        snprintf(e->name, sizeof e->name, "%s", de->d_name);
        snprintf(e->path, sizeof e->path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(e->path, &st) < 0 || !S_ISREG(st.st_mode))
            continue; /* vanished (moved by another reader), or not a file */
        e->in_new = in_new;
        e->seen = strchr(flags_of(e->name), 'S') != NULL;
        e->size = st.st_size;
        if (!time_from_name(e->name, &e->seconds, &e->micros)) {
            e->seconds = (long long)st.st_mtim.tv_sec;
            e->micros = st.st_mtim.tv_nsec / 1000;
        }
        l->count++;
    }
    closedir(d);
    return 0;
}

/* Oldest first; the name breaks ties, so the order never changes between
 * two runs (message numbers must stay the same for "show N"). */
static int by_delivery_time(const void *a, const void *b)
{
    const struct maildir_entry *x = a, *y = b;
    if (x->seconds != y->seconds)
        return x->seconds < y->seconds ? -1 : 1;
    if (x->micros != y->micros)
        return x->micros < y->micros ? -1 : 1;
    return strcmp(x->name, y->name);
}

enum maildir_scan_result maildir_scan(const char *root, const char *user,
                                      struct maildir_listing *out, char *why,
                                      size_t why_cap)
{
    out->entries = NULL;
    out->count = 0;
    char path[4096];
    struct stat st;
    if (stat(root, &st) < 0) {
        fail(why, why_cap, "stat", root);
        return MAILDIR_SCAN_ERROR;
    }
    snprintf(path, sizeof path, "%s/%s", root, user);
    if (stat(path, &st) < 0 && errno == ENOENT)
        return MAILDIR_SCAN_NO_MAILBOX; /* the server makes it on first delivery */

    size_t cap = 0;
    snprintf(path, sizeof path, "%s/%s/new", root, user);
    if (scan_folder(path, true, out, &cap, why, why_cap) < 0)
        goto failed;
    snprintf(path, sizeof path, "%s/%s/cur", root, user);
    if (scan_folder(path, false, out, &cap, why, why_cap) < 0)
        goto failed;
    if (out->count > 0)
        qsort(out->entries, out->count, sizeof *out->entries, by_delivery_time);
    return MAILDIR_SCAN_OK;

failed:
    maildir_listing_free(out);
    return MAILDIR_SCAN_ERROR;
}

void maildir_listing_free(struct maildir_listing *l)
{
    free(l->entries);
    l->entries = NULL;
    l->count = 0;
}

int maildir_mark_seen(const char *root, const char *user, struct maildir_entry *e,
                      char *why, size_t why_cap)
{
    if (e->seen && !e->in_new)
        return 0;
    /* The new name: the unique key, ":2,", and the old flags plus S, in
     * ASCII order as the Maildir spec asks. */
    char flags[64];
    size_t n = 0;
    bool placed = false;
    for (const char *f = e->in_new ? "" : flags_of(e->name); *f && n + 2 < sizeof flags;
         f++) {
        if (!placed && *f > 'S') {
            flags[n++] = 'S';
            placed = true;
        }
        if (*f != 'S')
            flags[n++] = *f;
    }
    if (!placed)
        flags[n++] = 'S';
    flags[n] = '\0';

    char name[sizeof e->name];
    int len = snprintf(name, sizeof name, "%.*s:2,%s", (int)maildir_key_length(e->name),
                       e->name, flags);
    if (len < 0 || (size_t)len >= sizeof name) {
        snprintf(why, why_cap, "file name too long: %s", e->name);
        return -1;
    }
    char path[sizeof e->path];
    snprintf(path, sizeof path, "%s/%s/cur/%s", root, user, name);
    if (rename(e->path, path) < 0) {
        fail(why, why_cap, "rename", e->path);
        return -1;
    }
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->path, sizeof e->path, "%s", path);
    e->in_new = false;
    e->seen = true;
    return 0;
}

int maildir_read_message(const struct maildir_entry *e, char **data, size_t *len,
                         char *why, size_t why_cap)
{
    FILE *f = fopen(e->path, "rb");
    if (f == NULL) {
        fail(why, why_cap, "fopen", e->path);
        return -1;
    }
    size_t cap = (size_t)e->size + 1;
    char *buf = malloc(cap);
    size_t n = buf != NULL ? fread(buf, 1, cap - 1, f) : 0;
    bool bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(why, why_cap, "cannot read %s", e->path);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
