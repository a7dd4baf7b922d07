/*
 * client.c - LAB 2: the client's side of the dialogue.
 *
 * This file replaces client/smtp_commands.c and client/smtp_data.c in the
 * lab build; lab02-send is mailwalk-send with your functions inside, and
 * the grader makes it deliver real mail to a real mailwalk-server. The
 * prototypes are in client/smtp_client.h and client/smtp_internal.h; the
 * helpers you may call are there too:
 *
 *   smtp_command(c, "QUIT", reply)   send one line (CR LF is added), read
 *                                    the whole reply; 0, or -1 if the
 *                                    conversation broke (c->error says why)
 *   smtp_flush(c, bytes, len)        send bytes as they are
 *   smtp_read_reply(c, reply)        read one reply
 *   smtp_report(c, SMTP_SENT_DATA, line, len)   show a line in the transcript
 *   smtp_set_timeout(c, seconds)     how long to wait for the next reply
 *   smtp_fail(c, "format", ...)      set c->error, return -1
 *   smtp_note(c, "format", ...)      a "==" note in the transcript
 *   smtp_next_line(m, len, pos, &next)   the line starting at pos (given.c)
 *
 * The order of a session (RFC 5321 §3.3, §4.1.4):
 *
 *     S: 220 greeting          C: EHLO alice.example      S: 250-...
 *     C: MAIL FROM:<alice@alice.example>                  S: 250
 *     C: RCPT TO:<bob@bob.example>                        S: 250
 *     C: DATA                                             S: 354
 *     C: (the message, dot-stuffed)  C: .                 S: 250
 *     C: QUIT                                             S: 221
 *
 * Each function sends one command and reads one reply (§4.2: "Every
 * command MUST generate exactly one reply"). It does not judge the reply -
 * a 550 is an answer, the caller decides what it means - and returns -1
 * only when the conversation broke.
 */
#include "smtp_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- Hello -------------------------------------------------------------- */

/*
 * HELO <client_name> (RFC 5321 §4.1.1.1): the 1982 hello. After HELO the
 * server offers no extensions, so forget any: memset(&c->ext, 0, ...).
 *
 * LAB 2: write this. Build the line "HELO name", set the timeout
 * (SMTP_TIMEOUT_COMMAND_S, §4.5.3.2) and send it with smtp_command().
 */
int smtp_helo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    (void)client_name;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_helo() is not written yet");
}

/*
 * EHLO <client_name> (RFC 5321 §4.1.1.1): hello, and "which extensions do
 * you offer?" On a 250, fill c->ext from the reply with
 * smtp_parse_extensions(). §3.2: a client SHOULD fall back to HELO when
 * the server does not know EHLO: on any 5yz reply, say HELO instead (and
 * *reply becomes HELO's reply). A 4yz (421 "go away") is not a reason to
 * try HELO: return it as it is.
 *
 * LAB 2: write this.
 */
int smtp_ehlo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply)
{
    (void)client_name;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_ehlo() is not written yet");
}

/* ---- The envelope ------------------------------------------------------- */

/*
 * Write "MAIL FROM:<sender>" into line (cap bytes), then the parameters
 * that the server advertised in its EHLO reply (c->ext) and the caller
 * asked for in *options (options may be NULL):
 *   " SIZE=n"         if options->size > 0 and c->ext.size   (RFC 1870 §6)
 *   " BODY=8BITMIME"  if options->body_8bit and c->ext.eightbitmime (RFC 6152)
 *   " SMTPUTF8"       if options->smtputf8 and c->ext.smtputf8   (RFC 6531)
 * No space after the colon (§4.1.2); an empty sender is "<>", the null
 * reverse-path of bounces. Returns 0, or smtp_fail(...) if it does not fit.
 * (mailwalk-send --pipelining uses this and smtp_format_rcpt() directly.)
 *
 * LAB 2: write this.
 */
int smtp_format_mail(struct smtp_client *c, const char *sender,
                     const struct smtp_mail_options *options, char *line, size_t cap)
{
    (void)sender;
    (void)options;
    if (cap > 0)
        line[0] = '\0';
    return smtp_fail(c, "LAB 2: smtp_format_mail() is not written yet");
}

