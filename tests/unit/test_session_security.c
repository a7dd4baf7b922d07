/*
 * test_session_security.c - STARTTLS, AUTH and the submission rules, as
 * dialogues against the state machine with no sockets.
 *
 * The handshake itself is connection.c's job; here we check what the core
 * promises around it: RFC 3207 (220, then nothing until the handshake,
 * then a fresh session), RFC 4954 (334 challenges, 235/535/538/503, the
 * 12288-octet answers), RFC 4616 (PLAIN's NUL-separated message), RFC
 * 6409 (MAIL needs AUTH on submission) and RFC 3848 (ESMTPSA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>

#include "base64.h"
#include "session_harness.h"
#include "users.h"

/* The TLS context only has to exist: the core asks whether TLS is on
 * offer, and connection.c (not tested here) would use it. */
static SSL_CTX *tls_context;

/* A users file with alice:secret, made once (hashing is slow on purpose). */
static char users_path[64];

static int group_setup(void **state)
{
    (void)state;
    tls_context = SSL_CTX_new(TLS_server_method());
    snprintf(users_path, sizeof users_path, "/tmp/mailwalk-users-XXXXXX");
    int fd = mkstemp(users_path);
    char hash[512], why[256];
    if (tls_context == NULL || fd < 0 ||
        users_hash_password("secret", hash, sizeof hash, why, sizeof why) < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# test users\nalice:%s\n", hash);
    fclose(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    SSL_CTX_free(tls_context);
    remove(users_path);
    return 0;
}

static int setup(void **state)
{
    struct harness *h = harness_new();
    h->config.tls_context = tls_context;
    h->config.users_path = users_path;
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_free(*state);
    return 0;
}

/* Start with the given role, read the 220, say EHLO. */
static struct harness *greeted(void **state, enum listener_role role)
{
    struct harness *h = *state;
    h->role = role;
    harness_start(h);
    take_replies(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    return h;
}

/* What connection.c does after the 220: the handshake went well. */
static void handshake(struct harness *h)
{
    assert_true(h->s.tls_pending);
    session_tls_started(&h->s, "TLSv1.3 with TLS_AES_256_GCM_SHA384");
    assert_int_equal(h->s.out_len, 0); /* RFC 3207 §4.2: no new greeting */
}

/* STARTTLS, the handshake, and EHLO again: a session inside TLS. */
static struct harness *inside_tls(void **state, enum listener_role role)
{
    struct harness *h = greeted(state, role);
    assert_int_equal(command(h, "STARTTLS"), 220);
    handshake(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    return h;
}

/* "AUTH PLAIN <base64 of NUL user NUL password>". */
static int auth_plain(struct harness *h, const char *user, const char *password)
{
    unsigned char message[600];
    size_t n = 0;
    message[n++] = '\0';
    memcpy(message + n, user, strlen(user));
    n += strlen(user);
    message[n++] = '\0';
    memcpy(message + n, password, strlen(password));
    n += strlen(password);
    char line[900] = "AUTH PLAIN ";
    base64_encode(message, n, line + strlen(line), sizeof line - strlen(line));
    return command(h, line);
}

/* ----- STARTTLS (RFC 3207) ----------------------------------------- */

/* EHLO lists STARTTLS before TLS, AUTH only after (RFC 3207 §4.2, RFC
 * 4954 §4). */
static void test_ehlo_advertises_starttls_then_auth(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    take_replies(h);
    feed(h, "EHLO alice.example");
    const char *before = take_replies(h);
    assert_non_null(strstr(before, "250-STARTTLS\r\n"));
    assert_null(strstr(before, "AUTH"));
    assert_int_equal(command(h, "STARTTLS"), 220);
    handshake(h);
    feed(h, "EHLO alice.example");
    const char *after = take_replies(h);
    assert_null(strstr(after, "STARTTLS"));
    assert_non_null(strstr(after, "250-AUTH PLAIN LOGIN\r\n"));
}

/* Without a certificate there is no STARTTLS to offer: 454 (RFC 3207 §4). */
static void test_starttls_without_tls_454(void **state)
{
    struct harness *h = *state;
    h->config.tls_context = NULL;
    harness_start(h);
    take_replies(h);
    feed(h, "EHLO alice.example");
    assert_null(strstr(take_replies(h), "STARTTLS"));
    feed(h, "STARTTLS");
    assert_string_equal(take_replies(h),
                        "454 4.7.0 TLS not available due to temporary reason\r\n");
    assert_false(h->s.tls_pending);
}

/* The exact 220, arguments (501), before hello and inside a transaction
 * (503), and twice (503 5.5.1). */
static void test_starttls_replies(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    take_replies(h);
    assert_int_equal(command(h, "STARTTLS"), 503); /* before EHLO */
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    assert_int_equal(command(h, "STARTTLS now"), 501);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "STARTTLS"), 503); /* inside a transaction */
    assert_int_equal(command(h, "RSET"), 250);
    feed(h, "STARTTLS");
    assert_string_equal(take_replies(h), "220 2.0.0 Ready to start TLS\r\n");
    handshake(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    feed(h, "STARTTLS");
    assert_string_equal(take_replies(h), "503 5.5.1 TLS is already active\r\n");
}

/* CVE-2011-0411: a command pipelined behind STARTTLS, in plaintext, is not
 * obeyed - not before the handshake, and not after it. */
static void test_pipelined_after_starttls_ignored(void **state)
{
    struct harness *h = greeted(state, ROLE_PLAIN);
    assert_int_equal(command(h, "STARTTLS"), 220);
    feed(h, "MAIL FROM:<mallory@evil.example>");
    feed(h, "RCPT TO:<bob@bob.example>");
    assert_int_equal(h->s.out_len, 0);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_string_equal(h->s.envelope.reverse_path, "");
    handshake(h);
    /* After the handshake: a fresh session; MAIL needs a new EHLO. */
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 503);
}

/* RFC 3207 §4.2: everything learnt before TLS is forgotten. */
static void test_tls_resets_the_session(void **state)
{
    struct harness *h = greeted(state, ROLE_PLAIN);
    assert_string_equal(h->s.client_name, "alice.example");
    assert_int_equal(command(h, "STARTTLS"), 220);
    handshake(h);
    assert_int_equal(h->s.state, STATE_CONNECTED);
    assert_false(h->s.esmtp);
    assert_string_equal(h->s.client_name, "");
    assert_true(h->s.tls);
    assert_string_equal(h->s.tls_description, "TLSv1.3 with TLS_AES_256_GCM_SHA384");
}

/* ----- AUTH (RFC 4954, RFC 4616) ----------------------------------- */

/* AUTH in plaintext: 538 5.7.11, and no password is looked at. */
static void test_auth_before_tls_538(void **state)
{
    struct harness *h = greeted(state, ROLE_SUBMISSION);
    feed(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    assert_string_equal(take_replies(h),
                        "538 5.7.11 Encryption required for requested authentication "
                        "mechanism: use STARTTLS first\r\n");
    assert_string_equal(h->s.auth_user, "");
}

/* PLAIN with an initial response; then AUTH again is 503 (§4). */
static void test_auth_plain_initial_response(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    feed(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA=="); /* \0alice\0secret */
    assert_string_equal(take_replies(h), "235 2.7.0 Authentication successful\r\n");
    assert_string_equal(h->s.auth_user, "alice");
    assert_int_equal(command(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA=="), 503);
}

/* PLAIN without an initial response: an empty 334 first. An authzid equal
 * to the user is fine (RFC 4616 §2). */
static void test_auth_plain_challenge(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    feed(h, "AUTH PLAIN");
    assert_string_equal(take_replies(h), "334 \r\n");
    assert_int_equal(h->s.auth_step, AUTH_PLAIN_WAIT);
    assert_int_equal(session_line_limit(&h->s), SESSION_AUTH_LINE - 1);
    assert_int_equal(command(h, "YWxpY2UAYWxpY2UAc2VjcmV0"),
                     235); /* alice\0alice\0secret */
    assert_int_equal(h->s.auth_step, AUTH_IDLE);
}

/* LOGIN: Username:, Password:, each answer base64. */
static void test_auth_login(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    feed(h, "AUTH LOGIN");
    assert_string_equal(take_replies(h), "334 VXNlcm5hbWU6\r\n");
    feed(h, "YWxpY2U="); /* alice */
    assert_string_equal(take_replies(h), "334 UGFzc3dvcmQ6\r\n");
    feed(h, "c2VjcmV0"); /* secret */
    assert_string_equal(take_replies(h), "235 2.7.0 Authentication successful\r\n");
    assert_string_equal(h->s.auth_user, "alice");
}

/* LOGIN with the user name as initial response goes straight to Password:. */
static void test_auth_login_initial_response(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(command(h, "AUTH LOGIN YWxpY2U="), 334);
    assert_int_equal(command(h, "c2VjcmV0"), 235);
}

/* "*" cancels (501 5.0.0); bad base64 is 501 5.5.2; unknown mechanism 504;
 * none of them counts as a failed login. */
static void test_auth_cancel_and_bad_input(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(command(h, "AUTH LOGIN"), 334);
    feed(h, "*");
    assert_string_equal(take_replies(h), "501 5.0.0 Authentication cancelled\r\n");
    assert_int_equal(h->s.auth_step, AUTH_IDLE);
    assert_int_equal(command(h, "NOOP"), 250); /* commands again */
    feed(h, "AUTH PLAIN not*base64");
    assert_string_equal(take_replies(h),
                        "501 5.5.2 Cannot decode the base64 answer\r\n");
    assert_int_equal(command(h, "AUTH PLAIN"), 334);
    assert_int_equal(command(h, "AGFsaWNl"), 501); /* no second NUL */
    assert_int_equal(command(h, "AUTH CRAM-MD5"), 504);
    assert_int_equal(command(h, "AUTH"), 501);
    assert_int_equal(h->s.auth_failures, 0);
    assert_string_equal(h->s.auth_user, "");
}

/* Wrong passwords: 535, 535, then 421 and close. No pause: a worker kept
 * asleep would be taken from other clients; the shared counters of
 * anvil.c slow a guesser down instead (test_server_lockout.py). */
static void test_auth_failures_then_421(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    feed(h, "AUTH PLAIN AGFsaWNlAHdyb25n"); /* \0alice\0wrong */
    assert_string_equal(take_replies(h),
                        "535 5.7.8 Authentication credentials invalid\r\n");
    assert_int_equal(auth_plain(h, "nobody", "secret"), 535); /* unknown user */
    assert_int_equal(auth_plain(h, "alice", "Secret"), 421);
    assert_true(session_wants_close(&h->s));
    assert_string_equal(h->s.auth_user, "");
}

/* An authzid that is someone else is refused (535): no acting for others. */
static void test_auth_plain_other_authzid(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    /* "bob\0alice\0secret" */
    assert_int_equal(command(h, "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA=="), 535);
    assert_string_equal(h->s.auth_user, "");
}

/* No --users file: nobody can log in. */
static void test_auth_without_users_file(void **state)
{
    struct harness *h = *state;
    h->config.users_path = NULL;
    inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(auth_plain(h, "alice", "secret"), 535);
}

/* RFC 4954 §4: not during a mail transaction (503, from the table). */
static void test_auth_inside_transaction_503(void **state)
{
    struct harness *h = inside_tls(state, ROLE_PLAIN);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    feed(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    assert_string_equal(take_replies(h),
                        "503 5.5.1 AUTH is not allowed inside a mail transaction\r\n");
}

/* RFC 4954 §4: an answer longer than our 12288-octet buffer is 500 5.5.6,
 * said once, and the exchange is over. */
static void test_auth_answer_too_long(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(command(h, "AUTH PLAIN"), 334);
    static char piece[SESSION_AUTH_LINE];
    memset(piece, 'A', sizeof piece - 1);
    session_handle_line(&h->s, piece, sizeof piece - 1, LINE_END_NONE);
    assert_string_equal(take_replies(h),
                        "500 5.5.6 Authentication exchange line is too long\r\n");
    session_handle_line(&h->s, piece, 100, LINE_END_NONE);
    session_handle_line(&h->s, "AAAA", 4, LINE_END_CRLF);
    assert_int_equal(h->s.out_len, 0); /* the rest of the line: silence */
    assert_int_equal(command(h, "NOOP"), 250);
}

/* An answer of 12000 octets fits (RFC 4954 §4 asks for 12288). */
static void test_auth_long_answer_fits(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(command(h, "AUTH LOGIN"), 334);
    static char answer[12001];
    memset(answer, 'A', 12000);
    /* 9000 zero bytes: a user name with NULs, refused as a login (535),
     * not as a line too long. */
    assert_int_equal(command(h, answer), 535);
}

/* ----- submission (RFC 6409) and --require-tls --------------------- */

/* MAIL before AUTH on submission: 530 5.7.0; the smtps role too. */
static void test_submission_mail_needs_auth(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    feed(h, "MAIL FROM:<alice@bob.example>");
    assert_string_equal(take_replies(h), "530 5.7.0 Authentication required\r\n");
    assert_int_equal(auth_plain(h, "alice", "secret"), 235);
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 250);
}

/* Implicit TLS (smtps): TLS from the start, submission rules. */
static void test_smtps_role(void **state)
{
    struct harness *h = *state;
    h->role = ROLE_SMTPS;
    harness_start(h);
    session_tls_implicit(&h->s, "TLSv1.3 with TLS_AES_128_GCM_SHA256");
    take_replies(h);
    feed(h, "EHLO alice.example");
    const char *r = take_replies(h);
    assert_null(strstr(r, "STARTTLS"));
    assert_non_null(strstr(r, "AUTH PLAIN LOGIN"));
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 530);
    assert_int_equal(auth_plain(h, "alice", "secret"), 235);
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 250);
}

/* Logged in on submission: local domains deliver; foreign ones get 451
 * when the server has no --queue to keep them in (with one they are
 * queued: tests/integration/test_relay.py). The plain role never relays. */
static void test_relay_rules(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(auth_plain(h, "alice", "secret"), 235);
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    feed(h, "RCPT TO:<carol@carol.example>");
    const char *r = take_replies(h);
    assert_int_equal(strncmp(r, "451 4.3.0 ", 10), 0);
    assert_non_null(strstr(r, "no outgoing queue"));
}

static void test_plain_role_never_relays(void **state)
{
    struct harness *h = inside_tls(state, ROLE_PLAIN);
    assert_int_equal(auth_plain(h, "alice", "secret"), 235);
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 250);
    feed(h, "RCPT TO:<carol@carol.example>");
    assert_int_equal(strncmp(take_replies(h), "550 5.7.1 ", 10), 0);
}

/* --require-tls: 530 until STARTTLS (RFC 3207 §4). */
static void test_require_tls(void **state)
{
    struct harness *h = *state;
    h->config.require_tls = true;
    greeted(state, ROLE_PLAIN);
    feed(h, "MAIL FROM:<alice@alice.example>");
    assert_string_equal(take_replies(h),
                        "530 5.7.0 Must issue a STARTTLS command first\r\n");
    assert_int_equal(command(h, "STARTTLS"), 220);
    handshake(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
}

/* RFC 3848: Received says ESMTPSA after TLS and AUTH; ESMTPS with TLS. */
static void test_received_with_esmtpsa(void **state)
{
    struct harness *h = inside_tls(state, ROLE_SUBMISSION);
    assert_int_equal(auth_plain(h, "alice", "secret"), 235);
    assert_int_equal(command(h, "MAIL FROM:<alice@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    feed(h, "Subject: hi");
    feed(h, "");
    feed(h, "hello");
    assert_int_equal(command(h, "."), 250);
    char message[4096];
    assert_true(read_only_message(h, "bob", message, sizeof message) > 0);
    assert_non_null(strstr(message, " with ESMTPSA id "));
}

static void test_received_with_esmtps_and_utf8smtps(void **state)
{
    struct harness *h = inside_tls(state, ROLE_PLAIN);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SMTPUTF8"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    feed(h, "");
    feed(h, "x");
    assert_int_equal(command(h, "."), 250);
    char message[4096];
    assert_true(read_only_message(h, "bob", message, sizeof message) > 0);
    assert_non_null(strstr(message, " with UTF8SMTPS id "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ehlo_advertises_starttls_then_auth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_starttls_without_tls_454, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starttls_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_after_starttls_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tls_resets_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_before_tls_538, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_plain_initial_response, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth_plain_challenge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_login_initial_response, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth_cancel_and_bad_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth_failures_then_421, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_plain_other_authzid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_without_users_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_inside_transaction_503, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth_answer_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_long_answer_fits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submission_mail_needs_auth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_smtps_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relay_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_role_never_relays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_require_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_received_with_esmtpsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_received_with_esmtps_and_utf8smtps, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
