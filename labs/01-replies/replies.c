/*
 * replies.c - LAB 1: reading what the server says.
 *
 * This file replaces client/smtp_reply.c in the lab build. Write the
 * functions marked LAB 1; the prototypes, and what each one must do, are in
 * client/smtp_client.h ("Replies" and "Extensions"). Read RFC 5321 §4.2,
 * §4.2.1 and §4.1.1.1 first (the handout says which parts).
 *
 * Every SMTP reply starts with three digits. The first one is what a client
 * acts on (§4.2.1): 2 = done, 3 = go on, 4 = not now, 5 = no. A reply may
 * run over several lines - "250-" on every line but the last, "250 " on
 * the last one - and it is still ONE reply:
 *
 *     250-bob.example Hello alice.example
 *     250-SIZE 10485760
 *     250 PIPELINING
 *
 * A client that stops after the first line takes the second line as the
 * answer to its *next* command, and from then on every answer belongs to
 * the wrong question. Your parser is fed one line at a time (no sockets
 * here: smtp_read_reply() in client/smtp_connection.c does the reading and
 * calls smtp_reply_feed() for each line), so the grader can test it line
 * by line, and lab01-send - mailwalk-send with your parser inside - shows
 * it talking to a real server.
 */
#include "smtp_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Start reading a new reply: nothing read yet. (Given: read it, it tells
 * you what every field starts as.) */
void smtp_reply_clear(struct smtp_reply *r)
{
    r->code = 0;
    r->enhanced[0] = '\0';
    r->line_count = 0;
    r->truncated = false;
    r->text[0] = '\0';
}

/*
 * Add one received line (without its CR LF) to the reply being read.
 *
 * LAB 1: write this. For each line:
 *  - Check it is a reply line (RFC 5321 §4.2: three digits, the first 2-5,
 *    the second 0-5). If not, write a short reason into why[] and return
 *    SMTP_REPLY_MALFORMED.
 *  - After the code comes "-" (more lines follow: return SMTP_REPLY_MORE),
 *    " " (the last line: SMTP_REPLY_DONE), or nothing at all (§4.2.1 says a
 *    bare "250" must be accepted: DONE too). Anything else is MALFORMED.
 *  - Every line of one reply has the same code (§4.2.1); a line with a
 *    different code is MALFORMED.
 *  - On the first line, set r->code; if the text starts with an RFC 3463
 *    status code such as "5.1.1" (RFC 2034 §4: class.subject.detail, class
 *    the same as the first digit), copy it to r->enhanced.
 *  - Append the line's text (what follows "250-" / "250 ") to r->text,
 *    lines joined by '\n', count it in r->line_count. r->text has room for
 *    SMTP_REPLY_TEXT_MAX bytes with its NUL: drop what does not fit and set
 *    r->truncated. Refuse (MALFORMED) a reply of more than
 *    SMTP_REPLY_MAX_LINES lines: a server must not make us read forever.
 */
enum smtp_reply_step smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
                                     char *why, size_t why_cap)
{
    (void)r;
    (void)line;
    (void)len;
    snprintf(why, why_cap, "LAB 1: smtp_reply_feed() is not written yet");
    return SMTP_REPLY_MALFORMED;
}

/*
 * The first line of the reply, with its code: "250 OK" for a reply whose
 * text is "OK\nmore". Always NUL-terminate out (cap bytes at most).
 *
 * LAB 1: write this (snprintf is your friend).
 */
void smtp_reply_first_line(const struct smtp_reply *r, char *out, size_t cap)
{
    (void)r;
    if (cap > 0)
        out[0] = '\0';
}

/*
 * What the first digit of a reply code means (RFC 5321 §4.2.1), in words:
 *
 *   2 -> "positive completion"
 *   3 -> "positive intermediate: send more"
 *   4 -> "transient negative: try again later"
 *   5 -> "permanent negative: do not retry as it is"
 *   anything else -> "not a reply"
 *
 * LAB 1: write this. mailwalk-send prints it next to a failure, and its
 * exit status (4 = try later, 5 = give up) rests on the same distinction.
 */
const char *smtp_reply_meaning(int code)
{
    (void)code;
    return "LAB 1: smtp_reply_meaning() is not written yet";
}

/*
 * Fill *ext from the reply to EHLO (RFC 5321 §4.1.1.1): the first line is
 * the server's name and greeting; every further line is one extension
 * keyword, maybe with parameters ("SIZE 10485760", "AUTH PLAIN LOGIN").
 *
 * LAB 1: write this. Start with memset(ext, 0, sizeof *ext); only a 250
 * reply offers anything (then ext->esmtp is true). Match keywords in any
 * case (§2.4), as a whole word ("SIZEX" is not SIZE). SIZE's number is the
 * limit (0 or none: no fixed limit, RFC 1870 §4); AUTH's list goes into
 * ext->auth_mechanisms. Ignore keywords you do not know (§2.2.2).
 */
void smtp_parse_extensions(const struct smtp_reply *ehlo_reply,
                           struct smtp_extensions *ext)
{
    (void)ehlo_reply;
    memset(ext, 0, sizeof *ext);
}
