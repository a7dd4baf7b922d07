/*
 * test_pop3_session.c - whole POP3 dialogues against the protocol core,
 * with a real Maildir and a real users file, and no socket.
 *
 * Each test writes letters into bob/new/ the way mailwalk-server does (one
 * file per message, lines ending in LF), logs in, and checks the exact
 * bytes a client would receive and what is left on the disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pop3_session.h"
#include "users.h"

/* ----- the fixture: a Maildir root, a users file, a session ------------ */

struct fixture {
    char root[64];   /* the Maildir root */
    char users[128]; /* the users file: bob / "battery staple" */
    struct pop3_session_config config;
    struct event_log log;
    char reply[1 << 20]; /* everything the last command produced */
    size_t reply_len;
};

static char users_file_template[] = "/tmp/mailwalk-pop3-users-XXXXXX";
static char users_hash[256]; /* made once: PBKDF2 is slow on purpose */

static int make_hash(void **state)
{
    (void)state;
    char why[256];
    return users_hash_password("battery staple", users_hash, sizeof users_hash, why,
                               sizeof why);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "/tmp/mailwalk-pop3-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->users, sizeof f->users, "%s", users_file_template);
    int fd = mkstemp(f->users);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    fprintf(file, "bob:%s\n", users_hash);
    fclose(file);
    f->config.hostname = "bob.example";
    f->config.maildir = f->root;
    f->config.users_file = f->users;
    f->config.tls_available = true;
    event_log_init(&f->log);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", f->root);
    assert_int_equal(system(command), 0);
    unlink(f->users);
    free(f);
    return 0;
}

/* Write one letter into root/user/new/ under `name`. */
static void deliver(struct fixture *f, const char *user, const char *name,
                    const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->root, user);
    mkdir(path, 0700);
    for (const char *sub = "tmp\0new\0cur\0"; *sub; sub += strlen(sub) + 1) {
        snprintf(path, sizeof path, "%s/%s/%s", f->root, user, sub);
        mkdir(path, 0700);
    }
    snprintf(path, sizeof path, "%s/%s/new/%s", f->root, user, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

/* How many files a mailbox folder ("new", "cur") holds. */
static int files_in(struct fixture *f, const char *user, const char *folder)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", f->root, user, folder);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            count++;
    closedir(dir);
    return count;
}

/* Take everything the session queued, as a client would receive it,
 * including every piece of a long response. */
static const char *collect(struct fixture *f, struct pop3_session *s)
{
    f->reply_len = 0;
    for (;;) {
        assert_true(s->out_len <= sizeof s->out);
        assert_true(f->reply_len + s->out_len < sizeof f->reply);
        memcpy(f->reply + f->reply_len, s->out, s->out_len);
        f->reply_len += s->out_len;
        s->out_len = 0;
        if (!pop3_session_has_more(s))
            break;
        pop3_session_continue(s);
    }
    f->reply[f->reply_len] = '\0';
    return f->reply;
}

/* Send one command line (CRLF-terminated) and return the whole response. */
static const char *say(struct fixture *f, struct pop3_session *s, const char *line)
{
    pop3_session_handle_line(s, line, strlen(line), LINE_END_CRLF);
    return collect(f, s);
}

static void start(struct fixture *f, struct pop3_session *s, bool tls)
{
    pop3_session_init(s, &f->config, &f->log, "t.1", "127.0.0.1", tls);
    pop3_session_greet(s);
    assert_string_equal(collect(f, s), "+OK bob.example POP3 mailwalk-pop3 ready\r\n");
}

static void login(struct fixture *f, struct pop3_session *s)
{
    start(f, s, true);
    assert_string_equal(say(f, s, "USER bob"), "+OK Now send the password for bob\r\n");
    const char *answer = say(f, s, "PASS battery staple");
    assert_true(strncmp(answer, "+OK bob has ", 12) == 0);
    assert_int_equal(s->state, POP3_TRANSACTION);
}

static const char letter_one[] = "From: alice@alice.example\n"
                                 "Subject: one\n"
                                 "\n"
                                 "Hello Bob.\n"
                                 ".a line that starts with a dot\n"
                                 "..two dots\n"
                                 "Alice\n";
