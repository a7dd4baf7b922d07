/*
 * users.c - password hashes: PBKDF2, salts, and comparing in constant time.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Three ideas protect the passwords:
 *  - a *salt*, random per user, so equal passwords get different hashes
 *    and one precomputed table cannot crack them all;
 *  - many *iterations*, so each guess costs the attacker real time;
 *  - a *constant-time* comparison (CRYPTO_memcmp), so the time a wrong
 *    answer takes says nothing about how many bytes were right.
 */
#include "users.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
#define SCHEME     "pbkdf2-sha256"

/* PBKDF2-HMAC-SHA256 of password with salt. */
static int derive(const char *password, const unsigned char *salt, size_t salt_len,
                  unsigned long iterations, unsigned char hash[HASH_BYTES])
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
                             (int)iterations, EVP_sha256(), HASH_BYTES, hash) == 1
               ? 0
               : -1;
}

int users_hash_password(const char *password, char *out, size_t cap, char *why,
                        size_t why_cap)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    char salt_text[BASE64_ENCODED_SIZE(SALT_BYTES)];
    char hash_text[BASE64_ENCODED_SIZE(HASH_BYTES)];

    if (RAND_bytes(salt, sizeof salt) != 1 ||
        derive(password, salt, sizeof salt, USERS_PBKDF2_ITERATIONS, hash) < 0) {
        snprintf(why, why_cap, "OpenSSL could not make a hash");
        return -1;
    }
    base64_encode(salt, sizeof salt, salt_text, sizeof salt_text);
    base64_encode(hash, sizeof hash, hash_text, sizeof hash_text);
    int n = snprintf(out, cap, "%s$%d$%s$%s", SCHEME, USERS_PBKDF2_ITERATIONS,
                     salt_text, hash_text);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(why, why_cap, "hash buffer too small");
        return -1;
    }
    return 0;
}

/* The parts of a stored hash. */
struct stored_hash {
    unsigned long iterations;
    unsigned char salt[64];
    long salt_len;
    unsigned char hash[HASH_BYTES];
};

/* Take "pbkdf2-sha256$N$salt$hash" apart. */
static bool parse_stored(char *text, struct stored_hash *out)
{
    char *scheme = strtok(text, "$");
    char *iterations = strtok(NULL, "$");
    char *salt = strtok(NULL, "$");
    char *hash = strtok(NULL, "$\r\n");
    if (!scheme || !iterations || !salt || !hash || strcmp(scheme, SCHEME) != 0)
        return false;
    char *end;
    out->iterations = strtoul(iterations, &end, 10);
    if (*end != '\0' || out->iterations == 0 || out->iterations > 10000000)
        return false;
    out->salt_len = base64_decode(salt, strlen(salt), out->salt, sizeof out->salt);
    return out->salt_len > 0 &&
           base64_decode(hash, strlen(hash), out->hash, sizeof out->hash) == HASH_BYTES;
}

int users_check(const char *path, const char *user, const char *password, char *why,
                size_t why_cap)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        snprintf(why, why_cap, "fopen(%s): %s", path, strerror(errno));
        return -1;
    }

    char line[1024];
    bool found = false, broken = false;
    struct stored_hash stored;
    size_t user_len = strlen(user);
    for (int number = 1; !found && fgets(line, sizeof line, file); number++) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (strncmp(line, user, user_len) != 0 || line[user_len] != ':')
            continue;
        found = true;
        if (!parse_stored(line + user_len + 1, &stored)) {
            snprintf(why, why_cap, "%s line %d: not name:%s$iterations$salt$hash", path,
                     number, SCHEME);
            broken = true;
        }
    }
    fclose(file);
    if (broken)
        return -1;

    /* An unknown user still costs one full hash, so that timing does not
     * tell an attacker which user names exist. */
    if (!found) {
        memset(&stored, 0, sizeof stored);
        stored.iterations = USERS_PBKDF2_ITERATIONS;
        stored.salt_len = SALT_BYTES;
    }
    unsigned char hash[HASH_BYTES];
    if (derive(password, stored.salt, (size_t)stored.salt_len, stored.iterations,
               hash) < 0) {
        snprintf(why, why_cap, "OpenSSL could not compute a hash");
        return -1;
    }
    return found && CRYPTO_memcmp(hash, stored.hash, HASH_BYTES) == 0 ? 1 : 0;
}

int users_file_check(const char *path, char *why, size_t why_cap)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        snprintf(why, why_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int users = 0, broken_line = 0;
    for (int number = 1; broken_line == 0 && fgets(line, sizeof line, file); number++) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *colon = strchr(line, ':');
        struct stored_hash stored;
        if (colon == NULL || colon == line || !parse_stored(colon + 1, &stored))
            broken_line = number;
        else
            users++;
    }
    fclose(file);
    if (broken_line > 0) {
        snprintf(why, why_cap,
                 "%s line %d: not name:%s$iterations$salt$hash (make the hash "
                 "with --hash-password)",
                 path, broken_line, SCHEME);
        return -1;
    }
    if (users == 0) {
        snprintf(why, why_cap, "%s has no 'name:HASH' line: nobody could log in", path);
        return -1;
    }
    return 0;
}
