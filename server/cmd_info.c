/*
 * cmd_info.c - the commands that only answer questions: VRFY, EXPN, HELP.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * None of them touches the session's state or the open transaction; RFC
 * 5321 §4.1.4 allows them at any time. Two of them are a lesson in how the
 * Internet changed: VRFY and EXPN were made to be helpful, and spammers
 * made servers stop answering them (§7.3).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "maildir.h"

/* VRFY <name> (RFC 5321 §4.1.1.6, §3.5.3): does this mailbox exist?
 * Spammers used VRFY to harvest addresses, so most servers today always
 * answer 252 ("cannot verify, but send it and we will try", §3.5.3).
 * We answer for real only when --mailboxes lists the mailboxes, so a
 * class can see both answers.
 * Replies: 250 2.1.5 (exists), 550 5.1.1 (does not), 252 2.5.2 (any name
 * is accepted here), 501 (no name). */
void cmd_vrfy(struct session *s, const char *args)
{
    /* Accept "bob", "bob@bob.example" and "<bob@bob.example>". */
    char name[SMTP_MAX_LOCAL_PART + 1];
    const char *p = args[0] == '<' ? args + 1 : args;
    size_t n = strcspn(p, "@> ");
    if (n == 0 || n > SMTP_MAX_LOCAL_PART) {
        session_reply(s, 501, "5.5.4", "Syntax: VRFY <mailbox>");
        return;
    }
    memcpy(name, p, n);
    name[n] = '\0';

    if (s->config->mailbox_count == 0) {
        session_reply(s, 252, "2.5.2",
                      "Cannot VRFY user, but will accept "
                      "message and attempt delivery");
    } else if (maildir_name_is_safe(name) && config_has_mailbox(s->config, name)) {
        session_reply(s, 250, "2.1.5", "<%s@%s>", name, s->config->domains[0]);
    } else {
        session_reply(s, 550, "5.1.1", "No such user here: %s", name);
    }
}

/* EXPN <list> (RFC 5321 §4.1.1.7): list a mailing list's members. Like
 * nearly every server since the 1990s we do not (§7.3: it hands address
 * lists to anyone who asks). Replies: 502 5.5.1. */
void cmd_expn(struct session *s, const char *args)
{
    (void)args;
    session_reply(s, 502, "5.5.1", "EXPN is switched off here (RFC 5321 section 7.3)");
}

/* HELP [command] (RFC 5321 §4.1.1.8): text for humans, one line per verb,
 * taken from the command table so that it can never go out of date.
 * Replies: 214 2.0.0, or 504 5.5.1 for a command we do not know. */
void cmd_help(struct session *s, const char *args)
{
    size_t count;
    const struct command *table = command_table(&count);

    if (args[0] != '\0') {
        const struct command *c = command_lookup(args);
        if (c == NULL) {
            session_reply(s, 504, "5.5.1",
                          "No help for \"%.40s\": not a command "
                          "here",
                          args);
            return;
        }
        session_reply(s, 214, "2.0.0", "%s", c->help);
        return;
    }
    session_reply_more(s, 214, "2.0.0", "mailwalk-server knows these commands:");
    for (size_t i = 0; i < count; i++)
        session_reply_more(s, 214, "2.0.0", "%s", table[i].help);
    session_reply(s, 214, "2.0.0", "End of HELP");
}
