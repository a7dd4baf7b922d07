/*
 * test_session.c - whole SMTP dialogues against the state machine, with
 * no sockets: session_handle_line() in, reply codes out of s.out.
 *
 * RFC 5321 §4.1.4 (order of commands), §4.2 (reply codes), §4.3.2 (which
 * command may give which code), and the extensions EHLO advertises.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>

#include "session_harness.h"

/* Start the session and check the greeting: 220, our name, no enhanced
 * code (RFC 2034 §3: not on the greeting). */
static struct harness *started(void **state)
{
    struct harness *h = *state;
    harness_start(h);
    const char *greeting = take_replies(h);
    assert_string_equal(greeting, "220 bob.example ESMTP mailwalk-server ready\r\n");
    assert_int_equal(h->s.state, STATE_CONNECTED);
    return h;
}

/* EHLO and check the one 250 reply, leaving the session GREETED. */
static void ehlo(struct harness *h)
{
    assert_int_equal(command(h, "EHLO alice.example"), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
}

/* ------------------------------------------------------------------ */

/* §4.1.4: MAIL, RCPT, DATA before HELO/EHLO get 503; the harmless
 * commands work at any time. */
static void test_before_hello(void **state)
{
    struct harness *h = started(state);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 503);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 503);
    assert_int_equal(command(h, "DATA"), 503);
    assert_int_equal(command(h, "NOOP"), 250);
    assert_int_equal(command(h, "RSET"), 250);
    assert_int_equal(command(h, "VRFY bob"), 252);
    assert_int_equal(h->s.state, STATE_CONNECTED);
    assert_int_equal(command(h, "HELO alice.example"), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_false(h->s.esmtp);
}

/* EHLO lists each extension on its own line of one multi-line 250. */
static void test_ehlo_advertises_extensions(void **state)
{
    struct harness *h = started(state);
    feed(h, "EHLO alice.example");
    const char *r = take_replies(h);
    assert_string_equal(r, "250-bob.example Hello alice.example [192.0.2.7]\r\n"
                           "250-SIZE 10485760\r\n"
                           "250-8BITMIME\r\n"
                           "250-PIPELINING\r\n"
                           "250-ENHANCEDSTATUSCODES\r\n"
                           "250-SMTPUTF8\r\n"
                           "250 HELP\r\n");
    assert_true(h->s.esmtp);
    assert_int_equal(h->s.state, STATE_GREETED);
}

/* SIZE shows the configured limit, not a constant. */
static void test_ehlo_size_follows_config(void **state)
{
    struct harness *h = *state;
    h->config.max_size = 65536;
    harness_start(h);
    take_replies(h);
    feed(h, "EHLO alice.example");
    assert_non_null(strstr(take_replies(h), "250-SIZE 65536\r\n"));
}

/* A whole transaction, with the state after each step. */
static void test_transaction_states(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(h->s.state, STATE_MAIL);
    assert_string_equal(h->s.envelope.reverse_path, "alice@alice.example");
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(h->s.state, STATE_RCPT);
    assert_int_equal(command(h, "RCPT TO:<carol@bob.example>"), 250);
    assert_int_equal(h->s.envelope.recipient_count, 2);
    assert_int_equal(command(h, "DATA"), 354);
    assert_int_equal(h->s.state, STATE_DATA);
    assert_int_equal(session_line_limit(&h->s), SMTP_MAX_TEXT_LINE);
    feed(h, "Subject: hi");
    feed(h, "");
    feed(h, "Hello Bob.");
    assert_int_equal(h->s.out_len, 0); /* no reply until the dot */
    assert_int_equal(command(h, "."), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(h->s.envelope.recipient_count, 0);
    assert_int_equal(count_files(h, "bob", "new"), 1);
    assert_int_equal(count_files(h, "carol", "new"), 1);
    /* A second transaction in the same session. */
    assert_int_equal(command(h, "MAIL FROM:<>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    assert_int_equal(command(h, "."), 250);
    assert_int_equal(count_files(h, "bob", "new"), 2);
    assert_int_equal(command(h, "QUIT"), 221);
    assert_true(session_wants_close(&h->s));
}

/* §4.1.4 and §3.3: each command out of order gets 503, and the session
 * state does not move. */
static void test_out_of_sequence_503(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 503);
    assert_int_equal(command(h, "DATA"), 503);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "DATA"), 503); /* no recipient yet */
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 503);
    assert_int_equal(h->s.state, STATE_MAIL);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 503);
    assert_int_equal(h->s.state, STATE_RCPT);
}

