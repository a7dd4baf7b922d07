/*
 * cmd_rcpt.c - RCPT TO: who the message is for.
 *
 * Tier: core — read this first.
 *
 * Each RCPT names one recipient and gets its own answer, so a message to
 * three people can be accepted for two and refused for one. This is where
 * a server decides whose mail it takes: mail for our own domains we
 * deliver; mail for anyone else we refuse, because a server that relays
 * for strangers (an "open relay") becomes a spammer's tool (RFC 5321 §3.6.2,
 * §7.1). On a submission listener (RFC 6409) the client has logged in with
 * AUTH before MAIL, so we know who it is, and our own users may send to
 * any domain: that is what the submission port is for. Their mail for
 * other domains goes into the queue (--queue), and the queue runner
 * relays it to the next hop that --routes names (store-and-forward).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "maildir.h"
#include "routes.h"

/* Turn a local part into the mailbox (folder) name: lower case.
 * SIMPLIFICATION: RFC 5321 §2.4 lets the local part be case-sensitive;
 * like most real servers we treat Bob and bob as the same person. */
static void mailbox_name(const char *local, char *out, size_t cap)
{
    size_t i = 0;
    for (; local[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)local[i]);
    out[i] = '\0';
}

/* Add a recipient to the envelope and say 250. */
static void accept_recipient(struct session *s, const char *address,
                             const char *mailbox)
{
    struct recipient *r = &s->envelope.recipients[s->envelope.recipient_count++];
    snprintf(r->address, sizeof r->address, "%s", address);
    snprintf(r->mailbox, sizeof r->mailbox, "%s", mailbox);
    session_set_state(s, STATE_RCPT);
    session_reply(s, 250, "2.1.5", "Recipient <%s> OK", address);
}

/* May this client have mail relayed to other domains? Only someone we
 * know: one of our users, logged in with AUTH on a submission listener
 * (RFC 6409 §4.3: the port where users hand in their mail), or a client
 * in a --trusted network. The port-25 role takes mail *for* our domains
 * only, even from someone who logged in: that is what keeps it from ever
 * being an open relay. */
static bool may_relay(const struct session *s)
{
    return (session_is_submission(s) && s->auth_user[0] != '\0') ||
           config_is_trusted(s->config, s->peer);
}

/* A recipient at another domain, from a client who may relay. */
static void relay_recipient(struct session *s, const struct mailbox_address *to)
{
    if (s->config->queue_dir == NULL) {
        /* Accepting with nowhere to keep the message would lose it; 4xx
         * makes the client keep it (and the log tells the admin why). */
        session_reply(s, 451, "4.3.0",
                      "Cannot relay to %s: this server has no outgoing "
                      "queue (start it with --queue DIR)",
                      to->domain);
        return;
    }
    if (s->config->routes == NULL ||
        routes_find(s->config->routes, to->domain) == NULL) {
        /* SIMPLIFICATION: a real server would look up the domain's MX
         * records in DNS (RFC 5321 §5.1); the --routes file plays that
         * part here. No route is like a domain with no mail server:
         * 5.1.2, "bad destination system address" (RFC 3463 §3.2). */
        session_reply(s, 550, "5.1.2",
                      "No route to %s: this server does not know where its "
                      "mail goes (see --routes)",
                      to->domain);
        return;
    }
    char address[SMTP_MAX_PATH + 1];
    path_format(to, address, sizeof address);
    /* An empty mailbox marks "not ours": data.c queues the message. */
    accept_recipient(s, address, "");
}

/* Without --mailboxes every name is a mailbox, made (four folders) at its
 * first delivery. Count the new ones and stop at SESSION_MAX_NEW_MAILBOXES
 * per session: 450 4.7.1 says "not now", so an honest client tries the
 * rest later and nothing is lost, while a client that invents a name per
 * RCPT cannot fill the disk with folders. Returns false with the reply. */
