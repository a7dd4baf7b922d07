/*
 * queue.c - the queue on the disk: write, flush, rename, as for a Maildir.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Two files per message. The message text never changes after it is queued;
 * the envelope changes after every attempt. An envelope looks like this
 * (one "rcpt" line per recipient, each followed by what happened to it):
 *
 *   # mailwalk queue envelope: see docs/relay.md
 *   id 1763900000.M1P42Q1.mail.alice.example
 *   from <alice@alice.example>
 *   arrival 1763900000
 *   body 7bit
 *   smtputf8 no
 *   rcpt waiting 1 1763900005 - bob@bob.example
 *   status 4.4.1 -
 *   reply connect to 127.0.0.2 port 2525: Connection refused
 *
 * "rcpt STATE ATTEMPTS NEXT-TRY MAILBOX ADDRESS": MAILBOX is "-" for a
 * recipient to relay, or the local Maildir a recipient of our own goes to;
 * ADDRESS is the rest of the line ("john smith"@bob.example has a space).
 */
#include "queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"
#include "safe_dir.h"
#include "text_buffer.h"

/* Fill `why` with "call(path): reason" from errno, and return -1. */
static int fail(char *why, size_t why_cap, const char *call, const char *path)
{
    snprintf(why, why_cap, "%s(%s): %s", call, path, strerror(errno));
    return -1;
}

int queue_create(const char *dir, char *why, size_t why_cap)
{
    /* mkdir -p, and the folder must be ours and closed to others, not a
     * link, and so must each subfolder (safe_dir.h): a queue that another
     * user made could hold links, and the runner writes with our rights. */
    int fd = safe_dir_make_path(dir, why, why_cap);
    if (fd < 0)
        return -1;
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        close(fd);
        return fail(why, why_cap, "access", dir);
    }
    static const char *const subfolders[] = {"tmp", "messages", "envelopes"};
    for (size_t i = 0; i < 3; i++) {
        char shown[4200];
        snprintf(shown, sizeof shown, "%.4000s/%s", dir, subfolders[i]);
        int sub = safe_dir_open(fd, subfolders[i], true, shown, why, why_cap);
        if (sub < 0) {
            close(fd);
            return -1;
        }
        close(sub);
    }
    close(fd);
    return 0;
}

FILE *queue_open_message(const char *dir, const char *hostname, char *id, size_t id_cap,
                         char *path, size_t path_cap, char *why, size_t why_cap)
{
    maildir_unique_name(id, id_cap, hostname);
    snprintf(path, path_cap, "%s/tmp/%s", dir, id);
    return maildir_create_file(path, why, why_cap);
}

const char *queue_state_name(enum queue_state state)
{
    switch (state) {
    case QUEUE_WAITING:
        return "waiting";
    case QUEUE_SENT:
        return "sent";
    case QUEUE_BOUNCED:
        return "bounced";
    case QUEUE_BOUNCE_PENDING:
        return "bounce-pending";
    }
    return "?";
}

/* Copy text into a one-line field: no line breaks or tabs may sneak in
 * (a reply from a hostile server could hold anything). */
static void write_field(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++)
        fputc((*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p, out);
}

/* Write the envelope as text (see the top of this file). */
static void write_envelope(FILE *out, const struct queue_entry *e)
{
    fprintf(out, "# mailwalk queue envelope: see docs/relay.md\n");
    fprintf(out, "id %s\nfrom <%s>\narrival %lld\nbody %s\nsmtputf8 %s\n", e->id,
            e->reverse_path, (long long)e->arrival, e->body_8bit ? "8bitmime" : "7bit",
            e->smtputf8 ? "yes" : "no");
    if (e->message_size > 0)
        fprintf(out, "size %lld\n", e->message_size);
    for (size_t i = 0; i < e->count; i++) {
        const struct queue_recipient *r = &e->recipients[i];
        fprintf(out, "rcpt %s %u %lld %s %s\n", queue_state_name(r->state), r->attempts,
                (long long)r->next_attempt, r->mailbox[0] ? r->mailbox : "-",
                r->address);
        if (r->status[0] != '\0' || r->remote_mta[0] != '\0') {
            fprintf(out, "status %s %s\n", r->status[0] ? r->status : "-",
                    r->remote_mta[0] ? r->remote_mta : "-");
        }
        if (r->last_reply[0] != '\0') {
            fputs("reply ", out);
            write_field(out, r->last_reply);
            fputc('\n', out);
        }
    }
}

/* Write the envelope to DIR/tmp/ID.envelope and flush it to the disk;
 * path gets that file's name. */
