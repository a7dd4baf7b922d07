/*
 * lab04_bare_cr_ends.c - a plausible WRONG answer to lab 4, kept for the CI
 * proof (labs/meson.build): it "understands old Mac text too" and takes a
 * bare CR inside a piece as a line ending, handing each part to itself as a
 * line of its own. So "hello" CR "." CR LF ends the message, and the
 * rest is read as commands (Rule L4.5: only CR LF ends a line, §2.3.8).
 * Everything else is right.
 */
#include <string.h>
#include <stdbool.h>

#include "transparency.h"

/*
 * One piece of message text, as the wire cut it (server/connection.c calls
 * this for each one while the session is in STATE_DATA):
 *
 *   line, len  the bytes, without their line ending (they may contain any
 *              byte, even NUL: use len, not strlen);
 *   end        what ended them: LINE_END_CRLF (a proper line), LINE_END_LF
 *              (a bare LF: not a line ending in SMTP, §2.3.8), or
 *              LINE_END_NONE (the line was longer than the buffer; the
 *              next piece continues it).
 *
 * s->spool.at_line_start says whether this piece starts a line - true
 * after data_begin() and after a piece that ended in CR LF, false after
 * anything else. Keep it up to date: it is the whole state of this lab.
 *
 * LAB 4: write this.
 *  - The end of data: a piece that starts a line, is exactly ".", and ends
 *    in CR LF. Then call spool_finish(s) and store nothing.
 *  - Transparency: a piece that starts a line, begins with "." and is more
 *    than "." loses its first dot.
 *  - Everything else is text, byte for byte: spool_store(s, line, len, end).
 *  - Then set s->spool.at_line_start for the next piece.
 */
void data_receive_line(struct session *s, const char *line, size_t len,
                       enum line_end end)
{
    /* Given: every line that arrives goes to the event log, so the
     * visualizer and the grader can see what crossed the wire. */
    event_log_line(s->log, s->id, "data_in", line, len);

    /* WRONG: a bare CR is not a line ending in SMTP. */
    const char *cr = memchr(line, '\r', len);
    if (cr != NULL) {
        size_t first = (size_t)(cr - line);
        data_receive_line(s, line, first, LINE_END_CRLF);
        if (s->state != STATE_DATA)
            return; /* that part was the end */
        data_receive_line(s, cr + 1, len - first - 1, end);
        return;
    }
    bool start = s->spool.at_line_start;
    if (start && end == LINE_END_CRLF && len == 1 && line[0] == '.') {
        spool_finish(s);
        return;
    }
    if (start && len > 1 && line[0] == '.') {
        line++;
        len--;
    }
    spool_store(s, line, len, end);
    s->spool.at_line_start = end == LINE_END_CRLF;
}
