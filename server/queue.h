/*
 * queue.h - the outgoing queue: mail that waits until the next hop takes it.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * When Alice's server answers 250 to a message for bob@bob.example, it has
 * not delivered anything yet: it has only promised to (RFC 5321 §6.1). The
 * promise is kept by writing the message to the disk *before* the 250, in a
 * queue, and by a queue runner (queue_runner.c) that keeps trying to hand it
 * to Bob's server. That is store-and-forward (RFC 5321 §2.1): each hop
 * stores the whole message, then forwards it, so Bob's server may be down
 * for a day and nothing is lost. RFC 5321 §4.5.4: "A mail queue entry will
 * include not only the message itself but also the envelope information."
 *
 * On the disk, a queue is a folder with three subfolders:
 *
 *   DIR/tmp/         files being written (a crash leaves at worst junk here)
 *   DIR/messages/ID  the message: our Received: header, then the text
 *   DIR/envelopes/ID the envelope: sender, each recipient and how far it
 *                    got (waiting, sent, bounced), attempts, next retry
 *
 * A message is queued when its envelope file appears in envelopes/ (one
 * atomic rename, after the message file is safely in messages/). The runner
 * updates an envelope by writing a new one in tmp/ and renaming it over the
 * old one, so the file is always the old version or the new one, never half
 * of each. That is why the runner can be killed at any moment.
 *
 * The files are plain text: `cat DIR/envelopes/ID` shows one message, and so
 * does the friendlier `mailwalk-queue --list`.
 */
#ifndef MAILWALK_QUEUE_H
#define MAILWALK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "smtp_limits.h"

/* Room for a queue ID: the same unique name a Maildir file gets. */
#define QUEUE_ID_MAX 256

/* Where one recipient stands. */
enum queue_state {
    QUEUE_WAITING,        /* not delivered yet: try (again) at next_attempt */
    QUEUE_SENT,           /* the next hop said 250 (or it is in the local Maildir) */
    QUEUE_BOUNCED,        /* given up: the sender was (or is being) told */
    QUEUE_BOUNCE_PENDING, /* given up, but the bounce could not be stored
                             yet (a full disk): the message stays queued
                             until it is, because the sender MUST be told
                             (RFC 5321 §6.1) */
};

/* One recipient of a queued message. */
struct queue_recipient {
    char address[SMTP_MAX_PATH + 1];       /* "bob@bob.example" */
    char mailbox[SMTP_MAX_LOCAL_PART + 1]; /* a local Maildir, or "" to relay */
    enum queue_state state;                /* how far it got */
    unsigned attempts;                     /* attempts made so far */
    time_t next_attempt;                   /* when to try next (if waiting) */
    char status[16];                       /* RFC 3463 code of the last answer */
    char remote_mta[256];                  /* who gave that answer, or "" */
    char last_reply[512];                  /* the answer, or why there was none */
};

/* One queued message: its envelope (the message text is a file). */
struct queue_entry {
    char id[QUEUE_ID_MAX];                /* the file name in messages/, envelopes/ */
    char reverse_path[SMTP_MAX_PATH + 1]; /* MAIL FROM; "" for <> (a bounce) */
    time_t arrival;                       /* when we said 250 */
    bool body_8bit;                       /* BODY=8BITMIME was declared */
    bool smtputf8;                        /* SMTPUTF8 was declared */
    long long message_size;               /* octets in messages/ID, or -1:
                                             unknown (set by queue_commit) */
    struct queue_recipient *recipients;   /* count of them, malloc'd */
    size_t count;
};

/* Make DIR and its three subfolders if they are not there. Returns 0 or -1
 * (why names the failing call). */
int queue_create(const char *dir, char *why, size_t why_cap);

/*
 * Open a new message file in DIR/tmp/ for writing. id gets the new queue
 * ID, path the file's path. Returns the open file, or NULL.
 */
FILE *queue_open_message(const char *dir, const char *hostname, char *id, size_t id_cap,
                         char *path, size_t path_cap, char *why, size_t why_cap);

/*
 * Queue the finished message: flush the file to disk and close it, write
 * the envelope, and move both out of tmp/ - message first, envelope last,
 * because the envelope's arrival is what makes the message queued. Only
 * when this returns 0 may the server say 250 (RFC 5321 §6.1). On -1 the
 * tmp/ files are removed and nothing is queued.
 */
int queue_commit(const char *dir, FILE *message, const char *message_path,
                 const struct queue_entry *entry, char *why, size_t why_cap);

/* Replace the envelope with the new state of entry (atomically). */
int queue_save(const char *dir, const struct queue_entry *entry, char *why,
               size_t why_cap);

/* Read the envelope of message `id`. Returns 0, or -1 if it is missing
 * (errno ENOENT) or not an envelope (errno EINVAL; why says which line).
 * Free with queue_entry_free(). */
int queue_load(const char *dir, const char *id, struct queue_entry *entry, char *why,
               size_t why_cap);

/* Free what queue_load() or the caller allocated for recipients. */
void queue_entry_free(struct queue_entry *entry);

/* Open the stored message text of `id` for reading, or NULL. */
FILE *queue_open_stored(const char *dir, const char *id);

/* The message is done (sent or bounced for every recipient): remove the
 * envelope (from that moment it is no longer queued) and then the text. */
int queue_remove(const char *dir, const char *id, char *why, size_t why_cap);

/* The IDs of every queued message, oldest first. *ids is malloc'd (free
 * each and the array with queue_free_ids). Returns the count, or -1. */
long queue_list(const char *dir, char ***ids, char *why, size_t why_cap);
void queue_free_ids(char **ids, long count);

/* Remove what a crash can leave behind, if older than min_age seconds:
 * files in tmp/ (never queued, never answered 250) and messages/ files with
 * no envelope (a crash between the two renames of queue_commit). The age
 * keeps it away from a message a worker is writing right now. Returns how
 * many files went. */
long queue_tidy(const char *dir, time_t now, long min_age);

/* "Try everything now": mailwalk-queue --flush leaves a file in DIR that
 * the runner picks up on its next look, so the two never write the same
 * envelope at once. */
int queue_request_flush(const char *dir, char *why, size_t why_cap);
bool queue_take_flush_request(const char *dir);

/* The addresses of n recipients of e, joined by commas, for the event
 * log: recipients[which[k]] for k < n, or the first n when which is NULL. */
void queue_join_addresses(const struct queue_entry *e, const size_t *which, size_t n,
                          char *out, size_t cap);

/* The domain of an address: what follows its last '@' ("" if none). */
const char *queue_domain_of(const char *address);

/* The state's name as written in the envelope ("waiting", "sent", ...). */
const char *queue_state_name(enum queue_state state);

#endif
