/*
 * data.c - the message text: transparency, end of data, and size.
 *
 * Tier: core — read this first.
 *
 * Only one sequence ends the message: CR LF "." CR LF (RFC 5321 §4.1.1.4).
 * In December 2023 "SMTP smuggling" (CVE-2023-51764, -51765, -51766) showed
 * what happens when a server also accepts LF "." LF or LF "." CR LF: a
 * sender hides a second, forged message inside the first, and the receiver
 * reads it as a new transaction. So here a line counts as a line start only
 * after a real CR LF, and "." ends the message only on a real line of its
 * own. Anything else is kept as message text (§4.1.1.4 says bare LF "."
 * LF MUST NOT be taken as the end).
 *
 * Where the message goes depends on its recipients. Mail only for our own
 * mailboxes goes straight into their Maildirs. Mail with any recipient at
 * another domain (Alice's server relaying for Alice) goes into the queue
 * (queue.c), all of it, and the queue runner hands it on - and puts the
 * copies for our own mailboxes, if any, into their Maildirs.
 */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "queue.h"
#include "queue_policy.h"
#include "text_buffer.h"

/* Write the trace headers that every SMTP server adds (RFC 5321 §4.4):
 * Return-Path (the envelope sender, added at final delivery) and
 * Received (who handed it to whom, when). */
static void write_trace_headers(struct session *s, FILE *file)
{
    char date[64];
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    /* RFC 5322 §3.3 date-time; the C locale gives English day names. */
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &local);

    /* The "with" clause names the protocol (RFC 5321 §4.4), and RFC 3848
     * adds letters for security: S when TLS was on, A when the client had
     * logged in with AUTH ("ESMTPSA"); RFC 6531 §3.7.3 does the same for
     * UTF8SMTP. HELO sessions are plain "SMTP" (neither is possible). */
    char protocol[16];
    const char *tls = s->tls ? "S" : "";
    const char *auth = s->auth_user[0] != '\0' ? "A" : "";
    if (s->envelope.smtputf8)
        snprintf(protocol, sizeof protocol, "UTF8SMTP%s%s", tls, auth);
    else if (s->esmtp)
        snprintf(protocol, sizeof protocol, "ESMTP%s%s", tls, auth);
    else
        snprintf(protocol, sizeof protocol, "SMTP");
    /* Return-Path is written at final delivery only (RFC 5321 §4.4); mail
     * we relay gets it from the last server, not from us. */
    if (!s->spool.to_queue)
        fprintf(file, "Return-Path: <%s>\n", s->envelope.reverse_path);
    fprintf(
        file, "Received: from %s ([%s])\n\tby %s (mailwalk-server) with %s id %s.%u",
        s->client_name, s->peer, s->config->hostname, protocol, s->id, s->messages + 1);
    /* The FOR clause names the recipient; with several we leave it out, so
     * that Bcc recipients are not shown to each other (RFC 5321 §7.6). */
    if (s->envelope.recipient_count == 1)
        fprintf(file, "\n\tfor <%s>", s->envelope.recipients[0].address);
    fprintf(file, "; %s\n", date);
}

/* Is any recipient at another domain (so the message must be queued)? */
static bool has_remote_recipient(const struct session *s)
{
    for (size_t i = 0; i < s->envelope.recipient_count; i++)
        if (s->envelope.recipients[i].mailbox[0] == '\0')
            return true;
    return false;
}

int data_begin(struct session *s)
{
    char why[4608];
    struct message_spool *spool = &s->spool;
    memset(spool, 0, sizeof *spool);

    if (has_remote_recipient(s)) {
        /* Store-and-forward: the whole message waits in the queue. */
        spool->to_queue = true;
        spool->file = queue_open_message(s->config->queue_dir, s->config->hostname,
                                         spool->name, sizeof spool->name, spool->path,
                                         sizeof spool->path, why, sizeof why);
    } else {
        /* Each recipient's Maildir is made on its first delivery. */
        for (size_t i = 0; i < s->envelope.recipient_count; i++) {
            if (maildir_create(s->config->maildir, s->envelope.recipients[i].mailbox,
                               why, sizeof why) < 0)
                goto failed;
        }
        /* The message is written into the first recipient's tmp/. */
        spool->file =
            maildir_open_tmp(s->config->maildir, s->envelope.recipients[0].mailbox,
                             s->config->hostname, spool->name, sizeof spool->name,
                             spool->path, sizeof spool->path, why, sizeof why);
    }
    if (spool->file == NULL)
        goto failed;
    write_trace_headers(s, spool->file);
    spool->at_line_start = true;
    spool->in_header = true;
    spool->received_count = 1; /* the one we just wrote */
    return 0;

failed:
    event_log_write(s->log, s->id, "error", "what", why, NULL);
    session_reply(s, 451, "4.3.0", "Cannot store mail right now, try again later");
    return -1;
}

