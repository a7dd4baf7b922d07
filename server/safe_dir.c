/*
 * safe_dir.c - open a folder without following links, and check its owner.
 *
 * See safe_dir.h for why. The one subtle point: O_NOFOLLOW only refuses a
 * link in the *last* part of a name, which is why every folder is opened
 * one name at a time, each relative to the folder before it.
 */
#include "safe_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int safe_dir_check(int fd, const char *shown, char *why, size_t why_cap)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(why, why_cap, "fstat(%s): %s", shown, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, why_cap, "%s is not a folder", shown);
        errno = ENOTDIR;
        return -1;
    }
    /* Root may write anywhere, so a folder of another user is one that
     * user can fill with links: refuse it, whoever we are. */
    if (st.st_uid != geteuid()) {
        snprintf(why, why_cap,
                 "%s belongs to uid %ld, not to the uid %ld the server runs as: "
                 "refusing a folder another user made (they could plant links in it)",
                 shown, (long)st.st_uid, (long)geteuid());
        errno = EPERM;
        return -1;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        snprintf(why, why_cap,
                 "%s is writable by others (mode %04o): refusing it, since anyone "
                 "who may write there could plant links (chmod go-w %s)",
                 shown, (unsigned)(st.st_mode & 07777), shown);
        errno = EPERM;
        return -1;
    }
    return 0;
}

int safe_dir_open(int parent_fd, const char *name, bool create, const char *shown,
                  char *why, size_t why_cap)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    /* Usually the folder is there already: open first, and make it only
     * when it is missing (mkdir locks the parent folder even when it then
     * says EEXIST, which costs every delivery). */
    int fd = openat(parent_fd, name, flags);
    if (fd < 0 && errno != ELOOP && create) {
        if (mkdirat(parent_fd, name, 0700) < 0 && errno != EEXIST) {
            snprintf(why, why_cap, "mkdir(%s): %s", shown, strerror(errno));
            return -1;
        }
        fd = openat(parent_fd, name, flags);
    }
    if (fd < 0) {
        int saved = errno;
        struct stat st;
        /* O_NOFOLLOW on a link says ELOOP, O_DIRECTORY says ENOTDIR: tell
         * the admin which, in words. */
        if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            snprintf(why, why_cap,
                     "%s is a symbolic link: refusing to follow it (a link "
                     "could send mail, or a key, anywhere)",
                     shown);
        else
            snprintf(why, why_cap, "open(%s): %s", shown, strerror(saved));
        errno = saved;
        return -1;
    }
    if (safe_dir_check(fd, shown, why, why_cap) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* "mail/" would follow a link named mail, as if it were "mail/.": drop
 * trailing slashes so that O_NOFOLLOW sees the name itself. */
static void drop_trailing_slashes(char *path)
{
    for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
        path[n - 1] = '\0';
}

int safe_dir_open_path(const char *root, const char *const *parts, bool create,
                       char *why, size_t why_cap)
{
    char shown[4096];
    snprintf(shown, sizeof shown, "%s", root);
    drop_trailing_slashes(shown);
    int fd = safe_dir_open(AT_FDCWD, shown, create, shown, why, why_cap);
    for (size_t i = 0; fd >= 0 && parts[i] != NULL; i++) {
        size_t used = strlen(shown);
        snprintf(shown + used, sizeof shown - used, "/%s", parts[i]);
        int next = safe_dir_open(fd, parts[i], create, shown, why, why_cap);
        int saved = errno;
        close(fd);
        errno = saved;
        fd = next;
    }
    return fd;
}

int safe_dir_make_path(const char *path, char *why, size_t why_cap)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    drop_trailing_slashes(parent);
    /* Make each parent in turn: "a", "a/b", then "a/b/c" below. */
    for (char *slash = strchr(parent + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
            snprintf(why, why_cap, "mkdir(%s): %s", parent, strerror(errno));
            return -1;
        }
        *slash = '/';
    }
    return safe_dir_open(AT_FDCWD, parent, true, path, why, why_cap);
}
