/*
 * relay.c - Alice's server, speaking as a client to Bob's server.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * The dialogue is the one every SMTP client has (RFC 5321 §3), read off
 * the code from top to bottom. What is particular to relaying:
 *  - We name ourselves in EHLO with our --hostname (§4.1.1.1), and send
 *    MAIL FROM with the original sender, so that Bob's server (and its
 *    bounces) know who the message is really from.
 *  - Each reply decides something for some recipients. A reply to the
 *    greeting, EHLO, MAIL or DATA concerns all of them; a RCPT reply only
 *    its own. The caller (queue_runner.c) turns codes into outcomes.
 *  - The final reply to DATA is the moment responsibility passes (§6.1):
 *    after "250" Bob's server has it, and we may forget it.
 *  - Between EHLO and MAIL, --relay-tls decides whether we seal the hop
 *    with STARTTLS (RFC 3207): see start_tls() below and docs/relay.md.
 */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_client.h"
#include "text_buffer.h"

/* Write the same answer for every recipient of the attempt. */
static void answer_all(const struct relay_job *job, struct relay_answer *answers,
                       int code, const char *enhanced, const char *text)
{
    for (size_t i = 0; i < job->count; i++) {
        answers[i].code = code;
        text_copy(answers[i].enhanced, sizeof answers[i].enhanced, enhanced);
        text_copy(answers[i].text, sizeof answers[i].text, text);
    }
}

/* A reply, as one line for the queue and the bounce: "550 5.1.1 No such". */
static void answer_from_reply(struct relay_answer *a, const struct smtp_reply *r)
{
    a->code = r->code;
    text_copy(a->enhanced, sizeof a->enhanced, r->enhanced);
    smtp_reply_first_line(r, a->text, sizeof a->text);
}

/* The whole reply decides for everyone (greeting, EHLO, MAIL, DATA). */
static void reply_for_all(const struct relay_job *job, struct relay_answer *answers,
                          const struct smtp_reply *r)
{
    struct relay_answer one;
    answer_from_reply(&one, r);
    answer_all(job, answers, one.code, one.enhanced, one.text);
}

/* The conversation broke: no reply, so nobody knows; try again later. */
static void broke(const struct relay_job *job, struct relay_answer *answers,
                  const struct smtp_client *c)
{
    char text[600];
    snprintf(text, sizeof text, "%.40s:%.10s: %.400s", job->host, job->port, c->error);
    answer_all(job, answers, 0, "4.4.2", text); /* 4.4.2: bad connection */
}

/* Every line that crosses the wire goes to the event log: "relay_out" for
 * what we sent, "relay_in" for what Bob's server answered. */
static void log_line(void *user, enum smtp_direction direction, const char *line,
                     size_t len)
{
    const struct relay_job *job = user;
    const char *event = direction == SMTP_RECEIVED ? "relay_in"
                        : direction == SMTP_NOTE   ? "relay_note"
                                                   : "relay_out";
    event_log_line(job->log, job->log_session, event, line, len);
}

/* A note of our own in the same transcript ("relay_note"): a decision
 * that sent nothing over the wire, so the log says why. */
static void note(const struct relay_job *job, const char *text)
{
    event_log_line(job->log, job->log_session, "relay_note", text, strlen(text));
}

/* ----- STARTTLS on the relay hop (--relay-tls) --------------------------- */

/* How the STARTTLS step ended, and so what relay_attempt does next. */
enum tls_step {
    TLS_STEP_PLAINTEXT, /* go on without TLS */
    TLS_STEP_SEALED,    /* TLS is on and EHLO was said again: go on */
    TLS_STEP_QUIT,      /* answers are written: say QUIT, then close */
    TLS_STEP_CLOSE,     /* answers are written: the connection is unusable */
};

/* Not now: a temporary failure of ours (code 0: no reply decided it), so
 * the message waits in the queue and is tried again. RFC 3207 §6: after a
 * failed negotiation the client "should try negotiate TLS in a later
 * session, until some locally-chosen timeout occurs" - for us the
 * --queue-lifetime, after which the message bounces as usual. 4.7.0:
 * "other or undefined security status" (RFC 3463 §3.8). */
static void defer_for_tls(const struct relay_job *job, struct relay_answer *answers,
                          const char *text)
{
    answer_all(job, answers, 0, "4.7.0", text);
    note(job, text);
}

