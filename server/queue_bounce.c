/*
 * queue_bounce.c - telling the sender that a message could not be delivered.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The queue runner (queue_runner.c) decides *that* a recipient failed; this
 * file writes the notice (bounce.c builds the RFC 3464 report) and hands it
 * to the sender like any other mail: into a Maildir here when the sender is
 * one of ours, into the queue when the sender is elsewhere - always from the
 * null reverse-path "<>", so that a bounce can never bounce back.
 */
#include "queue_bounce.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "maildir.h"
#include "queue_policy.h"
#include "text_buffer.h"

/* Hand a finished bounce (text) to its recipient: into a local Maildir when
 * the sender is one of ours, otherwise into the queue like any mail, from
 * the null reverse-path "<>" (RFC 5321 §4.5.5). */
static int send_bounce_text(const struct server_config *config, time_t now,
                            const char *to, const char *text, size_t len,
                            char *bounce_id, size_t id_cap, char *why, size_t why_cap)
{
    const char *domain = queue_domain_of(to);
    if (strchr(to, '@') == NULL || config_is_local_domain(config, domain)) {
        char mailbox[SMTP_MAX_LOCAL_PART + 1];
        size_t i = 0;
        for (; to[i] && to[i] != '@' && i + 1 < sizeof mailbox; i++)
            mailbox[i] = (char)tolower((unsigned char)to[i]);
        mailbox[i] = '\0';
        /* A sender of ours with no mailbox here (a --trusted client may
         * write any MAIL FROM): do not make one for nobody; the bounce
         * goes to postmaster, who can always be reached (§4.5.1). */
        if (!maildir_name_is_safe(mailbox) || !config_has_mailbox(config, mailbox))
            snprintf(mailbox, sizeof mailbox, "postmaster");
        return maildir_deliver_text(config->maildir, mailbox, config->hostname, "",
                                    text, len, bounce_id, id_cap, why, why_cap);
    }
    char path[4608];
    FILE *file = queue_open_message(config->queue_dir, config->hostname, bounce_id,
                                    id_cap, path, sizeof path, why, why_cap);
    if (file == NULL)
        return -1;
    if (fwrite(text, 1, len, file) != len) {
        snprintf(why, why_cap, "write(%.4000s): %s", path, strerror(errno));
        fclose(file);
        unlink(path);
        return -1;
    }
    struct queue_recipient rcpt = {.state = QUEUE_WAITING, .next_attempt = now};
    text_copy(rcpt.address, sizeof rcpt.address, to);
    struct queue_entry entry = {.arrival = now, .recipients = &rcpt, .count = 1};
    text_copy(entry.id, sizeof entry.id, bounce_id);
    /* reverse_path stays "": a bounce is sent from <>. */
    return queue_commit(config->queue_dir, file, path, &entry, why, why_cap);
}

/* Tell the sender which recipients failed in this pass (RFC 5321 §6.1:
 * "the receiver-SMTP MUST formulate and mail a notification message").
 * A message from "<>" was itself a bounce: its failure goes to our own
 * postmaster instead, never back to "<>" (§4.5.5), so nothing is lost and
 * nothing loops. */
int queue_send_bounce(const struct server_config *config, const struct event_log *log,
                      time_t now, const struct queue_entry *e, const bool *bounced_now)
{
    size_t n = 0;
    struct bounce_recipient *failed = calloc(e->count, sizeof *failed);
    if (failed == NULL) {
        event_log_write(log, "queue", "error", "what", "could not send a bounce", "id",
                        e->id, "why", "out of memory", NULL);
        return -1;
    }
    for (size_t i = 0; i < e->count; i++) {
        const struct queue_recipient *rcpt = &e->recipients[i];
        if (!bounced_now[i])
            continue;
        failed[n++] = (struct bounce_recipient){
            .address = rcpt->address,
            .status = rcpt->status,
            .remote_mta = rcpt->remote_mta[0] ? rcpt->remote_mta : NULL,
            .diagnostic = rcpt->last_reply,
        };
    }
    bool to_sender = policy_should_bounce(e->reverse_path);
    const char *to = to_sender ? e->reverse_path : "postmaster";
    char from[300], unique[300];
    snprintf(from, sizeof from, "MAILER-DAEMON@%s", config->hostname);
    snprintf(unique, sizeof unique, "%s.bounce.%lld", e->id, (long long)now);
    struct bounce_report report = {
        .reporting_mta = config->hostname,
        .from = from,
        .original_sender = to,
        .queue_id = e->id,
        .arrival = e->arrival,
        .now = now,
        .recipients = failed,
        .count = n,
        .unique = unique,
    };

    char why[4608] = "", bounce_id[QUEUE_ID_MAX] = "";
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    FILE *original = queue_open_stored(config->queue_dir, e->id);
    int rc = -1;
    if (out != NULL && original != NULL) {
        rc = bounce_write(out, &report, original, why, sizeof why);
        if (fclose(out) != 0 && rc == 0)
            rc = -1;
        out = NULL;
        if (rc == 0)
            rc = send_bounce_text(config, now, to, text, len, bounce_id,
                                  sizeof bounce_id, why, sizeof why);
    }
    if (out != NULL)
        fclose(out);
    if (original != NULL)
        fclose(original);
    if (rc == 0)
        event_log_write(log, "queue", "bounce_sent", "id", e->id, "bounce_id",
                        bounce_id, "to", to, NULL);
    else
        event_log_write(log, "queue", "error", "what", "could not send a bounce", "id",
                        e->id, "why", why[0] ? why : strerror(errno), NULL);
    free(text);
    free(failed);
    return rc;
}
