/*
 * remove_tree.h - "rm -r" for the C tests and fuzz targets that make a
 * temporary Maildir or queue of their own (tests/unit, tests/fuzz). Only
 * ever called on a folder the test itself made.
 */
#ifndef MAILWALK_TEST_REMOVE_TREE_H
#define MAILWALK_TEST_REMOVE_TREE_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Remove path and, if it is a folder, everything below it. A link is
 * removed, never followed (lstat). */
static inline void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[1024];
            int n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof child)
                remove_tree(child);
        }
        if (d != NULL)
            closedir(d);
    }
    remove(path);
}

#endif
