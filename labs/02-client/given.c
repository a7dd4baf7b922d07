/*
 * given.c - lab 2's given code: the parts of client/smtp_commands.c and
 * client/smtp_data.c that are not the lab. Your client.c replaces those two
 * files, so these functions must come from somewhere; here they are. You
 * need not change them, but read smtp_next_line(): your DATA uses it.
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>

/* The line that starts at pos: its length without its ending, and in *next
 * where the following line starts. CR LF, a bare LF and a bare CR all end a
 * line (RFC 5321 §2.3.8), and so does the end of the message. */
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

/* Copy n bytes to out at *at if they fit in cap (out may be NULL); always
 * advance *at, so that a first pass measures. */
void smtp_put(char *out, size_t cap, size_t *at, const char *bytes, size_t n)
{
    if (out != NULL && *at + n <= cap)
        memcpy(out + *at, bytes, n);
    *at += n;
}

/* The size RFC 1870 counts: CR LF line ends, no stuffing, no final dot. */
unsigned long long smtp_data_size(const char *message, size_t len)
{
    unsigned long long size = 0;
    for (size_t pos = 0, next; pos < len; pos = next)
        size += smtp_next_line(message, len, pos, &next) + 2;
    return size;
}

/* The number of the first line over 998 octets (§4.5.3.1.6), or 0. */
size_t smtp_data_long_line(const char *message, size_t len)
{
    size_t number = 0;
    for (size_t pos = 0, next; pos < len; pos = next) {
        number++;
        if (smtp_next_line(message, len, pos, &next) > SMTP_MAX_TEXT_LINE - 2)
            return number;
    }
    return 0;
}

/* Any octet above 127 (8-bit text, RFC 6152)? */
bool smtp_data_is_8bit(const char *message, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)message[i] >= 0x80)
            return true;
    return false;
}

/* RSET (§4.1.1.5), NOOP (§4.1.1.9), VRFY (§4.1.1.6): one line each. */
int smtp_rset(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "RSET", reply);
}

int smtp_noop(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "NOOP", reply);
}

int smtp_vrfy(struct smtp_client *c, const char *name, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    int n = snprintf(line, sizeof line, "VRFY %s", name);
    if (n < 0 || (size_t)n >= sizeof line)
        return smtp_fail(c, "VRFY argument too long for one command line");
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}