/* A refused RCPT does not open the way to DATA. */
static void test_data_needs_an_accepted_recipient(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<eve@evil.example>"), 550);
    assert_int_equal(command(h, "DATA"), 503);
}

/* §4.1.1.5 RSET and §4.1.4 EHLO/HELO: the transaction is forgotten. */
static void test_rset_and_ehlo_clear_transaction(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "RSET"), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(h->s.envelope.recipient_count, 0);
    assert_string_equal(h->s.envelope.reverse_path, "");
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 503);

    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SIZE=100"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "EHLO again.example"), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(h->s.envelope.recipient_count, 0);
    assert_int_equal(h->s.envelope.declared_size, 0);
    assert_int_equal(command(h, "DATA"), 503);

    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "HELO again.example"), 250);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 503);
}

/* Verbs are case-insensitive (§2.4), and so are FROM: and TO:. */
static void test_case_insensitive(void **state)
{
    struct harness *h = started(state);
    assert_int_equal(command(h, "ehlo alice.example"), 250);
    assert_int_equal(command(h, "mail from:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "Rcpt To:<bob@BOB.EXAMPLE>"), 250);
    assert_int_equal(command(h, "dAtA"), 354);
    assert_int_equal(command(h, "."), 250);
    assert_int_equal(command(h, "nOoP"), 250);
    assert_int_equal(command(h, "quit"), 221);
}

/* 500 (§4.2.4): unknown verbs, empty lines, NUL bytes. */
static void test_unknown_commands_500(void **state)
{
    struct harness *h = started(state);
    assert_int_equal(command(h, "XYZZY"), 500);
    assert_int_equal(command(h, ""), 500);
    assert_int_equal(command(h, "MAILFROM:<a@b.example>"), 500);
    assert_int_equal(command(h, "TURN"), 500);
    session_handle_line(&h->s, "NOOP\0x", 6, LINE_END_CRLF);
    int codes[4];
    assert_int_equal(reply_codes(take_replies(h), codes, 4), 1);
    assert_int_equal(codes[0], 500);
    assert_int_equal(command(h, "EXPN staff"), 502); /* known, switched off */
    assert_int_equal(h->s.state, STATE_CONNECTED);
}

/* 501 (§4.2.4): a known verb with bad arguments. */
static void test_syntax_errors_501(void **state)
{
    struct harness *h = started(state);
    assert_int_equal(command(h, "HELO"), 501);
    assert_int_equal(command(h, "EHLO"), 501);
    ehlo(h);
    assert_int_equal(command(h, "MAIL"), 501);
    assert_int_equal(command(h, "MAIL TO:<alice@alice.example>"), 501);
    assert_int_equal(command(h, "MAIL FROM:alice@alice.example"), 501);
    assert_int_equal(command(h, "MAIL FROM:<alice@>"), 501);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>junk"), 501);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SIZE=lots"), 501);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> BODY=9BIT"), 501);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT bob@bob.example"), 501);
    assert_int_equal(command(h, "RCPT TO:<bob>"), 501);
    assert_int_equal(command(h, "RCPT TO:<>"), 501); /* <> is only for MAIL */
    assert_int_equal(command(h, "RSET now"), 501);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA now"), 501);
    assert_int_equal(h->s.state, STATE_RCPT);
    assert_int_equal(command(h, "VRFY"), 501);
}