/* The same, as it goes on the wire: CRLF, and each leading dot doubled. */
static const char letter_one_wire[] = "From: alice@alice.example\r\n"
                                      "Subject: one\r\n"
                                      "\r\n"
                                      "Hello Bob.\r\n"
                                      "..a line that starts with a dot\r\n"
                                      "...two dots\r\n"
                                      "Alice\r\n";
/* RFC 1939 §11: the size counts CRLF line ends but not the stuffed dots. */
#define LETTER_ONE_OCTETS (sizeof letter_one_wire - 1 - 2)

static const char letter_two[] = "Subject: two\n\nline 1\nline 2\nline 3\n";
#define LETTER_TWO_OCTETS (sizeof letter_two - 1 + 5)

static void deliver_two(struct fixture *f)
{
    deliver(f, "bob", "1700000000.M000001P1Q1.bob.example", letter_one);
    deliver(f, "bob", "1700000001.M000001P1Q2.bob.example", letter_two);
}

/* ----- AUTHORIZATION ---------------------------------------------------- */

static void test_plaintext_login_refused_and_not_offered(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, false);
    const char *capa = say(f, &s, "CAPA");
    assert_non_null(strstr(capa, "\r\nSTLS\r\n"));
    assert_null(strstr(capa, "\r\nUSER\r\n"));
    assert_true(strcmp(capa + strlen(capa) - 3, ".\r\n") == 0);
    assert_string_equal(say(f, &s, "USER bob"),
                        "-ERR [AUTH] Log in only inside TLS: send STLS first, or use "
                        "the pop3s port\r\n");
    assert_true(strncmp(say(f, &s, "PASS battery staple"), "-ERR [AUTH]", 11) == 0);
    assert_int_equal(s.state, POP3_AUTHORIZATION);
    pop3_session_free(&s);
}

static void test_plaintext_login_when_allowed(void **state)
{
    struct fixture *f = *state;
    f->config.allow_plaintext_login = true;
    struct pop3_session s;
    start(f, &s, false);
    assert_non_null(strstr(say(f, &s, "CAPA"), "\r\nUSER\r\n"));
    say(f, &s, "USER bob");
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "+OK bob has 0 messages (0 octets)\r\n");
    pop3_session_free(&s);
}

static void test_stls_then_login_and_no_injection(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, false);
    assert_string_equal(say(f, &s, "STLS"), "+OK Begin TLS negotiation\r\n");
    assert_true(s.tls_pending);
    /* Lines behind STLS, before the handshake: an injection. Ignored. */
    assert_string_equal(say(f, &s, "USER bob"), "");
    assert_string_equal(say(f, &s, "PASS battery staple"), "");
    pop3_session_tls_started(&s);
    /* The injected USER did not count: PASS now has no USER before it. */
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR Send USER first, then PASS right after it\r\n");
    const char *capa = say(f, &s, "CAPA");
    assert_null(strstr(capa, "STLS"));
    assert_non_null(strstr(capa, "\r\nUSER\r\n"));
    assert_string_equal(say(f, &s, "STLS"),
                        "-ERR Command not permitted when TLS active\r\n");
    say(f, &s, "USER bob");
    assert_true(strncmp(say(f, &s, "PASS battery staple"), "+OK bob has", 11) == 0);
    pop3_session_free(&s);
}

static void test_pass_must_follow_user(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, true);
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR Send USER first, then PASS right after it\r\n");
    say(f, &s, "USER bob");
    say(f, &s, "CAPA");
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR Send USER first, then PASS right after it\r\n");
    pop3_session_free(&s);
}

static void test_wrong_passwords_slow_down_then_close(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, true);
    for (unsigned i = 1; i <= POP3_MAX_LOGIN_FAILURES; i++) {
        say(f, &s, "USER bob");
        const char *answer = say(f, &s, "PASS wrong");
        assert_true(strncmp(answer, "-ERR [AUTH]", 11) == 0);
        assert_int_equal(s.delay_seconds, i);
        s.delay_seconds = 0;
    }
    assert_true(pop3_session_wants_close(&s));
    /* An unknown user gets the very same answer as a wrong password. */
    pop3_session_free(&s);
    start(f, &s, true);
    say(f, &s, "USER mallory");
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR [AUTH] Wrong user name or password\r\n");
    pop3_session_free(&s);
}

