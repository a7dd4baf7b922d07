/*
 * lab04_strcmp_end.c - a plausible WRONG answer to lab 4, kept for the CI
 * proof (labs/meson.build): it finds the end with strcmp(line, "."), which
 * stops at the first NUL byte, so "." NUL "x" CR LF ends the message too,
 * and whatever follows is read as commands (Rule L4.6; the handout's hint:
 * use len, not strcmp). Everything else is right.
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

    bool start = s->spool.at_line_start;
    if (start && end == LINE_END_CRLF && strcmp(line, ".") == 0) { /* WRONG */
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
