/*
 * checks.h - the C half of a lab grader: checks that call a student's
 * functions directly, with no sockets.
 *
 * A lab's checks.c lists its checks in a table and hands it to
 * lab_checks_main(). The grader (labs/gradelib.py) runs the program once per
 * check - `lab01-checks multi_line` - in a process of its own with a time
 * limit, so an endless loop or a crash in the code under test costs that one
 * check and nothing else. A check returns 0 when it passes; CHECK() prints
 * what was wrong (the student reads it under the score line) and returns 1.
 */
#ifndef MAILWALK_LAB_CHECKS_H
#define MAILWALK_LAB_CHECKS_H

#include <stdio.h>
#include <string.h>

/* Fail the check, saying why, unless cond holds. */
#define CHECK(cond, ...)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

/* One check: its name on the command line, and the function. */
struct lab_check {
    const char *name;
    int (*run)(void);
};

/* `prog NAME` runs one check (exit 0 = passed); `prog --list` names them;
 * `prog` alone runs them all, for a quick look by hand. */
static inline int lab_checks_main(int argc, char **argv, const struct lab_check *checks,
                                  size_t count)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < count; i++)
            printf("%s\n", checks[i].name);
        return 0;
    }
    if (argc == 2) {
        for (size_t i = 0; i < count; i++)
            if (strcmp(argv[1], checks[i].name) == 0)
                return checks[i].run() == 0 ? 0 : 1;
        fprintf(stderr, "no check called %s (try --list)\n", argv[1]);
        return 2;
    }
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        int rc = checks[i].run();
        printf("%s %s\n", rc == 0 ? "ok  " : "FAIL", checks[i].name);
        failed += rc != 0;
    }
    return failed == 0 ? 0 : 1;
}

#endif
