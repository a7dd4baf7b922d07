/*
 * pop3_mailbox.c - one user's Maildir as a POP3 session sees it: locked at
 * login, numbered once, deleted only at QUIT (see pop3_mailbox.h).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 *
 * Every file is reached through a folder descriptor (openat, renameat,
 * unlinkat) and opened with O_NOFOLLOW: a local user who plants a symbolic
 * link in a Maildir cannot make the server read or delete a file outside it.
 */
#include "pop3_mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pop3_text.h"

/* Fill why[] with "call(path): reason" from errno; returns -1. */
static int fail(char *why, size_t cap, const char *call, const char *path)
{
    snprintf(why, cap, "%s(%s): %s", call, path, strerror(errno));
    return -1;
}

/* ----- the order and the names of messages ----------------------------- */

/* The delivery time from a Maildir name "1732352400.M123456P4242Q1.host"
 * (seconds, a dot, M and the microseconds). Other names sort first. */
static void delivery_time(struct pop3_message *msg)
{
    char *end;
    msg->seconds = strtoll(msg->name, &end, 10);
    msg->micros = (*end == '.' && end[1] == 'M') ? strtol(end + 2, NULL, 10) : 0;
}

static int by_delivery_time(const void *a, const void *b)
{
    const struct pop3_message *x = a, *y = b;
    if (x->seconds != y->seconds)
        return x->seconds < y->seconds ? -1 : 1;
    if (x->micros != y->micros)
        return x->micros < y->micros ? -1 : 1;
    return strcmp(x->name, y->name);
}

/*
 * The unique-id of a message (RFC 1939 §7, UIDL): it must not change
 * between sessions, so a client can remember what it already fetched. The
 * Maildir name is made for exactly that: unique, and kept when the file
 * moves from new/ to cur/ (only the ":2,flags" part after it changes). A
 * name that does not fit the UIDL rules (1-70 characters from 0x21 to
 * 0x7E) is replaced by the SHA-256 of the name, in hex, cut to 64.
 */
static void unique_id(const char *name, char *uid)
{
    const char *info = strstr(name, ":2,");
    size_t key_len = info != NULL ? (size_t)(info - name) : strlen(name);
    bool fits = key_len >= 1 && key_len <= POP3_UID_MAX;
    for (size_t i = 0; fits && i < key_len; i++)
        fits = name[i] >= 0x21 && name[i] <= 0x7E;
    if (fits) {
        memcpy(uid, name, key_len);
        uid[key_len] = '\0';
        return;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_Digest(name, key_len, digest, &digest_len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < digest_len && i < 32; i++)
        snprintf(uid + 2 * i, 3, "%02x", digest[i]);
}

/* ----- opening: lock, new/ -> cur/, list ------------------------------- */

/* Open a subfolder of dir_fd, refusing a symbolic link. */
static int open_folder(int dir_fd, const char *name)
{
    return openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Move every message of new/ into cur/, adding the ":2," that marks a file
 * a reader has taken over (the Maildir convention). The name before ":2,"
 * stays, so the message keeps its unique-id. A rename is atomic: a message
 * is in new/ or in cur/, never half-moved and never in both.
 */
static int take_new_into_cur(int user_fd, int cur_fd, char *why, size_t why_cap)
{
    int new_fd = open_folder(user_fd, "new");
    if (new_fd < 0)
        return errno == ENOENT ? 0 : fail(why, why_cap, "open", "new/");
    DIR *dir = fdopendir(new_fd);
    if (dir == NULL) {
        close(new_fd);
        return fail(why, why_cap, "fdopendir", "new/");
    }
    int result = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue; /* ".", "..", and the hidden files Maildir ignores */
        char target[sizeof entry->d_name + 4];
        snprintf(target, sizeof target, "%s:2,", entry->d_name);
        if (renameat(new_fd, entry->d_name, cur_fd, target) != 0 && errno != ENOENT) {
            result = fail(why, why_cap, "rename", entry->d_name);
            break;
        }
    }
    closedir(dir);
    return result;
}

/* Add one file of cur/ to the list, with its size as POP3 counts it. */
static int add_message(struct pop3_mailbox *m, size_t *cap, const char *name, char *why,
                       size_t why_cap)
{
    int fd = openat(m->cur_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOENT)
            return 0; /* a planted link, or deleted meanwhile: not a message */
        return fail(why, why_cap, "open", name);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd); /* a FIFO or a folder someone put there: skip it */
        return 0;
    }
    FILE *file = fdopen(fd, "r");
    if (file == NULL) {
        close(fd);
        return fail(why, why_cap, "fdopen", name);
    }
    unsigned long long octets;
    if (pop3_text_octets(file, &octets) != 0) /* closes the file */
        return fail(why, why_cap, "read", name);

    if (m->count == *cap) {
        size_t bigger = *cap ? *cap * 2 : 16;
        struct pop3_message *grown = realloc(m->messages, bigger * sizeof *grown);
        if (grown == NULL)
            return fail(why, why_cap, "realloc", "message list");
        m->messages = grown;
        *cap = bigger;
    }
    struct pop3_message *msg = &m->messages[m->count++];
    memset(msg, 0, sizeof *msg);
    snprintf(msg->name, sizeof msg->name, "%s", name);
    unique_id(name, msg->uid);
    msg->octets = octets;
    delivery_time(msg);
    return 0;
}

