/*
 * cmd_auth.c - AUTH: the client logs in (RFC 4954), with PLAIN or LOGIN.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A submission server (RFC 6409) takes mail from its own users for anyone
 * in the world, so it must know who is talking. AUTH names a SASL
 * mechanism; then the server sends challenges ("334 ...") and the client
 * answers, each answer one base64 line, until the server says 235 (in) or
 * 535 (wrong name or password). Two mechanisms, both sending the password
 * itself (base64 is an encoding, not encryption: anyone can decode it):
 *
 *   PLAIN (RFC 4616)   one answer: authzid NUL user NUL password
 *       C: AUTH PLAIN AGFsaWNlAHNlY3JldA==      (the "initial response")
 *       S: 235 2.7.0 Authentication successful
 *
 *   LOGIN (no RFC; a Microsoft draft every client knows)
 *       C: AUTH LOGIN
 *       S: 334 VXNlcm5hbWU6                    ("Username:")
 *       C: YWxpY2U=
 *       S: 334 UGFzc3dvcmQ6                    ("Password:")
 *       C: c2VjcmV0
 *       S: 235 2.7.0 Authentication successful
 *
 * That is why AUTH is only offered inside TLS. While an exchange is open,
 * session_handle_line() sends the next line to auth_continue(), not to the
 * command dispatcher: "334" asks a question, and the answer is not a
 * command.
 *
 * Guessing passwords: a guesser opens many connections at once, so what
 * one session counts is not enough. Failed logins are also counted per
 * client address and per user name in the table every worker shares
 * (anvil.c): after --max-auth-failures of either within the
 * --auth-failure-window, AUTH gets 454 4.7.0 without the password even
 * being looked at. Nothing sleeps: a worker held asleep to slow a guesser
 * down would be a worker the guesser takes from everyone else.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "anvil.h"
#include "base64.h"
#include "commands.h"
#include "users.h"

/* RFC 4616 §2: authcid and passwd are at most 255 octets each. */
#define AUTH_MAX_FIELD 255

/* The decoded answer of the client: room for a whole 12288-octet line. */
#define AUTH_DECODED_MAX (SESSION_AUTH_LINE / 4 * 3)

/* Log the outcome of a login. The password never goes to the log. */
static void log_auth(struct session *s, const char *user, const char *result)
{
    event_log_write(s->log, s->id, "auth", "mechanism", s->auth_mechanism, "user", user,
                    "result", result, NULL);
}

/* The session's SESSION_AUTH_MAX_FAILURES-th failure (or refusal) ends
 * it with 421; true if it did. */
static bool too_many_in_session(struct session *s)
{
    if (++s->auth_failures < SESSION_AUTH_MAX_FAILURES)
        return false;
    /* RFC 5321 §3.8: 421 closes the connection; 4.7.0 is "security
     * or policy status" (RFC 3463 §3.8). */
    session_reply(s, 421, "4.7.0", "%s Too many failed logins, closing connection",
                  s->config->hostname);
    session_set_state(s, STATE_CLOSING);
    return true;
}

/* A login failed: count it in the session (and, for the failures that
 * check_login() did not count already, in the shared table, for the
 * client's address and the name tried; `user` NULL: not a usable name).
 * The SESSION_AUTH_MAX_FAILURES-th in a session ends it with 421. */
static void auth_failed(struct session *s, const char *user, const char *shown,
                        bool counted)
{
    log_auth(s, shown, "failed");
    if (!counted)
        anvil_auth_failed(s->peer, user);
    if (too_many_in_session(s))
        return;
    /* RFC 4954 §6: 535 5.7.8 "Authentication credentials invalid". It
     * does not say whether the name or the password was wrong: that would
     * tell a guesser which user names exist. */
    session_reply(s, 535, "5.7.8", "Authentication credentials invalid");
}

