/*
 * explain.c - looking lines up in the explanation table.
 */
#include "explain.h"

#include <stdio.h>
#include <string.h>

GKeyFile *mw_explain_load(GBytes *data, GError **error)
{
    GKeyFile *table = g_key_file_new();
    if (!g_key_file_load_from_bytes(table, data, G_KEY_FILE_NONE, error)) {
        g_key_file_free(table);
        return NULL;
    }
    return table;
}

/* The verb of a command line, upper-cased: "mail from:<a>" -> "MAIL". */
static char *command_verb(const char *text)
{
    size_t n = strcspn(text, " \r\n");
    char *verb = g_ascii_strup(text, (gssize)n);
    return verb;
}

char *mw_explain_group(GKeyFile *table, const MwLine *line)
{
    char *group = NULL;
    switch (line->kind) {
    case MW_LINE_COMMAND: {
        char *verb = command_verb(line->text);
        group = g_strdup_printf("command:%s", verb);
        g_free(verb);
        break;
    }
    case MW_LINE_REPLY:
        group = g_strdup_printf("reply:%d", line->code);
        if (!g_key_file_has_group(table, group)) {
            g_free(group);
            group = g_strdup_printf("reply-class:%d", line->code / 100);
        }
        break;
    case MW_LINE_DATA: {
        static const char *const parts[] = {"header", "separator", "body", "end"};
        group = g_strdup_printf("data:%s", parts[line->data_part]);
        break;
    }
    case MW_LINE_TLS:
        group = g_strdup_printf("tls:%s", line->tls_type ? line->tls_type : "");
        break;
    case MW_LINE_EVENT:
        group = g_strdup_printf("event:%s", line->event ? line->event : "");
        break;
    }
    if (!g_key_file_has_group(table, group)) {
        g_free(group);
        return NULL;
    }
    return group;
}

/* A table value, escaped for Pango markup (the text may hold "<" or "&"). */
static char *get_escaped(GKeyFile *table, const char *group, const char *key)
{
    char *raw = g_key_file_get_string(table, group, key, NULL);
    if (raw == NULL)
        return NULL;
    char *escaped = g_markup_escape_text(raw, -1);
    g_free(raw);
    return escaped;
}

/* Append "<b>title</b>\ntext" from one group, if it exists. */
static void append_entry(GString *out, GKeyFile *table, const char *group,
                         gboolean with_rfc, gboolean with_next)
{
    if (!g_key_file_has_group(table, group))
        return;
    char *title = get_escaped(table, group, "title");
    char *rfc = get_escaped(table, group, "rfc");
    char *text = get_escaped(table, group, "text");
    char *next = get_escaped(table, group, "next");
    if (title)
        g_string_append_printf(out, "<b>%s</b>\n", title);
    if (text)
        g_string_append_printf(out, "%s\n", text);
    if (with_next && next)
        g_string_append_printf(out, "<i>Next:</i> %s\n", next);
    if (with_rfc && rfc)
        g_string_append_printf(out, "<small>See %s</small>\n", rfc);
    g_string_append(out, "\n");
    g_free(title);
    g_free(rfc);
    g_free(text);
    g_free(next);
}

/* What a reply answers, as the last part of a table group name: the verb
 * ("RCPT"), "greeting" or "end-of-data"; NULL when nothing was asked. */
static char *answer_key(const char *answers)
{
    if (answers == NULL)
        return NULL;
    if (strcmp(answers, MW_ANSWERS_GREETING) == 0)
        return g_strdup("greeting");
    if (strcmp(answers, MW_ANSWERS_END_OF_DATA) == 0)
        return g_strdup("end-of-data");
    if (strcmp(answers, MW_ANSWERS_NOTHING) == 0)
        return NULL; /* a reply nobody asked for */
    return command_verb(answers);
}

/* The same code means different things to different commands: 250 to
 * RCPT accepts one recipient, 250 after the final dot takes the whole
 * message over (RFC 5321 §4.2.2 gives one meaning per code; the sequence
 * of §4.3.2 gives the rest). Groups "reply:CODE:ANSWER" in the table say
 * what the reply means here, after the general meaning of the code. */
/* A line of EHLO's list names one extension ("250-SIZE 10485760"): its
 * group is reply:250:EHLO:KEYWORD (RFC 5321 §4.1.1.1: "ehlo-keyword"),
 * or NULL if the table has none (the first line, the greeting). */
static char *ehlo_keyword_group(GKeyFile *table, const MwLine *line)
{
    const char *text = line->text;
    if (strlen(text) < 5)
        return NULL;
    text += 4; /* "250-" or "250 " */
    gsize len = strcspn(text, " =");
    char *keyword = g_ascii_strup(text, (gssize)len);
    char *group = g_strdup_printf("reply:%d:EHLO:%s", line->code, keyword);
    g_free(keyword);
    if (g_key_file_has_group(table, group))
        return group;
    g_free(group);
    return NULL;
}

static void explain_reply_here(GString *out, GKeyFile *table, const MwLine *line)
{
    char *key = answer_key(line->answers);
    if (key == NULL)
        return;
    char *group = g_strdup_printf("reply:%d:%s", line->code, key);
    char *extension = strcmp(key, "EHLO") == 0 ? ehlo_keyword_group(table, line) : NULL;
    if (extension != NULL) {
        /* Each line of the list says what its own extension is for. */
        g_free(group);
        group = extension;
    }
    char *text = get_escaped(table, group, "text");
    if (text != NULL) {
        char *asked = g_markup_escape_text(line->answers, -1);
        g_string_append_printf(out, "<b>Here</b>, answering <tt>%s</tt>: %s\n\n", asked,
                               text);
        g_free(asked);
    }
    g_free(text);
    g_free(group);
    g_free(key);
}

