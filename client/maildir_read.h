/*
 * maildir_read.h - a mailbox as a user agent sees it: the messages in a
 * Maildir, oldest first, and the one change a reader makes, marking a
 * message seen.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Maildir (D. J. Bernstein's format, used by mailwalk-server) keeps one file
 * per message in three folders:
 *
 *     tmp/   being written by the server (a reader never looks here)
 *     new/   delivered, not yet seen by any user agent
 *     cur/   seen by a user agent; the name carries flags after ":2,"
 *            (S = seen, R = replied, F = flagged, T = trashed)
 *
 * Marking a message seen is one rename(): new/NAME -> cur/NAME:2,S. Rename is
 * atomic, so the server can deliver while Bob reads, with no lock at all.
 */
#ifndef MAILWALK_MAILDIR_READ_H
#define MAILWALK_MAILDIR_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One message file. */
struct maildir_entry {
    char name[256];    /* the file name, flags included */
    char path[4096];   /* where it is now */
    bool in_new;       /* in new/: no user agent has seen it yet */
    bool seen;         /* the S flag is set */
    long long seconds; /* delivery time (from the unique name, else mtime) */
    long micros;       /* ... and its microseconds, for ordering */
    off_t size;        /* octets on disk */
};

/* All the messages of one mailbox, oldest first. */
struct maildir_listing {
    struct maildir_entry *entries;
    size_t count;
};

/* What maildir_scan() found. */
enum maildir_scan_result {
    MAILDIR_SCAN_OK,         /* the listing is filled in (maybe empty) */
    MAILDIR_SCAN_NO_MAILBOX, /* root exists but the user has no mail yet */
    MAILDIR_SCAN_ERROR,      /* why[] says which call failed */
};

/* List root/user/new and root/user/cur. */
enum maildir_scan_result maildir_scan(const char *root, const char *user,
                                      struct maildir_listing *out, char *why,
                                      size_t why_cap);

void maildir_listing_free(struct maildir_listing *l);

/* The unique part of a name: everything before ":2,". Two names with the
 * same key are the same message, before and after it moved to cur/. */
size_t maildir_key_length(const char *name);

/* Mark the message seen, the Maildir way (new/ -> cur/ with :2,S, or add S
 * to the flags in cur/). Updates *e. Returns 0, or -1 with why[] set. */
int maildir_mark_seen(const char *root, const char *user, struct maildir_entry *e,
                      char *why, size_t why_cap);

/* Read a whole message file (malloc'd, NUL-terminated). 0 or -1 with why[]. */
int maildir_read_message(const struct maildir_entry *e, char **data, size_t *len,
                         char *why, size_t why_cap);

#endif
