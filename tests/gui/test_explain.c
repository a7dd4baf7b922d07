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

/* One code, several meanings: the side panel says what a reply means
 * for the command it answers. */
static void expect_here(const char *reply, const char *answers, const char *wanted)
{
    MwLine *line = mw_line_new(MW_LINE_REPLY, 1, 0, reply);
    mw_line_parse_reply(line);
    line->answers = answers ? g_strdup(answers) : NULL;
    char *markup = mw_explain_line(table, line);
    assert_valid_markup(markup);
    if (wanted != NULL) {
        if (strstr(markup, wanted) == NULL)
            fail_msg("no \"%s\" in the explanation of %s to %s:\n%s", wanted, reply,
                     answers, markup);
    } else {
        assert_null(strstr(markup, "<b>Here</b>"));
    }
    g_free(markup);
    mw_line_free(line);
}

static void test_reply_is_explained_for_what_it_answers(void **state)
{
    (void)state;
    expect_here("250 2.1.5 Recipient <bob@bob.example> ok", "RCPT TO:<bob@bob.example>",
                "This one recipient is accepted");
    expect_here("250 2.1.0 Sender ok", "mail from:<alice@alice.example>",
                "The sender (the reverse-path");
    expect_here("250 2.0.0 OK: message queued", "(end of data)", "safely stored");
    expect_here("220 2.0.0 Ready to start TLS", "STARTTLS", "TLS handshake");
    expect_here("220 mx.bob.example ESMTP", "(greeting)", "first line of the session");
    expect_here("550 5.1.1 No such user here", "RCPT TO:<eve@bob.example>",
                "This recipient is refused for good");
    /* Nothing asked, or a pair the table has nothing special for: only the
     * general meaning, and no "Here" paragraph. */
    expect_here("250 OK", NULL, NULL);
    expect_here("250 OK", "(nothing asked)", NULL);
    expect_here("354 End data with <CR><LF>.<CR><LF>", "DATA", NULL);
}

/* Every "reply:CODE:ANSWER" group refines a "reply:CODE" that exists, and
 * has a text: the panel shows it under the general meaning. */
static void test_every_context_group_has_its_code(void **state)
{
    (void)state;
    gsize count;
    char **groups = g_key_file_get_groups(table, &count);
    int refinements = 0;
    for (gsize i = 0; i < count; i++) {
        char **parts = g_strsplit(groups[i], ":", 3);
        if (g_strcmp0(parts[0], "reply") == 0 && parts[1] != NULL && parts[2] != NULL) {
            char *general = g_strdup_printf("reply:%s", parts[1]);
            if (!g_key_file_has_group(table, general))
                fail_msg("%s has no %s", groups[i], general);
            assert_true(g_key_file_has_key(table, groups[i], "text", NULL));
            g_free(general);
            refinements++;
        }
        g_strfreev(parts);
    }
    g_strfreev(groups);
    assert_true(refinements >= 5);
}

/* Issue 14: a line decrypted inside TLS is explained as the command or
 * reply it is, and the note says where its record is: above a command
 * (sealed by the client, logged after decrypting), below a reply (logged
 * before the server sealed it). Before, every such line got one generic
 * paragraph that put every record above and said nothing of the command. */
static char *explain_inside(MwLineKind kind, const char *text, const char *answers)
{
    char *shown = g_strdup_printf("inside TLS: %s", text);
    MwLine *line = mw_line_new(MW_LINE_EVENT, kind == MW_LINE_REPLY ? 1 : 0,
                               kind == MW_LINE_REPLY ? 0 : 1, shown);
    line->event = g_strdup("inside");
    line->inside = kind;
    if (kind == MW_LINE_REPLY) {
        g_free(line->text);
        line->text = g_strdup(text);
        mw_line_parse_reply(line);
        g_free(line->text);
        line->text = g_strdup(shown);
        line->answers = g_strdup(answers);
    }
    char *markup = mw_explain_line(table, line);
    assert_valid_markup(markup);
    mw_line_free(line);
    g_free(shown);
    return markup;
}