void data_discard(struct session *s)
{
    if (s->spool.file == NULL)
        return;
    fclose(s->spool.file);
    unlink(s->spool.path);
    s->spool.file = NULL;
}

/* Store one piece of text, unless the message is already refused. */
static void store(struct message_spool *spool, const char *text, size_t len,
                  bool newline)
{
    if (spool->too_big || spool->write_errno != 0)
        return;
    /* Lines are stored with a plain "\n", the Unix convention that Maildir
     * readers expect; the CR LF was only the wire's line ending. */
    if ((len > 0 && fwrite(text, 1, len, spool->file) != len) ||
        (newline && fputc('\n', spool->file) == EOF))
        spool->write_errno = errno ? errno : EIO;
}

/* Deliver the finished spool file into every recipient's Maildir. */
static int deliver_to_mailboxes(struct session *s, char *why, size_t why_cap)
{
    const char *mailboxes[s->envelope.recipient_count];
    for (size_t i = 0; i < s->envelope.recipient_count; i++)
        mailboxes[i] = s->envelope.recipients[i].mailbox;
    int rc =
        maildir_deliver(s->config->maildir, s->spool.file, s->spool.path, s->spool.name,
                        mailboxes, s->envelope.recipient_count, why, why_cap);
    s->spool.file = NULL; /* maildir_deliver closed it */
    if (rc < 0)
        return -1;
    /* Who handed it in, when they logged in: the submission story. */
    if (s->auth_user[0] != '\0')
        event_log_write(s->log, s->id, "delivered", "file", s->spool.name, "mailbox",
                        mailboxes[0], "user", s->auth_user, NULL);
    else
        event_log_write(s->log, s->id, "delivered", "file", s->spool.name, "mailbox",
                        mailboxes[0], NULL);
    return 0;
}

/* Put the finished spool file and its envelope into the queue. */
static int queue_for_relay(struct session *s, char *why, size_t why_cap)
{
    const struct envelope *env = &s->envelope;
    /* On the heap: a recipient's record is a kilobyte, and there may be
     * --max-recipients of them. */
    struct queue_recipient *recipients =
        calloc(env->recipient_count, sizeof *recipients);
    if (recipients == NULL) {
        snprintf(why, why_cap, "out of memory queueing a message");
        return -1;
    }
    struct queue_entry entry = {
        .arrival = time(NULL),
        .body_8bit = env->body_8bit,
        .smtputf8 = env->smtputf8,
        .recipients = recipients,
        .count = env->recipient_count,
    };
    text_copy(entry.id, sizeof entry.id, s->spool.name);
    text_copy(entry.reverse_path, sizeof entry.reverse_path, env->reverse_path);
    for (size_t i = 0; i < env->recipient_count; i++) {
        text_copy(recipients[i].address, sizeof recipients[i].address,
                  env->recipients[i].address);
        text_copy(recipients[i].mailbox, sizeof recipients[i].mailbox,
                  env->recipients[i].mailbox);
        recipients[i].state = QUEUE_WAITING;
        recipients[i].next_attempt = entry.arrival; /* at once */
    }
    char to[1024];
    queue_join_addresses(&entry, NULL, entry.count, to, sizeof to);
    int rc = queue_commit(s->config->queue_dir, s->spool.file, s->spool.path, &entry,
                          why, why_cap);
    s->spool.file = NULL; /* queue_commit closed it */
    int saved = errno;    /* why it failed, kept across free() */
    free(recipients);
    errno = saved;
    if (rc < 0)
        return -1;
    event_log_write(s->log, s->id, "queued", "id", entry.id, "from", env->reverse_path,
                    "to", to, "user", s->auth_user, NULL);
    return 0;
}

