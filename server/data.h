/*
 * data.h - receiving the message after "354" (RFC 5321 §4.1.1.4).
 *
 * Tier: core — read this first.
 *
 * The message arrives as text lines and ends with a line holding a single
 * ".". Lines that start with "." were given an extra "." by the client
 * (dot-stuffing, §4.5.2), which we take away again. The message goes to a
 * file as it arrives, so a 10 MB message costs 10 MB of disk, not memory.
 */
#ifndef MAILWALK_DATA_H
#define MAILWALK_DATA_H

#include "session.h"

/* Prepare the mailboxes and the spool file and write our trace headers.
 * Returns 0, or -1 with a 4xx reply already queued. */
int data_begin(struct session *s);

/* One line (or piece of a long line) of message text. On the final "."
 * it delivers the message and queues the reply: 250 only once it is on
 * the disk (RFC 5321 §6.1). */
void data_receive_line(struct session *s, const char *line, size_t len,
                       enum line_end end);

/* Throw away an unfinished message (the client left, RSET, shutdown). */
void data_discard(struct session *s);

#endif