static void test_commands_in_the_wrong_state(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, true);
    const char *before[] = {"STAT",    "LIST", "RETR 1", "DELE 1",
                            "TOP 1 0", "UIDL", "RSET",   "NOOP"};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++)
        assert_string_equal(say(f, &s, before[i]),
                            "-ERR Log in first (USER, then PASS)\r\n");
    pop3_session_free(&s);
    login(f, &s);
    assert_string_equal(say(f, &s, "USER bob"),
                        "-ERR USER is not allowed after the login\r\n");
    assert_string_equal(say(f, &s, "STLS"),
                        "-ERR STLS is not allowed after the login\r\n");
    assert_string_equal(say(f, &s, "HELO me"), "-ERR Unknown command: \"HELO\"\r\n");
    assert_string_equal(say(f, &s, "APOP bob 1234"),
                        "-ERR Unknown command: \"APOP\"\r\n");
    assert_string_equal(say(f, &s, "EHLOEHLO"), "-ERR Unknown command\r\n");
    pop3_session_free(&s);
}

static void test_hostile_lines(void **state)
{
    struct fixture *f = *state;
    struct pop3_session s;
    start(f, &s, true);
    /* A NUL byte in the middle of a command. */
    pop3_session_handle_line(&s, "USER b\0b", 8, LINE_END_CRLF);
    assert_string_equal(collect(f, &s), "-ERR NUL byte in command\r\n");
    /* A line too long for the buffer arrives in pieces: one -ERR for all. */
    char piece[200];
    memset(piece, 'A', sizeof piece);
    pop3_session_handle_line(&s, piece, sizeof piece, LINE_END_NONE);
    pop3_session_handle_line(&s, piece, sizeof piece, LINE_END_NONE);
    pop3_session_handle_line(&s, piece, 10, LINE_END_CRLF);
    assert_string_equal(collect(f, &s),
                        "-ERR Line too long (the limit is 255 octets)\r\n");
    /* ... and the next line is a command again. */
    assert_string_equal(say(f, &s, "NOOP"), "-ERR Log in first (USER, then PASS)\r\n");
    /* A user name over 40 characters, or with a space. */
    assert_true(strncmp(say(f, &s, "USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                        "-ERR Usage: USER", 16) == 0);
    assert_true(strncmp(say(f, &s, "USER bob evil"), "-ERR Usage: USER", 16) == 0);
    /* A name that passes the users file but is no safe folder name is
     * never a mailbox ("../bob"). */
    say(f, &s, "USER ../bob");
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR [AUTH] Wrong user name or password\r\n");
    pop3_session_free(&s);
}

/* ----- TRANSACTION ------------------------------------------------------ */

static void test_login_takes_new_into_cur_and_counts_octets(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session s;
    start(f, &s, true);
    say(f, &s, "USER bob");
    char expected[256];
    snprintf(expected, sizeof expected, "+OK bob has 2 messages (%zu octets)\r\n",
             LETTER_ONE_OCTETS + LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "PASS battery staple"), expected);
    assert_int_equal(files_in(f, "bob", "new"), 0);
    assert_int_equal(files_in(f, "bob", "cur"), 2);
    snprintf(expected, sizeof expected, "+OK 2 %zu\r\n",
             LETTER_ONE_OCTETS + LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "STAT"), expected);
    snprintf(expected, sizeof expected,
             "+OK 2 messages (%zu octets)\r\n1 %zu\r\n2 %zu\r\n.\r\n",
             LETTER_ONE_OCTETS + LETTER_TWO_OCTETS, LETTER_ONE_OCTETS,
             LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "LIST"), expected);
    snprintf(expected, sizeof expected, "+OK 2 %zu\r\n", LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "LIST 2"), expected);
    assert_string_equal(say(f, &s, "LIST 3"), "-ERR No such message: there are 2\r\n");
    assert_string_equal(say(f, &s, "LIST 0"), "-ERR No such message: there are 2\r\n");
    assert_string_equal(say(f, &s, "LIST -1"), "-ERR Usage: LIST [message-number]\r\n");
    assert_string_equal(say(f, &s, "LIST 1 2"),
                        "-ERR Usage: LIST [message-number]\r\n");
    assert_string_equal(say(f, &s, "LIST 99999999999"),
                        "-ERR Usage: LIST [message-number]\r\n");
    snprintf(expected, sizeof expected,
             "+OK 2 messages (%zu octets)\r\n1 1700000000.M000001P1Q1.bob.example\r\n"
             "2 1700000001.M000001P1Q2.bob.example\r\n.\r\n",
             LETTER_ONE_OCTETS + LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "UIDL"), expected);
    /* The unique-id stays the same in the next session (now in cur/). */
    pop3_session_free(&s);
    login(f, &s);
    assert_string_equal(say(f, &s, "UIDL 2"),
                        "+OK 2 1700000001.M000001P1Q2.bob.example\r\n");
    pop3_session_free(&s);
}

