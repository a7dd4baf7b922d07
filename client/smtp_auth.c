/*
 * smtp_auth.c - logging in: AUTH PLAIN and AUTH LOGIN (RFC 4954).
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A submission server (port 587 or 465, RFC 6409) relays mail for anyone
 * only after they prove who they are - otherwise it would be an open relay.
 * SMTP AUTH carries a SASL exchange: the client names a mechanism, the
 * server may ask questions ("334 <base64 challenge>"), the client answers
 * with base64 lines, and the server ends it with 235 (logged in) or 535
 * (wrong user name or password).
 *
 *     C: AUTH PLAIN AGFsaWNlAHNlY3JldA==       RFC 4616: one line
 *     S: 235 2.7.0 Authentication successful
 *
 *     C: AUTH LOGIN                            no RFC, but everywhere
 *     S: 334 VXNlcm5hbWU6                      "Username:"
 *     C: YWxpY2U=                              "alice"
 *     S: 334 UGFzc3dvcmQ6                      "Password:"
 *     C: c2VjcmV0                              "secret"
 *     S: 235 2.7.0 Authentication successful
 *
 * The lesson of this file: base64 is an *encoding*, not encryption. Anyone
 * who sees "AGFsaWNlAHNlY3JldA==" can decode it to alice's password in a
 * second. So these functions refuse to run unless the connection is under
 * TLS (RFC 4616 §1: PLAIN "should not be used without adequate data
 * security protection"), and the transcript never shows the base64 of the
 * password: a transcript is meant to be shown on a projector, pasted into
 * a bug report or kept in a CI log, and printing the base64 would print
 * the password.
 */
#include "smtp_internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base64.h"

/* What the transcript shows instead of a secret line. */
#define HIDDEN_PLAIN    "<hidden: base64 of the user name and password>"
#define HIDDEN_PASSWORD "<hidden: base64 of the password>"

/* The longest base64 line we build: PLAIN's "" NUL user NUL password, each
 * field at most SMTP_AUTH_FIELD_MAX octets. */
#define AUTH_LINE_MAX BASE64_ENCODED_SIZE(2 * SMTP_AUTH_FIELD_MAX + 2)

/* Is this a usable user name or password: 1 to 255 octets, no NUL (it is
 * PLAIN's separator; a C string cannot hold one anyway) and no CR or LF? */
static bool usable_field(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= SMTP_AUTH_FIELD_MAX && strpbrk(s, "\r\n") == NULL;
}

long smtp_auth_plain_response(const char *user, const char *password, char *out,
                              size_t cap)
{
    if (!usable_field(user) || !usable_field(password))
        return -1;
    /* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
     * The authorization identity is empty: we act as ourselves. */
    unsigned char message[2 * SMTP_AUTH_FIELD_MAX + 2];
    size_t u = strlen(user), p = strlen(password);
    message[0] = '\0';
    memcpy(message + 1, user, u);
    message[1 + u] = '\0';
    memcpy(message + 2 + u, password, p);
    long n = base64_encode(message, u + p + 2, out, cap);
    /* The password must not linger in memory longer than needed. */
    OPENSSL_cleanse(message, sizeof message);
    return n;
}

