/*
 * line.c - classifying the lines the tap sees.
 */
#include "line.h"

#include <string.h>

MwLine *mw_line_copy(const MwLine *line)
{
    MwLine *copy = g_memdup2(line, sizeof *line);
    copy->text = g_strdup(line->text);
    copy->tls_type = g_strdup(line->tls_type);
    copy->event = g_strdup(line->event);
    copy->answers = g_strdup(line->answers);
    copy->mark = g_strdup(line->mark);
    return copy;
}

MwLine *mw_line_new(MwLineKind kind, guint from, guint to, const char *text)
{
    MwLine *line = g_new0(MwLine, 1);
    line->inside = MW_LINE_EVENT;
    line->kind = kind;
    line->from = from;
    line->to = to;
    line->text = g_strdup(text);
    return line;
}

void mw_line_free(MwLine *line)
{
    if (line == NULL)
        return;
    g_free(line->text);
    g_free(line->tls_type);
    g_free(line->event);
    g_free(line->answers);
    g_free(line->mark);
    g_free(line);
}

void mw_line_parse_reply(MwLine *line)
{
    const char *t = line->text;
    line->code = 0;
    line->last = TRUE;
    line->enhanced[0] = '\0';
    if (!(g_ascii_isdigit(t[0]) && g_ascii_isdigit(t[1]) && g_ascii_isdigit(t[2])))
        return;
    line->code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
    line->last = (t[3] != '-');
    /* RFC 3463: "class.subject.detail" right after the code and a space. */
    if (t[3] != '\0' && g_ascii_isdigit(t[4]) && t[5] == '.') {
        size_t n = strspn(t + 4, "0123456789.");
        if (n < sizeof line->enhanced) {
            memcpy(line->enhanced, t + 4, n);
            line->enhanced[n] = '\0';
        }
    }
}

MwPhase mw_phase_of_command(const char *command_line)
{
    static const char *const setup[] = {"HELO", "EHLO", "STARTTLS", "AUTH"};
    if (g_ascii_strncasecmp(command_line, "QUIT", 4) == 0)
        return MW_PHASE_TERMINATION;
    for (size_t i = 0; i < G_N_ELEMENTS(setup); i++)
        if (g_ascii_strncasecmp(command_line, setup[i], strlen(setup[i])) == 0)
            return MW_PHASE_SETUP;
    return MW_PHASE_TRANSFER;
}

const char *mw_phase_name(MwPhase phase)
{
    switch (phase) {
    case MW_PHASE_SETUP:
        return "Connection setup";
    case MW_PHASE_TRANSFER:
        return "Mail transfer";
    case MW_PHASE_TERMINATION:
        return "Termination";
    case MW_PHASE_READING:
        return "After SMTP: reading";
    }
    return "";
}

const char *mw_phase_short_name(MwPhase phase)
{
    switch (phase) {
    case MW_PHASE_SETUP:
        return "setup";
    case MW_PHASE_TRANSFER:
        return "transfer";
    case MW_PHASE_TERMINATION:
        return "termination";
    case MW_PHASE_READING:
        return "reading";
    }
    return "";
}

gboolean mw_line_is_dot_stuffed(const MwLine *line)
{
    MwLineKind kind = line->kind == MW_LINE_EVENT ? line->inside : line->kind;
    const char *text = line->text;
    if (line->kind == MW_LINE_EVENT && g_str_has_prefix(text, "inside TLS: "))
        text += strlen("inside TLS: ");
    return kind == MW_LINE_DATA && text[0] == '.' && text[1] == '.';
}

const char *mw_reply_label(int code)
{
    switch (code / 100) {
    case 2:
        return "2xx completion";
    case 3:
        return "3xx intermediate";
    case 4:
        return "4xx transient failure";
    case 5:
        return "5xx permanent failure";
    }
    return "not a reply";
}
