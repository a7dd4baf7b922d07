/*
 * fuzz_path.c - the <address> parser of MAIL FROM and RCPT TO (server/path.c).
 *
 * Input: the text after "MAIL FROM:", e.g. "<bob@bob.example> SIZE=100".
 * Checks, for any input:
 *  - a parsed mailbox respects RFC 5321 §4.5.3.1: local-part at most 64
 *    octets, domain at most 255, neither empty;
 *  - *rest points just past the closing '>', inside the input;
 *  - a round trip: the mailbox written back with path_format() and put in
 *    angle brackets parses again, to the same local-part and domain (what
 *    the server stores in Return-Path and the queue must be readable again),
 *    and is flagged UTF-8 only if the original path was.
 */
#include "fuzz.h"
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct mailbox_address address;
    const char *rest = NULL;
    enum path_result result = path_parse(text, &address, &rest);

    if (result == PATH_OK || result == PATH_NULL) {
        FUZZ_CHECK(rest != NULL && rest > text && rest <= text + strlen(text));
        FUZZ_CHECK(rest[-1] == '>');
    }
    if (result == PATH_OK) {
        size_t local_len = strlen(address.local), domain_len = strlen(address.domain);
        FUZZ_CHECK(local_len >= 1 && local_len <= SMTP_MAX_LOCAL_PART);
        FUZZ_CHECK(domain_len >= 1 && domain_len <= SMTP_MAX_DOMAIN);

        char formatted[SMTP_MAX_LOCAL_PART + SMTP_MAX_DOMAIN + 4];
        formatted[0] = '<';
        path_format(&address, formatted + 1, sizeof formatted - 2);
        strcat(formatted, ">");
        struct mailbox_address again;
        const char *again_rest;
        FUZZ_CHECK(path_parse(formatted, &again, &again_rest) == PATH_OK);
        FUZZ_CHECK(strcmp(again.local, address.local) == 0);
        FUZZ_CHECK(strcmp(again.domain, address.domain) == 0);
        /* utf8 tells about the whole path, source route included (a
         * route with a UTF-8 domain needs SMTPUTF8 too), so the mailbox
         * alone may be ASCII where the path was not - never the reverse. */
        FUZZ_CHECK(!again.utf8 || address.utf8);
        FUZZ_CHECK(*again_rest == '\0');
    }
    free(text);
    return 0;
}