static int write_envelope_file(const char *dir, const struct queue_entry *entry,
                               char *path, size_t path_cap, char *why, size_t why_cap)
{
    snprintf(path, path_cap, "%s/tmp/%s.envelope", dir, entry->id);
    /* O_NOFOLLOW: never write through a link planted under that name. A
     * file left by a runner killed mid-save is simply rewritten. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, why_cap, "open", path);
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        close(fd);
        return fail(why, why_cap, "fdopen", path);
    }
    write_envelope(out, entry);
    if (fflush(out) != 0 || fsync(fd) != 0) {
        int saved = errno;
        fclose(out);
        unlink(path);
        errno = saved;
        return fail(why, why_cap, "write", path);
    }
    if (fclose(out) != 0) {
        unlink(path);
        return fail(why, why_cap, "close", path);
    }
    return 0;
}

int queue_commit(const char *dir, FILE *message, const char *message_path,
                 const struct queue_entry *entry, char *why, size_t why_cap)
{
    char envelope_tmp[4200], target[4200], folder[4200];

    /* 1. The message text to the disk (fflush: ours to the kernel; fsync:
     *    the kernel's to the disk). A full disk often shows up only here. */
    if (fflush(message) != 0 || fsync(fileno(message)) != 0) {
        int saved = errno;
        fclose(message);
        unlink(message_path);
        errno = saved;
        return fail(why, why_cap, "fsync", message_path);
    }
    /* The envelope records the message's length, so that the runner can
     * tell a whole message from one cut short later (a disk error, a
     * careless hand): it never relays half a letter as if it were all. */
    struct queue_entry sized = *entry;
    struct stat st;
    if (fstat(fileno(message), &st) != 0) {
        int saved = errno;
        fclose(message);
        unlink(message_path);
        errno = saved;
        return fail(why, why_cap, "fstat", message_path);
    }
    sized.message_size = (long long)st.st_size;
    if (fclose(message) != 0) {
        unlink(message_path);
        return fail(why, why_cap, "close", message_path);
    }
    /* 2. The envelope, also flushed, still in tmp/. */
    if (write_envelope_file(dir, &sized, envelope_tmp, sizeof envelope_tmp, why,
                            why_cap) < 0) {
        unlink(message_path);
        return -1;
    }
    /* 3. Message into messages/, then envelope into envelopes/: the second
     *    rename is the moment the message is queued. A crash between the
     *    two leaves a message without an envelope, which the runner tidies
     *    away; never an envelope without its message. */
    snprintf(target, sizeof target, "%s/messages/%s", dir, entry->id);
    if (rename(message_path, target) != 0) {
        fail(why, why_cap, "rename", target);
        unlink(message_path);
        unlink(envelope_tmp);
        return -1;
    }
    snprintf(folder, sizeof folder, "%s/messages", dir);
    if (maildir_sync_dir(folder, why, why_cap) < 0)
        goto undo;
    snprintf(target, sizeof target, "%s/envelopes/%s", dir, entry->id);
    if (rename(envelope_tmp, target) != 0) {
        fail(why, why_cap, "rename", target);
        goto undo;
    }
    /* 4. And the new name itself to the disk: now we may say 250. */
    snprintf(folder, sizeof folder, "%s/envelopes", dir);
    if (maildir_sync_dir(folder, why, why_cap) < 0) {
        unlink(target);
        goto undo;
    }
    return 0;

undo:
    unlink(envelope_tmp);
    snprintf(target, sizeof target, "%s/messages/%s", dir, entry->id);
    unlink(target);
    return -1;
}

int queue_save(const char *dir, const struct queue_entry *entry, char *why,
               size_t why_cap)
{
    char tmp[4200], target[4200], folder[4200];
    if (write_envelope_file(dir, entry, tmp, sizeof tmp, why, why_cap) < 0)
        return -1;
    /* rename() over the old envelope: readers see the old or the new. */
    snprintf(target, sizeof target, "%s/envelopes/%s", dir, entry->id);
    if (rename(tmp, target) != 0) {
        fail(why, why_cap, "rename", target);
        unlink(tmp);
        return -1;
    }
    snprintf(folder, sizeof folder, "%s/envelopes", dir);
    return maildir_sync_dir(folder, why, why_cap);
}

void queue_entry_free(struct queue_entry *entry)
{
    free(entry->recipients);
    entry->recipients = NULL;
    entry->count = 0;
}

/* Read "WORD rest" lines; returns the state for a state's name, or -1. */
static int state_from_name(const char *name)
{
    for (int s = QUEUE_WAITING; s <= QUEUE_BOUNCE_PENDING; s++)
        if (strcmp(name, queue_state_name((enum queue_state)s)) == 0)
            return s;
    return -1;
}

