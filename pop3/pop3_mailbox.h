/*
 * pop3_mailbox.h - one user's Maildir as a POP3 session sees it.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 * Read it after the SMTP server:
 * mailwalk-server *pushes* a letter into bob/new/; this module is how Bob's
 * user agent later *pulls* it out again over POP3 (RFC 1939).
 *
 * RFC 1939 §8 asks three things of the server's view of a mailbox (the RFC
 * calls it the "maildrop"), and each has a function here:
 *
 *  - At login the server "acquires an exclusive-access lock on the
 *    maildrop" so that two sessions never delete under each other
 *    (pop3_mailbox_open(); a second session gets "-ERR [IN-USE]",
 *    RFC 2449 §8.1.2).
 *  - The messages are numbered 1, 2, 3 ... for the whole session. The list
 *    is fixed at login: mail that arrives later waits for the next session.
 *  - DELE only *marks* a message. Nothing is removed until the client says
 *    QUIT (the UPDATE state, pop3_mailbox_commit()); a dropped connection
 *    removes nothing, and RSET takes the marks back.
 *
 * The Maildir side: at login, every file in new/ is moved into cur/ (a
 * POP3 server has "seen" it), as the Maildir convention asks of readers.
 * Each file is opened relative to the mailbox's own folder with O_NOFOLLOW,
 * so a symbolic link planted inside the Maildir is never followed.
 */
#ifndef MAILWALK_POP3_MAILBOX_H
#define MAILWALK_POP3_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 1939 §7 (UIDL): a unique-id is 1 to 70 characters from 0x21 to 0x7E. */
#define POP3_UID_MAX 70

/* One message, as the session numbers it (its number is its index + 1). */
struct pop3_message {
    char name[256];             /* its file name in cur/, flags included */
    char uid[POP3_UID_MAX + 1]; /* the UIDL answer: stable across sessions */
    unsigned long long octets;  /* its size *as sent*: every line ending a
                                  CRLF, no dot-stuffing (RFC 1939 §5, §11) */
    long long seconds;          /* delivery time, from the Maildir name */
    long micros;                /* ... and its microseconds, for the order */
    bool deleted;               /* DELE marked it; gone only at QUIT */
};

/* The mailbox of one logged-in session. */
struct pop3_mailbox {
    int user_fd;                   /* root/user/, locked with flock(); or -1 */
    int cur_fd;                    /* root/user/cur/, where messages are read */
    struct pop3_message *messages; /* oldest first */
    size_t count;                  /* how many, deleted ones included */
};

/* What pop3_mailbox_open() found. */
enum pop3_open_result {
    POP3_OPEN_OK,     /* the mailbox is locked and listed (maybe empty) */
    POP3_OPEN_IN_USE, /* another session holds the lock */
    POP3_OPEN_ERROR,  /* a system call failed: why[] says which */
};

/* Lock root/user, move new/ into cur/, list cur/. A user with no folder
 * yet has an empty mailbox (POP3_OPEN_OK, count 0). `user` must already be
 * a safe folder name (maildir_name_is_safe()). */
enum pop3_open_result pop3_mailbox_open(struct pop3_mailbox *m, const char *root,
                                        const char *user, char *why, size_t why_cap);

/* The message numbered `number` (1-based), or NULL if there is no such
 * number or it is marked deleted (RFC 1939 §5: "may NOT refer to a
 * message marked as deleted"). */
struct pop3_message *pop3_mailbox_message(struct pop3_mailbox *m, unsigned long number);

/* Messages not marked deleted, and their octets (the STAT answer). */
void pop3_mailbox_totals(const struct pop3_mailbox *m, size_t *count,
                         unsigned long long *octets);

/* Open a message's file for reading (O_NOFOLLOW). Returns the fd or -1. */
int pop3_mailbox_open_message(const struct pop3_mailbox *m,
                              const struct pop3_message *msg, char *why,
                              size_t why_cap);

/* The UPDATE state (RFC 1939 §6): remove every message marked deleted.
 * Returns 0, or -1 if some could not be removed (why[] says the first);
 * *removed counts those that were. */
int pop3_mailbox_commit(struct pop3_mailbox *m, size_t *removed, char *why,
                        size_t why_cap);

/* Release the lock and free the list. Removes nothing. Safe to call twice. */
void pop3_mailbox_close(struct pop3_mailbox *m);

#endif
