/*
 * maildir.c - write, flush, rename: the delivery discipline.
 *
 * Tier: core — read this first.
 *
 * The order of the steps in maildir_deliver() is the whole lesson:
 *
 *   1. write the message into tmp/          (a crash here: no delivery)
 *   2. fflush + fsync the file              (the bytes are on the disk)
 *   3. link/rename it into new/             (now it is delivered, atomically)
 *   4. fsync the new/ folder                (the *name* is on the disk too)
 *   5. only now may the server answer 250   (RFC 5321 §6.1: once it says
 *                                            250 it is responsible)
 *
 * Skip step 2 or 4 and a power cut after the 250 can lose a letter that the
 * sender has already forgotten about: mail lost with nobody told.
 */
#include "maildir.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "safe_dir.h"
#include "utf8.h"

/* Fill `why` with "call(path): reason" from errno, and return -1. */
static int fail(char *why, size_t why_cap, const char *call, const char *path)
{
    snprintf(why, why_cap, "%s(%s): %s", call, path, strerror(errno));
    return -1;
}

bool maildir_name_is_safe(const char *name)
{
    if (name[0] == '\0' || name[0] == '.' || strlen(name) > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* Non-ASCII letters come with SMTPUTF8 (RFC 6531): "zoe" with a
         * diaeresis is a fine folder name. Whole UTF-8 characters only:
         * their bytes are all >= 0x80, so never '/' or '.'. */
        size_t n = *p >= 0x80 ? utf8_char_length(p, strlen((const char *)p)) : 0;
        if (n > 0) {
            p += n - 1;
            continue;
        }
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_' ||
                  *p == '+';
        if (!ok)
            return false;
    }
    return true;
}

int maildir_create_root(const char *root, char *why, size_t why_cap)
{
    /* mkdir -p, then the root itself must be ours and closed to others
     * (safe_dir.h): a --maildir that another user made could hold links. */
    int fd = safe_dir_make_path(root, why, why_cap);
    if (fd < 0)
        return -1;
    /* Can we write there? Better to know now than at the first message. */
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        close(fd);
        return fail(why, why_cap, "access", root);
    }
    close(fd);
    maildir_remove_stale_tmp(root, time(NULL));
    return 0;
}

/* Open root/mailbox/<sub> (sub may be NULL: the mailbox itself) as a
 * checked folder, making what is missing when `create` is set. */
static int open_mailbox_dir(const char *root, const char *mailbox, const char *sub,
                            bool create, char *why, size_t why_cap)
{
    const char *parts[] = {mailbox, sub, NULL};
    return safe_dir_open_path(root, parts, create, why, why_cap);
}

bool maildir_exists(const char *root, const char *mailbox)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, mailbox);
    return lstat(path, &st) == 0;
}

int maildir_create(const char *root, const char *mailbox, char *why, size_t why_cap)
{
    static const char *const parts[] = {"tmp", "new", "cur"};
    /* Each part is made if missing and checked either way: a mailbox
     * "bob" that is a link, or a planted link "bob/new", is refused
     * (safe_dir.h) instead of followed. */
    int box = open_mailbox_dir(root, mailbox, NULL, true, why, why_cap);
    if (box < 0)
        return -1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char shown[4200];
        snprintf(shown, sizeof shown, "%.4000s/%s/%s", root, mailbox, parts[i]);
        int fd = safe_dir_open(box, parts[i], true, shown, why, why_cap);
        if (fd < 0) {
            close(box);
            return -1;
        }
        close(fd);
    }
    close(box);
    return 0;
}

/* Maildir spec: a file in tmp/ untouched for 36 hours is left over from a
 * delivery that died (a killed worker never renamed it); remove it. */
#define MAILDIR_STALE_TMP_SECONDS (36 * 60 * 60)

/* Remove the stale files in one mailbox's tmp/ (open as tmp_fd). */
static long remove_stale_in(int tmp_fd, time_t now)
{
    DIR *d = fdopendir(tmp_fd);
    if (d == NULL) {
        close(tmp_fd);
        return 0;
    }
    long removed = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        struct stat st;
        if (entry->d_name[0] == '.' ||
            fstatat(tmp_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            S_ISDIR(st.st_mode))
            continue;
        /* "Accessed": the later of atime and mtime, as atime may lag. */
        time_t last = st.st_atime > st.st_mtime ? st.st_atime : st.st_mtime;
        if (now - last >= MAILDIR_STALE_TMP_SECONDS &&
            unlinkat(tmp_fd, entry->d_name, 0) == 0)
            removed++;
    }
    closedir(d); /* closes tmp_fd too */
    return removed;
}

