/*
 * pop3_response.c - reading POP3 status lines and multi-line responses
 * (see pop3_response.h).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 */
#include "pop3_response.h"

#include <stdio.h>
#include <string.h>

/* Copy `len` bytes of text into out[cap], cut to fit, NUL-terminated. */
static void copy_text(char *out, size_t cap, const char *text, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(out, text, len);
    out[len] = '\0';
}

int pop3_parse_status(const char *line, size_t len, struct pop3_status *status,
                      char *why, size_t why_cap)
{
    memset(status, 0, sizeof *status);
    /* RFC 1939 §3: "a status indicator and a keyword possibly followed by
     * additional information", the indicators being "+OK" and "-ERR" (in
     * upper case). */
    size_t skip;
    if (len >= 3 && memcmp(line, "+OK", 3) == 0) {
        status->ok = true;
        skip = 3;
    } else if (len >= 4 && memcmp(line, "-ERR", 4) == 0) {
        skip = 4;
    } else {
        snprintf(why, why_cap,
                 "not a POP3 status line (it must start with +OK or -ERR)");
        return -1;
    }
    if (skip < len && line[skip] != ' ') {
        snprintf(why, why_cap, "no space after the status indicator");
        return -1;
    }
    const char *rest = line + skip + (skip < len);
    size_t rest_len = len - skip - (skip < len);
    /* RFC 2449 §8: "[" response-code "]" right after the indicator. A
     * bracket that never closes is just text. */
    if (!status->ok && rest_len > 0 && rest[0] == '[') {
        const char *close = memchr(rest, ']', rest_len);
        if (close != NULL) {
            copy_text(status->code, sizeof status->code, rest + 1,
                      (size_t)(close - rest - 1));
            size_t used = (size_t)(close - rest) + 1;
            rest += used;
            rest_len -= used;
            if (rest_len > 0 && rest[0] == ' ') {
                rest++;
                rest_len--;
            }
        }
    }
    copy_text(status->text, sizeof status->text, rest, rest_len);
    return 0;
}

enum pop3_body_step pop3_body_line(const char *line, size_t len, const char **text,
                                   size_t *text_len)
{
    /* RFC 1939 §3: the response ends with "." CRLF; any other line that
     * starts with "." had one "." added by the server, which we remove. */
    if (len == 1 && line[0] == '.')
        return POP3_BODY_END;
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    *text = line;
    *text_len = len;
    return POP3_BODY_LINE;
}
