/*
 * maildir.h - delivering into Maildirs, so that nothing is ever half there.
 *
 * Tier: core — read this first.
 *
 * A Maildir (https://cr.yp.to/proto/maildir.html) is a folder with three
 * subfolders: tmp/ (being written), new/ (delivered, not yet seen) and cur/
 * (seen by the reader). A message is written into tmp/, flushed to the disk,
 * and then *renamed* into new/. A rename is atomic: a reader sees either
 * nothing or the whole message, and a crash leaves at worst a stray file in
 * tmp/, never a truncated letter in new/.
 *
 * System errors come back as -1, with `why` saying which call failed on
 * what and why ("fsync(maildir/bob/tmp/...): No space left on device").
 */
#ifndef MAILWALK_MAILDIR_H
#define MAILWALK_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Can `name` safely be a folder name? Letters (UTF-8 ones too), digits
 * and . - _ + only, not starting with '.', at most 64 octets: so
 * "../../etc" never is. */
bool maildir_name_is_safe(const char *name);

/* Make the Maildir root (and its parents, like mkdir -p) at start-up, so
 * that a mistyped --maildir is reported at once, not at the first 451.
 * A root that is a symbolic link, belongs to another user or is writable
 * by others is refused (safe_dir.h). Then clears out stale tmp/ files
 * (maildir_remove_stale_tmp). */
int maildir_create_root(const char *root, char *why, size_t why_cap);

/* Make root/mailbox/{tmp,new,cur} if they are not there yet, and check
 * them all (a mailbox or tmp/new/cur that is a link is refused). */
int maildir_create(const char *root, const char *mailbox, char *why, size_t why_cap);

/* Is there anything called root/mailbox yet? (To count new mailboxes.) */
bool maildir_exists(const char *root, const char *mailbox);

/* Remove files in every root/MAILBOX/tmp/ that nobody touched for 36 hours:
 * left by a delivery that was killed before its rename (the Maildir spec
 * says to). Returns how many went. */
long maildir_remove_stale_tmp(const char *root, time_t now);

/* A file name that no other delivery, anywhere, will ever pick:
 * seconds.M<microseconds>P<pid>Q<counter>.<host> (the Maildir spec). The
 * queue names its messages the same way. */
void maildir_unique_name(char *name, size_t cap, const char *hostname);

/* fsync a folder, so that a new name in it survives a crash (a rename is
 * only durable once the folder that holds the name is on the disk). */
int maildir_sync_dir(const char *path, char *why, size_t why_cap);

/* Create a new file at path for writing, owner-only, failing rather than
 * overwriting if the name exists (O_EXCL). Returns it, or NULL with why. */
FILE *maildir_create_file(const char *path, char *why, size_t why_cap);

/*
 * Open a new, uniquely named file in root/mailbox/tmp/ for writing.
 * name gets the file name (also used in new/), path the whole path.
 * Returns the open file, or NULL.
 */
FILE *maildir_open_tmp(const char *root, const char *mailbox, const char *hostname,
                       char *name, size_t name_cap, char *path, size_t path_cap,
                       char *why, size_t why_cap);

/*
 * Deliver the finished file tmp_path (named `name`, in the tmp/ of
 * mailboxes[0]) to every mailbox in the list: flush it to disk, link it
 * into the new/ of mailboxes[1..], rename it into mailboxes[0]/new/, and
 * flush each new/ folder, so that the message survives a power cut the
 * moment this returns 0. The FILE is closed either way. On -1 no mailbox
 * keeps a copy: links already made are removed again, so that a 4xx
 * answer is true and a retry makes no duplicate.
 */
int maildir_deliver(const char *root, FILE *file, const char *tmp_path,
                    const char *name, const char *const *mailboxes, size_t count,
                    char *why, size_t why_cap);

/*
 * Final delivery of a message held in memory to one mailbox: make the
 * Maildir if needed, write "Return-Path: <return_path>" and the text into
 * tmp/, then maildir_deliver(). The queue runner uses it for local
 * recipients of queued mail and for bounces. name gets the file's name.
 */
int maildir_deliver_text(const char *root, const char *mailbox, const char *hostname,
                         const char *return_path, const char *text, size_t len,
                         char *name, size_t name_cap, char *why, size_t why_cap);

#endif
