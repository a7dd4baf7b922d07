/*
 * test_queue.c - the queue on the disk: commit, load, save, remove, list.
 *
 * Every test works in a fresh temporary folder, with the very calls the
 * server makes: queue_open_message() and queue_commit() as data.c does
 * after the final dot, queue_load() and queue_save() as the runner does
 * after each attempt. What must hold: what was committed comes back field
 * for field; a reply from a hostile server cannot add lines to an
 * envelope; a broken envelope is refused with its line number, never half
 * read; nothing is left in tmp/; the listing is oldest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "text_buffer.h"

#define ARRIVAL ((time_t)1700000000)

/* The queue folder of the current test (made by setup, removed after). */
static char root[64];
static char queue_dir[128];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/mailwalk-queue-XXXXXX");
    assert_non_null(mkdtemp(root));
    /* Nested, as --queue may be: queue_create makes the parents too. */
    snprintf(queue_dir, sizeof queue_dir, "%s/spool/queue", root);
    char why[512] = "";
    if (queue_create(queue_dir, why, sizeof why) != 0)
        fail_msg("queue_create: %s", why);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    assert_int_equal(system(command), 0);
    return 0;
}

/* How many entries a subfolder of the queue holds. */
static int count_files(const char *sub)
{
    char command[512], line[64];
    snprintf(command, sizeof command, "ls -A '%s/%s' | wc -l", queue_dir, sub);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    pclose(p);
    return atoi(line);
}

/* The whole text of a file (static buffer). */
static const char *read_file(const char *path)
{
    static char text[8192];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Write a file whole. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A recipient as data.c makes one: waiting, due at once. */
static struct queue_recipient recipient(const char *address, const char *mailbox)
{
    struct queue_recipient r;
    memset(&r, 0, sizeof r);
    text_copy(r.address, sizeof r.address, address);
    text_copy(r.mailbox, sizeof r.mailbox, mailbox);
    r.state = QUEUE_WAITING;
    r.next_attempt = ARRIVAL;
    return r;
}

/* Queue `text` for the recipients, as data.c does; id is the entry's ID
 * (NULL: the one queue_open_message made). Returns the ID in out_id. */
static void commit(const char *id, const char *from, struct queue_recipient *rcpts,
                   size_t count, const char *text, char *out_id, size_t id_cap)
{
    char made[QUEUE_ID_MAX], path[4200], why[4608] = "";
    FILE *f = queue_open_message(queue_dir, "mail.alice.example", made, sizeof made,
                                 path, sizeof path, why, sizeof why);
    if (f == NULL)
        fail_msg("queue_open_message: %s", why);
    fputs(text, f);
    struct queue_entry e = {.arrival = ARRIVAL, .recipients = rcpts, .count = count};
    text_copy(e.id, sizeof e.id, id ? id : made);
    text_copy(e.reverse_path, sizeof e.reverse_path, from);
    if (queue_commit(queue_dir, f, path, &e, why, sizeof why) != 0)
        fail_msg("queue_commit: %s", why);
    text_copy(out_id, id_cap, e.id);
}

/* Load id, expecting success. */
static void load_ok(const char *id, struct queue_entry *e)
{
    char why[4608] = "";
    if (queue_load(queue_dir, id, e, why, sizeof why) != 0)
        fail_msg("queue_load(%s): %s", id, why);
}

static void test_create_makes_the_folders(void **state)
{
    (void)state;
    char path[256], why[512];
    static const char *const subs[] = {"tmp", "messages", "envelopes"};
    for (size_t i = 0; i < 3; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", queue_dir, subs[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0700);
    }
    /* Again: nothing to do, no error. */
    assert_int_equal(queue_create(queue_dir, why, sizeof why), 0);
    /* Where a file is in the way, it says which call failed. */
    snprintf(path, sizeof path, "%s/file", root);
    write_file(path, "x");
    snprintf(path, sizeof path, "%s/file/queue", root);
    assert_int_equal(queue_create(path, why, sizeof why), -1);
    assert_non_null(strstr(why, "mkdir("));
}

/* data.c's path: commit, and the runner's: load. Field for field. */
static void test_commit_then_load(void **state)
{
    (void)state;
    struct queue_recipient rcpts[2] = {
        recipient("bob@bob.example", ""),
        recipient("alice@alice.example", "alice"),
    };
    char id[QUEUE_ID_MAX];
    commit(NULL, "alice@alice.example", rcpts, 2, "Subject: hi\n\nHello\n", id,
           sizeof id);
    assert_non_null(strstr(id, ".mail.alice.example"));
    assert_int_equal(count_files("envelopes"), 1);
    assert_int_equal(count_files("messages"), 1);
    assert_int_equal(count_files("tmp"), 0);

    struct queue_entry e;
    load_ok(id, &e);
    assert_string_equal(e.id, id);
    assert_string_equal(e.reverse_path, "alice@alice.example");
    assert_int_equal(e.arrival, ARRIVAL);
    assert_false(e.body_8bit);
    assert_false(e.smtputf8);
    assert_int_equal(e.count, 2);
    assert_string_equal(e.recipients[0].address, "bob@bob.example");
    assert_string_equal(e.recipients[0].mailbox, "");
    assert_string_equal(e.recipients[1].address, "alice@alice.example");
    assert_string_equal(e.recipients[1].mailbox, "alice");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(e.recipients[i].state, QUEUE_WAITING);
        assert_int_equal(e.recipients[i].attempts, 0);
        assert_int_equal(e.recipients[i].next_attempt, ARRIVAL);
        assert_string_equal(e.recipients[i].status, "");
        assert_string_equal(e.recipients[i].remote_mta, "");
        assert_string_equal(e.recipients[i].last_reply, "");
    }
    queue_entry_free(&e);
    assert_null(e.recipients);
    assert_int_equal(e.count, 0);

    /* The text, byte for byte. */
    FILE *stored = queue_open_stored(queue_dir, id);
    assert_non_null(stored);
    char text[64] = "";
    size_t n = fread(text, 1, sizeof text - 1, stored);
    fclose(stored);
    text[n] = '\0';
    assert_string_equal(text, "Subject: hi\n\nHello\n");
    assert_null(queue_open_stored(queue_dir, "no-such-id"));
}

