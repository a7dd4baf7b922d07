/*
 * fuzz.h - what the fuzz targets in this folder share.
 *
 * A fuzz target is one function, LLVMFuzzerTestOneInput(data, size), that
 * hands arbitrary bytes to one parser and checks that nothing breaks. It is
 * built two ways (tests/fuzz/meson.build):
 *
 *  - with clang and -Dfuzz=enabled, libFuzzer calls it millions of times
 *    with inputs it mutates, keeping those that reach new code
 *    (scripts/fuzz.sh runs them);
 *  - in every normal build, replay.c calls it once for each file of the
 *    seed corpus (tests/fuzz/corpus/<target>/), as a plain `meson test`.
 *
 * AddressSanitizer finds the memory errors; the checks below find the
 * rest: a target states what must hold for *any* input (every reply ends
 * in CR LF, decoding what was encoded gives it back...) and aborts when it
 * does not, so that libFuzzer saves the input that broke it.
 */
#ifndef MAILWALK_FUZZ_H
#define MAILWALK_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/remove_tree.h"

/* The entry point libFuzzer (or replay.c) calls. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: print which one failed and abort, which libFuzzer reports
 * as a crash and saves the input for. (Not assert(): that vanishes with
 * NDEBUG, and a fuzz build should never lose its checks.) */
#define FUZZ_CHECK(condition)                                                          \
    do {                                                                               \
        if (!(condition)) {                                                            \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
                    #condition);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* One temporary folder for the whole run, made on first use and removed
 * at exit (libFuzzer exits with exit(), so atexit handlers run). */
static char fuzz_temp_path[64];

static inline void fuzz_remove_temp_dir(void)
{
    if (fuzz_temp_path[0] != '\0')
        remove_tree(fuzz_temp_path);
}

static inline const char *fuzz_temp_dir(void)
{
    if (fuzz_temp_path[0] == '\0') {
        /* In memory (/dev/shm) where there is one: the targets that store
         * files call fsync() for every message, which a disk makes slow. */
        snprintf(fuzz_temp_path, sizeof fuzz_temp_path,
                 "/dev/shm/mailwalk-fuzz-XXXXXX");
        if (mkdtemp(fuzz_temp_path) == NULL) {
            snprintf(fuzz_temp_path, sizeof fuzz_temp_path,
                     "/tmp/mailwalk-fuzz-XXXXXX");
            if (mkdtemp(fuzz_temp_path) == NULL) {
                perror("mkdtemp");
                abort();
            }
        }
        atexit(fuzz_remove_temp_dir);
    }
    return fuzz_temp_path;
}

/* Write data to the file `name` in the temporary folder (for parsers that
 * only read files); path gets its full name. */
static inline void fuzz_write_file(const char *name, const uint8_t *data, size_t size,
                                   char *path, size_t path_cap)
{
    snprintf(path, path_cap, "%s/%s", fuzz_temp_dir(), name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated copy of the input (most parsers take C strings).
 * Free it with free(). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/*
 * Put data into a socket, as a peer would send it: make a socketpair,
 * write as much of data as the kernel buffers (without blocking), and
 * return our end in *reader and the peer's in *writer. Returns how many
 * bytes went in (the rest of a very long input is dropped).
 */
static inline size_t fuzz_socket_with(const uint8_t *data, size_t size, int *reader,
                                      int *writer)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        perror("socketpair");
        abort();
    }
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(fds[1], data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the buffer is full: enough for one input */
        sent += (size_t)n;
    }
    *reader = fds[0];
    *writer = fds[1];
    return sent;
}

#endif
