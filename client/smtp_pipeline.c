/*
 * smtp_pipeline.c - the envelope of one transaction, with or without
 * PIPELINING.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Without pipelining, every command waits for its reply: MAIL, wait, RCPT,
 * wait, RCPT, wait, DATA, wait. Over a link with 100 ms between the ends,
 * ten recipients cost more than a second of doing nothing. RFC 2920 lets a
 * client that saw PIPELINING in the EHLO reply send MAIL, all the RCPTs and
 * DATA in one go, then read the replies, which come back in the same order
 * (§3.1: "Command statuses MUST be coordinated with responses by counting
 * each separate response"). DATA must be the last command of a group,
 * because its 354 changes what the client sends next.
 *
 * With the transcript on, the difference is plain to see: a block of C:
 * lines, then a block of S: lines.
 */
#include "smtp_internal.h"

#include <stdio.h>

/* RFC 2920 §3.1: a client that does not read while it writes "MUST ...
 * make sure that each group of commands fits entirely within the [TCP]
 * window. The window size is usually, but not always, 4K octets." If a group
 * were bigger, both ends could block writing, each waiting for the other to
 * read: a deadlock. So a longer envelope goes out in several groups. */
#define SMTP_PIPELINE_GROUP_MAX 4000

/* The reply for command k: 0 is MAIL, 1..count the RCPTs, count+1 DATA. */
static struct smtp_reply *reply_for(size_t k, size_t count, struct smtp_reply *mail,
                                    struct smtp_reply *rcpts, struct smtp_reply *data)
{
    if (k == 0)
        return mail;
    if (k <= count)
        return &rcpts[k - 1];
    return data;
}

/* One command at a time, stopping where the answers say it is pointless
 * to go on (RFC 5321 §3.3). */
static int envelope_one_by_one(struct smtp_client *c, const char *sender,
                               const struct smtp_mail_options *options,
                               const char *const *recipients, size_t count,
                               struct smtp_reply *mail_reply,
                               struct smtp_reply *rcpt_replies,
                               struct smtp_reply *data_reply)
{
    if (smtp_mail_from(c, sender, options, mail_reply) < 0)
        return -1;
    if (mail_reply->code / 100 != 2)
        return 0; /* no transaction: RCPT would only get 503 */

    size_t accepted = 0;
    for (size_t i = 0; i < count; i++) {
        if (smtp_rcpt_to(c, recipients[i], &rcpt_replies[i]) < 0)
            return -1;
        if (rcpt_replies[i].code / 100 == 2)
            accepted++;
    }
    /* §3.3: DATA needs at least one accepted recipient. */
    if (accepted == 0)
        return 0;
    smtp_set_timeout(c, SMTP_TIMEOUT_DATA_INIT_S);
    return smtp_command(c, "DATA", data_reply);
}

/* Read the replies to commands first..last-1, in the order they were sent. */
static int read_replies(struct smtp_client *c, size_t first, size_t last, size_t count,
                        struct smtp_reply *mail, struct smtp_reply *rcpts,
                        struct smtp_reply *data)
{
    for (size_t k = first; k < last; k++)
        if (smtp_read_reply(c, reply_for(k, count, mail, rcpts, data)) < 0)
            return -1;
    return 0;
}

int smtp_envelope(struct smtp_client *c, bool pipelining, const char *sender,
                  const struct smtp_mail_options *options,
                  const char *const *recipients, size_t count,
                  struct smtp_reply *mail_reply, struct smtp_reply *rcpt_replies,
                  struct smtp_reply *data_reply)
{
    smtp_reply_clear(mail_reply);
    smtp_reply_clear(data_reply);
    for (size_t i = 0; i < count; i++)
        smtp_reply_clear(&rcpt_replies[i]);

    /* RFC 2920 §3: pipeline only if the server said PIPELINING. */
    if (!pipelining || !c->ext.pipelining) {
        if (pipelining)
            smtp_note(c, "the server did not offer PIPELINING: sending one "
                         "command at a time");
        return envelope_one_by_one(c, sender, options, recipients, count, mail_reply,
                                   rcpt_replies, data_reply);
    }

    smtp_note(c,
              "PIPELINING (RFC 2920): sending MAIL, %zu RCPT and DATA "
              "without waiting, then reading the %zu replies in order",
              count, count + 2);
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    char group[SMTP_PIPELINE_GROUP_MAX + SMTP_MAX_COMMAND_LINE];
    size_t used = 0;
    size_t unanswered = 0; /* the first command whose reply we have not read */
    for (size_t k = 0; k <= count + 1; k++) {
        char line[SMTP_MAX_COMMAND_LINE + 1];
        if (k == 0) {
            if (smtp_format_mail(c, sender, options, line, sizeof line) < 0)
                return -1;
        } else if (k <= count) {
            if (smtp_format_rcpt(c, recipients[k - 1], line, sizeof line) < 0)
                return -1;
        } else {
            snprintf(line, sizeof line, "DATA");
        }
        /* Group full: send it and read its replies before going on. */
        if (used > 0 && used + SMTP_MAX_COMMAND_LINE > SMTP_PIPELINE_GROUP_MAX) {
            if (smtp_flush(c, group, used) < 0 ||
                read_replies(c, unanswered, k, count, mail_reply, rcpt_replies,
                             data_reply) < 0)
                return -1;
            used = 0;
            unanswered = k;
        }
        if (smtp_queue_command(c, line, group, &used, sizeof group) < 0)
            return -1;
    }
    if (smtp_flush(c, group, used) < 0)
        return -1;
    return read_replies(c, unanswered, count + 2, count, mail_reply, rcpt_replies,
                        data_reply);
}
