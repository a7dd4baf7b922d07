/*
 * cheap_pbkdf2.c - a fast stand-in for OpenSSL's PKCS5_PBKDF2_HMAC, for the
 * fuzz targets that reach server/users.c.
 *
 * users.c hashes every password check with PBKDF2 at 100 000 iterations,
 * on purpose: ~50 ms per guess (see users.h). A fuzzer wants the opposite,
 * thousands of inputs a second, and it is after the *parser* of the users
 * file, not the hash. This file defines a function of the same name and
 * signature; the linker takes a definition in the program itself before
 * the one in libcrypto, so users.c calls this one in the fuzz programs,
 * and only there. It is deterministic (the same password and salt give
 * the same bytes), so a hash written by users_hash_password() still
 * checks, and the round trip in fuzz_users.c still means something.
 *
 * Never link this into anything but a fuzz target.
 */
#include <openssl/evp.h>

int PKCS5_PBKDF2_HMAC(const char *pass, int passlen, const unsigned char *salt,
                      int saltlen, int iter, const EVP_MD *digest, int keylen,
                      unsigned char *out)
{
    (void)digest;
    if (pass == NULL || passlen < 0 || saltlen < 0 || iter < 1 || keylen < 0)
        return 0;
    /* FNV-1a over the password and the salt, stretched over keylen bytes:
     * not a hash anyone should trust, only one that depends on every byte. */
    unsigned long long h = 14695981039346656037ULL;
    for (int i = 0; i < passlen; i++)
        h = (h ^ (unsigned char)pass[i]) * 1099511628211ULL;
    for (int i = 0; i < saltlen; i++)
        h = (h ^ salt[i]) * 1099511628211ULL;
    h ^= (unsigned long long)iter;
    for (int i = 0; i < keylen; i++) {
        h = (h ^ (unsigned long long)i) * 1099511628211ULL;
        out[i] = (unsigned char)(h >> 56);
    }
    return 1;
}