/* Parse one "rcpt ..." line into a new recipient at the end of e. */
static int parse_rcpt(struct queue_entry *e, const char *value)
{
    char state[16], mailbox[SMTP_MAX_LOCAL_PART + 1];
    unsigned attempts;
    long long next;
    int used = -1;
    /* The address is the rest of the line, not one more word: a quoted
     * local part may hold spaces ("john smith"@bob.example, RFC 5321 §4.1.2). */
    if (sscanf(value, "%15s %u %lld %64s %n", state, &attempts, &next, mailbox,
               &used) != 4 ||
        used < 0 || state_from_name(state) < 0)
        return -1;
    const char *address = value + used;
    if (address[0] == '\0' || strlen(address) > SMTP_MAX_PATH)
        return -1;
    struct queue_recipient *grown =
        realloc(e->recipients, (e->count + 1) * sizeof *e->recipients);
    if (grown == NULL)
        return -1;
    e->recipients = grown;
    struct queue_recipient *r = &e->recipients[e->count++];
    memset(r, 0, sizeof *r);
    r->state = (enum queue_state)state_from_name(state);
    r->attempts = attempts;
    r->next_attempt = (time_t)next;
    text_copy(r->mailbox, sizeof r->mailbox, strcmp(mailbox, "-") ? mailbox : "");
    text_copy(r->address, sizeof r->address, address);
    return 0;
}

/* Apply one "key value" line of an envelope to e. */
static int parse_line(struct queue_entry *e, const char *key, const char *value)
{
    struct queue_recipient *last = e->count ? &e->recipients[e->count - 1] : NULL;
    size_t len = strlen(value);
    if (strcmp(key, "id") == 0)
        text_copy(e->id, sizeof e->id, value);
    else if (strcmp(key, "from") == 0 && len >= 2 && value[0] == '<' &&
             value[len - 1] == '>' && len - 2 <= SMTP_MAX_PATH)
        snprintf(e->reverse_path, sizeof e->reverse_path, "%.*s", (int)(len - 2),
                 value + 1);
    else if (strcmp(key, "arrival") == 0)
        e->arrival = (time_t)strtoll(value, NULL, 10);
    else if (strcmp(key, "body") == 0)
        e->body_8bit = strcmp(value, "8bitmime") == 0;
    else if (strcmp(key, "smtputf8") == 0)
        e->smtputf8 = strcmp(value, "yes") == 0;
    else if (strcmp(key, "size") == 0) {
        char *end;
        e->message_size = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || e->message_size < 0)
            return -1;
    } else if (strcmp(key, "rcpt") == 0)
        return parse_rcpt(e, value);
    else if (strcmp(key, "status") == 0 && last != NULL) {
        char status[16], remote[256];
        if (sscanf(value, "%15s %255s", status, remote) != 2)
            return -1;
        text_copy(last->status, sizeof last->status, strcmp(status, "-") ? status : "");
        text_copy(last->remote_mta, sizeof last->remote_mta,
                  strcmp(remote, "-") ? remote : "");
    } else if (strcmp(key, "reply") == 0 && last != NULL)
        text_copy(last->last_reply, sizeof last->last_reply, value);
    else
        return -1;
    return 0;
}

int queue_load(const char *dir, const char *id, struct queue_entry *entry, char *why,
               size_t why_cap)
{
    char path[4200], line[1200];
    memset(entry, 0, sizeof *entry);
    entry->message_size = -1; /* envelopes from before "size" lines */
    snprintf(path, sizeof path, "%s/envelopes/%s", dir, id);
    FILE *in = fopen(path, "re");
    if (in == NULL)
        return fail(why, why_cap, "open", path);
    int number = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        number++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *space = strchr(line, ' ');
        if (space == NULL)
            goto bad;
        *space = '\0';
        if (parse_line(entry, line, space + 1) < 0)
            goto bad;
    }
    fclose(in);
    if (strcmp(entry->id, id) != 0 || entry->count == 0) {
        snprintf(why, why_cap, "%s: no id line or no recipients", path);
        queue_entry_free(entry);
        errno = EINVAL; /* see bad: below */
        return -1;
    }
    return 0;

bad:
    snprintf(why, why_cap, "%s:%d: not a line of an envelope", path, number);
    fclose(in);
    queue_entry_free(entry);
    /* Callers tell "gone" (ENOENT: sent meanwhile) from "broken" by errno,
     * so set it: left alone it could still say ENOENT from some earlier
     * call (the runner's unlink of a flush request that was not there),
     * and a broken envelope would be skipped on every pass, forever. */
    errno = EINVAL;
    return -1;
}

FILE *queue_open_stored(const char *dir, const char *id)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/messages/%s", dir, id);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *file = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (file == NULL && fd >= 0)
        close(fd);
    return file;
}