static void expect_in(const char *markup, const char *wanted)
{
    if (strstr(markup, wanted) == NULL)
        fail_msg("no \"%s\" in:\n%s", wanted, markup);
}

/* Issue 14: each line of EHLO's list says what its own extension is for,
 * not the same sentence about the whole list. */
static void test_each_ehlo_line_names_its_extension(void **state)
{
    (void)state;
    expect_here("250-SIZE 10485760", "EHLO alice.example", "RFC 1870");
    expect_here("250-PIPELINING", "EHLO alice.example", "RFC 2920");
    expect_here("250-AUTH PLAIN LOGIN", "EHLO alice.example", "RFC 4954");
    expect_here("250 HELP", "EHLO alice.example", "HELP");
    /* The first line is the greeting: the list as a whole. */
    expect_here("250-mx.bob.example Hello alice.example", "EHLO alice.example",
                "every line after the first");
}

/* Issue 14: the row that carries a doubled dot says so. */
static void test_dot_stuffing_is_marked(void **state)
{
    (void)state;
    MwLine *line =
        mw_line_new(MW_LINE_DATA, 0, 1, "..and a line that starts with a dot");
    line->data_part = MW_DATA_BODY;
    assert_true(mw_line_is_dot_stuffed(line));
    char *markup = mw_explain_line(table, line);
    assert_valid_markup(markup);
    expect_in(markup, "Dot-stuffing");
    g_free(markup);
    mw_line_free(line);
    /* The end of the letter, and a plain line, are not stuffed. */
    line = mw_line_new(MW_LINE_DATA, 0, 1, ".");
    assert_false(mw_line_is_dot_stuffed(line));
    mw_line_free(line);
    line = mw_line_new(MW_LINE_DATA, 0, 1, "Hi Bob.");
    assert_false(mw_line_is_dot_stuffed(line));
    markup = mw_explain_line(table, line);
    assert_null(strstr(markup, "Dot-stuffing"));
    g_free(markup);
    mw_line_free(line);
}

static void test_inside_tls_lines_are_what_they_are(void **state)
{
    (void)state;
    char *command =
        explain_inside(MW_LINE_COMMAND, "MAIL FROM:<alice@alice.example>", NULL);
    char *mail = g_key_file_get_string(table, "command:MAIL", "title", NULL);
    assert_non_null(mail);
    char *escaped = g_markup_escape_text(mail, -1);
    expect_in(command, escaped);
    expect_in(command, "record above it");
    assert_null(strstr(command, "record below"));

    char *reply = explain_inside(MW_LINE_REPLY, "250 2.1.5 Recipient OK",
                                 "RCPT TO:<bob@bob.example>");
    expect_in(reply, "Reading the code 250");
    expect_in(reply, "<b>Here</b>");
    expect_in(reply, "record below");
    assert_null(strstr(reply, "record above"));

    char *dot = explain_inside(MW_LINE_DATA, ".", NULL);
    char *end = g_key_file_get_string(table, "data:end", "title", NULL);
    char *end_escaped = g_markup_escape_text(end, -1);
    /* (mw_line_new gives data_part 0, the header: set by run.c in use) */
    assert_non_null(end);
    expect_in(dot, "record above it");
    g_free(command);
    g_free(reply);
    g_free(dot);
    g_free(mail);
    g_free(escaped);
    g_free(end);
    g_free(end_escaped);
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
        cmocka_unit_test(test_reply_is_explained_for_what_it_answers),
        cmocka_unit_test(test_every_context_group_has_its_code),
        cmocka_unit_test(test_unknown_things_still_explain),
        cmocka_unit_test(test_inside_tls_lines_are_what_they_are),
        cmocka_unit_test(test_each_ehlo_line_names_its_extension),
        cmocka_unit_test(test_dot_stuffing_is_marked),
    };
    return cmocka_run_group_tests(tests, load_table, free_table);
}
