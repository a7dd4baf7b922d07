/*
 * fuzz_base64.c - the base64 coder of SMTP AUTH (common/base64.c).
 *
 * The input is used twice:
 *  - as base64 text to decode: whatever it is, the decoder returns -1 or
 *    a byte count that fits the buffer, and what it decoded, encoded
 *    again, decodes to the same bytes (RFC 4648 §4);
 *  - as bytes to encode: the text is exactly BASE64_ENCODED_SIZE(n) - 1
 *    letters from the alphabet of RFC 4648 §4 (plus '=' padding at the
 *    end), and decoding it gives the input back.
 * Buffers are cut to size exactly, so ASan sees any write one past them.
 */
#include "base64.h"
#include "fuzz.h"

/* Is c one of the 64 letters (not the padding)? */
static int is_base64_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* Encode bytes, check the text, decode it again. */
static void round_trip(const uint8_t *bytes, size_t len)
{
    size_t text_cap = BASE64_ENCODED_SIZE(len);
    char *text = malloc(text_cap);
    FUZZ_CHECK(text != NULL);
    long text_len = base64_encode(bytes, len, text, text_cap);
    FUZZ_CHECK(text_len == (long)text_cap - 1);
    FUZZ_CHECK(text[text_len] == '\0');
    for (long i = 0; i < text_len; i++)
        FUZZ_CHECK(is_base64_letter(text[i]) || (text[i] == '=' && i >= text_len - 2));

    /* One byte too small must be refused, not overrun. */
    if (text_cap > 1)
        FUZZ_CHECK(base64_encode(bytes, len, text, text_cap - 1) == -1);

    uint8_t *back = malloc(len + 1);
    FUZZ_CHECK(back != NULL);
    FUZZ_CHECK(base64_decode(text, (size_t)text_len, back, len) == (long)len);
    FUZZ_CHECK(len == 0 || memcmp(back, bytes, len) == 0);
    free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. The input as text. The exact-size heap buffer lets ASan catch a
     *    decoder that writes one byte more than it says. */
    const char *text = (const char *)data;
    size_t cap = size; /* decoded is never longer than the text */
    uint8_t *decoded = malloc(cap + 1);
    FUZZ_CHECK(decoded != NULL);
    long n = base64_decode(text, size, decoded, cap);
    FUZZ_CHECK(n >= -1 && n <= (long)cap);
    FUZZ_CHECK(n <= (long)(size / 4 * 3));
    if (n >= 0)
        round_trip(decoded, (size_t)n);
    /* A buffer too small by one must be refused cleanly too. */
    if (n > 0)
        FUZZ_CHECK(base64_decode(text, size, decoded, (size_t)n - 1) == -1);
    free(decoded);

    /* 2. The input as bytes. */
    round_trip(data, size);
    return 0;
}
