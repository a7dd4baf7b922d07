/*
 * fuzz_mime.c - mailwalk-read's MIME reader (client/mime.c): header fields,
 * RFC 2047 encoded words, multipart bodies, quoted-printable, base64 and
 * charset conversion - everything a stranger's message can steer.
 *
 * Input: a whole message as it sits in a Maildir file, e.g.
 * "Subject: =?UTF-8?Q?caf=C3=A9?=\nContent-Type: multipart/mixed; ...".
 *
 * Checks, for any input:
 *  - mime_header() cuts the value to the caller's buffer, NUL-terminated;
 *  - the decoders never grow their output beyond what the input can
 *    encode: quoted-printable at most one octet per input octet (RFC 2045
 *    §6.7), base64 at most 3 per 4 letters (§6.8);
 *  - converting from a charset iconv knows always gives valid UTF-8 (bad
 *    octets become U+FFFD), so the terminal never gets broken text;
 *  - no output buffer ends up marked failed (no allocation went wrong).
 */
#include "fuzz.h"
#include "mime.h"
#include "utf8.h"

static const char *const headers[] = {"Subject", "From", "Content-Type",
                                      "Content-Transfer-Encoding", "X-No-Such-Field"};
static const char *const known_charsets[] = {"UTF-8", "ISO-8859-1", "windows-1252",
                                             "us-ascii"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *message = fuzz_string(data, size);

    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char value[200];
        if (!mime_header(message, size, headers[i], value, sizeof value))
            continue;
        FUZZ_CHECK(memchr(value, '\0', sizeof value) != NULL);
        struct text_buffer decoded = {0};
        mime_decode_header(value, &decoded);
        FUZZ_CHECK(!decoded.failed);
        text_buffer_free(&decoded);
    }

    struct text_buffer body = {0};
    mime_body_text(message, size, &body);
    FUZZ_CHECK(!body.failed);
    text_buffer_free(&body);

    struct text_buffer qp = {0};
    mime_decode_qp(message, size, &qp);
    FUZZ_CHECK(!qp.failed && qp.len <= size);
    text_buffer_free(&qp);

    struct text_buffer b64 = {0};
    mime_decode_base64(message, size, &b64);
    FUZZ_CHECK(!b64.failed && b64.len <= size / 4 * 3 + 3);
    text_buffer_free(&b64);

    for (size_t i = 0; i < sizeof known_charsets / sizeof known_charsets[0]; i++) {
        struct text_buffer utf8 = {0};
        mime_to_utf8(known_charsets[i], message, size, &utf8);
        FUZZ_CHECK(!utf8.failed);
        FUZZ_CHECK(utf8_is_valid(utf8.data ? utf8.data : "", utf8.len));
        text_buffer_free(&utf8);
    }
    free(message);
    return 0;
}