/* List cur/, oldest first: message 1 is the one delivered first. */
static int list_cur(struct pop3_mailbox *m, char *why, size_t why_cap)
{
    int fd = dup(m->cur_fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        return fail(why, why_cap, "opendir", "cur/");
    }
    size_t cap = 0;
    int result = 0;
    struct dirent *entry;
    while (result == 0 && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.' ||
            strlen(entry->d_name) >= sizeof m->messages[0].name)
            continue;
        result = add_message(m, &cap, entry->d_name, why, why_cap);
    }
    closedir(dir);
    if (result == 0 && m->count > 1)
        qsort(m->messages, m->count, sizeof m->messages[0], by_delivery_time);
    return result;
}

enum pop3_open_result pop3_mailbox_open(struct pop3_mailbox *m, const char *root,
                                        const char *user, char *why, size_t why_cap)
{
    memset(m, 0, sizeof *m);
    m->user_fd = -1;
    m->cur_fd = -1;

    int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        fail(why, why_cap, "open", root);
        return POP3_OPEN_ERROR;
    }
    m->user_fd = open_folder(root_fd, user);
    close(root_fd);
    if (m->user_fd < 0) {
        if (errno == ENOENT)
            return POP3_OPEN_OK; /* no mail has come yet: an empty mailbox */
        fail(why, why_cap, "open", user);
        return POP3_OPEN_ERROR;
    }

    /* RFC 1939 §8: "the POP3 server then acquires an exclusive-access lock
     * on the maildrop". flock() on the folder itself needs no lock file,
     * and the kernel lets go of it when the process ends, however it ends:
     * a crashed session never leaves a mailbox locked for good. */
    if (flock(m->user_fd, LOCK_EX | LOCK_NB) != 0) {
        enum pop3_open_result result = POP3_OPEN_ERROR;
        if (errno == EWOULDBLOCK)
            result = POP3_OPEN_IN_USE;
        else
            fail(why, why_cap, "flock", user);
        pop3_mailbox_close(m);
        return result;
    }

    /* Make cur/ if a hand-made Maildir lacks it. */
    if (mkdirat(m->user_fd, "cur", 0700) != 0 && errno != EEXIST) {
        fail(why, why_cap, "mkdir", "cur/");
        pop3_mailbox_close(m);
        return POP3_OPEN_ERROR;
    }
    m->cur_fd = open_folder(m->user_fd, "cur");
    if (m->cur_fd < 0) {
        fail(why, why_cap, "open", "cur/");
        pop3_mailbox_close(m);
        return POP3_OPEN_ERROR;
    }
    if (take_new_into_cur(m->user_fd, m->cur_fd, why, why_cap) != 0 ||
        list_cur(m, why, why_cap) != 0) {
        pop3_mailbox_close(m);
        return POP3_OPEN_ERROR;
    }
    return POP3_OPEN_OK;
}

struct pop3_message *pop3_mailbox_message(struct pop3_mailbox *m, unsigned long number)
{
    if (number < 1 || number > m->count || m->messages[number - 1].deleted)
        return NULL;
    return &m->messages[number - 1];
}

void pop3_mailbox_totals(const struct pop3_mailbox *m, size_t *count,
                         unsigned long long *octets)
{
    *count = 0;
    *octets = 0;
    for (size_t i = 0; i < m->count; i++) {
        if (m->messages[i].deleted)
            continue;
        (*count)++;
        *octets += m->messages[i].octets;
    }
}

int pop3_mailbox_open_message(const struct pop3_mailbox *m,
                              const struct pop3_message *msg, char *why, size_t why_cap)
{
    int fd = openat(m->cur_fd, msg->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        fail(why, why_cap, "open", msg->name);
    return fd;
}

int pop3_mailbox_commit(struct pop3_mailbox *m, size_t *removed, char *why,
                        size_t why_cap)
{
    *removed = 0;
    int result = 0;
    for (size_t i = 0; i < m->count; i++) {
        if (!m->messages[i].deleted)
            continue;
        /* unlinkat() removes the name in cur/ itself, never what a link
         * points to. Already gone (ENOENT) is what we wanted anyway. */
        if (unlinkat(m->cur_fd, m->messages[i].name, 0) == 0 || errno == ENOENT)
            (*removed)++;
        else if (result == 0)
            result = fail(why, why_cap, "unlink", m->messages[i].name);
    }
    /* The names are gone from the folder; make that survive a crash, as
     * a delivery's rename does (server/maildir.c). */
    if (*removed > 0 && fsync(m->cur_fd) != 0 && result == 0)
        result = fail(why, why_cap, "fsync", "cur/");
    return result;
}

void pop3_mailbox_close(struct pop3_mailbox *m)
{
    if (m->cur_fd >= 0)
        close(m->cur_fd);
    if (m->user_fd >= 0)
        close(m->user_fd); /* closing the descriptor drops the flock() */
    free(m->messages);
    m->messages = NULL;
    m->count = 0;
    m->cur_fd = -1;
    m->user_fd = -1;
}
