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
 *
 * Exit status 0 alone is not a pass: code under test could call exit(0) in
 * the middle of a check, or from a constructor before main(). So the
 * grader puts a random token in the environment of each run
 * (MAILWALK_CHECK_TOKEN), lab_check_take_token() below copies it and wipes
 * it before any constructor of the student's file runs, and
 * lab_checks_main() prints it back only after the check returned 0. Run by
 * hand, with no token, nothing extra is printed.
 */
#ifndef MAILWALK_LAB_CHECKS_H
#define MAILWALK_LAB_CHECKS_H

#include <stdio.h>
#include <stdlib.h>
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

/* What the grader looks for on stdout after a check that ran to its end. */
#define LAB_CHECK_PASSED "mailwalk-check-passed"

static char lab_check_token[65];

/* Constructors with a priority run before those without one (the default
 * of __attribute__((constructor)) and of C++ statics), so the token is
 * gone from the environment - and from the memory /proc/self/environ
 * shows - before the code under test can look. */
__attribute__((constructor(101))) static void lab_check_take_token(void)
{
    char *token = getenv("MAILWALK_CHECK_TOKEN");
    if (token == NULL)
        return;
    snprintf(lab_check_token, sizeof lab_check_token, "%s", token);
    memset(token, 0, strlen(token));
    unsetenv("MAILWALK_CHECK_TOKEN");
}

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
            if (strcmp(argv[1], checks[i].name) == 0) {
                if (checks[i].run() != 0)
                    return 1;
                if (lab_check_token[0] != '\0')
                    printf("\n%s %s\n", LAB_CHECK_PASSED, lab_check_token);
                fflush(stdout);
                return 0;
            }
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
