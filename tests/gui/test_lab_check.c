/*
 * test_lab_check.c - marking a lab run: a reply is compared with the
 * reference's reply to the same command, a client's lines with the
 * reference client's, and what changes from run to run is left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lab_check.h"

/* A line: "C: ..." a command, "D: ..." message text, "S: ..." a reply;
 * a reply answers `answers`, as the run's FIFO of commands says. */
static MwLine *make(const char *spec, const char *answers)
{
    MwLineKind kind = spec[0] == 'S'   ? MW_LINE_REPLY
                      : spec[0] == 'D' ? MW_LINE_DATA
                                       : MW_LINE_COMMAND;
    MwLine *line = kind == MW_LINE_REPLY ? mw_line_new(kind, 1, 0, spec + 3)
                                         : mw_line_new(kind, 0, 1, spec + 3);
    if (kind == MW_LINE_REPLY) {
        mw_line_parse_reply(line);
        line->answers = g_strdup(answers);
    }
    if (kind == MW_LINE_DATA)
        line->data_part = strcmp(spec + 3, ".") == 0 ? MW_DATA_END : MW_DATA_BODY;
    return line;
}

static void reference(MwLabCheck *check, const char *spec, const char *answers)
{
    MwLine *line = make(spec, answers);
    mw_lab_check_reference(check, line);
    mw_line_free(line);
}

/* The note for a student's line, or NULL. */
static char *student(MwLabCheck *check, const char *spec, const char *answers)
{
    MwLine *line = make(spec, answers);
    char *note = mw_lab_check_student(check, line);
    mw_line_free(line);
    return note;
}

static void test_rcpt_before_mail_is_marked(void **state)
{
    (void)state;
    MwLabCheck *check = mw_lab_check_new(mw_scenario_find("lab03"));
    reference(check, "S: 220 mx.bob.example ready", "(greeting)");
    reference(check, "C: RCPT TO:<bob@bob.example>", NULL);
    reference(check, "S: 503 5.5.1 Send MAIL FROM first", "RCPT TO:<bob@bob.example>");
    reference(check, "C: MAIL FROM:<a@a.example>", NULL);
    reference(check, "S: 250 2.1.0 OK", "MAIL FROM:<a@a.example>");
    reference(check, "C: RCPT TO:<bob@bob.example>", NULL);
    reference(check, "S: 250 2.1.5 OK", "RCPT TO:<bob@bob.example>");

    /* The greeting's words are the server's own: not compared. */
    assert_null(student(check, "S: 220 my own server, hello", "(greeting)"));
    assert_null(student(check, "C: RCPT TO:<bob@bob.example>", NULL));
    char *note = student(check, "S: 250 2.1.5 OK", "RCPT TO:<bob@bob.example>");
    assert_non_null(note);
    assert_string_equal(note, "the reference answered \"503 5.5.1 Send MAIL FROM "
                              "first\" here");
    g_free(note);
    /* The second RCPT is compared with the reference's second RCPT. */
    assert_null(student(check, "S: 250 2.1.0 Sender OK", "MAIL FROM:<a@a.example>"));
    assert_null(student(check, "S: 250 2.1.5 Fine", "RCPT TO:<bob@bob.example>"));
    /* A command the reference never saw: its reply is not marked. */
    assert_null(student(check, "S: 250 OK", "HELO a.example"));
    assert_int_equal(mw_lab_check_marks(check), 1);
    mw_lab_check_free(check);
}

static void test_an_unanswered_end_of_data_is_missing(void **state)
{
    (void)state;
    MwLabCheck *check = mw_lab_check_new(mw_scenario_find("lab04"));
    reference(check, "D: .", NULL);
    reference(check, "S: 250 2.0.0 OK: message 1795437677.19301 delivered",
              "(end of data)");
    assert_null(student(check, "D: .", NULL));
    char *note = mw_lab_check_missing(check);
    assert_non_null(note);
    assert_non_null(strstr(note, "never answered (end of data)"));
    g_free(note);
    mw_lab_check_free(check);
}

static void test_client_lines_without_noise(void **state)
{
    (void)state;
    MwLabCheck *check = mw_lab_check_new(mw_scenario_find("lab02"));
    reference(check, "C: MAIL FROM:<a@a.example> SIZE=360", NULL);
    reference(check, "D: Date: Mon, 23 Nov 2026 12:41:42 +0000", NULL);
    reference(check, "D: ... and bring a dot.", NULL);
    reference(check, "C: QUIT", NULL);
    /* Sizes and dates change from run to run. */
    assert_null(student(check, "C: MAIL FROM:<a@a.example> SIZE=361", NULL));
    assert_null(student(check, "D: Date: Tue, 24 Nov 2026 00:00:01 +0000", NULL));
    /* A lone dot at the start of a line, not doubled: that is the bug. */
    char *note = student(check, "D: .. and bring a dot.", NULL);
    assert_non_null(note);
    assert_string_equal(note,
                        "the reference client sent \"... and bring a dot.\" here");
    g_free(note);
    /* The client stops early: what the reference sent next. */
    note = mw_lab_check_missing(check);
    assert_non_null(note);
    assert_non_null(strstr(note, "\"QUIT\" next"));
    g_free(note);
    mw_lab_check_free(check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rcpt_before_mail_is_marked),
        cmocka_unit_test(test_an_unanswered_end_of_data_is_missing),
        cmocka_unit_test(test_client_lines_without_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