/* 555 (§4.1.1.11): parameters we do not know, or any after HELO. */
static void test_unknown_parameters_555(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> RET=HDRS"), 555);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SMTPUTF8=yes"), 555);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SIZE=10 BODY=8BITMIME "
                                "SMTPUTF8"),
                     250);
    assert_true(h->s.envelope.body_8bit);
    assert_true(h->s.envelope.smtputf8);
    assert_int_equal(h->s.envelope.declared_size, 10);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example> NOTIFY=NEVER"), 555);
    assert_int_equal(h->s.state, STATE_MAIL);
    assert_int_equal(command(h, "HELO alice.example"), 250);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SIZE=10"), 555);
}

/* No open relay: mail for other domains is refused with 550 5.7.1. */
static void test_relay_denied(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    feed(h, "RCPT TO:<carol@carol.example>");
    assert_true(strncmp(take_replies(h), "550 5.7.1 ", 10) == 0);
    feed(h, "RCPT TO:<bob@bob.example.evil>");
    assert_true(strncmp(take_replies(h), "550 5.7.1 ", 10) == 0);
    assert_int_equal(h->s.envelope.recipient_count, 0);
}

/* --mailboxes: only those exist (550 5.1.1); postmaster always does. */
static void test_mailboxes_and_postmaster(void **state)
{
    struct harness *h = *state;
    char bob[] = "bob";
    h->config.mailboxes[0] = bob;
    h->config.mailbox_count = 1;
    harness_start(h);
    take_replies(h);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<Bob@bob.example>"), 250);
    feed(h, "RCPT TO:<carol@bob.example>");
    assert_true(strncmp(take_replies(h), "550 5.1.1 ", 10) == 0);
    assert_int_equal(command(h, "RCPT TO:<postmaster@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<PostMaster>"), 250); /* §4.5.1 */
    assert_int_equal(h->s.envelope.recipient_count, 3);
    assert_int_equal(command(h, "VRFY bob"), 250);
    assert_int_equal(command(h, "VRFY <bob@bob.example>"), 250);
    assert_int_equal(command(h, "VRFY carol"), 550);
}

/* 553: names that cannot be a mailbox folder, and UTF-8 without
 * SMTPUTF8 (RFC 6531 §3.5: 553 5.6.7 for RCPT, 550 5.6.7 for MAIL). */
static void test_mailbox_name_not_allowed_553(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<a/b@bob.example>"), 553);
    assert_int_equal(command(h, "RCPT TO:<\"../etc\"@bob.example>"), 553);
    feed(h, "RCPT TO:<j\xc3\xb6rg@bob.example>");
    assert_true(strncmp(take_replies(h), "553 5.6.7 ", 10) == 0);
    assert_int_equal(command(h, "RSET"), 250);
    feed(h, "MAIL FROM:<j\xc3\xb6rg@alice.example>");
    assert_true(strncmp(take_replies(h), "550 5.6.7 ", 10) == 0);
    assert_int_equal(command(h, "MAIL FROM:<j\xc3\xb6rg@alice.example> SMTPUTF8"), 250);
    /* With SMTPUTF8 a UTF-8 mailbox is fine; broken UTF-8 is not even an
     * address (RFC 6531 §3.3 asks for well-formed UTF-8): 501. */
    assert_int_equal(command(h, "RCPT TO:<J\xc3\xb6rg@bob.example>"), 250);
    assert_string_equal(h->s.envelope.recipients[0].mailbox, "j\xc3\xb6rg");
    assert_int_equal(command(h, "RCPT TO:<j\xc3rg@bob.example>"), 501);
    assert_int_equal(command(h, "RCPT TO:<j\xb6rg@bob.example>"), 501);
}

/* §4.5.3.1.8/.10: 100 recipients must fit; one more gets 452 4.5.3. */
static void test_max_recipients_default(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    char line[64];
    /* 100 users whose Maildirs exist: new names are made at most
     * SESSION_MAX_NEW_MAILBOXES per session (test_session_hardening.c). */
    mkdir(h->maildir, 0700);
    for (int i = 1; i <= 100; i++) {
        char box[sizeof h->maildir + 16];
        snprintf(box, sizeof box, "%s/user%d", h->maildir, i);
        assert_int_equal(mkdir(box, 0700), 0);
    }
    for (int i = 1; i <= 100; i++) {
        snprintf(line, sizeof line, "RCPT TO:<user%d@bob.example>", i);
        assert_int_equal(command(h, line), 250);
    }
    feed(h, "RCPT TO:<user101@bob.example>");
    assert_true(strncmp(take_replies(h), "452 4.5.3 ", 10) == 0);
    assert_int_equal(command(h, "RCPT TO:<postmaster>"), 452);
    assert_int_equal(h->s.envelope.recipient_count, 100);
    assert_int_equal(command(h, "DATA"), 354); /* the 100 still get it */
    assert_int_equal(command(h, "."), 250);
    assert_int_equal(count_files(h, "user100", "new"), 1);
}