long maildir_remove_stale_tmp(const char *root, time_t now)
{
    const char *none[] = {NULL};
    char why[4608];
    int root_fd = safe_dir_open_path(root, none, false, why, sizeof why);
    if (root_fd < 0)
        return 0;
    DIR *d = fdopendir(root_fd);
    if (d == NULL) {
        close(root_fd);
        return 0;
    }
    long removed = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        /* Dot-folders (.state) are not mailboxes. */
        if (entry->d_name[0] == '.')
            continue;
        int tmp = open_mailbox_dir(root, entry->d_name, "tmp", false, why, sizeof why);
        if (tmp >= 0)
            removed += remove_stale_in(tmp, now);
    }
    closedir(d);
    return removed;
}

/* A Maildir file name that no other delivery, anywhere, will ever pick:
 * seconds.M<microseconds>P<pid>Q<counter>.<host> (the Maildir spec). */
void maildir_unique_name(char *name, size_t cap, const char *hostname)
{
    static unsigned long counter; /* per process; each session is one */
    struct timeval now;
    gettimeofday(&now, NULL);
    int n = snprintf(name, cap, "%lld.M%ldP%ldQ%lu.", (long long)now.tv_sec,
                     (long)now.tv_usec, (long)getpid(), ++counter);
    /* '/' would make a path and ':' starts the flags part of the name. */
    for (const char *h = hostname; *h && (size_t)n + 1 < cap; h++, n++)
        name[n] = (*h == '/' || *h == ':') ? '_' : *h;
    name[n] = '\0';
}

/* A stdio stream for the new file that open() gave as fd (or -1, with
 * errno set), for writing; NULL with why[] set when there is none. */
static FILE *stream_for(int fd, const char *path, char *why, size_t why_cap)
{
    if (fd < 0) {
        fail(why, why_cap, "open", path);
        return NULL;
    }
    FILE *file = fdopen(fd, "w");
    if (file == NULL) {
        fail(why, why_cap, "fdopen", path);
        close(fd);
    }
    return file;
}

FILE *maildir_open_tmp(const char *root, const char *mailbox, const char *hostname,
                       char *name, size_t name_cap, char *path, size_t path_cap,
                       char *why, size_t why_cap)
{
    maildir_unique_name(name, name_cap, hostname);
    snprintf(path, path_cap, "%s/%s/tmp/%s", root, mailbox, name);
    int tmp = open_mailbox_dir(root, mailbox, "tmp", false, why, why_cap);
    if (tmp < 0)
        return NULL;
    /* O_EXCL: if the name somehow exists (even as a planted link), fail
     * rather than overwrite; relative to the checked tmp/ folder. */
    int fd =
        openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    close(tmp);
    return stream_for(fd, path, why, why_cap);
}

FILE *maildir_create_file(const char *path, char *why, size_t why_cap)
{
    /* O_EXCL: if the name somehow exists, fail rather than overwrite. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    return stream_for(fd, path, why, why_cap);
}

int maildir_sync_dir(const char *path, char *why, size_t why_cap)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(why, why_cap, "open", path);
    int rc = fsync(fd);
    if (rc < 0)
        fail(why, why_cap, "fsync", path);
    close(fd);
    return rc;
}

/* Was mailboxes[i] already listed before i?  (RCPT TO the same box twice) */
static bool seen_before(const char *const *mailboxes, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(mailboxes[j], mailboxes[i]) == 0)
            return true;
    return false;
}