/* The runner's path: change every field, save, load it back. */
static void test_save_round_trip(void **state)
{
    (void)state;
    struct queue_recipient rcpts[3] = {
        recipient("bob@bob.example", ""),
        recipient("carol@bob.example", ""),
        recipient("\"john smith\"@bob.example", ""),
    };
    char id[QUEUE_ID_MAX];
    commit(NULL, "", rcpts, 3, "x\n", id, sizeof id);

    struct queue_entry e;
    load_ok(id, &e);
    assert_string_equal(e.reverse_path, ""); /* MAIL FROM:<> */
    assert_string_equal(e.recipients[2].address, "\"john smith\"@bob.example");
    e.body_8bit = true;
    e.smtputf8 = true;
    struct queue_recipient *r = e.recipients;
    r[0].state = QUEUE_SENT;
    r[0].attempts = 1;
    text_copy(r[0].status, sizeof r[0].status, "2.0.0");
    text_copy(r[0].remote_mta, sizeof r[0].remote_mta, "127.0.0.2");
    text_copy(r[0].last_reply, sizeof r[0].last_reply, "250 2.0.0 OK: queued as 7");
    r[1].state = QUEUE_BOUNCED;
    r[1].attempts = 2;
    text_copy(r[1].status, sizeof r[1].status, "5.1.1");
    text_copy(r[1].remote_mta, sizeof r[1].remote_mta, "127.0.0.2");
    text_copy(r[1].last_reply, sizeof r[1].last_reply, "550 5.1.1 No such user");
    r[2].attempts = 4000000000u;
    r[2].next_attempt = (time_t)4102444800; /* 2100: past 2038 */
    text_copy(r[2].status, sizeof r[2].status, "4.4.1");
    text_copy(r[2].last_reply, sizeof r[2].last_reply,
              "connect(127.0.0.2 port 25): Connection refused");
    char why[4608] = "";
    assert_int_equal(queue_save(queue_dir, &e, why, sizeof why), 0);
    queue_entry_free(&e);
    assert_int_equal(count_files("tmp"), 0);

    load_ok(id, &e);
    assert_true(e.body_8bit);
    assert_true(e.smtputf8);
    assert_string_equal(e.reverse_path, "");
    assert_int_equal(e.count, 3);
    r = e.recipients;
    assert_int_equal(r[0].state, QUEUE_SENT);
    assert_int_equal(r[0].attempts, 1);
    assert_string_equal(r[0].status, "2.0.0");
    assert_string_equal(r[0].remote_mta, "127.0.0.2");
    assert_string_equal(r[0].last_reply, "250 2.0.0 OK: queued as 7");
    assert_int_equal(r[1].state, QUEUE_BOUNCED);
    assert_int_equal(r[1].attempts, 2);
    assert_string_equal(r[1].status, "5.1.1");
    assert_string_equal(r[1].last_reply, "550 5.1.1 No such user");
    assert_int_equal(r[2].state, QUEUE_WAITING);
    assert_int_equal(r[2].attempts, 4000000000u);
    assert_int_equal(r[2].next_attempt, (time_t)4102444800);
    assert_string_equal(r[2].status, "4.4.1");
    assert_string_equal(r[2].remote_mta, ""); /* nobody answered */
    assert_string_equal(r[2].last_reply,
                        "connect(127.0.0.2 port 25): Connection refused");
    assert_string_equal(r[2].address, "\"john smith\"@bob.example");
    queue_entry_free(&e);
}

