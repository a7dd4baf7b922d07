/*
 * test_users.c - password hashes for SMTP AUTH: made, checked, and never
 * telling a wrong password from an unknown user.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

static char users_file[] = "/tmp/mailwalk-users-XXXXXX";

static int make_users_file(void **state)
{
    (void)state;
    char hash[256], why[256];
    int fd = mkstemp(users_file);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(
        users_hash_password("correct horse", hash, sizeof hash, why, sizeof why), 0);
    fprintf(f, "# mailwalk users\n\nalice:%s\n", hash);
    assert_int_equal(
        users_hash_password("battery staple", hash, sizeof hash, why, sizeof why), 0);
    fprintf(f, "bob:%s\nbroken:pbkdf2-sha256$x$y$z\n", hash);
    fclose(f);
    return 0;
}

static int remove_users_file(void **state)
{
    (void)state;
    unlink(users_file);
    return 0;
}

static void test_hash_looks_right_and_is_salted(void **state)
{
    (void)state;
    char a[256], b[256], why[256];
    assert_int_equal(users_hash_password("same", a, sizeof a, why, sizeof why), 0);
    assert_int_equal(users_hash_password("same", b, sizeof b, why, sizeof why), 0);
    assert_true(strncmp(a, "pbkdf2-sha256$100000$", 21) == 0);
    /* A random salt per hash: the same password never hashes the same. */
    assert_string_not_equal(a, b);
}

static void test_right_and_wrong_passwords(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(users_check(users_file, "alice", "correct horse", why, sizeof why),
                     1);
    assert_int_equal(users_check(users_file, "bob", "battery staple", why, sizeof why),
                     1);
    assert_int_equal(
        users_check(users_file, "alice", "battery staple", why, sizeof why), 0);
    assert_int_equal(users_check(users_file, "alice", "", why, sizeof why), 0);
    /* Unknown users get the same answer as wrong passwords. */
    assert_int_equal(users_check(users_file, "mallory", "x", why, sizeof why), 0);
    /* A prefix of a name is not the name. */
    assert_int_equal(users_check(users_file, "ali", "correct horse", why, sizeof why),
                     0);
}

static void test_broken_file_is_an_error(void **state)
{
    (void)state;
    char why[256] = "";
    assert_int_equal(users_check(users_file, "broken", "x", why, sizeof why), -1);
    assert_non_null(strstr(why, "line 5"));
    assert_int_equal(users_check("/nonexistent/users", "a", "b", why, sizeof why), -1);
    assert_non_null(strstr(why, "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_looks_right_and_is_salted),
        cmocka_unit_test(test_right_and_wrong_passwords),
        cmocka_unit_test(test_broken_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, make_users_file, remove_users_file);
}