static void test_retr_sends_crlf_and_stuffs_dots(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session s;
    login(f, &s);
    char expected[1024];
    snprintf(expected, sizeof expected, "+OK %zu octets\r\n%s.\r\n", LETTER_ONE_OCTETS,
             letter_one_wire);
    assert_string_equal(say(f, &s, "RETR 1"), expected);
    /* The octet count is what the client gets between "+OK" and ".",
     * minus the stuffed dots (two of them in letter one). */
    const char *body = strstr(f->reply, "\r\n") + 2;
    assert_int_equal(strlen(body) - 3 - 2, LETTER_ONE_OCTETS);
    pop3_session_free(&s);
}

static void test_top_counts_body_lines(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session s;
    login(f, &s);
    assert_string_equal(say(f, &s, "TOP 2 0"),
                        "+OK Top of message 2 follows\r\nSubject: two\r\n\r\n.\r\n");
    assert_string_equal(say(f, &s, "TOP 2 2"),
                        "+OK Top of message 2 follows\r\nSubject: two\r\n\r\n"
                        "line 1\r\nline 2\r\n.\r\n");
    assert_string_equal(say(f, &s, "TOP 2 100"),
                        "+OK Top of message 2 follows\r\nSubject: two\r\n\r\n"
                        "line 1\r\nline 2\r\nline 3\r\n.\r\n");
    assert_string_equal(say(f, &s, "TOP 2"),
                        "-ERR Usage: TOP message-number lines\r\n");
    pop3_session_free(&s);
}

static void test_dele_happens_only_at_quit(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session s;
    login(f, &s);
    assert_string_equal(say(f, &s, "DELE 1"),
                        "+OK Message 1 deleted (it goes when you QUIT)\r\n");
    assert_string_equal(say(f, &s, "DELE 1"), "-ERR Message 1 is marked deleted\r\n");
    assert_string_equal(say(f, &s, "RETR 1"), "-ERR Message 1 is marked deleted\r\n");
    char expected[128];
    snprintf(expected, sizeof expected, "+OK 1 %zu\r\n", LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "STAT"), expected);
    /* The numbers stay: message 2 is still 2, and LIST skips 1. */
    snprintf(expected, sizeof expected, "+OK 1 message (%zu octets)\r\n2 %zu\r\n.\r\n",
             LETTER_TWO_OCTETS, LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "LIST"), expected);
    assert_int_equal(files_in(f, "bob", "cur"), 2); /* nothing gone yet */
    assert_string_equal(
        say(f, &s, "QUIT"),
        "+OK bob.example POP3 server signing off (1 message deleted)\r\n");
    assert_true(pop3_session_wants_close(&s));
    assert_int_equal(files_in(f, "bob", "cur"), 1);
    pop3_session_free(&s);
}