/* The longest address and the longest reply still fit. */
static void test_longest_fields(void **state)
{
    (void)state;
    char address[SMTP_MAX_PATH + 1];
    memset(address, 'a', 64);
    address[64] = '@';
    memset(address + 65, 'b', SMTP_MAX_PATH - 65);
    address[SMTP_MAX_PATH] = '\0';
    struct queue_recipient rcpts[1] = {recipient(address, "")};
    char id[QUEUE_ID_MAX];
    commit(NULL, "alice@alice.example", rcpts, 1, "x\n", id, sizeof id);
    struct queue_entry e;
    load_ok(id, &e);
    assert_string_equal(e.recipients[0].address, address);
    memset(e.recipients[0].last_reply, 'r', sizeof e.recipients[0].last_reply - 1);
    e.recipients[0].last_reply[sizeof e.recipients[0].last_reply - 1] = '\0';
    char why[4608];
    assert_int_equal(queue_save(queue_dir, &e, why, sizeof why), 0);
    struct queue_entry again;
    load_ok(id, &again);
    assert_string_equal(again.recipients[0].last_reply, e.recipients[0].last_reply);
    queue_entry_free(&again);
    queue_entry_free(&e);
}

/* A reply from someone else's server could hold anything: it must stay
 * one line of the envelope, or it could add a recipient. */
static void test_hostile_reply_stays_one_line(void **state)
{
    (void)state;
    struct queue_recipient rcpts[1] = {recipient("bob@bob.example", "")};
    char id[QUEUE_ID_MAX];
    commit(NULL, "alice@alice.example", rcpts, 1, "x\n", id, sizeof id);
    struct queue_entry e;
    load_ok(id, &e);
    text_copy(e.recipients[0].last_reply, sizeof e.recipients[0].last_reply,
              "451 wait\nrcpt waiting 0 0 - mallory@evil.example\r\n"
              "reply\tgotcha\rend");
    char why[4608];
    assert_int_equal(queue_save(queue_dir, &e, why, sizeof why), 0);
    queue_entry_free(&e);

    char path[4200];
    snprintf(path, sizeof path, "%s/envelopes/%s", queue_dir, id);
    const char *text = read_file(path);
    int lines = 0, rcpt_lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    for (const char *p = text; (p = strstr(p, "\nrcpt ")) != NULL; p++)
        rcpt_lines++;
    assert_null(strchr(text, '\t'));
    assert_null(strchr(text, '\r'));
    assert_int_equal(rcpt_lines, 1);
    /* comment, id, from, arrival, body, smtputf8, size, rcpt, reply */
    assert_int_equal(lines, 9);

    load_ok(id, &e);
    assert_int_equal(e.count, 1);
    assert_string_equal(e.recipients[0].last_reply,
                        "451 wait rcpt waiting 0 0 - mallory@evil.example  "
                        "reply gotcha end");
    queue_entry_free(&e);
}

