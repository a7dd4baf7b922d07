/*
 * pop3_text.c - a stored message, turned into the lines of a POP3
 * multi-line response, a piece at a time (see pop3_text.h).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 */
#include "pop3_text.h"

#include <string.h>

void pop3_text_start(struct pop3_text *t, FILE *file)
{
    memset(t, 0, sizeof *t);
    t->file = file;
    t->at_line_start = true;
}

void pop3_text_start_top(struct pop3_text *t, FILE *file, unsigned long body_lines)
{
    pop3_text_start(t, file);
    t->limit_body = true;
    t->body_lines_left = body_lines;
}

void pop3_text_stop(struct pop3_text *t)
{
    if (t->file != NULL)
        fclose(t->file);
    t->file = NULL;
}

/* Has TOP sent all the body lines it was asked for? */
static bool top_is_done(const struct pop3_text *t)
{
    return t->limit_body && t->in_body && t->body_lines_left == 0 && t->at_line_start;
}

size_t pop3_text_next(struct pop3_text *t, char *out, bool *failed)
{
    *failed = false;
    if (t->file == NULL)
        return 0;
    if (top_is_done(t)) {
        pop3_text_stop(t);
        return 0;
    }

    /* Read up to the next LF, or POP3_TEXT_CHUNK bytes of a longer line.
     * getc() rather than fgets(): a stored NUL byte must not end the piece. */
    char chunk[POP3_TEXT_CHUNK];
    size_t n = 0;
    bool line_ended = false;
    int c;
    while (n < sizeof chunk && (c = getc(t->file)) != EOF) {
        if (c == '\n') {
            line_ended = true;
            break;
        }
        chunk[n++] = (char)c;
    }

    if (n == 0 && !line_ended) {
        /* The end of the file (or a read error). A last line that had no
         * LF still ends in CRLF on the wire: the final "." must start a
         * line of its own, or the client would never see the end. */
        *failed = ferror(t->file) != 0;
        bool unfinished_line = !t->at_line_start;
        pop3_text_stop(t);
        if (!unfinished_line || *failed)
            return 0;
        t->at_line_start = true;
        memcpy(out, "\r\n", 2);
        return 2;
    }

    size_t len = 0;
    bool starts_line = t->at_line_start;
    /* RFC 1939 §3: "If any line begins with the termination octet, the line
     * is 'byte-stuffed' by pre-pending the termination octet to that line". */
    if (starts_line && n > 0 && chunk[0] == '.') {
        out[len++] = '.';
        t->stuffed++;
    }
    /* A file that already holds CRLF keeps one CRLF, not CR CR LF. */
    if (line_ended && n > 0 && chunk[n - 1] == '\r')
        n--;
    memcpy(out + len, chunk, n);
    len += n;
    if (line_ended) {
        memcpy(out + len, "\r\n", 2);
        len += 2;
        /* The first empty line ends the header (RFC 5322 §2.1); TOP counts
         * the lines after it. */
        if (!t->in_body && starts_line && n == 0)
            t->in_body = true;
        else if (t->in_body && t->limit_body)
            t->body_lines_left--;
    }
    t->at_line_start = line_ended;
    return len;
}

int pop3_text_octets(FILE *file, unsigned long long *octets)
{
    struct pop3_text t;
    pop3_text_start(&t, file);
    char piece[POP3_TEXT_PIECE_MAX];
    unsigned long long total = 0;
    bool failed = false;
    size_t len;
    while ((len = pop3_text_next(&t, piece, &failed)) > 0)
        total += len;
    /* Sent, the stuffed dots are extra bytes; counted, they are not
     * (RFC 1939 §11 counts the message, not its transport). */
    *octets = total - t.stuffed;
    return failed ? -1 : 0;
}
