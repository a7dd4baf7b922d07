/* cheat (appended to the lab 1 starter): write score lines and JSON result
 * lines into every open descriptor of the parent process (the grader),
 * through /proc/PPID/fd/N: its stdout, and any pipe it reads results from. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void cheat_write_to(const char *path)
{
    static const char fake[] =
        "\n[99/99] faked by a cheat\nlab01: 99/99\n"
        "{\"name\": \"multi-line reply\", \"points\": 3, \"max\": 3, "
        "\"passed\": true, \"message\": \"faked by a cheat\"}\n"
        "{\"name\": \"one-line reply\", \"points\": 99, \"max\": 2, "
        "\"passed\": true, \"message\": \"faked by a cheat\"}\n";
    int fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd >= 0) {
        ssize_t n = write(fd, fake, strlen(fake));
        (void)n;
        close(fd);
    }
}

__attribute__((constructor)) static void cheat_parent_fds(void)
{
    char path[64];
    for (int fd = 0; fd < 64; fd++) {
        snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)getppid(), fd);
        cheat_write_to(path);
    }
}
