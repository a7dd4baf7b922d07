/*
 * fuzz_users.c - the users file reader behind SMTP AUTH (server/users.c).
 * It only reads files, so the input is written to a temporary file.
 *
 * Input: a users file, e.g. "# who may log in\nalice:pbkdf2-sha256$1000$c2FsdA==$...\n".
 * The program is linked with cheap_pbkdf2.c, so a check costs microseconds
 * instead of the real 50 ms (see there).
 *
 * Checks, for any input:
 *  - users_check() answers 1, 0 or -1 for a few user names, and -1 always
 *    comes with a reason;
 *  - a round trip: the input's first line, taken as a password, hashed
 *    with users_hash_password() and written as "alice:HASH", checks as
 *    right for that password and wrong for any other.
 */
#include "fuzz.h"
#include "users.h"

static const char *const names[] = {"alice", "bob", "al", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256], why[512];
    fuzz_write_file("users", data, size, path, sizeof path);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        why[0] = '\0';
        int result = users_check(path, names[i], "secret", why, sizeof why);
        FUZZ_CHECK(result == 1 || result == 0 || result == -1);
        if (result == -1)
            FUZZ_CHECK(why[0] != '\0');
    }

    /* The round trip, with the first line as the password. */
    const uint8_t *lf = memchr(data, '\n', size);
    size_t len = lf ? (size_t)(lf - data) : size;
    if (len > 200)
        len = 200;
    char *password = fuzz_string(data, len);
    char hash[512], file[600];
    FUZZ_CHECK(users_hash_password(password, hash, sizeof hash, why, sizeof why) == 0);
    int n = snprintf(file, sizeof file, "alice:%s\n", hash);
    fuzz_write_file("users", (const uint8_t *)file, (size_t)n, path, sizeof path);
    FUZZ_CHECK(users_check(path, "alice", password, why, sizeof why) == 1);
    char wrong[210];
    snprintf(wrong, sizeof wrong, "%sx", password);
    FUZZ_CHECK(users_check(path, "alice", wrong, why, sizeof why) == 0);
    free(password);
    return 0;
}
