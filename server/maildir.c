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

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

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

/* mkdir that is happy when the folder already exists. */
static int make_dir(const char *path, char *why, size_t why_cap)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return fail(why, why_cap, "mkdir", path);
}

int maildir_create_root(const char *root, char *why, size_t why_cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", root);
    /* Make each parent in turn: "a", "a/b", "a/b/c". */
    for (char *slash = strchr(path + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int rc = make_dir(path, why, why_cap);
        *slash = '/';
        if (rc < 0)
            return -1;
    }
    if (make_dir(path, why, why_cap) < 0)
        return -1;
    /* Can we write there? Better to know now than at the first message. */
    if (access(path, W_OK | X_OK) != 0)
        return fail(why, why_cap, "access", path);
    return 0;
}

int maildir_create(const char *root, const char *mailbox, char *why, size_t why_cap)
{
    static const char *const parts[] = {"", "/tmp", "/new", "/cur"};
    char path[4096];
    /* Usually it is all there already. Looking costs less than mkdir(),
     * which locks the parent folder even when it then says EEXIST. */
    snprintf(path, sizeof path, "%s/%s/cur", root, mailbox);
    if (access(path, F_OK) == 0)
        return 0;
    if (make_dir(root, why, why_cap) < 0)
        return -1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(path, sizeof path, "%s/%s%s", root, mailbox, parts[i]);
        if (make_dir(path, why, why_cap) < 0)
            return -1;
    }
    return 0;
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

FILE *maildir_open_tmp(const char *root, const char *mailbox, const char *hostname,
                       char *name, size_t name_cap, char *path, size_t path_cap,
                       char *why, size_t why_cap)
{
    maildir_unique_name(name, name_cap, hostname);
    snprintf(path, path_cap, "%s/%s/tmp/%s", root, mailbox, name);
    return maildir_create_file(path, why, why_cap);
}

FILE *maildir_create_file(const char *path, char *why, size_t why_cap)
{
    /* O_EXCL: if the name somehow exists, fail rather than overwrite. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
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

int maildir_deliver(const char *root, FILE *file, const char *tmp_path,
                    const char *name, const char *const *mailboxes, size_t count,
                    char *why, size_t why_cap)
{
    char path[4096];

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

    /* Step 3: every other recipient gets a hard link to the same file
     * (one copy on disk however many local recipients), then the first
     * gets the file itself, renamed out of tmp/. */
    for (size_t i = 1; i < count; i++) {
        if (seen_before(mailboxes, i))
            continue;
        snprintf(path, sizeof path, "%s/%s/new/%s", root, mailboxes[i], name);
        if (link(tmp_path, path) != 0)
            return fail(why, why_cap, "link", path);
    }
    snprintf(path, sizeof path, "%s/%s/new/%s", root, mailboxes[0], name);
    if (rename(tmp_path, path) != 0)
        return fail(why, why_cap, "rename", path);

    /* Step 4: make the new names durable. */
    for (size_t i = 0; i < count; i++) {
        if (seen_before(mailboxes, i))
            continue;
        snprintf(path, sizeof path, "%s/%s/new", root, mailboxes[i]);
        if (maildir_sync_dir(path, why, why_cap) < 0)
            return -1;
    }
    return 0;
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
