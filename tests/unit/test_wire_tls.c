/*
 * test_wire_tls.c - STARTTLS on the wire: the handshake in the middle of a
 * conversation, plaintext sent before it thrown away (CVE-2011-0411), the
 * server's name checked, and no waiting forever.
 *
 * The two ends run in two threads over a socketpair; the certificate is
 * the self-signed classroom one (server/tls.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"
#include "wire.h"
#include "wire_tls.h"

static char cert_path[256], key_path[256];

/* What the client thread should do, and what it saw. */
struct client_run {
    int fd;
    const char *verify_name; /* name to check, or NULL */
    bool handshake;          /* do the TLS handshake at all */
    enum wire_status status; /* of the handshake */
    char why[256];
    char reply[64]; /* the line read after TLS */
    char describe[128];
};

static void *client_side(void *arg)
{
    struct client_run *run = arg;
    struct wire w;
    wire_init(&w, run->fd, 5000);
    /* An attacker in the middle appends a command right after STARTTLS. */
    const char early[] = "STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n";
    wire_write(&w, early, sizeof early - 1);
    if (!run->handshake)
        return NULL;
    /* As a real client does: wait for "220 Ready to start TLS" (RFC 3207
     * §4), then begin the handshake. */
    char ready[64];
    size_t ready_len;
    enum line_end ready_end;
    wire_read_line(&w, ready, sizeof ready, &ready_len, &ready_end);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, cert_path, NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    size_t discarded;
    run->status = wire_start_tls_client(&w, ctx, run->verify_name, &discarded, run->why,
                                        sizeof run->why);
    if (run->status == WIRE_OK) {
        wire_tls_describe(&w, run->describe, sizeof run->describe);
        wire_write(&w, "EHLO alice.example\r\n", 20);
        size_t len;
        enum line_end end;
        wire_read_line(&w, run->reply, sizeof run->reply, &len, &end);
    }
    wire_tls_end(&w);
    SSL_CTX_free(ctx);
    return NULL;
}

/* The server's side: read STARTTLS, start TLS, read one line, answer. */
static enum wire_status serve(int fd, int timeout_ms, size_t *discarded, char *line,
                              size_t cap)
{
    char why[256];
    struct wire w;
    wire_init(&w, fd, timeout_ms);
    size_t len;
    enum line_end end;
    assert_int_equal(wire_read_line(&w, line, cap, &len, &end), WIRE_OK);
    assert_string_equal(line, "STARTTLS");
    SSL_CTX *ctx = tls_server_context(cert_path, key_path, why, sizeof why);
    assert_non_null(ctx);
    wire_write(&w, "220 2.0.0 Ready to start TLS\r\n", 30);
    enum wire_status status =
        wire_start_tls_server(&w, ctx, discarded, why, sizeof why);
    if (status == WIRE_OK) {
        status = wire_read_line(&w, line, cap, &len, &end);
        wire_write(&w, "250 sealed\r\n", 12);
    }
    wire_tls_end(&w);
    SSL_CTX_free(ctx);
    return status;
}

static void test_starttls_discards_what_came_before(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct client_run run = {
        .fd = fds[1], .verify_name = "mx.bob.example", .handshake = true};
    pthread_t client;
    pthread_create(&client, NULL, client_side, &run);
    char line[128];
    size_t discarded = 0;
    assert_int_equal(serve(fds[0], 5000, &discarded, line, sizeof line), WIRE_OK);
    pthread_join(client, NULL);

    /* The injected MAIL was thrown away, not obeyed... */
    assert_int_equal(discarded, strlen("MAIL FROM:<injected@evil.example>\r\n"));
    /* ...and the first line through TLS is the real one. */
    assert_string_equal(line, "EHLO alice.example");
    assert_int_equal(run.status, WIRE_OK);
    assert_string_equal(run.reply, "250 sealed");
    assert_non_null(strstr(run.describe, "TLSv1."));
    close(fds[0]), close(fds[1]);
}

static void test_wrong_name_is_refused(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct client_run run = {
        .fd = fds[1], .verify_name = "mx.elsewhere.example", .handshake = true};
    pthread_t client;
    pthread_create(&client, NULL, client_side, &run);
    char line[128];
    size_t discarded;
    assert_int_not_equal(serve(fds[0], 5000, &discarded, line, sizeof line), WIRE_OK);
    pthread_join(client, NULL);
    assert_int_equal(run.status, WIRE_ERROR);
    assert_non_null(strstr(run.why, "certificate"));
    close(fds[0]), close(fds[1]);
}

static void test_silent_peer_times_out(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    struct client_run run = {.fd = fds[1], .handshake = false};
    pthread_t client;
    pthread_create(&client, NULL, client_side, &run);
    pthread_join(client, NULL); /* it said STARTTLS, then nothing */
    char line[128];
    size_t discarded;
    assert_int_equal(serve(fds[0], 300, &discarded, line, sizeof line), WIRE_TIMEOUT);
    close(fds[0]), close(fds[1]);
}

static int make_certificate(void **state)
{
    (void)state;
    char dir[] = "/tmp/mailwalk-wire-tls-XXXXXX", why[256];
    assert_non_null(mkdtemp(dir));
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    return tls_ensure_self_signed(cert_path, key_path, "mx.bob.example", why,
                                  sizeof why);
}

static int remove_certificate(void **state)
{
    (void)state;
    unlink(cert_path);
    unlink(key_path);
    char *slash = strrchr(cert_path, '/');
    *slash = '\0';
    rmdir(cert_path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starttls_discards_what_came_before),
        cmocka_unit_test(test_wrong_name_is_refused),
        cmocka_unit_test(test_silent_peer_times_out),
    };
    return cmocka_run_group_tests(tests, make_certificate, remove_certificate);
}
