/*
 * smtp_commands.c - one function per SMTP command.
 *
 * Tier: core — read this first.
 *
 * Each function builds one command line, sends it and reads the one reply
 * (RFC 5321 §4.2: "Every command MUST generate exactly one reply"). They do
 * not judge the reply: a 550 to RCPT is the server's answer, and the caller
 * decides what it means for the user. The functions return -1 only when the
 * conversation itself broke.
 *
 * The order a client must follow is RFC 5321 §4.1.4 (and §3.3):
 *
 *     EHLO  ->  MAIL  ->  RCPT (one or more)  ->  DATA  ->  MAIL ... or QUIT
 *
 * with RSET, NOOP and VRFY allowed at any time.
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>

/* Send "VERB argument" and read the reply. */
static int verb_with_argument(struct smtp_client *c, const char *verb,
                              const char *argument, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    int n = snprintf(line, sizeof line, "%s %s", verb, argument);
    if (n < 0 || (size_t)n >= sizeof line)
        return smtp_fail(c, "%s argument too long for one command line", verb);
    return smtp_command(c, line, reply);
}

/* HELO <domain> (RFC 5321 §4.1.1.1): the 1982 hello of RFC 821. The server
 * offers no extensions after it, so we forget any we knew. */
int smtp_helo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    memset(&c->ext, 0, sizeof c->ext);
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return verb_with_argument(c, "HELO", client_name, reply);
}

/* EHLO <domain> (RFC 5321 §4.1.1.1): hello, and "which extensions do you
 * offer?" The 250 reply lists them, one per line (parsed into c->ext).
 * §3.2: "if the server returns a 'command not recognized' response to EHLO,
 * the client SHOULD be able to fall back and send HELO". We fall back on any
 * 5yz (500 not recognized, 502 not implemented, and the 501/550 that old
 * servers also use); a 4yz such as 421 means "go away", not "try HELO". */
int smtp_ehlo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    memset(&c->ext, 0, sizeof c->ext);
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    if (verb_with_argument(c, "EHLO", client_name, reply) < 0)
        return -1;
    if (reply->code / 100 == 5) {
        smtp_note(c,
                  "the server refused EHLO (%d): it speaks plain SMTP, so we "
                  "fall back to HELO and use no extensions (RFC 5321 §3.2)",
                  reply->code);
        return smtp_helo(c, client_name, reply);
    }
    smtp_parse_extensions(reply, &c->ext);
    return 0;
}

/* Is the address plain ASCII? Non-ASCII mailboxes need SMTPUTF8. */
static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

int smtp_format_mail(struct smtp_client *c, const char *sender,
                     const struct smtp_mail_options *options, char *line, size_t cap)
{
    /* §4.1.2: "MAIL FROM:" Reverse-path, with no space after the colon.
     * An empty sender "<>" is the null reverse-path used by bounces. */
    int n = snprintf(line, cap, "MAIL FROM:<%s>", sender);
    if (n < 0 || (size_t)n >= cap)
        return smtp_fail(c, "sender address too long");
    size_t used = (size_t)n;

    /* Each parameter belongs to an extension, and RFC 5321 §4.1.1.11 lets a
     * server refuse (555) any it did not advertise, so each goes out only
     * if the EHLO reply listed its keyword. */
    char params[96] = "";
    size_t p = 0;
    if (options != NULL && options->size > 0 && c->ext.size)
        /* RFC 1870 §6: the (estimated) size of the message in octets. */
        p += (size_t)snprintf(params + p, sizeof params - p, " SIZE=%llu",
                              options->size);
    if (options != NULL && options->body_8bit && c->ext.eightbitmime)
        /* RFC 6152 §3: the text uses octets above 127. */
        p += (size_t)snprintf(params + p, sizeof params - p, " BODY=8BITMIME");
    if (options != NULL && options->smtputf8 && c->ext.smtputf8)
        /* RFC 6531 §3.4: UTF-8 in addresses and header fields. */
        p += (size_t)snprintf(params + p, sizeof params - p, " SMTPUTF8");
    if (used + p >= cap)
        return smtp_fail(c, "MAIL command too long");
    memcpy(line + used, params, p + 1);
    return 0;
}

/* MAIL FROM:<sender> (RFC 5321 §4.1.1.2): starts a transaction and names
 * the envelope sender, where bounces go. Replies: 250, or 4yz/5yz (a 552
 * when SIZE says the message is too big, RFC 1870 §6.1). */
int smtp_mail_from(struct smtp_client *c, const char *sender,
                   const struct smtp_mail_options *options, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    smtp_reply_clear(reply);
    if (smtp_format_mail(c, sender, options, line, sizeof line) < 0)
        return -1;
    if (!is_ascii(sender) && !c->ext.smtputf8)
        smtp_note(c, "the sender address is not ASCII but the server does not "
                     "offer SMTPUTF8 (RFC 6531): expect a refusal");
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}

int smtp_format_rcpt(struct smtp_client *c, const char *recipient, char *line,
                     size_t cap)
{
    int n = snprintf(line, cap, "RCPT TO:<%s>", recipient);
    if (n < 0 || (size_t)n >= cap)
        return smtp_fail(c, "recipient address too long");
    return 0;
}

/* RCPT TO:<recipient> (RFC 5321 §4.1.1.3): one recipient, one answer. 250
 * or 251 accept it; 550 (no such user, or "relaying denied"), 553, 452
 * (too many recipients, §4.5.3.1.10) refuse just this one. */
int smtp_rcpt_to(struct smtp_client *c, const char *recipient, struct smtp_reply *reply)
{
    char line[SMTP_MAX_COMMAND_LINE + 1];
    smtp_reply_clear(reply);
    if (smtp_format_rcpt(c, recipient, line, sizeof line) < 0)
        return -1;
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, line, reply);
}

/* RSET (RFC 5321 §4.1.1.5): abandon the open transaction; the session
 * (the EHLO) stays. Reply: 250. */
int smtp_rset(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "RSET", reply);
}

/* NOOP (RFC 5321 §4.1.1.9): do nothing, answer 250. Shows the connection
 * is still alive; also a synchronisation point when pipelining. */
int smtp_noop(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "NOOP", reply);
}

/* VRFY <name> (RFC 5321 §4.1.1.6, §3.5): does this mailbox exist? Replies:
 * 250/251 (yes), 550 (no), 252 (cannot say - most servers today, §3.5.3,
 * because spammers harvested addresses with VRFY). */
int smtp_vrfy(struct smtp_client *c, const char *name, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return verb_with_argument(c, "VRFY", name, reply);
}

/* QUIT (RFC 5321 §4.1.1.10): we are done. The server answers 221 and closes
 * the connection; §4.1.1.10 says the client should wait for that reply
 * before it closes its side, so both ends agree the session ended well. */
int smtp_quit(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_set_timeout(c, SMTP_TIMEOUT_COMMAND_S);
    return smtp_command(c, "QUIT", reply);
}
