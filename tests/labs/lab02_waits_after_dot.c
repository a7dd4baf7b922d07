/*
 * lab02_waits_after_dot.c - a WRONG answer to lab 2 that hangs: after the
 * final "." it reads replies until the server closes, with no time limit,
 * instead of reading the one reply RFC 5321 §4.1.1.4 promises (and within
 * the 10 minutes of §4.5.3.2.6). The server answers 250 and waits for the
 * next command; the client waits for ever. The message is delivered, but
 * the program never ends: the checks that send lose their points with
 * "no answer within N s". Everything else is right.
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>

static int with_arg(struct smtp_client *c, const char *verb, const char *arg,
                    struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    int n = snprintf(line, sizeof line, "%s %s", verb, arg);
    if (n < 0 || (size_t)n >= sizeof line)
        return smtp_fail(c, "%s argument too long", verb);
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}

int smtp_helo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    memset(&c->ext, 0, sizeof c->ext);
    return with_arg(c, "HELO", client_name, reply);
}

int smtp_ehlo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    memset(&c->ext, 0, sizeof c->ext);
    if (with_arg(c, "EHLO", client_name, reply) < 0)
        return -1;
    if (reply->code / 100 == 5)
        return smtp_helo(c, client_name, reply);
    smtp_parse_extensions(reply, &c->ext);
    return 0;
}

int smtp_format_mail(struct smtp_client *c, const char *sender,
                     const struct smtp_mail_options *o, char *line, size_t cap)
{
    int n = snprintf(line, cap, "MAIL FROM:<%s>%s%s", sender,
                     o && o->body_8bit && c->ext.eightbitmime ? " BODY=8BITMIME" : "",
                     o && o->smtputf8 && c->ext.smtputf8 ? " SMTPUTF8" : "");
    if (n < 0 || (size_t)n >= cap)
        return smtp_fail(c, "MAIL too long");
    if (o && o->size > 0 && c->ext.size) {
        size_t used = (size_t)n;
        n = snprintf(line + used, cap - used, " SIZE=%llu", o->size);
        if (n < 0 || (size_t)n >= cap - used)
            return smtp_fail(c, "MAIL too long");
    }
    return 0;
}

int smtp_mail_from(struct smtp_client *c, const char *sender,
                   const struct smtp_mail_options *options, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    smtp_reply_clear(reply);
    if (smtp_format_mail(c, sender, options, line, sizeof line) < 0)
        return -1;
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}

int smtp_format_rcpt(struct smtp_client *c, const char *recipient, char *line,
                     size_t cap)
{
    int n = snprintf(line, cap, "RCPT TO:<%s>", recipient);
    if (n < 0 || (size_t)n >= cap)
        return smtp_fail(c, "RCPT too long");
    return 0;
}

int smtp_rcpt_to(struct smtp_client *c, const char *recipient, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    smtp_reply_clear(reply);
    if (smtp_format_rcpt(c, recipient, line, sizeof line) < 0)
        return -1;
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}

size_t smtp_data_encode(const char *message, size_t len, char *out, size_t cap)
{
    size_t at = 0;
    for (size_t pos = 0, next; pos < len; pos = next) {
        size_t text = smtp_next_line(message, len, pos, &next);
        if (text > 0 && message[pos] == '.')
            smtp_put(out, cap, &at, ".", 1); /* STUFF */
        smtp_put(out, cap, &at, message + pos, text);
        smtp_put(out, cap, &at, "\r\n", 2);
    }
    smtp_put(out, cap, &at, ".\r\n", 3);
    return at;
}

int smtp_send_message(struct smtp_client *c, const char *message, size_t len,
                      struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    smtp_set_timeout(c, SMTP_TIMEOUT_DATA_BLOCK_S);
    for (size_t pos = 0, next; pos < len; pos = next) {
        size_t text = smtp_next_line(message, len, pos, &next);
        bool stuff = text > 0 && message[pos] == '.'; /* STUFF */
        smtp_report(c, SMTP_SENT_DATA, message + pos, text);
        if ((stuff && smtp_flush(c, ".", 1) < 0) ||
            (text > 0 && smtp_flush(c, message + pos, text) < 0) ||
            smtp_flush(c, "\r\n", 2) < 0)
            return -1;
    }
    smtp_report(c, SMTP_SENT, ".", 1);
    if (smtp_flush(c, ".\r\n", 3) < 0)
        return -1;
    c->wire.timeout_ms = -1;               /* WRONG: no time limit... */
    while (smtp_read_reply(c, reply) == 0) /* ...and a wait for the close */
        continue;
    return 0;
}

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

int smtp_quit(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "QUIT", reply);
}