/* Check user and password against the --users file and answer. */
static void check_login(struct session *s, const char *user, const char *password)
{
    /* A name with a colon or control characters could never be in the
     * users file ("name:HASH" per line); refuse it without looking. */
    bool usable = user[0] != '\0' && password[0] != '\0';
    for (const char *p = user; *p; p++)
        if ((unsigned char)*p < 32 || *p == ':' || *p == 127)
            usable = false;
    s->auth_step = AUTH_IDLE;
    /* Too many failures from this address, or for this name, lately
     * (anvil.c)? Then no guess is tried: RFC 4954 §6, 454 4.7.0
     * "Temporary authentication failure". It counts as a failure of this
     * session, so a guesser is still sent away after a few. */
    const char *name = usable ? user : NULL;
    if (!anvil_auth_begin(s->peer, name)) {
        log_auth(s, user, "refused: too many failures");
        if (!too_many_in_session(s))
            session_reply(s, 454, "4.7.0", "Too many failed logins, try again later");
        return;
    }
    char why[512] = "";
    int ok = 0;
    if (usable && s->config->users_path != NULL)
        ok = users_check(s->config->users_path, user, password, why, sizeof why);
    if (ok != 0)
        anvil_auth_succeeded(s->peer, name); /* not a failure after all */
    if (ok < 0) {
        /* The users file is broken: not the client's fault. RFC 4954 §6:
         * 454 4.7.0 "Temporary authentication failure". */
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        session_reply(s, 454, "4.7.0", "Temporary authentication failure");
        return;
    }
    if (ok == 0) {
        auth_failed(s, name, user, true);
        return;
    }
    snprintf(s->auth_user, sizeof s->auth_user, "%s", user);
    log_auth(s, user, "ok");
    session_reply(s, 235, "2.7.0", "Authentication successful");
}

/* PLAIN's one message (RFC 4616 §2): [authzid] NUL authcid NUL passwd. */
static void finish_plain(struct session *s, const unsigned char *message, size_t len)
{
    const unsigned char *nul1 = memchr(message, '\0', len);
    const unsigned char *nul2 =
        nul1 ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - message)) : NULL;
    if (nul1 == NULL || nul2 == NULL ||
        memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - message)) != NULL) {
        s->auth_step = AUTH_IDLE;
        session_reply(s, 501, "5.5.2", "PLAIN wants: authzid NUL user NUL password");
        return;
    }
    size_t authzid_len = (size_t)(nul1 - message);
    size_t user_len = (size_t)(nul2 - nul1 - 1);
    size_t password_len = len - (size_t)(nul2 + 1 - message);
    char authzid[AUTH_MAX_FIELD + 1], user[AUTH_MAX_FIELD + 1];
    char password[AUTH_MAX_FIELD + 1];
    if (authzid_len > AUTH_MAX_FIELD || user_len > AUTH_MAX_FIELD ||
        password_len > AUTH_MAX_FIELD) {
        auth_failed(s, NULL, "(name too long)", false);
        s->auth_step = AUTH_IDLE;
        return;
    }
    memcpy(authzid, message, authzid_len);
    authzid[authzid_len] = '\0';
    memcpy(user, nul1 + 1, user_len);
    user[user_len] = '\0';
    memcpy(password, nul2 + 1, password_len);
    password[password_len] = '\0';
    /* SIMPLIFICATION: a real server may let an administrator act for
     * another user (authzid != authcid, RFC 4616 §2). Here one may only
     * act as oneself. */
    if (authzid[0] != '\0' && strcmp(authzid, user) != 0) {
        s->auth_step = AUTH_IDLE;
        auth_failed(s, user, user, false);
    } else {
        check_login(s, user, password);
    }
    OPENSSL_cleanse(password, sizeof password);
}

/* Decode one base64 answer; "=" is the empty answer (RFC 4954 §4). On bad
 * base64 answer 501 5.5.2, end the exchange and return -1. */
static long decode_answer(struct session *s, const char *text, size_t len,
                          unsigned char *out, size_t cap)
{
    if (len == 1 && text[0] == '=')
        return 0;
    long n = len == 0 ? -1 : base64_decode(text, len, out, cap);
    if (n < 0) {
        /* RFC 4954 §4: "If the client's response cannot be BASE64
         * decoded, the server MUST reject the AUTH command with a 501". */
        s->auth_step = AUTH_IDLE;
        session_reply(s, 501, "5.5.2", "Cannot decode the base64 answer");
    }
    return n;
}

