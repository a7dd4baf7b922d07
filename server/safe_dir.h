/*
 * safe_dir.h - folders the server may trust, and nothing planted in them.
 *
 * A server that runs as root and writes into a folder someone else made is
 * a classic hole: the other user pre-creates --maildir (the docs use
 * /tmp/mail) and fills it with symbolic links, and the server then writes
 * mail - or its private key - wherever the links point, with root's
 * rights. So every folder the server writes into is opened here and
 * checked before use:
 *
 *   - it is a real folder, not a symbolic link to one (O_NOFOLLOW);
 *   - it belongs to the user the server runs as;
 *   - nobody else may write into it (no group or other write bit), so
 *     nobody else can plant a link in it later either.
 *
 * The checks are made on the open folder (fstat of its descriptor), and
 * the files inside are then opened *relative to that descriptor* (openat,
 * mkdirat, renameat, linkat): a name that is swapped for a link after the
 * check is never followed, because the path is never looked up again.
 * A first reading of the server can skip this file: maildir.c and queue.c
 * use it, and the lesson there is the same with or without it.
 *
 * System errors come back as -1 with `why` naming the folder and what is
 * wrong with it ("--maildir /tmp/mail belongs to uid 1000, not to us").
 */
#ifndef MAILWALK_SAFE_DIR_H
#define MAILWALK_SAFE_DIR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Open the folder `name` inside the folder open as parent_fd (AT_FDCWD:
 * name is a path), making it first (mode 0700) when `create` is set.
 * Refuses a symbolic link, something that is not a folder, a folder of
 * another user and one that others may write into. `shown` is the path to
 * name in messages. Returns the folder's descriptor (close it), or -1.
 */
int safe_dir_open(int parent_fd, const char *name, bool create, const char *shown,
                  char *why, size_t why_cap);

/* The same checks on a folder already open (fstat of fd). Returns 0 or -1. */
int safe_dir_check(int fd, const char *shown, char *why, size_t why_cap);

/* Open root/a/b/... one folder at a time with safe_dir_open(): `parts` is
 * a NULL-terminated list of names under the folder `root`. Returns the
 * last folder's descriptor, or -1. */
int safe_dir_open_path(const char *root, const char *const *parts, bool create,
                       char *why, size_t why_cap);

/* mkdir -p: make `path` and its parents as needed, then open the last
 * folder with safe_dir_open() (the parents are not checked: /tmp itself
 * is writable by all, with the sticky bit). Returns its descriptor, or -1. */
int safe_dir_make_path(const char *path, char *why, size_t why_cap);

#endif
