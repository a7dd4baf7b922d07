/*
 * replay.c - run a fuzz target once on every file of its seed corpus,
 * without libFuzzer.
 *
 *   fuzz-replay-path tests/fuzz/corpus/path [more files or folders...]
 *
 * This is how the corpus becomes a regression test in every build, with
 * gcc too (tests/fuzz/meson.build registers one `meson test` per target):
 * an input that once crashed a parser is added to the corpus, and from
 * then on every build runs it. A crash or a failed invariant aborts, and
 * the test fails; the file being run is printed first, so the log names it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Run the target on one file. Returns 0, or -1 if it could not be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fopen(%s): %s\n", path, strerror(errno));
        return -1;
    }
    /* A seed is small; 1 MiB is far more than any of them. */
    size_t cap = 1 << 20;
    uint8_t *data = malloc(cap);
    if (data == NULL)
        abort();
    size_t size = fread(data, 1, cap, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "fread(%s) failed\n", path);
        free(data);
        return -1;
    }
    printf("replay %s (%zu bytes)\n", path, size);
    fflush(stdout); /* before the target runs: a crash must not lose the name */
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

/* Run every regular file of a folder (not recursively). Returns how many,
 * or -1. */
static long replay_folder(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "opendir(%s): %s\n", path, strerror(errno));
        return -1;
    }
    long count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        struct stat st;
        if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(file) != 0) {
            closedir(d);
            return -1;
        }
        count++;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
                     ? replay_folder(argv[i])
                     : (replay_file(argv[i]) == 0 ? 1 : -1);
        if (n < 0)
            return 1;
        total += n;
    }
    /* An empty corpus would make this a test that cannot fail. */
    if (total == 0) {
        fprintf(stderr, "usage: %s CORPUS-FOLDER-OR-FILE...: no input found\n",
                argv[0]);
        return 1;
    }
    printf("%ld inputs replayed, no crash\n", total);
    return 0;
}