/*
 * MAIL FROM:<sender> (RFC 5321 §4.1.1.2): start a transaction. Format the
 * line with smtp_format_mail() (SMTP_MAX_COMMAND_LINE + 1 bytes is enough
 * room), set the timeout, send it.
 *
 * LAB 2: write this.
 */
int smtp_mail_from(struct smtp_client *c, const char *sender,
                   const struct smtp_mail_options *options, struct smtp_reply *reply)
{
    (void)sender;
    (void)options;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_mail_from() is not written yet");
}

/*
 * Write "RCPT TO:<recipient>" into line. Returns 0, or smtp_fail(...).
 *
 * LAB 2: write this.
 */
int smtp_format_rcpt(struct smtp_client *c, const char *recipient, char *line,
                     size_t cap)
{
    (void)recipient;
    if (cap > 0)
        line[0] = '\0';
    return smtp_fail(c, "LAB 2: smtp_format_rcpt() is not written yet");
}

/*
 * RCPT TO:<recipient> (RFC 5321 §4.1.1.3): one recipient, one reply.
 *
 * LAB 2: write this.
 */
int smtp_rcpt_to(struct smtp_client *c, const char *recipient, struct smtp_reply *reply)
{
    (void)recipient;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_rcpt_to() is not written yet");
}

/* ---- The message -------------------------------------------------------- */

/*
 * The message as it goes on the wire after 354, written to out (at most
 * cap bytes; out may be NULL to measure) - return the full length, as
 * snprintf does. Two rules:
 *  - every line ends in CR LF: a bare LF or a bare CR in the message
 *    becomes CR LF (§2.3.8: a client MUST NOT send them bare); a last line
 *    without any ending gets CR LF too;
 *  - transparency (§4.5.2): a line that starts with "." gets one more "."
 *    in front, so that no line of the message can be read as the end;
 * then the end of data, "." CR LF (§4.1.1.4).
 *
 *   "Hi\n.\n.sig"  ->  "Hi\r\n..\r\n..sig\r\n.\r\n"
 *
 * smtp_next_line() (given.c) finds each line and its ending for you;
 * smtp_put() copies bytes only if they fit.
 *
 * LAB 2: write this. Then smtp_send_message() is the same walk, sending.
 */
size_t smtp_data_encode(const char *message, size_t len, char *out, size_t cap)
{
    (void)message;
    (void)len;
    (void)out;
    (void)cap;
    return 0;
}

/*
 * After the 354: send the message dot-stuffed with CR LF line endings, then
 * ".", and read the server's verdict into *reply (§4.1.1.4: 250 means it
 * has taken responsibility for the message). Show each text line in the
 * transcript as it goes on the wire, with smtp_report(c, SMTP_SENT_DATA,
 * ...), and the final "." with SMTP_SENT. Wait for the verdict with
 * SMTP_TIMEOUT_DATA_END_S: the server must store the message first.
 * Hint: sending a whole line (or a block of lines) per smtp_flush() is
 * much faster than one call per byte.
 *
 * LAB 2: write this.
 */
int smtp_send_message(struct smtp_client *c, const char *message, size_t len,
                      struct smtp_reply *reply)
{
    (void)message;
    (void)len;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_send_message() is not written yet");
}

/*
 * DATA (RFC 5321 §4.1.1.4): send "DATA"; only if the server answers 354
 * send the message with smtp_send_message(), and then *reply is the
 * verdict on the message. Any other answer (503, 554) ends it there:
 * return 0 with that reply, and send no text.
 *
 * LAB 2: write this.
 */
int smtp_data(struct smtp_client *c, const char *message, size_t len,
              struct smtp_reply *reply)
{
    (void)message;
    (void)len;
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_data() is not written yet");
}

/* ---- Goodbye ------------------------------------------------------------ */

/*
 * QUIT (RFC 5321 §4.1.1.10): the server answers 221 and closes. Wait for
 * that reply before closing your side, so both ends agree it ended well.
 *
 * LAB 2: write this.
 */
int smtp_quit(struct smtp_client *c, struct smtp_reply *reply)
{
    smtp_reply_clear(reply);
    return smtp_fail(c, "LAB 2: smtp_quit() is not written yet");
}