/* Write an envelope file by hand (as a person or a crash might). */
static void write_envelope(const char *id, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/envelopes/%s", queue_dir, id);
    write_file(path, text);
}

/* Expect queue_load to fail with errno and a why containing `part`. */
static void load_fails(const char *id, int expected_errno, const char *part)
{
    struct queue_entry e;
    char why[4608] = "";
    /* A broken envelope must say EINVAL even when errno still holds the
     * ENOENT of an earlier call (the runner's unlink of a flush request
     * that was not there): else the runner takes it for "already gone"
     * and skips it on every pass instead of setting it aside. */
    errno = expected_errno == ENOENT ? 0 : ENOENT;
    assert_int_equal(queue_load(queue_dir, id, &e, why, sizeof why), -1);
    assert_int_equal(errno, expected_errno);
    if (strstr(why, part) == NULL)
        fail_msg("why \"%s\" does not say \"%s\"", why, part);
    assert_null(e.recipients); /* never half read */
    assert_int_equal(e.count, 0);
}

static void test_broken_envelopes(void **state)
{
    (void)state;
    load_fails("missing", ENOENT, "open(");

    write_envelope("bad1", "# comment\n"
                           "id bad1\n"
                           "from <alice@alice.example>\n"
                           "rcpt waiting 0 0 - bob@bob.example\n"
                           "nonsense here\n");
    load_fails("bad1", EINVAL, "/envelopes/bad1:5: not a line of an envelope");

    write_envelope("bad2", "id bad2\nrcpt waiting 0 0 - bob@bob.example\nnospace\n");
    load_fails("bad2", EINVAL, "bad2:3: not a line");

    write_envelope("bad3", "id bad3\nrcpt lost 0 0 - bob@bob.example\n");
    load_fails("bad3", EINVAL, "bad3:2: not a line");

    write_envelope("bad4", "id bad4\nrcpt waiting x 0 - bob@bob.example\n");
    load_fails("bad4", EINVAL, "bad4:2:");

    write_envelope("bad5", "id bad5\nrcpt waiting 0 0 -\n");
    load_fails("bad5", EINVAL, "bad5:2:");

    write_envelope("bad6", "id bad6\nfrom alice@alice.example\n");
    load_fails("bad6", EINVAL, "bad6:2:");

    /* A status or reply line before any rcpt belongs to nobody. */
    write_envelope("bad7", "id bad7\nreply 250 ok\n");
    load_fails("bad7", EINVAL, "bad7:2:");

    write_envelope("bad8",
                   "id bad8\nrcpt waiting 0 0 - bob@bob.example\nstatus 4.0.0\n");
    load_fails("bad8", EINVAL, "bad8:3:");

    /* Readable, but not the envelope of this ID, or for nobody. */
    write_envelope("bad9", "id another\nrcpt waiting 0 0 - bob@bob.example\n");
    load_fails("bad9", EINVAL, "no id line or no recipients");
    write_envelope("bad10", "id bad10\nfrom <a@b>\n");
    load_fails("bad10", EINVAL, "no id line or no recipients");
    write_envelope("bad11", "");
    load_fails("bad11", EINVAL, "no id line or no recipients");
}

