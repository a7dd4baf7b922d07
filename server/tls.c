/*
 * tls.c - making and loading the server's certificate with OpenSSL 3.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A certificate binds a public key to a name and is signed by someone the
 * client trusts. "Self-signed" means we sign our own: nobody vouches for
 * it, so a client must be told to trust this very certificate. That is
 * exactly the classroom situation, and the fingerprint lets a student
 * check they got the right one.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safe_dir.h"

/* The first OpenSSL error as text, for `why`. */
static void openssl_why(char *why, size_t why_cap, const char *what)
{
    char detail[256];
    ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
    snprintf(why, why_cap, "%s: %s", what, detail);
}

/*
 * Write a PEM object with `write` as the file `name` in the folder open as
 * dir_fd, readable by the owner only. Never over an existing file: it is
 * written under a new name with O_EXCL (which also refuses a link planted
 * there) and then renamed into place. rename() replaces a link planted
 * under `name` with our file; it never writes through it. Opening `name`
 * with O_TRUNC would have emptied whatever a planted link points at, with
 * the server's rights (root's, say).
 */
static int write_pem(int dir_fd, const char *name, const char *shown,
                     int (*write)(FILE *, void *), void *object, char *why,
                     size_t why_cap)
{
    char fresh[300];
    snprintf(fresh, sizeof fresh, "%s.new", name);
    unlinkat(dir_fd, fresh, 0); /* left by a start that died here */
    /* Created 0600 from the start: a key must never be readable by
     * others, not even for the moment between creating and chmod. */
    int fd = openat(dir_fd, fresh, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (file == NULL) {
        snprintf(why, why_cap, "open(%s.new): %s", shown, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int ok = write(file, object);
    if (fflush(file) != 0 || fsync(fileno(file)) != 0 || !ok) {
        snprintf(why, why_cap, "writing %s.new failed: %s", shown,
                 ok ? strerror(errno) : "OpenSSL could not write it");
        fclose(file);
        unlinkat(dir_fd, fresh, 0);
        return -1;
    }
    if (fclose(file) != 0 || renameat(dir_fd, fresh, dir_fd, name) != 0) {
        snprintf(why, why_cap, "rename(%s.new, %s): %s", shown, shown, strerror(errno));
        unlinkat(dir_fd, fresh, 0);
        return -1;
    }
    return 0;
}

/* What state is `name` in inside dir_fd: 1 a plain file, 0 missing, -1 a
 * link or anything else (why says so). */
static int plain_file(int dir_fd, const char *name, const char *shown, char *why,
                      size_t why_cap)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISREG(st.st_mode))
        return 1;
    snprintf(why, why_cap,
             "%s is %s, not a plain file: refusing to use it (remove it, and the "
             "server makes a new certificate)",
             shown, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a file");
    return -1;
}

static int write_key(FILE *file, void *key)
{
    return PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(FILE *file, void *cert)
{
    return PEM_write_X509(file, cert);
}

/* Build a self-signed X.509 certificate for hostname around key. */
static X509 *make_certificate(EVP_PKEY *key, const char *hostname)
{
    X509 *cert = X509_new();
    if (cert == NULL)
        return NULL;
    X509_set_version(cert, 2); /* X.509 v3, needed for extensions */
    ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(cert), -60 * 60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 60 * 60);
    X509_set_pubkey(cert, key);

    /* Subject = issuer = CN=<hostname>: that is what "self-signed" means. */
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)"mailwalk classroom", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)hostname, -1, -1, 0);
    X509_set_issuer_name(cert, name);

    /* Clients check the name against subjectAltName (RFC 6125), not CN.
     * Besides the server's name we add the loopback names, so that a
     * client on the same machine can check the certificate however it
     * connects: mx.bob.example, localhost, 127.0.0.1 or ::1. */
    char san[400];
    snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", hostname);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    if (ext == NULL || !X509_add_ext(cert, ext, -1) ||
        !X509_sign(cert, key, EVP_sha256())) {
        X509_EXTENSION_free(ext);
        X509_free(cert);
        return NULL;
    }
    X509_EXTENSION_free(ext);
    return cert;
}

/* "dir/tls-key.pem" -> folder "dir" and name "tls-key.pem". */
static void split_path(const char *path, char *folder, size_t folder_cap,
                       const char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(folder, folder_cap, ".");
        *name = path;
    } else {
        snprintf(folder, folder_cap, "%.*s", (int)(slash - path), path);
        if (folder[0] == '\0')
            snprintf(folder, folder_cap, "/");
        *name = slash + 1;
    }
}

int tls_ensure_self_signed(const char *cert_path, const char *key_path,
                           const char *hostname, char *why, size_t why_cap)
{
    /* The state folder must be ours and closed to others (safe_dir.h):
     * the private key is written there, with the server's rights. */
    char folder[4096];
    const char *key_name, *cert_name;
    split_path(key_path, folder, sizeof folder, &key_name);
    split_path(cert_path, folder, sizeof folder, &cert_name);
    int dir_fd = safe_dir_open(AT_FDCWD, folder, false, folder, why, why_cap);
    if (dir_fd < 0)
        return -1;
    int have_key = plain_file(dir_fd, key_name, key_path, why, why_cap);
    int have_cert =
        have_key < 0 ? -1 : plain_file(dir_fd, cert_name, cert_path, why, why_cap);
    if (have_key < 0 || have_cert < 0) {
        close(dir_fd);
        return -1;
    }
    if (have_key && have_cert) {
        close(dir_fd);
        return 0; /* made on an earlier start */
    }

    int rc = -1;
    /* An elliptic-curve key (P-256): small, fast, and accepted everywhere. */
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = key ? make_certificate(key, hostname) : NULL;
    if (key == NULL)
        openssl_why(why, why_cap, "making a key");
    else if (cert == NULL)
        openssl_why(why, why_cap, "making a certificate");
    else if ((rc = write_pem(dir_fd, key_name, key_path, write_key, key, why,
                             why_cap)) == 0)
        rc = write_pem(dir_fd, cert_name, cert_path, write_cert, cert, why, why_cap);
    X509_free(cert);
    EVP_PKEY_free(key);
    close(dir_fd);
    return rc;
}

SSL_CTX *tls_server_context(const char *cert_path, const char *key_path, char *why,
                            size_t why_cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        openssl_why(why, why_cap, "SSL_CTX_new");
        return NULL;
    }
    /* TLS 1.0 and 1.1 are broken and retired (RFC 8996). */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        openssl_why(why, why_cap, cert_path);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        openssl_why(why, why_cap, key_path);
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(why, why_cap, "%s does not belong to %s", key_path, cert_path);
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

int tls_certificate_names(const char *cert_path, const char *hostname)
{
    FILE *file = fopen(cert_path, "r");
    if (file == NULL)
        return -1;
    X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    if (cert == NULL)
        return -1;
    int rc = X509_check_host(cert, hostname, 0, 0, NULL) == 1 ? 1 : 0;
    X509_free(cert);
    return rc;
}

int tls_fingerprint(const char *cert_path, char *out, size_t cap)
{
    FILE *file = fopen(cert_path, "r");
    if (file == NULL)
        return -1;
    X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = (cert && X509_digest(cert, EVP_sha256(), md, &n)) ? 0 : -1;
    X509_free(cert);
    size_t o = 0;
    out[0] = '\0';
    for (unsigned int i = 0; rc == 0 && i < n && o + 4 <= cap; i++)
        o += (size_t)snprintf(out + o, cap - o, i ? ":%02X" : "%02X", md[i]);
    return rc;
}