/* The next hop's EHLO reply did not list STARTTLS. */
static enum tls_step no_starttls_offered(const struct relay_job *job,
                                         struct relay_answer *answers)
{
    if (job->tls == RELAY_TLS_REQUIRED) {
        /* The envelope never goes out in plaintext: not even MAIL FROM,
         * which names the sender. */
        defer_for_tls(job, answers,
                      "the next hop does not offer STARTTLS, and --relay-tls "
                      "required forbids plaintext: nothing sent, try again later");
        return TLS_STEP_QUIT;
    }
    /* Opportunistic (RFC 7435): better plaintext than no mail at all -
     * most of the Internet's mail went this way for years. */
    note(job, "the next hop does not offer STARTTLS: going on in plaintext "
              "(--relay-tls opportunistic)");
    return TLS_STEP_PLAINTEXT;
}

/* STARTTLS was offered: ask for it, run the handshake, say EHLO again. */
static enum tls_step seal(const struct relay_job *job, struct smtp_client *c,
                          struct relay_answer *answers)
{
    /* We do NOT check the next hop's certificate (the context says
     * SSL_VERIFY_NONE and no name is given). A classroom's Bob has a
     * self-signed certificate that nobody vouches for, and so do many
     * real MTAs: there is no name to check it against without MTA-STS
     * (RFC 8461) or DANE (RFC 7672). Unchecked TLS still stops a passive
     * listener; a machine in the middle can show its own certificate
     * (RFC 3207 §4.1 leaves that decision to us). The transcript says
     * "NOT checked" so that nobody mistakes it for more. */
    SSL_CTX *ctx = smtp_tls_context_unverified();
    if (ctx == NULL) {
        defer_for_tls(job, answers, "cannot start TLS: out of memory");
        return TLS_STEP_QUIT;
    }
    struct smtp_reply reply;
    int rc = smtp_starttls(c, ctx, NULL, &reply);
    /* The connection keeps its own reference to the context (SSL_new
     * counts it), so ours can go now. */
    SSL_CTX_free(ctx);

    char text[700];
    if (rc < 0) {
        /* After the 220 the handshake failed (or the connection broke): the
         * TLS state is half-made, so no QUIT, just close (RFC 3207 §4:
         * "it SHOULD abort the connection"). */
        snprintf(text, sizeof text, "STARTTLS with %.40s:%.10s failed: %.400s",
                 job->host, job->port, c->error);
        defer_for_tls(job, answers, text);
        return TLS_STEP_CLOSE;
    }
    if (reply.code != 220) {
        /* 454 "TLS not available due to temporary reason", or 501. §4: the
         * client decides by local policy; ours is to wait and try again,
         * never to fall back to plaintext after STARTTLS was offered.
         * The connection is still plaintext and in order: say QUIT. */
        char line[512];
        smtp_reply_first_line(&reply, line, sizeof line);
        snprintf(text, sizeof text, "the next hop offered STARTTLS but refused it: %s",
                 line);
        defer_for_tls(job, answers, text);
        return TLS_STEP_QUIT;
    }
    /* §4.2: what the plaintext EHLO reply said is forgotten (the library
     * has cleared it); the sealed EHLO reply is the list we go by. */
    if (smtp_ehlo(c, job->helo_name, &reply) < 0) {
        broke(job, answers, c);
        return TLS_STEP_CLOSE;
    }
    if (reply.code / 100 != 2) {
        reply_for_all(job, answers, &reply);
        return TLS_STEP_QUIT;
    }
    return TLS_STEP_SEALED;
}

/* After the first EHLO: STARTTLS or not, as --relay-tls says. */
static enum tls_step start_tls(const struct relay_job *job, struct smtp_client *c,
                               struct relay_answer *answers)
{
    if (job->tls == RELAY_TLS_NONE) {
        if (c->ext.starttls)
            note(job, "the next hop offers STARTTLS; --relay-tls none: staying in "
                      "plaintext, so this hop can be read");
        return TLS_STEP_PLAINTEXT;
    }
    if (!c->ext.starttls)
        return no_starttls_offered(job, answers);
    return seal(job, c, answers);
}