/* A reply, digit by digit (RFC 5321 §4.2.1), then its enhanced code. */
static void explain_reply(GString *out, GKeyFile *table, const MwLine *line)
{
    char group[64];
    snprintf(group, sizeof group, "reply:%d", line->code);
    append_entry(out, table, group, TRUE, TRUE);
    explain_reply_here(out, table, line);

    g_string_append_printf(out, "<b>Reading the code %03d</b>\n", line->code);
    snprintf(group, sizeof group, "reply-class:%d", line->code / 100);
    char *first = get_escaped(table, group, "title");
    snprintf(group, sizeof group, "reply-category:%d", line->code / 10 % 10);
    char *second = get_escaped(table, group, "title");
    g_string_append_printf(out, "First digit %d: %s\nSecond digit %d: %s\n\n",
                           line->code / 100, first ? first : "?", line->code / 10 % 10,
                           second ? second : "?");
    g_free(first);
    g_free(second);

    if (line->enhanced[0] != '\0') {
        g_string_append_printf(out, "<b>Enhanced status code %s</b> (RFC 3463)\n",
                               line->enhanced);
        snprintf(group, sizeof group, "enhanced-class:%c", line->enhanced[0]);
        char *cls = get_escaped(table, group, "title");
        snprintf(group, sizeof group, "enhanced:%s", line->enhanced);
        char *detail = get_escaped(table, group, "title");
        char *detail_text = get_escaped(table, group, "text");
        g_string_append_printf(out, "Class: %s\n", cls ? cls : "?");
        if (detail)
            g_string_append_printf(out, "Subject and detail: %s. %s\n", detail,
                                   detail_text ? detail_text : "");
        g_string_append(out, "\n");
        g_free(cls);
        g_free(detail);
        g_free(detail_text);
    }
    if (!line->last)
        g_string_append(out, "<i>A dash after the code (\"250-\") means more lines "
                             "of this reply follow; the last line has a space "
                             "(RFC 5321 §4.2.1).</i>\n");
}

/* A line that crossed inside TLS, decrypted from the server's log: what
 * it is (the command, the reply, the line of the letter), then how it
 * travelled. A command was sealed by the client: its record is above it,
 * and the server logged it after decrypting. A reply was logged before
 * the server sealed it: its record is below. */
static void explain_inside(GString *out, GKeyFile *table, const MwLine *line)
{
    MwLine *plain = mw_line_copy(line);
    plain->kind = line->inside;
    const char *prefix = "inside TLS: ";
    if (g_str_has_prefix(line->text, prefix)) {
        g_free(plain->text);
        plain->text = g_strdup(line->text + strlen(prefix));
    }
    if (plain->kind == MW_LINE_REPLY) {
        explain_reply(out, table, plain);
        g_string_append(out, "\n");
    } else {
        char *group = mw_explain_group(table, plain);
        if (group != NULL)
            append_entry(out, table, group, TRUE, TRUE);
        g_free(group);
    }
    append_entry(out, table,
                 plain->kind == MW_LINE_REPLY ? "event:inside-reply"
                                              : "event:inside-client",
                 TRUE, FALSE);
    mw_line_free(plain);
}

char *mw_explain_line(GKeyFile *table, const MwLine *line)
{
    GString *out = g_string_new(NULL);
    char *shown = g_markup_escape_text(line->text, -1);
    g_string_append_printf(out, "<tt>%s</tt>\n\n", shown);
    g_free(shown);

    /* A lab run: where the student's program differs from the reference. */
    if (line->mark != NULL) {
        char *mark = g_markup_escape_text(line->mark, -1);
        g_string_append_printf(out,
                               "<span foreground='#c62828'><b>✗ Differs from the "
                               "reference build:</b></span> %s.\n\n",
                               mark);
        g_free(mark);
    }

    if (line->kind == MW_LINE_REPLY) {
        explain_reply(out, table, line);
    } else if (line->kind == MW_LINE_EVENT && line->inside != MW_LINE_EVENT) {
        explain_inside(out, table, line);
    } else {
        char *group = mw_explain_group(table, line);
        if (group != NULL)
            append_entry(out, table, group, TRUE, TRUE);
        else if (line->kind == MW_LINE_COMMAND)
            g_string_append(out, "Not a command this kit explains: the server will "
                                 "most likely answer 500 (command unrecognized).\n");
        else if (line->kind == MW_LINE_EVENT && line->mark != NULL)
            g_string_append(out, "Not a line on the wire: your program's part of the "
                                 "story ended here, and the reference build, given "
                                 "the same story, went on. Look a little earlier for "
                                 "the reason: the first line marked ✗ is usually "
                                 "where it started.\n");
        else if (line->kind == MW_LINE_EVENT)
            g_string_append(out, "Something the server did, from its event log: "
                                 "not a line on the wire.\n");
        g_free(group);
    }
    /* A line that starts with a dot went out with two (the esmtp story's
     * "note the doubled dot"). */
    if (mw_line_is_dot_stuffed(line))
        append_entry(out, table, "data:stuffed", TRUE, FALSE);
    g_string_append_printf(out, "\n<small>Phase: %s</small>",
                           mw_phase_name(line->phase));
    return g_string_free(out, FALSE);
}
