/*
 * terminal_text.h - text from the network, made safe to print on a terminal.
 *
 * A terminal obeys some of the bytes it is given: ESC starts a command
 * ("\x1b[2J" clears the screen, "\x1b]0;...\x07" sets the window title,
 * and some terminals even answer queries by typing into the shell), and
 * so do the C1 controls U+0080-U+009F (0x9B alone is CSI, the same as
 * "ESC ["), raw or written as UTF-8. The bidi controls U+202A-U+202E and
 * U+2066-U+2069 do not command the terminal, but they reorder the text
 * around them, so a line can show something other than what it says
 * ("Trojan Source", CVE-2021-42574).
 *
 * A server's reply, a next hop's answer in the queue and a stranger's
 * message all come from someone else. Every program prints such text
 * through this one function, which shows each of those characters as
 * visible text instead (\x1b, \u009b, \u202e) and leaves everything else -
 * ASCII, tabs and well-formed UTF-8 such as "Grüße" - as it is.
 */
#ifndef MAILWALK_TERMINAL_TEXT_H
#define MAILWALK_TERMINAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Copy text[0..len) to out (at most cap bytes, always NUL-terminated when
 * cap > 0), with every control escaped:
 *   - C0 controls and DEL as \xNN (tab is kept; newline is kept only if
 *     keep_newlines, for a body of many lines),
 *   - bytes that are not well-formed UTF-8 as \xNN (a lone 0x9B is CSI),
 *   - C1 controls and bidi controls written as UTF-8 as \uNNNN.
 * When out is full the text is cut there, before a character or escape
 * that does not fit whole (never in the middle of one). Returns the length written (without the NUL).
 */
size_t terminal_escape(const char *text, size_t len, bool keep_newlines, char *out,
                       size_t cap);

/* Write text[0..len) to f, escaped as terminal_escape() does. */
void terminal_write(FILE *f, const char *text, size_t len, bool keep_newlines);

/* The same for a NUL-terminated string on one line. */
void terminal_puts(FILE *f, const char *text);

#endif