/* The final "." arrived: decide, deliver, reply. */
static void finish_message(struct session *s)
{
    struct message_spool *spool = &s->spool;
    char why[4608] = "";

    if (spool->too_big) {
        /* RFC 1870 §6.2 and RFC 3463 5.3.4: over the advertised SIZE. */
        session_reply(s, 552, "5.3.4", "Message too big: the limit is %llu octets",
                      s->config->max_size);
        session_reset_transaction(s);
        return;
    }
    if (policy_is_loop(spool->received_count)) {
        /* RFC 5321 §6.3: a message that has crossed this many servers is
         * going round in circles. 5.4.6 is "routing loop detected" (RFC
         * 3463 §3.5); the 5xx makes the previous hop bounce it. */
        session_reply(s, 554, "5.4.6",
                      "Mail loop: the message has %u Received: headers (limit %d)",
                      spool->received_count, POLICY_MAX_RECEIVED);
        event_log_write(s->log, s->id, "error", "what", "mail loop detected", NULL);
        session_reset_transaction(s);
        return;
    }

    int rc = -1;
    if (spool->write_errno != 0) {
        errno = spool->write_errno;
        snprintf(why, sizeof why, "write(%s): %s", spool->path, strerror(errno));
    } else if (spool->to_queue) {
        rc = queue_for_relay(s, why, sizeof why);
    } else {
        rc = deliver_to_mailboxes(s, why, sizeof why);
    }

    if (rc == 0) {
        s->messages++;
        if (spool->to_queue)
            /* RFC 5321 §6.1: with this 250 we take responsibility. The
             * message is on our disk; the queue runner does the rest. */
            session_reply(s, 250, "2.0.0", "OK: queued as %s", spool->name);
        else
            session_reply(s, 250, "2.0.0",
                          "OK: message %s.%u delivered to %zu "
                          "recipient%s",
                          s->id, s->messages, s->envelope.recipient_count,
                          s->envelope.recipient_count == 1 ? "" : "s");
    } else {
        bool full = (errno == ENOSPC || errno == EDQUOT || errno == EFBIG);
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        if (spool->file != NULL) {
            fclose(spool->file);
            spool->file = NULL;
        }
        unlink(spool->path); /* whatever is left in tmp/ */
        /* 4xx: the client keeps the message and tries again later. */
        if (full)
            session_reply(s, 452, "4.3.1", "Insufficient system storage");
        else
            session_reply(s, 451, "4.3.0", "Local error in processing");
    }
    session_reset_transaction(s);
}

/* Count Received: lines while still in the header (RFC 5322 §2.1: the
 * header ends at the first empty line). */
static void note_header_line(struct message_spool *spool, const char *line, size_t len,
                             bool line_start)
{
    if (!spool->in_header || !line_start)
        return;
    if (len == 0)
        spool->in_header = false;
    else if (len >= 9 && strncasecmp(line, "Received:", 9) == 0)
        spool->received_count++;
}

void data_receive_line(struct session *s, const char *line, size_t len,
                       enum line_end end)
{
    struct message_spool *spool = &s->spool;
    bool line_start = spool->at_line_start;

    event_log_line(s->log, s->id, "data_in", line, len);

    /* The end: a line of just "." that began after CR LF and ends in CR LF. */
    if (line_start && end == LINE_END_CRLF && len == 1 && line[0] == '.') {
        finish_message(s);
        return;
    }

    /* Transparency (§4.5.2): a leading "." followed by more text was
     * doubled by the client; remove one. */
    if (line_start && len > 1 && line[0] == '.') {
        line++;
        len--;
    }
    if (end == LINE_END_LF)
        spool->bare_line_feed = true;
    note_header_line(spool, line, len, line_start);

    /* SIZE (RFC 1870) counts the octets as sent: CR LF is two. */
    spool->size += len + (end == LINE_END_CRLF ? 2 : end == LINE_END_LF ? 1 : 0);
    if (spool->size > s->config->max_size)
        spool->too_big = true; /* keep reading to the ".", store no more */

    store(spool, line, len, end != LINE_END_NONE);
    spool->at_line_start = (end == LINE_END_CRLF);
}