static void test_rset_and_a_dropped_connection_delete_nothing(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session s;
    login(f, &s);
    say(f, &s, "DELE 1");
    say(f, &s, "DELE 2");
    char expected[128];
    snprintf(expected, sizeof expected, "+OK Mailbox has 2 messages (%zu octets)\r\n",
             LETTER_ONE_OCTETS + LETTER_TWO_OCTETS);
    assert_string_equal(say(f, &s, "RSET"), expected);
    say(f, &s, "DELE 2");
    /* The connection goes away without QUIT: no UPDATE state (§6). */
    pop3_session_free(&s);
    assert_int_equal(files_in(f, "bob", "cur"), 2);
    /* The same after the autologout timer. */
    login(f, &s);
    say(f, &s, "DELE 1");
    pop3_session_timed_out(&s);
    assert_true(strncmp(collect(f, &s), "-ERR Autologout", 15) == 0);
    pop3_session_free(&s);
    assert_int_equal(files_in(f, "bob", "cur"), 2);
}

static void test_a_locked_mailbox_is_in_use(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    struct pop3_session first, second;
    login(f, &first);
    start(f, &second, true);
    say(f, &second, "USER bob");
    assert_string_equal(
        say(f, &second, "PASS battery staple"),
        "-ERR [IN-USE] bob's mailbox is open in another session; try later\r\n");
    assert_int_equal(second.state, POP3_AUTHORIZATION);
    pop3_session_free(&first); /* the lock goes with the session */
    say(f, &second, "USER bob");
    assert_true(strncmp(say(f, &second, "PASS battery staple"), "+OK bob has 2", 13) ==
                0);
    pop3_session_free(&second);
}

static void test_long_line_goes_out_in_pieces(void **state)
{
    struct fixture *f = *state;
    /* 100 000 octets without a line feed, then a last line with none
     * either: bounded pieces, CRLF added at the end, size exact. */
    size_t big = 100000;
    char *text = malloc(big + 64);
    assert_non_null(text);
    strcpy(text, "Subject: big\n\n");
    size_t len = strlen(text);
    memset(text + len, 'x', big);
    text[len + big] = '\0';
    deliver(f, "bob", "1700000000.M1P1Q1.host", text);
    struct pop3_session s;
    login(f, &s);
    char expected[64];
    snprintf(expected, sizeof expected, "+OK 1 %zu\r\n", len + 2 + big + 2);
    assert_string_equal(say(f, &s, "STAT"), expected);
    const char *reply = say(f, &s, "RETR 1");
    assert_int_equal(f->reply_len,
                     strlen("+OK 100018 octets\r\n") + len + 2 + big + 2 + 3);
    assert_true(strcmp(reply + f->reply_len - 6, "x\r\n.\r\n") == 0);
    pop3_session_free(&s);
    free(text);
}

static void test_planted_links_are_not_followed(void **state)
{
    struct fixture *f = *state;
    deliver_two(f);
    char path[512];
    /* A link in cur/ to a file outside the Maildir is not a message. */
    snprintf(path, sizeof path, "%s/bob/cur/1600000000.M1P1Q1.evil:2,", f->root);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    struct pop3_session s;
    login(f, &s);
    assert_int_equal(s.mailbox.count, 2);
    say(f, &s, "DELE 1");
    say(f, &s, "QUIT");
    pop3_session_free(&s);
    /* A mailbox folder that is a link is refused, not followed. */
    snprintf(path, sizeof path, "%s/eve", f->root);
    assert_int_equal(symlink("/etc", path), 0);
    FILE *users = fopen(f->users, "a");
    fprintf(users, "eve:%s\n", users_hash);
    fclose(users);
    start(f, &s, true);
    say(f, &s, "USER eve");
    assert_string_equal(say(f, &s, "PASS battery staple"),
                        "-ERR [SYS/TEMP] Cannot open the mailbox now; try later\r\n");
    pop3_session_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plaintext_login_refused_and_not_offered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_plaintext_login_when_allowed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stls_then_login_and_no_injection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pass_must_follow_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passwords_slow_down_then_close,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_commands_in_the_wrong_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_takes_new_into_cur_and_counts_octets,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_retr_sends_crlf_and_stuffs_dots, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_top_counts_body_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dele_happens_only_at_quit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_rset_and_a_dropped_connection_delete_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_locked_mailbox_is_in_use, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_line_goes_out_in_pieces, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_planted_links_are_not_followed, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, make_hash, NULL);
}
