/*
 * spool.c - lab 4's given code: storing and delivering the message.
 *
 * Your transparency.c replaces server/data.c in the lab build, so the parts
 * of data.c that are not the lab come from here: data_begin() (get the
 * mailboxes and a file in tmp/ ready, write the trace headers) and
 * data_discard(), plus spool_store() and spool_finish() for your
 * data_receive_line() (transparency.h). You need not change this file.
 *
 * SIMPLIFICATION: this version only delivers into local Maildirs; the real
 * data.c also puts mail for other domains into the queue (store and
 * forward), and counts Received: lines to catch mail loops. lab04-server
 * answers 451 to a message for another domain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "transparency.h"

/* Return-Path and Received (RFC 5321 §4.4), as server/data.c writes them. */
static void write_trace_headers(struct session *s, FILE *file)
{
    char date[64];
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &local);
    fprintf(file, "Return-Path: <%s>\n", s->envelope.reverse_path);
    fprintf(file, "Received: from %s ([%s])\n\tby %s (lab04-server) with %s id %s.%u",
            s->client_name, s->peer, s->config->hostname, s->esmtp ? "ESMTP" : "SMTP",
            s->id, s->messages + 1);
    if (s->envelope.recipient_count == 1)
        fprintf(file, "\n\tfor <%s>", s->envelope.recipients[0].address);
    fprintf(file, "; %s\n", date);
}

int data_begin(struct session *s)
{
    char why[4608] = "";
    struct message_spool *spool = &s->spool;
    memset(spool, 0, sizeof *spool);
    for (size_t i = 0; i < s->envelope.recipient_count; i++) {
        if (s->envelope.recipients[i].mailbox[0] == '\0') {
            session_reply(s, 451, "4.3.0",
                          "lab04-server does not relay: local mail only");
            return -1;
        }
        if (maildir_create(s->config->maildir, s->envelope.recipients[i].mailbox, why,
                           sizeof why) < 0)
            goto failed;
    }
    spool->file =
        maildir_open_tmp(s->config->maildir, s->envelope.recipients[0].mailbox,
                         s->config->hostname, spool->name, sizeof spool->name,
                         spool->path, sizeof spool->path, why, sizeof why);
    if (spool->file == NULL)
        goto failed;
    write_trace_headers(s, spool->file);
    /* The 354 was the last thing on the wire, and it ended in CR LF: the
     * first text line starts at the start of a line. */
    spool->at_line_start = true;
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

void spool_store(struct session *s, const char *text, size_t len, enum line_end end)
{
    struct message_spool *spool = &s->spool;
    if (end == LINE_END_LF)
        spool->bare_line_feed = true;
    /* SIZE (RFC 1870) counts the octets as sent: CR LF is two. */
    spool->size += len + (end == LINE_END_CRLF ? 2 : end == LINE_END_LF ? 1 : 0);
    if (spool->size > s->config->max_size)
        spool->too_big = true; /* keep reading to the ".", store no more */
    if (spool->file == NULL || spool->too_big || spool->write_errno != 0)
        return;
    /* Stored lines end in "\n", the Maildir convention; CR LF was the
     * wire's line ending. */
    if ((len > 0 && fwrite(text, 1, len, spool->file) != len) ||
        (end != LINE_END_NONE && fputc('\n', spool->file) == EOF))
        spool->write_errno = errno ? errno : EIO;
}

void spool_finish(struct session *s)
{
    struct message_spool *spool = &s->spool;
    char why[4608] = "";
    if (spool->file == NULL) {
        /* Called twice, or without data_begin(): a bug in the caller. */
        session_reply(s, 451, "4.3.0", "No message is being received");
        session_reset_transaction(s);
        return;
    }
    if (spool->too_big) {
        session_reply(s, 552, "5.3.4", "Message too big: the limit is %llu octets",
                      s->config->max_size);
        session_reset_transaction(s);
        return;
    }
    const char *mailboxes[s->envelope.recipient_count];
    for (size_t i = 0; i < s->envelope.recipient_count; i++)
        mailboxes[i] = s->envelope.recipients[i].mailbox;
    int rc = -1;
    if (spool->write_errno != 0) {
        snprintf(why, sizeof why, "write(%s): %s", spool->path,
                 strerror(spool->write_errno));
    } else {
        rc = maildir_deliver(s->config->maildir, spool->file, spool->path, spool->name,
                             mailboxes, s->envelope.recipient_count, why, sizeof why);
        spool->file = NULL; /* maildir_deliver closed it */
    }
    if (rc == 0) {
        s->messages++;
        event_log_write(s->log, s->id, "delivered", "file", spool->name, "mailbox",
                        mailboxes[0], NULL);
        session_reply(s, 250, "2.0.0", "OK: message %s.%u delivered", s->id,
                      s->messages);
    } else {
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        if (spool->file != NULL) {
            fclose(spool->file);
            spool->file = NULL;
        }
        unlink(spool->path);
        session_reply(s, 451, "4.3.0", "Local error in processing");
    }
    session_reset_transaction(s);
}