static void test_max_recipients_configured(void **state)
{
    struct harness *h = *state;
    h->config.max_recipients = 3;
    harness_start(h);
    take_replies(h);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<a@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<b@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<c@bob.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<d@bob.example>"), 452);
    assert_int_equal(command(h, "RSET"), 250); /* a new transaction: room again */
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<d@bob.example>"), 250);
}

/* RFC 1870 §6.1: a declared SIZE over our limit is refused at MAIL. */
static void test_declared_size_552(void **state)
{
    struct harness *h = *state;
    h->config.max_size = 65536;
    harness_start(h);
    take_replies(h);
    ehlo(h);
    feed(h, "MAIL FROM:<alice@alice.example> SIZE=65537");
    assert_true(strncmp(take_replies(h), "552 5.3.4 ", 10) == 0);
    assert_int_equal(h->s.state, STATE_GREETED);
    assert_int_equal(
        command(h, "MAIL FROM:<alice@alice.example> SIZE=99999999999999999999999"),
        501);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example> SIZE=65536"), 250);
}

/* RFC 2920: commands sent together are answered together, in order. */
static void test_pipelined_sequence(void **state)
{
    struct harness *h = started(state);
    feed(h, "EHLO alice.example");
    feed(h, "MAIL FROM:<alice@alice.example>");
    feed(h, "RCPT TO:<bob@bob.example>");
    feed(h, "RCPT TO:<eve@evil.example>");
    feed(h, "RCPT TO:<carol@bob.example>");
    feed(h, "DATA");
    feed(h, "Subject: pipelined");
    feed(h, "");
    feed(h, "body");
    feed(h, ".");
    feed(h, "RCPT TO:<bob@bob.example>");
    feed(h, "QUIT");
    feed(h, "NOOP"); /* after QUIT: nothing more is read */
    int codes[16];
    size_t n = reply_codes(take_replies(h), codes, 16);
    int want[] = {250, 250, 250, 550, 250, 354, 250, 503, 221};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    assert_memory_equal(codes, want, sizeof want);
}

/* §4.5.3.1.4: a command line over 512 octets arrives in pieces; all of
 * it is dropped and answered with one 500, and the session goes on. */
static void test_long_command_line(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    char piece[600];
    memset(piece, 'A', sizeof piece);
    assert_int_equal(session_line_limit(&h->s), 511);
    session_handle_line(&h->s, "NOOP ", 5, LINE_END_NONE);
    session_handle_line(&h->s, piece, 510, LINE_END_NONE);
    session_handle_line(&h->s, piece, 510, LINE_END_NONE);
    assert_int_equal(h->s.out_len, 0);
    session_handle_line(&h->s, piece, 20, LINE_END_CRLF);
    const char *r = take_replies(h);
    assert_true(strncmp(r, "500 5.5.2 ", 10) == 0);
    assert_null(strstr(r + 1, "\r\n5")); /* one reply only */
    assert_int_equal(command(h, "NOOP"), 250);

    /* Exactly 512 octets with CRLF is still a command (510 of text). */
    char line[511];
    memcpy(line, "NOOP ", 5);
    memset(line + 5, 'x', 505);
    line[510] = '\0';
    assert_int_equal(command(h, line), 250);
}

/* RFC 2034/3463: every 2xx, 4xx and 5xx reply but the greeting and the
 * HELO/EHLO answer carries an enhanced code of the same class. */