bool relay_attempt(const struct relay_job *job, struct relay_answer *answers)
{
    bool sealed = false;
    struct smtp_client c;
    struct smtp_reply reply, mail_reply, data_reply;
    smtp_client_init(&c, log_line, (void *)job);
    c.timeout_cap_ms = job->timeout_ms;         /* each whole reply ... */
    c.session_limit_ms = job->attempt_limit_ms; /* ... and the whole attempt */

    /* 1. Connection setup: TCP, then the 220 greeting (§3.1). */
    if (smtp_connect(&c, job->host, job->port, job->timeout_ms, &reply) < 0) {
        char text[600];
        text_copy(text, sizeof text, c.error);
        /* 4.4.1: "no answer from host" (RFC 3463 §3.5). */
        answer_all(job, answers, 0, "4.4.1", text);
        /* The TCP connection may be open with no greeting on it (a timeout,
         * a hang-up): close it, or the runner, which lives for days, would
         * keep one socket per such attempt. */
        smtp_close(&c);
        return false;
    }
    if (reply.code != 220) {
        reply_for_all(job, answers, &reply); /* 421 / 554: not now, or never */
        goto quit;
    }
    if (smtp_ehlo(&c, job->helo_name, &reply) < 0)
        goto broken;
    if (reply.code / 100 != 2) {
        reply_for_all(job, answers, &reply);
        goto quit;
    }
    /* 2. STARTTLS and a second EHLO, as --relay-tls says (RFC 3207 §4).
     * Everything after this - the 8BITMIME check too - goes by the EHLO
     * reply we got last. */
    switch (start_tls(job, &c, answers)) {
    case TLS_STEP_PLAINTEXT:
        break;
    case TLS_STEP_SEALED:
        sealed = true;
        break;
    case TLS_STEP_QUIT:
        goto quit;
    case TLS_STEP_CLOSE:
        smtp_close(&c);
        return false;
    }
    /* RFC 6152 §3: 8-bit text may only go to a server that said 8BITMIME;
     * we do not convert, so we must give up (5.6.3: conversion needed). */
    if (job->body_8bit && !c.ext.eightbitmime) {
        answer_all(job, answers, 554, "5.6.3",
                   "554 5.6.3 the next hop does not take 8-bit text (no 8BITMIME)");
        goto quit;
    }
    if (job->smtputf8 && !c.ext.smtputf8) {
        answer_all(
            job, answers, 553, "5.6.7",
            "553 5.6.7 the next hop does not take UTF-8 addresses (no SMTPUTF8)");
        goto quit;
    }

    /* 3. Mail transfer: MAIL, a RCPT each, DATA (pipelined if offered). */
    struct smtp_mail_options options = {
        .size = job->message_len,
        .body_8bit = job->body_8bit,
        .smtputf8 = job->smtputf8,
    };
    struct smtp_reply *rcpt_replies = calloc(job->count, sizeof *rcpt_replies);
    if (rcpt_replies == NULL) {
        answer_all(job, answers, 0, "4.3.0", "out of memory");
        goto quit;
    }
    int rc = smtp_envelope(&c, c.ext.pipelining, job->reverse_path, &options,
                           job->recipients, job->count, &mail_reply, rcpt_replies,
                           &data_reply);
    if (rc < 0) {
        free(rcpt_replies);
        goto broken;
    }
    if (mail_reply.code / 100 != 2) {
        reply_for_all(job, answers, &mail_reply);
        free(rcpt_replies);
        goto quit;
    }
    size_t accepted = 0;
    for (size_t i = 0; i < job->count; i++) {
        answer_from_reply(&answers[i], &rcpt_replies[i]);
        if (rcpt_replies[i].code / 100 == 2)
            accepted++;
    }
    free(rcpt_replies);
    if (accepted == 0) {
        /* RFC 2920 §3.1: a pipelined DATA may have been accepted anyway;
         * then a lone dot ends an empty message that goes to nobody. */
        if (data_reply.code == 354 && smtp_send_message(&c, "", 0, &data_reply) < 0)
            goto broken;
        goto quit;
    }
    if (data_reply.code != 354) {
        /* DATA refused: its reply decides for the accepted recipients. */
        struct relay_answer data_answer;
        answer_from_reply(&data_answer, &data_reply);
        for (size_t i = 0; i < job->count; i++)
            if (answers[i].code / 100 == 2)
                answers[i] = data_answer;
        goto quit;
    }
    if (smtp_send_message(&c, job->message, job->message_len, &reply) < 0) {
        /* No reply to the final dot: we cannot know whether Bob's server
         * kept the message. Retrying may deliver it twice; not retrying
         * may lose it. SMTP chooses twice (RFC 5321 §6.1, at-least-once). */
        for (size_t i = 0; i < job->count; i++) {
            if (answers[i].code / 100 != 2)
                continue;
            answers[i].code = 0;
            snprintf(answers[i].enhanced, sizeof answers[i].enhanced, "4.4.2");
            snprintf(answers[i].text, sizeof answers[i].text,
                     "no reply to the end of data: %.400s", c.error);
        }
        smtp_close(&c);
        return sealed;
    }
    /* The verdict on the message, for every recipient RCPT accepted. */
    struct relay_answer final;
    answer_from_reply(&final, &reply);
    for (size_t i = 0; i < job->count; i++)
        if (answers[i].code / 100 == 2)
            answers[i] = final;

quit:
    /* 4. Termination (§4.1.1.10): QUIT, 221, close. */
    smtp_quit(&c, &reply);
    smtp_close(&c);
    return sealed;

broken:
    broke(job, answers, &c);
    smtp_close(&c);
    return sealed;
}
