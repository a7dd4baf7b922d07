/*
 * test_console.c - the typed console follows a dialogue the way the
 * server's state machine does, and every stage has its hints in
 * explanations.ini.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "console.h"
#include "explain.h"

/* Feed one line: "C: ..." a command, "D: ..." message text, "S: ..." a
 * reply. */
static void see(MwConsole *console, const char *spec)
{
    MwLineKind kind = spec[0] == 'S'   ? MW_LINE_REPLY
                      : spec[0] == 'D' ? MW_LINE_DATA
                                       : MW_LINE_COMMAND;
    MwLine *line = mw_line_new(kind, 0, 1, spec + 3);
    if (kind == MW_LINE_REPLY)
        mw_line_parse_reply(line);
    if (kind == MW_LINE_DATA)
        line->data_part = g_strcmp0(spec + 3, ".") == 0 ? MW_DATA_END : MW_DATA_BODY;
    mw_console_see(console, line);
    mw_line_free(line);
}

static void test_a_whole_session(void **state)
{
    (void)state;
    MwConsole c;
    mw_console_init(&c);
    assert_int_equal(c.stage, MW_CONSOLE_CONNECTING);
    see(&c, "S: 220 mx.bob.example ESMTP");
    assert_int_equal(c.stage, MW_CONSOLE_GREETED);
    see(&c, "C: ehlo me");
    see(&c, "S: 250-mx.bob.example");
    assert_int_equal(c.stage, MW_CONSOLE_GREETED); /* more lines follow */
    see(&c, "S: 250 HELP");
    assert_int_equal(c.stage, MW_CONSOLE_READY);
    see(&c, "C: MAIL FROM:<a@b>");
    see(&c, "S: 250 2.1.0 OK");
    assert_int_equal(c.stage, MW_CONSOLE_MAIL);
    see(&c, "C: RCPT TO:<eve@bob.example>");
    see(&c, "S: 550 5.1.1 No such user");
    assert_int_equal(c.stage, MW_CONSOLE_MAIL); /* refused: no change */
    see(&c, "C: RCPT TO:<bob@bob.example>");
    see(&c, "S: 250 2.1.5 OK");
    assert_int_equal(c.stage, MW_CONSOLE_RCPT);
    see(&c, "C: DATA");
    see(&c, "S: 354 go ahead");
    assert_int_equal(c.stage, MW_CONSOLE_DATA);
    see(&c, "D: QUIT"); /* text, not a command */
    assert_int_equal(c.stage, MW_CONSOLE_DATA);
    see(&c, "D: .");
    see(&c, "S: 250 2.0.0 stored");
    assert_int_equal(c.stage, MW_CONSOLE_SENT);
    see(&c, "C: QUIT");
    see(&c, "S: 221 Bye");
    assert_int_equal(c.stage, MW_CONSOLE_CLOSED);
}

static void test_refused_letter_ends_the_transaction(void **state)
{
    (void)state;
    MwConsole c;
    mw_console_init(&c);
    see(&c, "S: 220 hi");
    see(&c, "C: HELO me");
    see(&c, "S: 250 hello");
    see(&c, "C: MAIL FROM:<a@b>");
    see(&c, "S: 250 ok");
    see(&c, "C: RCPT TO:<bob@bob.example>");
    see(&c, "S: 250 ok");
    see(&c, "C: DATA");
    see(&c, "S: 354 go ahead");
    see(&c, "D: .");
    see(&c, "S: 552 too big");
    assert_int_equal(c.stage, MW_CONSOLE_READY);
    see(&c, "C: RSET");
    see(&c, "S: 250 ok");
    assert_int_equal(c.stage, MW_CONSOLE_READY);
    see(&c, "S: 421 closing");
    assert_int_equal(c.stage, MW_CONSOLE_CLOSED);
}

static void test_every_stage_has_hints(void **state)
{
    (void)state;
    char *text;
    gsize len;
    assert_true(g_file_get_contents(EXPLANATIONS_INI, &text, &len, NULL));
    GBytes *bytes = g_bytes_new_take(text, len);
    GKeyFile *table = mw_explain_load(bytes, NULL);
    g_bytes_unref(bytes);
    assert_non_null(table);
    for (int stage = MW_CONSOLE_CONNECTING; stage <= MW_CONSOLE_CLOSED; stage++) {
        char *group = g_strdup_printf("hint:%s", mw_console_stage_name(stage));
        if (!g_key_file_has_key(table, group, "title", NULL) ||
            !g_key_file_has_key(table, group, "text", NULL))
            fail_msg("explanations.ini has no [%s] with title and text", group);
        g_free(group);
    }
    /* Where the client must act, there is something to try. */
    const char *const acting[] = {"greeted", "ready", "mail", "rcpt", "data", "sent"};
    for (size_t i = 0; i < G_N_ELEMENTS(acting); i++) {
        char *group = g_strdup_printf("hint:%s", acting[i]);
        gsize n = 0;
        char **lines = g_key_file_get_string_list(table, group, "try", &n, NULL);
        if (n == 0)
            fail_msg("[%s] suggests no line to try", group);
        g_strfreev(lines);
        g_free(group);
    }
    g_key_file_free(table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_whole_session),
        cmocka_unit_test(test_refused_letter_ends_the_transaction),
        cmocka_unit_test(test_every_stage_has_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
