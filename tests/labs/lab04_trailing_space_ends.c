/*
 * lab04_trailing_space_ends.c - a plausible WRONG answer to lab 4, kept for
 * the CI proof (labs/meson.build): "be liberal in what you accept" - it
 * trims spaces and tabs off the end of a piece before it looks for the
 * final ".", so ". " CR LF ends the message too. A sender that smuggles a
 * second message behind ". " CR LF gets it read as commands (Rule L4.6:
 * the end is exactly "." CR LF). Everything else is right.
 */
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
    size_t trimmed = len; /* WRONG: ". " is not "." */
    while (trimmed > 1 && (line[trimmed - 1] == ' ' || line[trimmed - 1] == '\t'))
        trimmed--;
    if (start && end == LINE_END_CRLF && trimmed == 1 && line[0] == '.') {
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