int queue_remove(const char *dir, const char *id, char *why, size_t why_cap)
{
    char path[4200];
    /* Envelope first: a crash after it leaves only a message without an
     * envelope (tidied later), never an envelope that points at nothing. */
    snprintf(path, sizeof path, "%s/envelopes/%s", dir, id);
    if (unlink(path) != 0)
        return fail(why, why_cap, "unlink", path);
    snprintf(path, sizeof path, "%s/messages/%s", dir, id);
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(why, why_cap, "unlink", path);
    /* A runner killed in the middle of queue_save() left its new envelope
     * half-written in tmp/; the next save would have overwritten it, but
     * there will be no next save now. */
    snprintf(path, sizeof path, "%s/tmp/%s.envelope", dir, id);
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(why, why_cap, "unlink", path);
    return 0;
}

/* When an ID was made: "1763900000.M42P7Q1.host" is second 1763900000,
 * microsecond 42 (maildir_unique_name). Anything else counts as 0, 0. */
static void id_time(const char *id, unsigned long long *seconds,
                    unsigned long long *micro)
{
    char *end;
    *seconds = strtoull(id, &end, 10);
    *micro = 0;
    if (end == id || end[0] != '.' || end[1] != 'M') {
        *seconds = 0;
        return;
    }
    *micro = strtoull(end + 2, NULL, 10);
}

/* qsort's comparison for IDs: by the time in their names, oldest first.
 * Not by strcmp: "...M40P..." sorts before "...M5P..." as text, though
 * microsecond 5 came first (and "999999999." after "1700000000."). */
static int compare_ids(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    unsigned long long xs, xm, ys, ym;
    id_time(x, &xs, &xm);
    id_time(y, &ys, &ym);
    if (xs != ys)
        return xs < ys ? -1 : 1;
    if (xm != ym)
        return xm < ym ? -1 : 1;
    return strcmp(x, y);
}

void queue_free_ids(char **ids, long count)
{
    for (long i = 0; i < count; i++)
        free(ids[i]);
    free(ids);
}

long queue_list(const char *dir, char ***ids, char *why, size_t why_cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/envelopes", dir);
    DIR *folder = opendir(path);
    if (folder == NULL)
        return fail(why, why_cap, "opendir", path);
    long count = 0, cap = 0;
    char **list = NULL;
    struct dirent *d;
    while ((d = readdir(folder)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(list, (size_t)cap * sizeof *list);
            if (grown == NULL)
                goto out_of_memory;
            list = grown;
        }
        if ((list[count] = strdup(d->d_name)) == NULL)
            goto out_of_memory;
        count++;
    }
    closedir(folder);
    if (count > 0)
        qsort(list, (size_t)count, sizeof *list, compare_ids);
    *ids = list;
    return count;

out_of_memory:
    closedir(folder);
    queue_free_ids(list, count);
    snprintf(why, why_cap, "out of memory listing %s", path);
    return -1;
}

/* Unlink folder/name if it is older than min_age (by its mtime). */
static bool remove_if_old(const char *folder, const char *name, time_t now,
                          long min_age)
{
    char path[4500];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return stat(path, &st) == 0 && now - st.st_mtime >= min_age && unlink(path) == 0;
}

long queue_tidy(const char *dir, time_t now, long min_age)
{
    static const char *const folders[] = {"tmp", "messages"};
    long removed = 0;
    for (size_t i = 0; i < 2; i++) {
        char folder[4200], envelope[4500];
        snprintf(folder, sizeof folder, "%s/%s", dir, folders[i]);
        DIR *d = opendir(folder);
        if (d == NULL)
            continue;
        struct dirent *entry;
        while ((entry = readdir(d)) != NULL) {
            if (entry->d_name[0] == '.')
                continue;
            /* A message with its envelope is queued: never touch it. Nor
             * one whose envelope was set aside in broken/ (queue_runner.c):
             * that waits for a person, who needs the text too. */
            snprintf(envelope, sizeof envelope, "%s/envelopes/%s", dir, entry->d_name);
            if (i == 1 && access(envelope, F_OK) == 0)
                continue;
            snprintf(envelope, sizeof envelope, "%s/broken/%s", dir, entry->d_name);
            if (i == 1 && access(envelope, F_OK) == 0)
                continue;
            if (remove_if_old(folder, entry->d_name, now, min_age))
                removed++;
        }
        closedir(d);
    }
    return removed;
}

int queue_request_flush(const char *dir, char *why, size_t why_cap)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/flush", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, why_cap, "open", path);
    close(fd);
    return 0;
}

bool queue_take_flush_request(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/flush", dir);
    return unlink(path) == 0;
}

const char *queue_domain_of(const char *address)
{
    const char *at = strrchr(address, '@');
    return at ? at + 1 : "";
}

void queue_join_addresses(const struct queue_entry *e, const size_t *which, size_t n,
                          char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n && used < cap; k++) {
        const char *address = e->recipients[which ? which[k] : k].address;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", k ? "," : "", address);
    }
}
