/*
 * checks.c - lab 5's C checks: STARTTLS against a server the check plays
 * itself.
 *
 * The client gets one end of a socketpair(); a child process plays the
 * server on the other end: it answers STARTTLS, runs the TLS handshake with
 * a certificate made on the spot, and answers one sealed command. What the
 * server sends in plaintext right behind its "220" is the attacker's
 * injection that the client must throw away. (Certificate checking is
 * graded over real sockets, in grade.py.)
 *
 * Which rules of the handout (labs/05-starttls/README.md, "Rules") each check
 * enforces is said where the check gets its name and points, in grade.py:
 * "STARTTLS only once [L5.2]". tests/labs/test_rules_traced.py keeps
 * the two in step.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../checks.h"
#include "smtp_internal.h"

/* A throwaway server certificate (EC P-256, self-signed, one hour). */
static SSL_CTX *server_context(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"lab05",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate(ctx, x) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        fprintf(stderr, "could not make a test certificate\n");
        exit(2);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

/* Read one plaintext line (up to LF) from fd. */
static void read_line(int fd, char *out, size_t cap)
{
    size_t n = 0;
    char ch;
    while (n + 1 < cap && read(fd, &ch, 1) == 1) {
        out[n++] = ch;
        if (ch == '\n')
            break;
    }
    out[n] = '\0';
}

/* The server, in a child: STARTTLS -> "220" + injected, handshake, then
 * answer one sealed command with "250 sealed". */
static void serve(int fd, const char *injected)
{
    alarm(5); /* never outlive a stuck check */
    char line[512];
    read_line(fd, line, sizeof line);
    if (strcmp(line, "STARTTLS\r\n") != 0)
        _exit(3);
    char out[256];
    snprintf(out, sizeof out, "220 2.0.0 Ready to start TLS\r\n%s", injected);
    if (write(fd, out, strlen(out)) < 0)
        _exit(3);
    SSL_CTX *ctx = server_context();
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1)
        _exit(4);
    int n = SSL_read(ssl, line, sizeof line - 1);
    if (n > 0) {
        const char *reply = "250 2.0.0 sealed\r\n";
        SSL_write(ssl, reply, (int)strlen(reply));
    }
    SSL_shutdown(ssl);
    _exit(0);
}

/* A client whose other end is a fresh child server; returns its pid. */
static pid_t start(struct smtp_client *c, const char *injected)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        serve(fds[1], injected);
    }
    close(fds[1]);
    smtp_client_init(c, NULL, NULL);
    wire_init(&c->wire, fds[0], 3000);
    c->connected = true;
    c->timeout_cap_ms = 3000;
    /* What a plaintext EHLO reply had offered. */
    c->ext.esmtp = c->ext.starttls = c->ext.auth = c->ext.pipelining = true;
    snprintf(c->ext.auth_mechanisms, sizeof c->ext.auth_mechanisms, "PLAIN");
    return pid;
}

static SSL_CTX *client_context(void)
{
    /* The certificate check is graded elsewhere; here: accept it. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

/* Upgrade, then NOOP through TLS. */
static int upgrade_and_noop(const char *injected, struct smtp_client *c,
                            struct smtp_reply *noop)
{
    struct smtp_reply r;
    pid_t pid = start(c, injected);
    SSL_CTX *ctx = client_context();
    int rc = smtp_starttls(c, ctx, NULL, &r);
    CHECK(rc == 0, "smtp_starttls returned %d: %s", rc, c->error);
    CHECK(r.code == 220, "*reply should be the server's 220, got %d", r.code);
    CHECK(smtp_tls_active(c), "after the handshake smtp_tls_active() should be true");
    rc = smtp_noop(c, noop);
    CHECK(rc == 0, "NOOP through TLS failed: %s", c->error);
    smtp_close(c);
    waitpid(pid, NULL, 0);
    SSL_CTX_free(ctx);
    return 0;
}

static int upgrade(void)
{
    struct smtp_client c;
    struct smtp_reply noop;
    if (upgrade_and_noop("", &c, &noop) != 0)
        return 1; /* it said why */
    CHECK(noop.code == 250 && strcmp(noop.text, "2.0.0 sealed") == 0,
          "the NOOP through TLS should get \"250 2.0.0 sealed\", got %d %s", noop.code,
          noop.text);
    return 0;
}

static int forget(void)
{
    struct smtp_client c;
    struct smtp_reply noop;
    if (upgrade_and_noop("", &c, &noop) != 0)
        return 1; /* it said why */
    CHECK(!c.ext.esmtp && !c.ext.auth && !c.ext.starttls && !c.ext.pipelining &&
              c.ext.auth_mechanisms[0] == '\0',
          "after STARTTLS, c->ext must be forgotten (RFC 3207 section 4.2): "
          "it still says auth=%d starttls=%d",
          c.ext.auth, c.ext.starttls);
    return 0;
}

static int discard(void)
{
    struct smtp_client c;
    struct smtp_reply noop;
    if (upgrade_and_noop("250 2.0.0 injected\r\n", &c, &noop) != 0)
        return 1; /* it said why */
    CHECK(strcmp(noop.text, "2.0.0 sealed") == 0,
          "the server injected \"250 2.0.0 injected\" in plaintext behind its 220, and "
          "your client read it as the reply to the sealed NOOP (CVE-2011-0411): "
          "empty c->wire's buffer before the handshake");
    return 0;
}

static int refused(void)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        return 2;
    const char *reply = "454 4.7.0 TLS not available now\r\n";
    if (write(fds[1], reply, strlen(reply)) < 0)
        return 2;
    struct smtp_client c;
    struct smtp_reply r;
    smtp_client_init(&c, NULL, NULL);
    wire_init(&c.wire, fds[0], 2000);
    c.connected = true;
    SSL_CTX *ctx = client_context();
    int rc = smtp_starttls(&c, ctx, NULL, &r);
    CHECK(rc == 0 && r.code == 454, "a 454 is an answer: return 0 with it (got %d, %d)",
          rc, r.code);
    CHECK(!smtp_tls_active(&c) && c.wire.ssl == NULL,
          "after a 454 there is no TLS: no handshake may start");
    close(fds[0]);
    char sent[64] = "";
    ssize_t n = read(fds[1], sent, sizeof sent - 1);
    sent[n > 0 ? n : 0] = '\0';
    CHECK(strcmp(sent, "STARTTLS\r\n") == 0,
          "the client should send \"STARTTLS\\r\\n\" "
          "and nothing else, sent \"%s\"",
          sent);
    SSL_CTX_free(ctx);
    return 0;
}

static int once(void)
{
    struct smtp_client c;
    struct smtp_reply r;
    pid_t pid = start(&c, "");
    SSL_CTX *ctx = client_context();
    int rc = smtp_starttls(&c, ctx, NULL, &r);
    CHECK(rc == 0 && smtp_tls_active(&c), "the first STARTTLS failed: %s", c.error);
    rc = smtp_starttls(&c, ctx, NULL, &r);
    CHECK(rc == -1, "a second STARTTLS on a sealed connection must be refused (-1), "
                    "RFC 3207 section 4.2");
    smtp_close(&c);
    waitpid(pid, NULL, 0);
    SSL_CTX_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static const struct lab_check checks[] = {
        {"refused", refused}, {"upgrade", upgrade}, {"forget", forget},
        {"discard", discard}, {"once", once},
    };
    return lab_checks_main(argc, argv, checks, sizeof checks / sizeof checks[0]);
}
