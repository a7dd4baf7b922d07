/*
 * pop3_cmd_mailbox.c - the TRANSACTION state: STAT, LIST, RETR, TOP, DELE,
 * RSET, NOOP and UIDL (RFC 1939 §5 and §7).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 *
 * After the login, the client works on a numbered list of messages that is
 * fixed for the session (pop3_mailbox.c). A typical user agent asks how
 * many there are, fetches each, marks each deleted, and quits:
 *
 *     C: STAT            S: +OK 2 740
 *     C: RETR 1          S: +OK 320 octets ... the letter ... .
 *     C: DELE 1          S: +OK message 1 deleted
 *     C: QUIT            S: +OK ... (1 message deleted)
 *
 * A message marked deleted is gone from the client's view at once (§5: no
 * command may refer to it), but from the disk only at QUIT.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pop3_commands.h"

/* ----- arguments -------------------------------------------------------- */

/* Read up to `max` decimal numbers separated by single spaces (RFC 1939 §3:
 * "Keywords and arguments are each separated by a single SPACE"). Returns
 * how many there were, or -1 if the text is anything else: a sign, a
 * letter, two spaces, a number over 9 digits or too many numbers. */
static int parse_numbers(const char *args, unsigned long *numbers, int max)
{
    int count = 0;
    const char *p = args;
    while (*p != '\0') {
        if (count == max)
            return -1;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 9 || (p[digits] != ' ' && p[digits] != '\0'))
            return -1;
        unsigned long value = 0;
        for (size_t i = 0; i < digits; i++)
            value = value * 10 + (unsigned long)(p[i] - '0');
        numbers[count++] = value;
        p += digits;
        if (*p == ' ' && *++p == '\0')
            return -1; /* a trailing space */
    }
    return count;
}

/* The message a command names, or NULL after answering -ERR. */
static struct pop3_message *find_message(struct pop3_session *s, unsigned long number)
{
    struct pop3_message *msg = pop3_mailbox_message(&s->mailbox, number);
    if (msg != NULL)
        return msg;
    if (number >= 1 && number <= s->mailbox.count)
        pop3_err(s, NULL, "Message %lu is marked deleted", number);
    else
        pop3_err(s, NULL, "No such message: there are %zu", s->mailbox.count);
    return NULL;
}

/* ----- the commands ----------------------------------------------------- */

/* STAT (§5): "+OK count octets", deleted messages left out. */
void pop3_stat(struct pop3_session *s, const char *args)
{
    if (args[0] != '\0') {
        pop3_err(s, NULL, "Usage: STAT (no arguments)");
        return;
    }
    size_t count;
    unsigned long long octets;
    pop3_mailbox_totals(&s->mailbox, &count, &octets);
    pop3_ok(s, "%zu %llu", count, octets);
}

/* LIST and UIDL share their shape: with a number, one line; without, a
 * multi-line listing of every message not marked deleted. */
static void listing(struct pop3_session *s, const char *args, enum pop3_pending kind,
                    const char *usage)
{
    unsigned long number;
    int n = parse_numbers(args, &number, 1);
    if (n < 0) {
        pop3_err(s, NULL, "Usage: %s", usage);
        return;
    }
    if (n == 1) {
        struct pop3_message *msg = find_message(s, number);
        if (msg == NULL)
            return;
        if (kind == POP3_PENDING_LIST)
            pop3_ok(s, "%lu %llu", number, msg->octets);
        else
            pop3_ok(s, "%lu %s", number, msg->uid);
        return;
    }
    size_t count;
    unsigned long long octets;
    pop3_mailbox_totals(&s->mailbox, &count, &octets);
    pop3_ok(s, "%zu message%s (%llu octets)", count, count == 1 ? "" : "s", octets);
    s->pending = kind; /* pop3_session_continue() writes the lines */
    s->next_message = 0;
}

void pop3_list(struct pop3_session *s, const char *args)
{
    listing(s, args, POP3_PENDING_LIST, "LIST [message-number]");
}

/* UIDL (§7): a name for each message that stays the same across sessions,
 * so a client that leaves mail on the server knows what it already has. */
void pop3_uidl(struct pop3_session *s, const char *args)
{
    listing(s, args, POP3_PENDING_UIDL, "UIDL [message-number]");
}

/* Start sending a message: "+OK", then its lines (all, or the header and
 * `body_lines` of the body for TOP), then ".". */
static void send_message(struct pop3_session *s, unsigned long number, bool top,
                         unsigned long body_lines)
{
    struct pop3_message *msg = find_message(s, number);
    if (msg == NULL)
        return;
    char why[512] = "";
    int fd = pop3_mailbox_open_message(&s->mailbox, msg, why, sizeof why);
    FILE *file = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (file == NULL) {
        if (fd >= 0)
            close(fd);
        else
            event_log_write(s->log, s->id, "error", "what", why, NULL);
        /* Open before "+OK": once "+OK" is out, failing means hanging up. */
        pop3_err(s, "SYS/TEMP", "Cannot read message %lu now", number);
        return;
    }
    if (top) {
        pop3_ok(s, "Top of message %lu follows", number);
        pop3_text_start_top(&s->text, file, body_lines);
    } else {
        pop3_ok(s, "%llu octets", msg->octets);
        pop3_text_start(&s->text, file);
    }
    s->pending = POP3_PENDING_TEXT;
}

/* RETR n (§5): the whole message, byte-stuffed. */
void pop3_retr(struct pop3_session *s, const char *args)
{
    unsigned long number;
    if (parse_numbers(args, &number, 1) != 1) {
        pop3_err(s, NULL, "Usage: RETR message-number");
        return;
    }
    send_message(s, number, false, 0);
}

/* TOP n lines (§7): the header, the empty line, and the first `lines`
 * lines of the body. A user agent uses it to show a list of subjects
 * without downloading every attachment. */
void pop3_top(struct pop3_session *s, const char *args)
{
    unsigned long numbers[2];
    if (parse_numbers(args, numbers, 2) != 2) {
        pop3_err(s, NULL, "Usage: TOP message-number lines");
        return;
    }
    send_message(s, numbers[0], true, numbers[1]);
}

/* DELE n (§5): mark it; QUIT removes it. */
void pop3_dele(struct pop3_session *s, const char *args)
{
    unsigned long number;
    if (parse_numbers(args, &number, 1) != 1) {
        pop3_err(s, NULL, "Usage: DELE message-number");
        return;
    }
    struct pop3_message *msg = find_message(s, number);
    if (msg == NULL)
        return;
    msg->deleted = true;
    pop3_ok(s, "Message %lu deleted (it goes when you QUIT)", number);
}

/* RSET (§5): take back every DELE of this session. */
void pop3_rset(struct pop3_session *s, const char *args)
{
    if (args[0] != '\0') {
        pop3_err(s, NULL, "Usage: RSET (no arguments)");
        return;
    }
    for (size_t i = 0; i < s->mailbox.count; i++)
        s->mailbox.messages[i].deleted = false;
    size_t count;
    unsigned long long octets;
    pop3_mailbox_totals(&s->mailbox, &count, &octets);
    pop3_ok(s, "Mailbox has %zu message%s (%llu octets)", count, count == 1 ? "" : "s",
            octets);
}

/* NOOP (§5): nothing, but the answer shows the server is still there. */
void pop3_noop(struct pop3_session *s, const char *args)
{
    if (args[0] != '\0') {
        pop3_err(s, NULL, "Usage: NOOP (no arguments)");
        return;
    }
    pop3_ok(s, "Still here");
}