static void test_enhanced_codes_everywhere(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    static const char *const dialogue[] = {
        "NOOP",
        "VRFY bob",
        "HELP",
        "HELP MAIL",
        "HELP BOGUS",
        "EXPN x",
        "XYZZY",
        "RCPT TO:<bob@bob.example>",
        "MAIL FROM:<bad",
        "MAIL FROM:<a@b.example> X=1",
        "MAIL FROM:<alice@alice.example>",
        "RCPT TO:<bob@evil.example>",
        "RCPT TO:<a/b@bob.example>",
        "RCPT TO:<bob@bob.example>",
        "RSET",
        "MAIL FROM:<> SIZE=999999999999",
        "QUIT",
    };
    for (size_t i = 0; i < sizeof dialogue / sizeof dialogue[0]; i++) {
        feed(h, dialogue[i]);
        const char *r = take_replies(h);
        for (const char *p = r; *p; p = strstr(p, "\r\n") + 2) {
            /* "DDD" sep class "." subject "." detail " " */
            char cls = p[0];
            if (cls == '3')
                continue;
            if (!(p[4] == cls && p[5] == '.' && isdigit((unsigned char)p[6])))
                fail_msg("no enhanced code after \"%s\": %.60s", dialogue[i], p);
        }
    }
}

/* HELP lists the table; HELP <verb> shows one row; unknown verb 504. */
static void test_help(void **state)
{
    struct harness *h = started(state);
    feed(h, "HELP");
    const char *r = take_replies(h);
    size_t count;
    const struct command *table = command_table(&count);
    for (size_t i = 0; i < count; i++)
        assert_non_null(strstr(r, table[i].help));
    int codes[4];
    assert_int_equal(reply_codes(r, codes, 4), 1);
    assert_int_equal(codes[0], 214);
    assert_int_equal(command(h, "HELP rcpt"), 214);
    assert_int_equal(command(h, "HELP FOO"), 504);
}

/* Timeout and shutdown: 421 (§3.8), then the session wants to close. */
static void test_timeout_and_shutdown_421(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    session_timed_out(&h->s);
    assert_true(strncmp(take_replies(h), "421 4.4.2 ", 10) == 0);
    assert_true(session_wants_close(&h->s));
    feed(h, "NOOP");
    assert_int_equal(h->s.out_len, 0);
}

static void test_shutdown_during_data(void **state)
{
    struct harness *h = started(state);
    ehlo(h);
    assert_int_equal(command(h, "MAIL FROM:<alice@alice.example>"), 250);
    assert_int_equal(command(h, "RCPT TO:<bob@bob.example>"), 250);
    assert_int_equal(command(h, "DATA"), 354);
    feed(h, "half a message");
    session_shutting_down(&h->s);
    assert_true(strncmp(take_replies(h), "421 4.3.2 ", 10) == 0);
    assert_true(session_wants_close(&h->s));
    session_free(&h->s);
    /* Nothing was answered 250, so nothing may be left anywhere. */
    assert_int_equal(count_files(h, "bob", "tmp"), 0);
    assert_int_equal(count_files(h, "bob", "new"), 0);
    session_init(&h->s, &h->config, NULL, "test.2", "192.0.2.7",
                 ROLE_PLAIN); /* for teardown */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(test_before_hello),
        T(test_ehlo_advertises_extensions),
        T(test_ehlo_size_follows_config),
        T(test_transaction_states),
        T(test_out_of_sequence_503),
        T(test_data_needs_an_accepted_recipient),
        T(test_rset_and_ehlo_clear_transaction),
        T(test_case_insensitive),
        T(test_unknown_commands_500),
        T(test_syntax_errors_501),
        T(test_unknown_parameters_555),
        T(test_relay_denied),
        T(test_mailboxes_and_postmaster),
        T(test_mailbox_name_not_allowed_553),
        T(test_max_recipients_default),
        T(test_max_recipients_configured),
        T(test_declared_size_552),
        T(test_pipelined_sequence),
        T(test_long_command_line),
        T(test_enhanced_codes_everywhere),
        T(test_help),
        T(test_timeout_and_shutdown_421),
        T(test_shutdown_during_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
