/*
 * transparency.h - what lab 4's given code (spool.c) offers your
 * data_receive_line() (transparency.c).
 *
 * In mailwalk-server, server/data.c does everything that happens to the
 * message text: it decides where each line belongs, takes the stuffed dots
 * away, sees the end, and stores and delivers. In the lab those jobs are
 * split: the storing and delivering are given (spool.c, a smaller version
 * of data.c that only delivers into local Maildirs), and the deciding is
 * yours.
 */
#ifndef MAILWALK_LAB04_TRANSPARENCY_H
#define MAILWALK_LAB04_TRANSPARENCY_H

#include "data.h"

/*
 * Store a piece of message text: text[0..len-1], as it should appear in
 * the message (any stuffed dot already taken away), followed by a line
 * break unless end is LINE_END_NONE (the piece of a long line that did not
 * fit: more of the same line follows). Also counts the size (RFC 1870) and
 * notes bare LFs. Never replies.
 */
void spool_store(struct session *s, const char *text, size_t len, enum line_end end);

/*
 * The end of the message was seen: deliver it into the recipients'
 * Maildirs and queue the reply (250, or 552 too big, or 451/452 when the
 * disk said no), then forget the transaction (back to GREETED). Call it
 * once, for the final ".", and store nothing of that line.
 */
void spool_finish(struct session *s);

#endif
