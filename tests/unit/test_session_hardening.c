/*
 * test_session_hardening.c - the small protocol holes of issue 12, each
 * driven through session_handle_line() with no sockets:
 *
 *   - a command line that ends in a bare LF is not a command (500,
 *     RFC 5321 §2.3.8);
 *   - too many errors in one session end it with 421 4.7.0;
 *   - SIZE=-1 and a MAIL parameter given twice are 501 (RFC 1870 §3,
 *     RFC 5321 §4.1.2);
 *   - a session makes at most SESSION_MAX_NEW_MAILBOXES new Maildirs
 *     without --mailboxes;
 *   - the loop limit is 100 Received: lines (RFC 5321 §6.3);
 *   - a delivery to several mailboxes that fails half-way leaves no copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "maildir.h"
#include "queue_policy.h"
#include "session_harness.h"

/* A started session after EHLO, its replies read. */
static struct harness *greeted(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    take_replies(h);
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    return h;
}

/* Hand the session one line ending in a bare LF. */
static void feed_lf(struct harness *h, const char *line)
{
    session_handle_line(&h->s, line, strlen(line), LINE_END_LF);
}

/* ----- bare LF ------------------------------------------------------- */

static void test_bare_lf_command_is_500(void **state)
{
    struct harness *h = greeted(state);
    feed_lf(h, "MAIL FROM:<alice@alice.example>");
    const char *reply = take_replies(h);
    assert_true(strncmp(reply, "500 5.5.2 ", 10) == 0);
    assert_non_null(strstr(reply, "CR LF"));
    assert_int_equal(h->s.state, STATE_GREETED); /* the MAIL did nothing */
    /* The same line with CR LF is fine. */
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    feed_lf(h, "RSET");
    assert_true(strncmp(take_replies(h), "500 ", 4) == 0);
    assert_int_equal(h->s.state, STATE_MAIL);
}

/* In DATA a bare LF stays message text (data.c), not an error. */
static void test_bare_lf_in_data_is_text(void **state)
{
    struct harness *h = greeted(state);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    feed_lf(h, "Subject: lf");
    feed(h, "");
    feed(h, "body");
    assert_int_equal(h->s.out_len, 0);
    assert_int_equal(command(h, "."), 250);
}

/* ----- the error budget ------------------------------------------------ */

static void test_error_budget_closes_with_421(void **state)
{
    struct harness *h = greeted(state);
    for (int i = 1; i < SESSION_MAX_ERRORS; i++)
        assert_int_equal(command(h, "XYZZY"), 500);
    assert_false(session_wants_close(&h->s));
    feed(h, "XYZZY");
    int codes[4];
    const char *replies = take_replies(h);
    assert_int_equal(reply_codes(replies, codes, 4), 2);
    assert_int_equal(codes[0], 500);
    assert_int_equal(codes[1], 421);
    assert_non_null(strstr(replies, "421 4.7.0 "));
    assert_true(session_wants_close(&h->s));
    /* Nothing more is read. */
    feed(h, "NOOP");
    assert_int_equal(h->s.out_len, 0);
}

/* Good commands in between do not reset the count, and all 4xx/5xx count
 * (503 out of sequence, 501 syntax, 550 no relaying). */
static void test_error_budget_counts_every_error(void **state)
{
    struct harness *h = greeted(state);
    for (int i = 0; i < SESSION_MAX_ERRORS - 1; i++) {
        int expected[] = {503, 501, 550};
        const char *lines[] = {"RCPT TO:<bob@bob.example>", "MAIL TO:<x>", NULL};
        if (i % 3 == 2) {
            assert_int_equal(command(h, "MAIL FROM:<a@alice.example>"), 250);
            assert_int_equal(command(h, "RCPT TO:<x@elsewhere.example>"), 550);
            assert_int_equal(command(h, "RSET"), 250);
        } else {
            assert_int_equal(command(h, lines[i % 3]), expected[i % 3]);
        }
        assert_int_equal(command(h, "NOOP"), 250);
    }
    assert_false(session_wants_close(&h->s));
    assert_int_equal(command(h, "MAIL TO:<y>"), -1); /* 501, then 421: two replies */
    assert_true(session_wants_close(&h->s));
}

/* ----- MAIL parameters ------------------------------------------------- */

static void test_size_minus_one_is_501(void **state)
{
    struct harness *h = greeted(state);
    /* strtoull() reads "-1" as 18446744073709551615: that was a 552. */
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE=-1"), 501);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE=+5"), 501);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE="), 501);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE=12x"), 501);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE=1000"), 250);
    assert_int_equal(h->s.envelope.declared_size, 1000);
}

static void test_repeated_parameter_is_501(void **state)
{
    struct harness *h = greeted(state);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SIZE=10 SIZE=99999999999"),
                     501);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> BODY=7BIT BODY=8BITMIME"),
                     501);
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example> SMTPUTF8 smtputf8"), 501);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(
        command(h, "MAIL FROM:<a@alice.example> SIZE=10 BODY=8BITMIME SMTPUTF8"), 250);
}

/* ----- new Maildirs per session ---------------------------------------- */