/* Handle the answer (or the initial response) for the current step. */
static void take_answer(struct session *s, const char *text, size_t len)
{
    static unsigned char decoded[AUTH_DECODED_MAX + 1];
    long n = decode_answer(s, text, len, decoded, AUTH_DECODED_MAX);
    if (n < 0)
        return;
    decoded[n] = '\0';

    switch (s->auth_step) {
    case AUTH_PLAIN_WAIT:
        finish_plain(s, decoded, (size_t)n);
        break;
    case AUTH_LOGIN_WAIT_USER:
        if ((size_t)n > AUTH_MAX_FIELD || memchr(decoded, '\0', (size_t)n) != NULL) {
            s->auth_step = AUTH_IDLE;
            auth_failed(s, NULL, "(unusable name)", false);
            break;
        }
        /* n <= AUTH_MAX_FIELD < sizeof login_user, checked just above. */
        memcpy(s->login_user, decoded, (size_t)n);
        s->login_user[n] = '\0';
        s->auth_step = AUTH_LOGIN_WAIT_PASSWORD;
        session_reply(s, 334, NULL, "UGFzc3dvcmQ6"); /* "Password:" */
        break;
    case AUTH_LOGIN_WAIT_PASSWORD:
        if ((size_t)n > AUTH_MAX_FIELD || memchr(decoded, '\0', (size_t)n) != NULL) {
            s->auth_step = AUTH_IDLE;
            auth_failed(s, s->login_user, s->login_user, false);
        } else {
            check_login(s, s->login_user, (const char *)decoded);
        }
        s->login_user[0] = '\0';
        break;
    case AUTH_IDLE:
        break;
    }
    OPENSSL_cleanse(decoded, (size_t)n + 1);
}

void auth_continue(struct session *s, const char *line, size_t len)
{
    /* RFC 4954 §4: "If the client wishes to cancel an authentication
     * exchange, it issues a line with a single '*'" -> 501. */
    if (len == 1 && line[0] == '*') {
        s->auth_step = AUTH_IDLE;
        s->login_user[0] = '\0';
        session_reply(s, 501, "5.0.0", "Authentication cancelled");
        return;
    }
    take_answer(s, line, len);
}

/* AUTH mechanism [initial-response] (RFC 4954 §4). Allowed after EHLO,
 * outside a mail transaction (table: IN_GREETED). Replies: 334 (a
 * challenge: the exchange goes on in auth_continue); 235 2.7.0 (logged
 * in); 535 5.7.8 (wrong name or password); 538 5.7.11 (not inside TLS);
 * 503 5.5.1 (already logged in); 504 5.5.4 (unknown mechanism); 501
 * (syntax, bad base64, cancelled); 454 4.7.0 (users file broken); 421
 * 4.7.0 (too many failures, closing). */
void cmd_auth(struct session *s, const char *args)
{
    /* RFC 4954 §4 lets a server offer a mechanism only over TLS, and
     * PLAIN and LOGIN send the password itself: over plaintext anyone on
     * the path would read it. We do not even advertise AUTH before TLS;
     * a client that tries anyway gets 538 5.7.11, "Encryption required
     * for requested authentication mechanism" (RFC 4954 §6 keeps that code
     * for "historical purposes", but no other code says it so plainly). */
    if (!s->tls) {
        session_reply(s, 538, "5.7.11",
                      "Encryption required for requested authentication "
                      "mechanism: use STARTTLS first");
        return;
    }
    /* RFC 4954 §4: "After a successful AUTH command completes, a server
     * MUST reject any further AUTH commands with a 503 reply." */
    if (s->auth_user[0] != '\0') {
        session_reply(s, 503, "5.5.1", "Already authenticated");
        return;
    }

    size_t mechanism_len = strcspn(args, " ");
    const char *initial = args[mechanism_len] == ' ' ? args + mechanism_len + 1 : NULL;
    if (mechanism_len == 5 && strncasecmp(args, "PLAIN", 5) == 0) {
        snprintf(s->auth_mechanism, sizeof s->auth_mechanism, "PLAIN");
        s->auth_step = AUTH_PLAIN_WAIT;
    } else if (mechanism_len == 5 && strncasecmp(args, "LOGIN", 5) == 0) {
        snprintf(s->auth_mechanism, sizeof s->auth_mechanism, "LOGIN");
        s->auth_step = AUTH_LOGIN_WAIT_USER;
    } else if (mechanism_len == 0) {
        session_reply(s, 501, "5.5.4", "Syntax: AUTH PLAIN|LOGIN [initial-response]");
        return;
    } else {
        /* RFC 4954 §4: 504 for a mechanism the server does not support. */
        session_reply(s, 504, "5.5.4",
                      "Unrecognized authentication type: use PLAIN or LOGIN");
        return;
    }

    if (initial != NULL) {
        /* The initial response saves a round trip (RFC 4954 §4). */
        take_answer(s, initial, strlen(initial));
        return;
    }
    /* RFC 4954 §4: the challenge is base64 too. PLAIN's is empty; LOGIN
     * asks "Username:". 334 has no enhanced code (it is a question). */
    if (s->auth_step == AUTH_PLAIN_WAIT)
        session_reply(s, 334, NULL, "%s", "");
    else
        session_reply(s, 334, NULL, "VXNlcm5hbWU6"); /* "Username:" */
}
