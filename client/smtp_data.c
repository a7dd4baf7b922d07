/*
 * smtp_data.c - DATA: sending the message itself.
 *
 * Tier: core — read this first.
 *
 * After DATA and the server's "354 go ahead", everything the client sends is
 * message text, until a line holding just "." (RFC 5321 §4.1.1.4). Two rules
 * make that safe:
 *
 *  - Line endings. SMTP lines end in CR LF and nothing else (§2.3.8). A file
 *    typed on Unix ends lines in a bare LF, and §2.3.8 says a client "MUST
 *    NOT transmit" bare CR or LF: each becomes CR LF here. (A server that
 *    took bare LF "." as the end was the door for "SMTP smuggling" in 2023;
 *    see server/data.c.)
 *
 *  - Transparency, or dot-stuffing (§4.5.2). A message line that is just "."
 *    would end the message early. So the client doubles a "." at the start
 *    of every line, and the server removes it: ".signature" travels as
 *    "..signature", a lone "." as "..".
 *
 * Then the final "." on a line of its own ends the text (§4.1.1.4), and the
 * server's reply to it says whether it took the message: a 250 here means it
 * is now responsible for delivering it (§6.1).
 */
#include "smtp_internal.h"

#include <string.h>

/* The longest text line, CR LF excluded (§4.5.3.1.6: 1000 with CR LF). */
#define TEXT_LINE_MAX (SMTP_MAX_TEXT_LINE - 2)

/* Find the line that starts at pos: return its length (without its ending)
 * and set *next to where the following line starts. A line ends at CR LF,
 * at a bare LF or at a bare CR - all three become CR LF on the wire - or at
 * the end of the message. */
size_t smtp_next_line(const char *m, size_t len, size_t pos, size_t *next)
{
    size_t i = pos;
    while (i < len && m[i] != '\n' && m[i] != '\r')
        i++;
    size_t text = i - pos;
    if (i + 1 < len && m[i] == '\r' && m[i + 1] == '\n')
        i += 2;
    else if (i < len)
        i += 1;
    *next = i;
    return text;
}

/* Copy n bytes to out at *at if they fit in cap; always advance *at. */
void smtp_put(char *out, size_t cap, size_t *at, const char *bytes, size_t n)
{
    if (out != NULL && *at + n <= cap)
        memcpy(out + *at, bytes, n);
    *at += n;
}

size_t smtp_data_encode(const char *message, size_t len, char *out, size_t cap)
{
    size_t at = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        size_t text = smtp_next_line(message, len, pos, &next);
        if (text > 0 && message[pos] == '.')
            smtp_put(out, cap, &at, ".", 1); /* §4.5.2: double the leading dot */
        smtp_put(out, cap, &at, message + pos, text);
        smtp_put(out, cap, &at, "\r\n", 2);
        pos = next;
    }
    /* §4.1.1.4: the text ends with CR LF "." CR LF; the last line already
     * got its CR LF above, even if the input lacked one. */
    smtp_put(out, cap, &at, ".\r\n", 3);
    return at;
}

unsigned long long smtp_data_size(const char *message, size_t len)
{
    unsigned long long size = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        size += smtp_next_line(message, len, pos, &next) + 2;
        pos = next;
    }
    return size;
}

size_t smtp_data_long_line(const char *message, size_t len)
{
    size_t pos = 0;
    size_t number = 0;
    while (pos < len) {
        size_t next;
        number++;
        if (smtp_next_line(message, len, pos, &next) > TEXT_LINE_MAX)
            return number;
        pos = next;
    }
    return 0;
}

bool smtp_data_is_8bit(const char *message, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)message[i] >= 0x80)
            return true;
    return false;
}

/* Send bytes, turning a wire failure into -1. */
static int send_bytes(struct smtp_client *c, const char *bytes, size_t n)
{
    return n == 0 ? 0 : smtp_flush(c, bytes, n);
}

int smtp_send_message(struct smtp_client *c, const char *message, size_t len,
                      struct smtp_reply *reply)
{
    /* Lines are gathered into one buffer and sent in blocks: one write
     * per line would mean one TCP segment per line. */
    char block[8192];
    char shown[TEXT_LINE_MAX + 2]; /* a stuffed line, for the transcript */
    size_t used = 0;
    size_t pos = 0;
    smtp_reply_clear(reply);
    smtp_set_timeout(c, SMTP_TIMEOUT_DATA_BLOCK_S);

    while (pos < len) {
        size_t next;
        size_t text = smtp_next_line(message, len, pos, &next);
        bool stuff = text > 0 && message[pos] == '.';
        size_t wire_len = (stuff ? 1 : 0) + text + 2;

        /* The transcript shows the line as it travels: with the doubled dot. */
        if (stuff && text < sizeof shown) {
            shown[0] = '.';
            memcpy(shown + 1, message + pos, text);
            smtp_report(c, SMTP_SENT_DATA, shown, text + 1);
        } else {
            smtp_report(c, SMTP_SENT_DATA, message + pos, text);
        }
        if (used + wire_len > sizeof block) {
            if (send_bytes(c, block, used) < 0)
                return -1;
            used = 0;
        }
        if (wire_len > sizeof block) {
            /* A line longer than the whole buffer (only --raw can do that,
             * and §4.5.3.1.6 forbids it): send it straight through. */
            if ((stuff && send_bytes(c, ".", 1) < 0) ||
                send_bytes(c, message + pos, text) < 0 || send_bytes(c, "\r\n", 2) < 0)
                return -1;
        } else {
            if (stuff)
                block[used++] = '.';
            memcpy(block + used, message + pos, text);
            used += text;
            memcpy(block + used, "\r\n", 2);
            used += 2;
        }
        pos = next;
    }

    /* §4.1.1.4: the end of mail data indicator. */
    if (used + 3 > sizeof block) {
        if (send_bytes(c, block, used) < 0)
            return -1;
        used = 0;
    }
    memcpy(block + used, ".\r\n", 3);
    used += 3;
    smtp_report(c, SMTP_SENT, ".", 1);
    if (send_bytes(c, block, used) < 0)
        return -1;

    /* §4.5.3.2.6: the server may take a while (it must store the message
     * safely before it says 250), so this wait is the longest: 10 minutes. */
    smtp_set_timeout(c, SMTP_TIMEOUT_DATA_END_S);
    return smtp_read_reply(c, reply);
}

/* DATA (RFC 5321 §4.1.1.4): "here comes the message". The server answers
 * 354 if it has at least one recipient and will take the text; otherwise
 * 503 or 554, and nothing more is sent. */
int smtp_data(struct smtp_client *c, const char *message, size_t len,
              struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_DATA_INIT_S);
    if (smtp_command(c, "DATA", reply) < 0)
        return -1;
    if (reply->code != 354)
        return 0;
    return smtp_send_message(c, message, len, reply);
}