/* Done: envelope, text and any half-saved envelope in tmp/ all go. */
static void test_remove(void **state)
{
    (void)state;
    struct queue_recipient rcpts[1] = {recipient("bob@bob.example", "")};
    char id[QUEUE_ID_MAX], path[4200], why[4608];
    commit(NULL, "alice@alice.example", rcpts, 1, "x\n", id, sizeof id);
    /* A runner killed mid-save leaves this behind. */
    snprintf(path, sizeof path, "%s/tmp/%s.envelope", queue_dir, id);
    write_file(path, "id ");
    assert_int_equal(queue_remove(queue_dir, id, why, sizeof why), 0);
    assert_int_equal(count_files("envelopes"), 0);
    assert_int_equal(count_files("messages"), 0);
    assert_int_equal(count_files("tmp"), 0);
    /* Twice: the envelope is gone, and the error says so. */
    assert_int_equal(queue_remove(queue_dir, id, why, sizeof why), -1);
    assert_non_null(strstr(why, "unlink("));
}

/* A commit that cannot finish leaves nothing behind: no envelope, no
 * text, nothing in tmp/ (and the server says 451, not 250). */
static void test_failed_commit_leaves_nothing(void **state)
{
    (void)state;
    char made[QUEUE_ID_MAX], path[4200], why[4608] = "", folder[256];
    FILE *f = queue_open_message(queue_dir, "h", made, sizeof made, path, sizeof path,
                                 why, sizeof why);
    assert_non_null(f);
    fputs("text\n", f);
    snprintf(folder, sizeof folder, "%s/envelopes", queue_dir);
    assert_int_equal(rmdir(folder), 0);
    struct queue_recipient rcpts[1] = {recipient("bob@bob.example", "")};
    struct queue_entry e = {.arrival = ARRIVAL, .recipients = rcpts, .count = 1};
    text_copy(e.id, sizeof e.id, made);
    assert_int_equal(queue_commit(queue_dir, f, path, &e, why, sizeof why), -1);
    assert_non_null(strstr(why, "rename("));
    assert_int_equal(count_files("messages"), 0);
    assert_int_equal(count_files("tmp"), 0);
}

/* Oldest first: by the second and microsecond in the ID's name. */
static void test_list_oldest_first(void **state)
{
    (void)state;
    char **ids, why[4608];
    assert_int_equal(queue_list(queue_dir, &ids, why, sizeof why), 0);
    queue_free_ids(ids, 0);

    static const char *const made_in_this_order[] = {
        "999999999.M7P1Q1.h", /* 2001: fewer digits, still oldest */
        "1700000000.M999999P1Q1.h", "1700000001.M5P1Q1.h", /* microsecond 5 ... */
        "1700000001.M40P1Q2.h", /* ... before 40, though "M40" < "M5" */
        "1700000001.M40P2Q1.h",     "1800000000.M0P1Q1.h",
    };
    const size_t n = sizeof made_in_this_order / sizeof made_in_this_order[0];
    for (size_t k = n; k-- > 0;) { /* committed newest first */
        struct queue_recipient rcpts[1] = {recipient("bob@bob.example", "")};
        char id[QUEUE_ID_MAX];
        commit(made_in_this_order[k], "a@b", rcpts, 1, "x\n", id, sizeof id);
    }
    long count = queue_list(queue_dir, &ids, why, sizeof why);
    assert_int_equal(count, (long)n);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(ids[k], made_in_this_order[k]);
    queue_free_ids(ids, count);

    char missing[256];
    snprintf(missing, sizeof missing, "%s/nowhere", root);
    assert_int_equal(queue_list(missing, &ids, why, sizeof why), -1);
    assert_non_null(strstr(why, "opendir("));
}

