/*
 * bounce.c - the message that says "your mail could not be delivered".
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A *bounce* (a non-delivery report) is the mail system writing back to a
 * sender. It is owed exactly when a server said "250 OK" to a message and
 * then could not deliver it: the 250 made the server responsible (RFC 5321
 * §6.1), and the sender's own server has already forgotten the message. So
 * when Bob's server refuses carol@bob.example with "550 5.1.1", or when it
 * stays unreachable until the queue gives up after days, Alice's server
 * must tell Alice. (A refusal *during* the session, like a 550 to RCPT TO
 * from Alice's own user agent, needs no bounce: the client heard it and
 * reports it itself.)
 *
 * A bounce is sent with the null reverse-path, MAIL FROM:<> (§4.5.5, §6.1;
 * RFC 3461 §6.1), to the reverse-path of the failed message.
 * The reverse-path is where problems are reported; an empty one says
 * "report nothing". So if the bounce cannot be delivered either (Alice's
 * address was forged, say), no server may bounce the bounce, and two
 * servers can never send failure notices back and forth for ever.
 * bounce_write() refuses to write a bounce for a message that came from <>.
 *
 * Its format is a delivery status notification (DSN): an RFC 6522
 * multipart/report with three parts,
 *
 *   1. text/plain               for the person: what failed and why
 *   2. message/delivery-status  for programs: RFC 3464 fields, one block
 *                               for the message, one per failed recipient
 *   3. text/rfc822-headers      the failed message's header section, so
 *                               the sender can tell which message it was
 *
 * so that a user agent can show it nicely and a mailing list manager can
 * read part 2 and drop an address that no longer works.
 */
#include "bounce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Small text helpers
 * ---------------------------------------------------------------------- */

/* Does the NUL-terminated text hold a byte outside 7-bit ASCII? */
static bool has_8bit(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++)
        if (*p >= 0x80)
            return true;
    return false;
}

/* Does buf[0..len) contain needle anywhere? (memmem is not POSIX.) */
static bool contains(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

/* Copy src into dst (of size cap), keeping letters, digits and the bytes in
 * `keep`, and turning anything else into '_'. */
static void copy_only(char *dst, size_t cap, const char *src, const char *keep)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && n + 1 < cap; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr(keep, *p) != NULL;
        dst[n++] = ok ? (char)*p : '_';
    }
    dst[n] = '\0';
}

/* RFC 5322 §3.3 date-time in UTC: "Mon, 23 Nov 2026 11:21:37 +0000". The
 * names are written out here, because strftime's %a and %b follow the
 * locale and a German one would write "Mo" and "Dez". */
static void format_date(time_t when, char *buf, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (gmtime_r(&when, &tm) == NULL) {
        snprintf(buf, cap, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
}

/* Is status an RFC 3463 §2 code for a failure: class "4" or "5", then
 * "." subject "." detail, each 1 to 3 digits without leading zeros? */
static bool is_failure_status(const char *status)
{
    if (status == NULL || (status[0] != '4' && status[0] != '5') || status[1] != '.')
        return false;
    const char *p = status + 2;
    for (int part = 0; part < 2; part++) {
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 3 || (digits > 1 && p[0] == '0'))
            return false;
        p += digits;
        if (part == 0 && *p++ != '.')
            return false;
    }
    return *p == '\0';
}

/* Does text start like an SMTP reply, three digits and a space or '-'?
 * Only then is it an "smtp" diagnostic-code (RFC 3461 §9.2). */
static bool looks_like_reply(const char *text)
{
    return strspn(text, "0123456789") == 3 && (text[3] == ' ' || text[3] == '-');
}

/* Write text from a peer or a caller, one line per line of it: each line
 * break (CR LF, LF or CR) becomes "\n" plus `indent`, and other control
 * characters become '?'. So a remote reply can never end our header field
 * early and slip in fields of its own. */
static void put_lines(FILE *out, const char *text, const char *indent)
{
    bool line_break = false;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            line_break = true;
            continue;
        }
        if (line_break) { /* only between lines: none at the end */
            fprintf(out, "\n%s", indent);
            line_break = false;
        }
        fputc((*p < 0x20 && *p != '\t') || *p == 0x7f ? '?' : *p, out);
    }
}

/* ------------------------------------------------------------------------
 * The original's header section (part 3)
 * ---------------------------------------------------------------------- */