/* Close every descriptor of the list that is open. */
static void close_all(int *fds, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/*
 * Undo a delivery that failed half-way: unlink the names made in new/.
 * Why roll back instead of keeping the copies already made? The client is
 * about to hear 4xx, which means "not delivered, keep it and try again"
 * (RFC 5321 §4.2.5, §6.1). If bob already had his copy, the retry would
 * give him a second one. With the links removed, 4xx is the truth: nobody
 * has it, and the retry delivers it once to all. (A reader that moved the
 * file to cur/ in that instant keeps it: then a duplicate, never a loss -
 * the at-least-once rule.)
 */
static void unlink_made(const int *new_fds, const char *name, const bool *made,
                        size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (made[i])
            unlinkat(new_fds[i], name, 0);
}

int maildir_deliver(const char *root, FILE *file, const char *tmp_path,
                    const char *name, const char *const *mailboxes, size_t count,
                    char *why, size_t why_cap)
{
    char path[4096];
    assert(count > 0); /* a message with no mailbox is the caller's bug */

    /* Step 2: our buffer to the kernel (fflush), the kernel's to the disk
     * (fsync). A full disk often shows up only here. */
    if (fflush(file) != 0 || fsync(fileno(file)) != 0) {
        int saved = errno; /* fclose must not hide why (ENOSPC, say) */
        fail(why, why_cap, "fsync", tmp_path);
        fclose(file);
        errno = saved;
        return -1;
    }
    if (fclose(file) != 0)
        return fail(why, why_cap, "close", tmp_path);

    /* Every folder involved, opened and checked first (safe_dir.h): the
     * links and the rename below are made relative to these, so nothing
     * planted in the Maildir is followed. new_fds[i] is -1 for a mailbox
     * listed twice (RCPT TO the same box twice gets one copy). */
    int tmp_fd = open_mailbox_dir(root, mailboxes[0], "tmp", false, why, why_cap);
    if (tmp_fd < 0)
        return -1;
    int rc = -1, saved_errno;
    int *new_fds = malloc(count * sizeof *new_fds);
    bool *made = calloc(count, sizeof *made);
    if (new_fds == NULL || made == NULL) {
        snprintf(why, why_cap, "out of memory delivering %s", name);
        free(new_fds);
        free(made);
        close(tmp_fd);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        new_fds[i] = -1;
    for (size_t i = 0; i < count; i++) {
        if (seen_before(mailboxes, i))
            continue;
        new_fds[i] = open_mailbox_dir(root, mailboxes[i], "new", false, why, why_cap);
        if (new_fds[i] < 0)
            goto out;
    }

    /* Step 3: every other recipient gets a hard link to the same file
     * (one copy on disk however many local recipients), then the first
     * gets the file itself, renamed out of tmp/. */
    for (size_t i = 1; i < count; i++) {
        if (new_fds[i] < 0)
            continue;
        snprintf(path, sizeof path, "%s/%s/new/%s", root, mailboxes[i], name);
        if (linkat(tmp_fd, name, new_fds[i], name, 0) != 0) {
            fail(why, why_cap, "link", path);
            goto rollback;
        }
        made[i] = true;
    }
    snprintf(path, sizeof path, "%s/%s/new/%s", root, mailboxes[0], name);
    if (renameat(tmp_fd, name, new_fds[0], name) != 0) {
        fail(why, why_cap, "rename", path);
        goto rollback;
    }
    made[0] = true;

    /* Step 4: make the new names durable. */
    for (size_t i = 0; i < count; i++) {
        if (new_fds[i] >= 0 && fsync(new_fds[i]) != 0) {
            snprintf(path, sizeof path, "%s/%s/new", root, mailboxes[i]);
            fail(why, why_cap, "fsync", path);
            goto rollback;
        }
    }
    rc = 0;
    goto out;

rollback:
    saved_errno = errno; /* ENOSPC must reach the 452 */
    unlink_made(new_fds, name, made, count);
    errno = saved_errno;
out:
    saved_errno = errno;
    close_all(new_fds, count);
    close(tmp_fd);
    free(new_fds);
    free(made);
    errno = saved_errno;
    return rc;
}

int maildir_deliver_text(const char *root, const char *mailbox, const char *hostname,
                         const char *return_path, const char *text, size_t len,
                         char *name, size_t name_cap, char *why, size_t why_cap)
{
    char path[4608];
    if (maildir_create(root, mailbox, why, why_cap) < 0)
        return -1;
    FILE *file = maildir_open_tmp(root, mailbox, hostname, name, name_cap, path,
                                  sizeof path, why, why_cap);
    if (file == NULL)
        return -1;
    /* Return-Path is written at final delivery, first (RFC 5321 §4.4). */
    fprintf(file, "Return-Path: <%s>\n", return_path);
    if (fwrite(text, 1, len, file) != len) {
        snprintf(why, why_cap, "write(%.4000s): %s", path, strerror(errno));
        fclose(file);
        unlink(path);
        return -1;
    }
    const char *mailboxes[1] = {mailbox};
    if (maildir_deliver(root, file, path, name, mailboxes, 1, why, why_cap) < 0) {
        unlink(path);
        return -1;
    }
    return 0;
}
