/*
 * users.h - who may log in (SMTP AUTH, RFC 4954), and how we check.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The users file holds one user per line, never a password itself:
 *
 *     # name:scheme$iterations$salt$hash
 *     alice:pbkdf2-sha256$100000$q8C6...==$9f3T...=
 *
 * `mailwalk-server --hash-password` makes the part after the colon. To check
 * a password we run the same slow function (PBKDF2-HMAC-SHA256, RFC 8018
 * §5.2) with the stored salt and compare the results in constant time. A
 * thief who copies the file still has to guess each password, slowly.
 */
#ifndef MAILWALK_USERS_H
#define MAILWALK_USERS_H

#include <stddef.h>

/* Iterations for new hashes: ~50 ms per check on a laptop, which is
 * nothing for one login and a lot for a million guesses. */
#define USERS_PBKDF2_ITERATIONS 100000

/* Write "pbkdf2-sha256$iterations$salt$hash" for password into out.
 * Returns 0, or -1 with why set. */
int users_hash_password(const char *password, char *out, size_t cap, char *why,
                        size_t why_cap);

/* Is `password` right for `user` in the users file at path?
 * Returns 1 (yes), 0 (no such user, or wrong password: the caller must not
 * tell which), or -1 (the file is unreadable or broken; why says how). */
int users_check(const char *path, const char *user, const char *password, char *why,
                size_t why_cap);

/* Can the users file at path be read, and is every line that is not a
 * comment a well-formed 'name:HASH'? Returns 0, or -1 with why set: the
 * server checks this at start-up, so a typo stops it with a clear error
 * instead of failing every AUTH later. */
int users_file_check(const char *path, char *why, size_t why_cap);

#endif
