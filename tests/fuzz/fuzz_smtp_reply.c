/*
 * fuzz_smtp_reply.c - the client's reply parser (client/smtp_reply.c):
 * smtp_reply_feed(), then smtp_parse_extensions() on what it assembled.
 *
 * Input: what a server sends, split at "\n" (a "\r" before it is dropped,
 * as wire.c does), e.g. "250-mx.bob.example\r\n250-SIZE 100\r\n250 HELP\r\n".
 * Each line is fed to the reply being read; a complete or malformed reply
 * starts a new one.
 *
 * Checks, for any input:
 *  - a complete reply has a code of RFC 5321 §4.2's form (2-5, 0-5, 0-9),
 *    at least one line and at most SMTP_REPLY_MAX_LINES, and its text fits
 *    text[] (bounded, NUL-terminated, whatever the server sends);
 *  - an enhanced code, if one was taken, is "class.subject.detail" with the
 *    reply's class (RFC 3463 §2, RFC 2034 §4);
 *  - a malformed line comes with a reason;
 *  - the EHLO keywords are read without overrun; AUTH's list fits its field.
 */
#include "fuzz.h"
#include "smtp_client.h"

static void check_complete(const struct smtp_reply *r)
{
    FUZZ_CHECK(r->code >= 200 && r->code <= 559 && (r->code / 10) % 10 <= 5);
    FUZZ_CHECK(r->line_count >= 1 && r->line_count <= SMTP_REPLY_MAX_LINES);
    FUZZ_CHECK(memchr(r->text, '\0', sizeof r->text) != NULL);
    size_t n = strlen(r->enhanced);
    FUZZ_CHECK(n < sizeof r->enhanced);
    if (n > 0)
        FUZZ_CHECK(r->enhanced[0] == '0' + r->code / 100 && r->enhanced[1] == '.');

    char first[64]; /* smaller than a reply line: it must cut, not overrun */
    smtp_reply_first_line(r, first, sizeof first);
    FUZZ_CHECK(strlen(first) < sizeof first);
    FUZZ_CHECK(smtp_reply_meaning(r->code) != NULL);

    struct smtp_extensions ext;
    smtp_parse_extensions(r, &ext);
    FUZZ_CHECK(ext.esmtp == (r->code == 250));
    FUZZ_CHECK(memchr(ext.auth_mechanisms, '\0', sizeof ext.auth_mechanisms) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct smtp_reply reply;
    smtp_reply_clear(&reply);
    for (size_t start = 0; start < size;) {
        const uint8_t *lf = memchr(data + start, '\n', size - start);
        size_t end = lf ? (size_t)(lf - data) : size;
        size_t len = end - start;
        if (len > 0 && data[start + len - 1] == '\r')
            len--;
        /* An exact-size, NUL-terminated copy, as wire_read_line() gives. */
        char *line = fuzz_string(data + start, len);
        char why[128];
        why[0] = '\0';
        enum smtp_reply_step step = smtp_reply_feed(&reply, line, len, why, sizeof why);
        if (step == SMTP_REPLY_DONE) {
            check_complete(&reply);
            smtp_reply_clear(&reply);
        } else if (step == SMTP_REPLY_MALFORMED) {
            FUZZ_CHECK(why[0] != '\0' && strlen(why) < sizeof why);
            smtp_reply_clear(&reply);
        } else {
            FUZZ_CHECK(step == SMTP_REPLY_MORE);
            FUZZ_CHECK(reply.line_count >= 1 &&
                       reply.line_count <= SMTP_REPLY_MAX_LINES);
        }
        free(line);
        start = end + 1;
    }
    return 0;
}