/* Write a file in a subfolder of the queue, last changed `age` ago. */
static void old_file(const char *sub, const char *name, time_t now, long age)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", queue_dir, sub);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s", queue_dir, sub, name);
    write_file(path, "x\n");
    struct timespec times[2] = {{.tv_sec = now - age}, {.tv_sec = now - age}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static bool exists(const char *sub, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s", queue_dir, sub, name);
    return access(path, F_OK) == 0;
}

/* Crash leftovers go once they are old enough; nothing queued, nothing
 * young (perhaps being written), nothing set aside for a person. */
static void test_tidy(void **state)
{
    (void)state;
    time_t now = time(NULL);
    old_file("tmp", "old-junk", now, 7200);
    old_file("tmp", "being-written", now, 10);
    old_file("messages", "orphan", now, 7200);     /* crash between renames */
    old_file("messages", "young-orphan", now, 10); /* or a commit right now */
    old_file("messages", "queued", now, 7200);
    old_file("envelopes", "queued", now, 7200);
    old_file("messages", "set-aside", now, 7200);
    old_file("broken", "set-aside", now, 7200);
    assert_int_equal(queue_tidy(queue_dir, now, 3600), 2);
    assert_false(exists("tmp", "old-junk"));
    assert_false(exists("messages", "orphan"));
    assert_true(exists("tmp", "being-written"));
    assert_true(exists("messages", "young-orphan"));
    assert_true(exists("messages", "queued"));
    assert_true(exists("envelopes", "queued"));
    assert_true(exists("messages", "set-aside"));
    assert_true(exists("broken", "set-aside"));
    assert_int_equal(queue_tidy(queue_dir, now, 3600), 0);
    /* The boundary: exactly min_age old goes. */
    assert_int_equal(queue_tidy(queue_dir, now + 3600 - 10, 3600), 2);
}

/* mailwalk-queue --flush leaves a request; the runner takes it once. */
static void test_flush_request(void **state)
{
    (void)state;
    char why[4608];
    assert_false(queue_take_flush_request(queue_dir));
    assert_int_equal(queue_request_flush(queue_dir, why, sizeof why), 0);
    assert_int_equal(queue_request_flush(queue_dir, why, sizeof why), 0);
    assert_true(queue_take_flush_request(queue_dir));
    assert_false(queue_take_flush_request(queue_dir));
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(queue_state_name(QUEUE_WAITING), "waiting");
    assert_string_equal(queue_state_name(QUEUE_SENT), "sent");
    assert_string_equal(queue_state_name(QUEUE_BOUNCED), "bounced");
    assert_string_equal(queue_state_name((enum queue_state)42), "?");
}

/* A bounce that could not be stored: the state survives a save and a
 * load, so the runner keeps the message until the bounce is out. The
 * envelope also records the message's size, for the truncation check. */
static void test_bounce_pending_and_size_round_trip(void **state)
{
    (void)state;
    struct queue_recipient rcpts[1] = {recipient("bob@bob.example", "")};
    char id[QUEUE_ID_MAX], why[4608] = "";
    commit(NULL, "alice@alice.example", rcpts, 1, "Subject: x\n\n12345\n", id,
           sizeof id);
    struct queue_entry e;
    load_ok(id, &e);
    assert_int_equal(e.message_size, 18);
    e.recipients[0].state = QUEUE_BOUNCE_PENDING;
    assert_int_equal(queue_save(queue_dir, &e, why, sizeof why), 0);
    queue_entry_free(&e);
    load_ok(id, &e);
    assert_int_equal(e.recipients[0].state, QUEUE_BOUNCE_PENDING);
    assert_int_equal(e.message_size, 18);
    assert_string_equal(queue_state_name(QUEUE_BOUNCE_PENDING), "bounce-pending");
    queue_entry_free(&e);
}

/* A queue folder others may write into, or one with a linked subfolder,
 * is refused with a message naming it. */
static void test_create_refuses_unsafe_folders(void **state)
{
    (void)state;
    char why[4608] = "", path[256], elsewhere[256];
    assert_int_equal(chmod(queue_dir, 0777), 0);
    assert_int_equal(queue_create(queue_dir, why, sizeof why), -1);
    assert_non_null(strstr(why, queue_dir));
    assert_non_null(strstr(why, "writable by others"));
    assert_int_equal(chmod(queue_dir, 0700), 0);
    snprintf(path, sizeof path, "%s/tmp", queue_dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", root);
    assert_int_equal(mkdir(elsewhere, 0700), 0);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(symlink(elsewhere, path), 0);
    assert_int_equal(queue_create(queue_dir, why, sizeof why), -1);
    assert_non_null(strstr(why, "symbolic link"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_makes_the_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_then_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounce_pending_and_size_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_refuses_unsafe_folders, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_longest_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_reply_stays_one_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broken_envelopes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tidy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_request, setup, teardown),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