/* The header section as read: LF line ends, at most BOUNCE_MAX_HEADERS. */
struct header_copy {
    char *text; /* malloc'd, BOUNCE_MAX_HEADERS octets */
    size_t len; /* octets used, always whole lines */
    bool cut;   /* the section was longer and was cut at a line end */
    bool eight; /* it holds non-ASCII (SMTPUTF8, RFC 6532) octets */
};

/*
 * Read the header section of the message in `in`: every line up to the
 * first empty one (RFC 5322 §2.1), CR LF turned into LF. Only whole lines
 * are kept, so a cut never leaves half a line (or half a UTF-8 character)
 * behind; a single line longer than the whole limit is dropped. Memory
 * stays bounded however long the section is. Returns 0, or -1 on a read
 * error.
 */
static int read_headers(FILE *in, struct header_copy *h)
{
    size_t line_start = 0;
    int c;
    while ((c = getc(in)) != EOF) {
        if (c == '\r') {
            int next = getc(in);
            if (next == '\n')
                c = '\n'; /* CR LF: one line end */
            else if (next != EOF)
                ungetc(next, in); /* a lone CR is kept as it is */
        }
        if (c == '\n' && h->len == line_start)
            return 0; /* the empty line: the body starts after it */
        if (h->len == BOUNCE_MAX_HEADERS) {
            h->cut = true;
            h->len = line_start;
            return 0;
        }
        h->text[h->len++] = (char)c;
        if (c == '\n')
            line_start = h->len;
        else if (c >= 0x80)
            h->eight = true;
    }
    if (ferror(in))
        return -1;
    /* A message that is all header and no final line end: end it. */
    if (h->len > line_start) {
        if (h->len < BOUNCE_MAX_HEADERS) {
            h->text[h->len++] = '\n';
        } else {
            h->len = line_start;
            h->cut = true;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The three parts
 * ---------------------------------------------------------------------- */

/* Part 1: the explanation for a person, who may never read parts 2 and 3. */
static void write_human_part(FILE *out, const struct bounce_report *report,
                             const char *arrival, const struct header_copy *h)
{
    fprintf(out, "This is the mail system at %s.\n\n", report->reporting_mta);
    fprintf(out, "I'm sorry: your message could not be delivered to the %s\n",
            report->count == 1 ? "recipient below." : "recipients below.");
    fprintf(out, "We accepted it on %s\n", arrival);
    fputs("(our queue id ", out);
    put_lines(out, report->queue_id, "");
    fputs(") and tried to pass it on, but delivery failed for good:\n", out);
    for (size_t i = 0; i < report->count; i++) {
        const struct bounce_recipient *rcpt = &report->recipients[i];
        fputs("\n  <", out);
        put_lines(out, rcpt->address, "");
        fputs(">\n      ", out);
        if (rcpt->remote_mta != NULL) {
            fputs("the server ", out);
            put_lines(out, rcpt->remote_mta, "");
            fputs(" answered:\n      ", out);
        } else {
            fputs("we gave up:\n      ", out);
        }
        put_lines(out, rcpt->diagnostic ? rcpt->diagnostic : "(no reason given)",
                  "      ");
        fputc('\n', out);
    }
    if (h != NULL)
        fprintf(out,
                "\nThe headers of your message are attached%s, so that you\n"
                "can tell which message this was. Its body is not sent back.\n",
                h->cut ? " (cut at 64 KB)" : "");
    fputs("\nThis notice was sent from the empty address <>, so that it can\n"
          "never bounce back. Replies to it reach nobody.\n",
          out);
}

/* A Remote-MTA or Reporting-MTA name of type "dns" (RFC 3461 §9.3): a
 * domain name, or an IP address as a literal in brackets, "[127.0.0.2]",
 * "[IPv6:::1]" (the address-literal of RFC 5321 §4.1.3). */
static void put_mta_name(FILE *out, const char *name)
{
    unsigned char addr[16];
    if (inet_pton(AF_INET, name, addr) == 1)
        fprintf(out, "[%s]", name);
    else if (inet_pton(AF_INET6, name, addr) == 1)
        fprintf(out, "[IPv6:%s]", name);
    else
        put_lines(out, name, "");
}

/* Part 2: message/delivery-status (RFC 3464 §2): header-like fields, one
 * block for the message (§2.2), then an empty line and one block per
 * recipient (§2.3), in the order of the RFC's grammar. */
static void write_status_part(FILE *out, const struct bounce_report *report,
                              const char *arrival, const char *now)
{
    fputs("Reporting-MTA: dns; ", out); /* §2.2.2: who writes this report */
    put_mta_name(out, report->reporting_mta);
    fprintf(out, "\nArrival-Date: %s\n", arrival); /* §2.2.5 */
    /* An extension field (§2.4) "X-...": our own queue id, for the logs. */
    fputs("X-Mailwalk-Queue-ID: ", out);
    put_lines(out, report->queue_id, " ");
    fputc('\n', out);

    for (size_t i = 0; i < report->count; i++) {
        const struct bounce_recipient *rcpt = &report->recipients[i];
        /* §2.3.2: "rfc822" is the address type of SMTP addresses. */
        fputs("\nFinal-Recipient: rfc822; ", out);
        put_lines(out, rcpt->address, " ");
        /* §2.3.3: failed, the only action a bounce reports (others say
         * delayed, delivered, relayed or expanded). */
        fputs("\nAction: failed\n", out);
        /* §2.3.4, RFC 3463. Without a good code RFC 3461 §6.3 (g) says
         * 5.0.0, "permanent failure, nothing more specific known". */
        fprintf(out, "Status: %s\n",
                is_failure_status(rcpt->status) ? rcpt->status : "5.0.0");
        if (rcpt->remote_mta != NULL) { /* §2.3.5: who refused it */
            fputs("Remote-MTA: dns; ", out);
            put_mta_name(out, rcpt->remote_mta);
            fputc('\n', out);
        }
        /* §2.3.6: the reply itself, type "smtp" (RFC 3461 §9.2): a
         * multi-line reply continues on lines that start with a space. A
         * reason of our own ("gave up after 5 days: ...") is no SMTP reply,
         * so it gets a private type, as Postfix writes "X-Postfix;". */
        if (rcpt->diagnostic != NULL) {
            fprintf(out, "Diagnostic-Code: %s; ",
                    looks_like_reply(rcpt->diagnostic) ? "smtp" : "X-Mailwalk");
            put_lines(out, rcpt->diagnostic, " ");
            fputc('\n', out);
        }
        fprintf(out, "Last-Attempt-Date: %s\n", now); /* §2.3.7 */
    }
}

/* Pick a MIME boundary that occurs nowhere in the copied headers (RFC 2046
 * §5.1.1: it must not appear inside any part). Our text in parts 1 and 2
 * never starts a line with "--", so only the headers could hold it. */
static void choose_boundary(char *boundary, size_t cap, const char *unique,
                            const struct header_copy *h)
{
    char safe[48]; /* bchars only, and short: a boundary is at most 70 */
    copy_only(safe, sizeof safe, unique, "-.");
    snprintf(boundary, cap, "=_mailwalk_%s", safe);
    for (unsigned n = 1; h != NULL && contains(h->text, h->len, boundary); n++)
        snprintf(boundary, cap, "=_mailwalk_%s_%u", safe, n);
}

/* ------------------------------------------------------------------------
 * The whole message
 * ---------------------------------------------------------------------- */

/* Write headers and the three parts to out. */
static void write_message(FILE *out, const struct bounce_report *report,
                          const struct header_copy *h, const char *boundary)
{
    char arrival[64], now[64], id[64];
    format_date(report->arrival, arrival, sizeof arrival);
    format_date(report->now, now, sizeof now);
    /* Letters, digits, '-' and '_' only: always a valid id-left
     * (RFC 5322 §3.6.4), whatever the caller's unique string holds. */
    copy_only(id, sizeof id, report->unique, "-");

    /* Non-ASCII addresses and headers (SMTPUTF8) make parts 8-bit.
     * SIMPLIFICATION: a real MTA would use the types of RFC 6533 then
     * (message/global-delivery-status with a "utf-8" address type,
     * message/global-headers); we keep the plain types and only label
     * the octets as 8bit. */
    bool fields_8bit = has_8bit(report->original_sender);
    for (size_t i = 0; i < report->count; i++)
        fields_8bit = fields_8bit || has_8bit(report->recipients[i].address) ||
                      has_8bit(report->recipients[i].diagnostic) ||
                      has_8bit(report->recipients[i].remote_mta);
    bool headers_8bit = h != NULL && h->eight;
    const char *part_8bit = "Content-Transfer-Encoding: 8bit\n";

    /* The message header. The envelope (MAIL FROM:<>, RCPT TO:<sender>) is
     * the queue's business; these are the fields the sender will see. */
    fprintf(out, "From: Mail Delivery System <%s>\n", report->from);
    fputs("To: ", out);
    put_lines(out, report->original_sender, " ");
    fputs("\nSubject: Undelivered Mail Returned to Sender\n", out);
    fprintf(out, "Date: %s\n", now);
    fprintf(out, "Message-ID: <bounce.%s@%s>\n", id, report->reporting_mta);
    /* RFC 3834 §5: made by a program in reply to a message. Autoresponders
     * ("I am on holiday") see it and stay quiet. */
    fputs("Auto-Submitted: auto-replied\n", out);
    fputs("MIME-Version: 1.0\n", out);
    fprintf(out,
            "Content-Type: multipart/report; report-type=delivery-status;\n"
            " boundary=\"%s\"\n",
            boundary);
    if (fields_8bit || headers_8bit)
        fputs(part_8bit, out); /* RFC 2045 §6.4: as 8-bit as its parts */
    /* The preamble: only readers that know no MIME show it (RFC 2046 §5.1.1). */
    fputs("\nThis is a MIME-encapsulated message.\n", out);

    fprintf(out, "\n--%s\n", boundary);
    fprintf(out, "Content-Type: text/plain; charset=%s\n",
            fields_8bit ? "utf-8" : "us-ascii");
    fputs("Content-Description: Notification\n", out);
    if (fields_8bit)
        fputs(part_8bit, out);
    fputc('\n', out);
    write_human_part(out, report, arrival, h);

    fprintf(out, "\n--%s\n", boundary);
    fputs("Content-Type: message/delivery-status\n", out);
    fputs("Content-Description: Delivery report\n", out);
    if (fields_8bit)
        fputs(part_8bit, out);
    fputc('\n', out);
    write_status_part(out, report, arrival, now);

    /* Why only the headers, not the whole message (text/rfc822-headers,
     * RFC 3462 §2, now RFC 6522; RFC 3461 §6.2)? They are enough to tell
     * which message failed (Subject, Date, Message-ID) and where it went
     * (Received); the body could be megabytes, and it might be private.
     * Mail sent with a forged From makes bounces go to a stranger: a
     * returned body would hand them someone else's letter (and spammers
     * use bounces to deliver spam). */
    if (h != NULL) {
        fprintf(out, "\n--%s\n", boundary);
        fputs("Content-Type: text/rfc822-headers\n", out);
        fputs("Content-Description: Undelivered Message Headers\n", out);
        if (headers_8bit)
            fputs(part_8bit, out);
        fputc('\n', out);
        fwrite(h->text, 1, h->len, out);
    }
    fprintf(out, "\n--%s--\n", boundary);
}

int bounce_write(FILE *out, const struct bounce_report *report, FILE *original,
                 char *why, size_t why_cap)
{
    /* RFC 5321 §6.1: never a notice about a notice. The queue should not
     * even ask; if it does, refusing here keeps the loop from starting. */
    const char *sender = report->original_sender;
    if (sender == NULL || sender[0] == '\0' || strcmp(sender, "<>") == 0) {
        snprintf(why, why_cap,
                 "the message came from the null reverse-path <>: no bounce "
                 "for a bounce (RFC 5321 §6.1)");
        return -1;
    }

    struct header_copy headers = {0}, *h = NULL;
    if (original != NULL) {
        headers.text = malloc(BOUNCE_MAX_HEADERS);
        if (headers.text == NULL) {
            snprintf(why, why_cap, "malloc(%d): %s", BOUNCE_MAX_HEADERS,
                     strerror(errno));
            return -1;
        }
        h = &headers;
        if (read_headers(original, h) < 0) {
            snprintf(why, why_cap, "reading the original message: %s", strerror(errno));
            free(headers.text);
            return -1;
        }
    }

    char boundary[96];
    choose_boundary(boundary, sizeof boundary, report->unique, h);
    errno = 0;
    write_message(out, report, h, boundary);
    free(headers.text);

    /* Every fputs above may have failed (a full disk): the stream
     * remembers, and fflush says so for what was still in the buffer. */
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(why, why_cap, "writing the bounce: %s",
                 errno ? strerror(errno) : "write error");
        return -1;
    }
    return 0;
}