bool smtp_auth_offers(const struct smtp_extensions *ext, const char *mechanism)
{
    if (!ext->auth)
        return false;
    size_t n = strlen(mechanism);
    const char *p = ext->auth_mechanisms;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == n && strncasecmp(p, mechanism, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* The guard both mechanisms start with: TLS or nothing. Returns 0 to go
 * on, or -1 (nothing sent). */
static int refuse_without_tls(struct smtp_client *c, const char *user,
                              const char *password)
{
    c->tls_failed = false;
    if (!smtp_tls_active(c))
        return smtp_fail(c, "refusing to send AUTH over a plaintext connection: base64 "
                            "is not encryption, anyone on the path could read the "
                            "password (RFC 4616 §1, RFC 4954 §4); use STARTTLS or "
                            "implicit TLS first");
    if (!usable_field(user) || !usable_field(password))
        return smtp_fail(c,
                         "the user name and the password must each be 1 to %d "
                         "octets, without line breaks (RFC 4616 §2)",
                         SMTP_AUTH_FIELD_MAX);
    return 0;
}

/* Send one line of the exchange and read the reply; the transcript shows
 * `shown`. Unlike smtp_command() this takes lines up to AUTH_LINE_MAX:
 * RFC 4954 §4 lets SASL responses exceed §4.5.3.1.4's 512 octets. */
static int send_line(struct smtp_client *c, const char *line, const char *shown,
                     struct smtp_reply *reply)
{
    char buf[AUTH_LINE_MAX + 16];
    size_t used = 0;
    int rc = 0;
    if (strlen(line) + 2 > SMTP_MAX_COMMAND_LINE) {
        /* Only a response line can be this long (the caller checks); it
         * goes out without smtp_queue_command()'s 512-octet limit. */
        size_t len = strlen(line);
        memcpy(buf, line, len);
        memcpy(buf + len, "\r\n", 2);
        used = len + 2;
        smtp_report(c, SMTP_SENT, shown, strlen(shown));
    } else {
        rc = smtp_queue_command_as(c, line, shown, buf, &used, sizeof buf);
    }
    if (rc == 0)
        rc = smtp_flush(c, buf, used);
    OPENSSL_cleanse(buf, sizeof buf);
    if (rc < 0)
        return -1;
    return smtp_read_reply(c, reply);
}

/* Show what a 334 challenge says: its base64 decoded, so the student sees
 * that "VXNlcm5hbWU6" is just "Username:". Unprintable octets are shown as
 * \xNN (aiosmtpd, for one, ends its challenges with a NUL). */
static void note_challenge(struct smtp_client *c, const struct smtp_reply *reply)
{
    unsigned char text[64];
    long n = base64_decode(reply->text, strlen(reply->text), text, sizeof text);
    if (n < 0)
        return; /* not base64: the transcript line says it all */
    char shown[4 * sizeof text + 1];
    size_t at = 0;
    for (long i = 0; i < n; i++) {
        if (text[i] < 0x20 || text[i] >= 0x7f)
            at += (size_t)snprintf(shown + at, sizeof shown - at, "\\x%02x", text[i]);
        else
            shown[at++] = (char)text[i];
    }
    shown[at] = '\0';
    smtp_note(c, "the server's challenge is base64 for \"%s\"", shown);
}

/* Give up an exchange the server took somewhere we did not expect:
 * RFC 4954 §4 says the client cancels with a line holding only "*"; the
 * server then answers 501. */
static int cancel(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_note(c, "unexpected challenge: cancelling the exchange with \"*\" "
                 "(RFC 4954 §4)");
    return send_line(c, "*", "*", reply);
}

/* AUTH PLAIN with an initial response (RFC 4954 §4, RFC 4616 §2). */
int smtp_auth_plain(struct smtp_client *c, const char *user, const char *password,
                    struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (refuse_without_tls(c, user, password) < 0)
        return -1;
    char response[AUTH_LINE_MAX];
    if (smtp_auth_plain_response(user, password, response, sizeof response) < 0)
        return smtp_fail(c, "the PLAIN response does not fit");
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);

    char line[AUTH_LINE_MAX + 16];
    snprintf(line, sizeof line, "AUTH PLAIN %s", response);
    int rc;
    if (strlen(line) + 2 <= SMTP_MAX_COMMAND_LINE) {
        /* The usual case: the response rides on the command itself,
         * saving a round trip. */
        rc = send_line(c, line, "AUTH PLAIN " HIDDEN_PLAIN, reply);
    } else {
        /* §4: "If use of the initial response argument would cause the
         * AUTH command to exceed this length, the client MUST NOT use the
         * initial response parameter": ask first, answer the empty 334. */
        rc = send_line(c, "AUTH PLAIN", "AUTH PLAIN", reply);
        if (rc == 0 && reply->code == 334)
            rc = send_line(c, response, HIDDEN_PLAIN, reply);
    }
    OPENSSL_cleanse(line, sizeof line);
    OPENSSL_cleanse(response, sizeof response);
    if (rc == 0 && reply->code == 334)
        /* PLAIN has nothing more to say: a further challenge is wrong. */
        return cancel(c, reply);
    return rc;
}

/* AUTH LOGIN: the user name and the password, each asked for by a 334. */
int smtp_auth_login(struct smtp_client *c, const char *user, const char *password,
                    struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    if (refuse_without_tls(c, user, password) < 0)
        return -1;
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    if (send_line(c, "AUTH LOGIN", "AUTH LOGIN", reply) < 0)
        return -1;
    if (reply->code != 334)
        return 0; /* refused at once (504: mechanism not offered, ...) */
    note_challenge(c, reply);

    /* The user name is not secret: show its base64 and what it says. */
    char encoded[AUTH_LINE_MAX];
    base64_encode(user, strlen(user), encoded, sizeof encoded);
    if (send_line(c, encoded, encoded, reply) < 0)
        return -1;
    if (reply->code != 334)
        return 0;
    note_challenge(c, reply);

    base64_encode(password, strlen(password), encoded, sizeof encoded);
    int rc = send_line(c, encoded, HIDDEN_PASSWORD, reply);
    OPENSSL_cleanse(encoded, sizeof encoded);
    if (rc == 0 && reply->code == 334)
        return cancel(c, reply);
    return rc;
}
