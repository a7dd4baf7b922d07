/*
 * queue_bounce.h - sending a bounce for recipients the queue gave up on.
 *
 * Tier: beyond the core — skip on a first reading.
 */
#ifndef MAILWALK_QUEUE_BOUNCE_H
#define MAILWALK_QUEUE_BOUNCE_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "event_log.h"
#include "queue.h"

/* Send one bounce listing every recipient of e with failed[i] set, to the
 * message's reverse-path (or, for a message from "<>", to our postmaster).
 * The outcome ("bounce_sent" or "error") goes to the event log. Returns 0
 * once the bounce is safely stored (in a Maildir or the queue), or -1: then
 * the caller must keep the message queued and try again (RFC 5321 §6.1:
 * the notification MUST be sent, so it may not be dropped). */
int queue_send_bounce(const struct server_config *config, const struct event_log *log,
                      time_t now, const struct queue_entry *e, const bool *failed);

#endif