static bool may_make_mailbox(struct session *s, const char *mailbox)
{
    if (s->config->mailbox_count > 0 || maildir_exists(s->config->maildir, mailbox))
        return true;
    for (size_t i = 0; i < s->envelope.recipient_count; i++)
        if (strcmp(s->envelope.recipients[i].mailbox, mailbox) == 0)
            return true; /* counted at its first RCPT */
    if (s->new_mailboxes >= SESSION_MAX_NEW_MAILBOXES) {
        session_reply(s, 450, "4.7.1",
                      "Too many new mailboxes in one session (at most %d): "
                      "try this one later",
                      SESSION_MAX_NEW_MAILBOXES);
        return false;
    }
    s->new_mailboxes++;
    return true;
}

/* RCPT TO:<forward-path> (RFC 5321 §4.1.1.3). Allowed after MAIL.
 * Replies: 250 2.1.5; 501 (syntax); 550 5.1.1 (no such mailbox); 550 5.7.1
 * (not our domain: no relaying); 553 (name not allowed); 452 4.5.3 (too
 * many recipients, §4.5.3.1.10); 450 4.7.1 (too many new mailboxes in
 * one session); 555 (parameters); for other domains,
 * from clients who may relay: 250 (to the queue), 550 5.1.2 (no route),
 * 451 4.3.0 (no queue). */
void cmd_rcpt(struct session *s, const char *args)
{
    if (strncasecmp(args, "TO:", 3) != 0) {
        session_reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
        return;
    }
    const char *p = args + 3;
    while (*p == ' ')
        p++;

    /* §4.5.1: every server must take mail for "postmaster", even with no
     * domain, so that people can always report problems to someone. */
    if (strcasecmp(p, "<postmaster>") == 0) {
        if (s->envelope.recipient_count == s->config->max_recipients)
            session_reply(s, 452, "4.5.3", "Too many recipients");
        else
            accept_recipient(s, "postmaster", "postmaster");
        return;
    }

    struct mailbox_address to;
    const char *rest;
    enum path_result result = path_parse(p, &to, &rest);
    if (result != PATH_OK) {
        session_reply(s, 501, "5.1.3", "Bad recipient address syntax");
        return;
    }
    if (*rest != '\0') {
        /* DSN's NOTIFY= and ORCPT= (RFC 3461) are not offered here. */
        session_reply(s, 555, "5.5.4", "RCPT parameters are not supported");
        return;
    }
    if (to.utf8 && !s->envelope.smtputf8) {
        session_reply(s, 553, "5.6.7", "Non-ASCII address needs MAIL ... SMTPUTF8");
        return;
    }
    if (s->envelope.recipient_count == s->config->max_recipients) {
        session_reply(s, 452, "4.5.3", "Too many recipients");
        return;
    }
    if (!config_is_local_domain(s->config, to.domain) && may_relay(s)) {
        relay_recipient(s, &to);
        return;
    }
    if (!config_is_local_domain(s->config, to.domain)) {
        /* RFC 5321 §3.6.2: refusing to relay is 550 (some servers say
         * 554); 5.7.1 is "delivery not authorized" (RFC 3463 §3.8). */
        session_reply(s, 550, "5.7.1",
                      "Relaying denied: %s is not a domain "
                      "this server accepts mail for",
                      to.domain);
        return;
    }

    char mailbox[SMTP_MAX_LOCAL_PART + 1];
    mailbox_name(to.local, mailbox, sizeof mailbox);
    if (!maildir_name_is_safe(mailbox)) {
        /* SIMPLIFICATION: a mailbox is a folder, so we only take names
         * that make safe folder names ("../etc" must never be one). */
        session_reply(s, 553, "5.1.3",
                      "Mailbox name not allowed here: use "
                      "letters, digits and . - _ +");
        return;
    }
    if (!config_has_mailbox(s->config, mailbox)) {
        session_reply(s, 550, "5.1.1", "No such user here: <%s@%s>", to.local,
                      to.domain);
        return;
    }
    if (!may_make_mailbox(s, mailbox))
        return;

    char address[SMTP_MAX_PATH + 1];
    path_format(&to, address, sizeof address);
    accept_recipient(s, address, mailbox);
}
