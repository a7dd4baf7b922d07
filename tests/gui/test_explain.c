/*
 * test_explain.c - the explanation table covers the server's whole
 * vocabulary, and what it produces is valid Pango markup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "commands.h"
#include "explain.h"

static GKeyFile *table;

static int load_table(void **state)
{
    (void)state;
    char *text;
    gsize len;
    if (!g_file_get_contents(EXPLANATIONS_INI, &text, &len, NULL))
        return -1;
    GBytes *bytes = g_bytes_new_take(text, len);
    table = mw_explain_load(bytes, NULL);
    g_bytes_unref(bytes);
    return table ? 0 : -1;
}

static int free_table(void **state)
{
    (void)state;
    g_key_file_free(table);
    return 0;
}

/* Markup must parse, or GtkLabel shows nothing: wrap it in a root element
 * and let GMarkup (the same XML rules Pango follows) read it. */
static void assert_valid_markup(const char *markup)
{
    char *doc = g_strdup_printf("<markup>%s</markup>", markup);
    GMarkupParser parser = {0};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, NULL, NULL);
    GError *error = NULL;
    gboolean ok = g_markup_parse_context_parse(ctx, doc, -1, &error) &&
                  g_markup_parse_context_end_parse(ctx, &error);
    if (!ok)
        fail_msg("bad markup (%s): %s", error->message, markup);
    g_markup_parse_context_free(ctx);
    g_free(doc);
}

/* Every verb in mailwalk-server's command table has an explanation. */
static void test_every_server_command_is_explained(void **state)
{
    (void)state;
    size_t count;
    const struct command *commands = command_table(&count);
    for (size_t i = 0; i < count; i++) {
        MwLine *line = mw_line_new(MW_LINE_COMMAND, 0, 1, commands[i].verb);
        char *group = mw_explain_group(table, line);
        if (group == NULL)
            fail_msg("no explanation for %s", commands[i].verb);
        char *markup = mw_explain_line(table, line);
        assert_valid_markup(markup);
        g_free(markup);
        g_free(group);
        mw_line_free(line);
    }
}

static void test_reply_is_read_digit_by_digit(void **state)
{
    (void)state;
    MwLine *line = mw_line_new(MW_LINE_REPLY, 1, 0,
                               "550 5.1.1 No such user here: <eve@bob.example>");
    mw_line_parse_reply(line);
    assert_int_equal(line->code, 550);
    assert_string_equal(line->enhanced, "5.1.1");
    char *markup = mw_explain_line(table, line);
    assert_valid_markup(markup); /* the "<eve@...>" must have been escaped */
    assert_non_null(strstr(markup, "First digit 5"));
    assert_non_null(strstr(markup, "Second digit 5"));
    assert_non_null(strstr(markup, "Bad destination mailbox address"));
    g_free(markup);
    mw_line_free(line);

    /* A continuation line ("250-SIZE") says that more lines follow. */
    line = mw_line_new(MW_LINE_REPLY, 1, 0, "250-SIZE 10485760");
    mw_line_parse_reply(line);
    assert_false(line->last);
    markup = mw_explain_line(table, line);
    assert_non_null(strstr(markup, "more lines"));
    g_free(markup);
    mw_line_free(line);
}

static void test_unknown_things_still_explain(void **state)
{
    (void)state;
    MwLine *line = mw_line_new(MW_LINE_COMMAND, 0, 1, "XYZZY magic");
    char *markup = mw_explain_line(table, line);
    assert_valid_markup(markup);
    assert_non_null(strstr(markup, "500"));
    g_free(markup);
    mw_line_free(line);
    line = mw_line_new(MW_LINE_REPLY, 1, 0, "299 odd but valid");
    mw_line_parse_reply(line);
    markup = mw_explain_line(table, line);
    assert_valid_markup(markup);
    assert_non_null(strstr(markup, "Positive completion"));
    g_free(markup);
    mw_line_free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_server_command_is_explained),
        cmocka_unit_test(test_reply_is_read_digit_by_digit),
        cmocka_unit_test(test_unknown_things_still_explain),
    };
    return cmocka_run_group_tests(tests, load_table, free_table);
}