static void test_new_mailbox_cap(void **state)
{
    struct harness *h = greeted(state);
    char line[64];
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example>"), 250);
    for (int i = 1; i <= SESSION_MAX_NEW_MAILBOXES; i++) {
        snprintf(line, sizeof line, "RCPT TO:<new%d@bob.example>", i);
        assert_int_equal(command(h, line), 250);
    }
    feed(h, "RCPT TO:<onemore@bob.example>");
    assert_true(strncmp(take_replies(h), "450 4.7.1 ", 10) == 0);
    /* postmaster always; an existing mailbox too. */
    assert_int_equal(command(h, "RCPT TO:<postmaster>"), 250);
    assert_int_equal(command(h, "RCPT TO:<new1@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    assert_int_equal(command(h, "."), 250);
    assert_int_equal(count_files(h, "new20", "new"), 1);
    assert_int_equal(count_files(h, "onemore", "new"), -1); /* never made */
    /* The Maildirs exist now: no longer new, so they do not count. */
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<new5@bob.example>"), 250);
}

/* With --mailboxes the names are the admin's: no cap. */
static void test_no_cap_with_mailbox_list(void **state)
{
    struct harness *h = *state;
    static char names[SESSION_MAX_NEW_MAILBOXES + 5][16];
    for (size_t i = 0; i < SESSION_MAX_NEW_MAILBOXES + 5; i++) {
        snprintf(names[i], sizeof names[i], "u%zu", i);
        h->config.mailboxes[i] = names[i];
    }
    h->config.mailbox_count = SESSION_MAX_NEW_MAILBOXES + 5;
    greeted(state);
    char line[64];
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example>"), 250);
    for (int i = 0; i < SESSION_MAX_NEW_MAILBOXES + 5; i++) {
        snprintf(line, sizeof line, "RCPT TO:<u%d@bob.example>", i);
        assert_int_equal(command(h, line), 250);
    }
}

/* ----- loops ----------------------------------------------------------- */

/* RFC 5321 §6.3: "normally at least 100 Received entries". A message with
 * 99 old ones (100 with ours) is delivered; with 100 old ones it is a loop. */
static void send_with_received(struct harness *h, int old, int expected)
{
    assert_int_equal(command(h, "MAIL FROM:<a@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    for (int i = 0; i < old; i++)
        feed(h,
             "Received: from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000");
    feed(h, "");
    feed(h, "body");
    assert_int_equal(command(h, "."), expected);
}

static void test_loop_limit_is_100(void **state)
{
    struct harness *h = greeted(state);
    assert_int_equal(POLICY_MAX_RECEIVED, 100);
    send_with_received(h, 30, 250); /* was a "loop" with the old limit 25 */
    send_with_received(h, 99, 250);
    send_with_received(h, 100, 554);
    assert_int_equal(count_files(h, "bob", "new"), 2);
}

/* ----- a delivery that fails half-way ----------------------------------- */

/* Write a file into mailbox/tmp/name, ready for maildir_deliver(). */
static FILE *tmp_file(struct harness *h, const char *mailbox, const char *name,
                      char *path, size_t cap)
{
    char why[4608];
    assert_int_equal(maildir_create(h->maildir, mailbox, why, sizeof why), 0);
    snprintf(path, cap, "%s/%s/tmp/%s", h->maildir, mailbox, name);
    FILE *f = maildir_create_file(path, why, sizeof why);
    assert_non_null(f);
    fputs("Subject: hi\n\nhello\n", f);
    return f;
}

/* bob, carol and dave: carol's link is made, dave's fails (the name is
 * taken). The answer will be 4xx, so carol must not keep her copy: the
 * client's retry would give her a second one (RFC 5321 §6.1). */
static void test_failed_delivery_leaves_no_copy(void **state)
{
    struct harness *h = *state;
    char why[4608], path[512], taken[512];
    FILE *f = tmp_file(h, "bob", "1.M1P1Q1.test", path, sizeof path);
    assert_int_equal(maildir_create(h->maildir, "carol", why, sizeof why), 0);
    assert_int_equal(maildir_create(h->maildir, "dave", why, sizeof why), 0);
    snprintf(taken, sizeof taken, "%s/dave/new/1.M1P1Q1.test", h->maildir);
    int fd = open(taken, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    const char *boxes[] = {"bob", "carol", "dave"};
    assert_int_equal(maildir_deliver(h->maildir, f, path, "1.M1P1Q1.test", boxes, 3,
                                     why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "link("));
    assert_int_equal(count_files(h, "carol", "new"), 0);
    assert_int_equal(count_files(h, "bob", "new"), 0);
    assert_int_equal(count_files(h, "dave", "new"), 1); /* only the one we made */
}

/* A planted link: bob/new pointing elsewhere is refused, not followed. */
static void test_planted_new_link_is_refused(void **state)
{
    struct harness *h = *state;
    char why[4608], path[512], elsewhere[512], link_path[512];
    FILE *f = tmp_file(h, "bob", "2.M1P1Q1.test", path, sizeof path);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", h->root);
    assert_int_equal(mkdir(elsewhere, 0700), 0);
    snprintf(link_path, sizeof link_path, "%s/bob/new", h->maildir);
    assert_int_equal(rmdir(link_path), 0);
    assert_int_equal(symlink(elsewhere, link_path), 0);
    const char *boxes[] = {"bob"};
    assert_int_equal(maildir_deliver(h->maildir, f, path, "2.M1P1Q1.test", boxes, 1,
                                     why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "symbolic link"));
    DIR *d = opendir(elsewhere);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bare_lf_command_is_500, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_bare_lf_in_data_is_text, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_error_budget_closes_with_421,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_error_budget_counts_every_error,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_size_minus_one_is_501, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_repeated_parameter_is_501, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_new_mailbox_cap, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_no_cap_with_mailbox_list, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_loop_limit_is_100, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_failed_delivery_leaves_no_copy,
                                        harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_planted_new_link_is_refused, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
