/*
 * lab_check.c - comparing a student's run with the reference run, line by
 * line (see lab_check.h for what is compared in which lab).
 *
 * Both runs tell the same story with the same other programs, so where
 * the student's program is right the two transcripts agree, apart from
 * what changes from any run to the next (ports, dates, queue ids: left
 * out). The first line that differs is the student's mistake; lines after
 * it may differ only because of it (a client that got 502 to EHLO goes
 * on with HELO), which is why a server's reply is compared with the
 * reference's reply *to the same command*, and a command with no
 * counterpart in the reference run is left alone.
 *
 * SIMPLIFICATION: a diff tool would align the two runs (longest common
 * subsequence); here the n-th line is compared with the n-th. A client
 * that leaves out one line gets every later line marked, which is still
 * true, if loud.
 */
#include "lab_check.h"

#include <string.h>

/* What one run has said so far: how many times each kind of line came. */
typedef struct {
    GHashTable *seen; /* key prefix -> count (GUINT_TO_POINTER) */
    guint reply_line; /* lines of the current reply before this one */
} Side;

struct _MwLabCheck {
    const MwScenario *lab;
    Side reference, student;
    GHashTable *expected; /* key -> MwLine* from the reference run */
    GPtrArray *order;     /* char*, the reference's keys in the order they came */
    guint marks;
};

static void side_init(Side *side)
{
    side->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    side->reply_line = 0;
}

MwLabCheck *mw_lab_check_new(const MwScenario *lab)
{
    MwLabCheck *check = g_new0(MwLabCheck, 1);
    check->lab = lab;
    side_init(&check->reference);
    side_init(&check->student);
    check->expected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)mw_line_free);
    check->order = g_ptr_array_new_with_free_func(g_free);
    return check;
}

void mw_lab_check_free(MwLabCheck *check)
{
    if (check == NULL)
        return;
    g_hash_table_unref(check->reference.seen);
    g_hash_table_unref(check->student.seen);
    g_hash_table_unref(check->expected);
    g_ptr_array_unref(check->order);
    g_free(check);
}

/* The n-th time this prefix came in this run: "client#3". */
static char *next_key(Side *side, const char *prefix, gboolean count)
{
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(side->seen, prefix));
    if (count)
        g_hash_table_insert(side->seen, g_strdup(prefix), GUINT_TO_POINTER(n + 1));
    return g_strdup_printf("%s#%u", prefix, n);
}

/* A line as compared: digits out (ports, sizes, dates, ids change from
 * run to run), and the header fields that are nothing but such noise
 * reduced to their names. */
static char *normalized(const char *text)
{
    static const char *const noise[] = {
        "Date:", "Message-ID:", "inside TLS: Date:", "inside TLS: Message-ID:"};
    for (guint i = 0; i < G_N_ELEMENTS(noise); i++)
        if (g_ascii_strncasecmp(text, noise[i], strlen(noise[i])) == 0)
            return g_strdup(noise[i]);
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        if (g_ascii_isdigit(*p)) {
            g_string_append_c(out, '#');
            while (g_ascii_isdigit(p[1]))
                p++;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/* A reply as compared: its code, whether more lines follow, its enhanced
 * code; in EHLO's list also the extension's keyword (RFC 5321 §4.1.1.1).
 * Not its text: that is the server's own words. */
static char *reply_value(const MwLine *line, guint line_in_reply)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%03d%c%s", line->code, line->last ? ' ' : '-',
                           line->enhanced);
    if (line->answers != NULL && g_ascii_strncasecmp(line->answers, "EHLO", 4) == 0 &&
        line_in_reply > 0 && strlen(line->text) > 4) {
        const char *word = line->text + 4;
        g_string_append_printf(out, " %.*s", (int)strcspn(word, " "), word);
    }
    return g_string_free(out, FALSE);
}

/* Is this the kind of line the lab is about? Then its key (where in the
 * story it stands) and its value (what is compared). */
static gboolean item(const MwScenario *lab, Side *side, const MwLine *line, char **key,
                     char **value)
{
    *key = *value = NULL;
    switch (lab->lab_role) {
    case MW_LAB_CLIENT: {
        /* What the client sent: on the wire, or inside TLS (the server's log). */
        gboolean sent = (line->kind == MW_LINE_COMMAND || line->kind == MW_LINE_DATA) ||
                        (line->kind == MW_LINE_EVENT && line->event != NULL &&
                         strcmp(line->event, "inside") == 0 && line->from < line->to);
        if (!sent)
            return FALSE;
        *key = next_key(side, "client", TRUE);
        *value = normalized(line->text);
        return TRUE;
    }
    case MW_LAB_BOB:
        /* Count what the client asked, to tell later whether the server
         * left a command unanswered. */
        if (line->kind == MW_LINE_COMMAND ||
            (line->kind == MW_LINE_DATA && line->data_part == MW_DATA_END)) {
            char *asked = g_strdup_printf("asked %s", line->kind == MW_LINE_COMMAND
                                                          ? line->text
                                                          : MW_ANSWERS_END_OF_DATA);
            g_free(next_key(side, asked, TRUE));
            g_free(asked);
            return FALSE;
        }
        if (line->kind == MW_LINE_REPLY) {
            char *prefix =
                g_strdup_printf("reply to %s", line->answers ? line->answers : "?");
            char *base = next_key(side, prefix, line->last);
            *key = g_strdup_printf("%s.%u", base, side->reply_line);
            *value = reply_value(line, side->reply_line);
            side->reply_line = line->last ? 0 : side->reply_line + 1;
            g_free(base);
            g_free(prefix);
            return TRUE;
        }
        /* Lab 4: the letter as Bob's user agent shows it, what the server
         * stored after unstuffing. */
        if (lab->lab == 4 && line->kind == MW_LINE_EVENT && line->event != NULL &&
            strcmp(line->event, "read") == 0 && line->from < line->to) {
            *key = next_key(side, "stored", TRUE);
            *value = normalized(line->text);
            return TRUE;
        }
        return FALSE;
    case MW_LAB_ALICE: {
        static const char *const decisions[] = {"attempt", "deferred",
                                                "bounced", "bounce_sent",
                                                "relayed", "bounce_stored"};
        for (guint i = 0; line->kind == MW_LINE_EVENT && line->event != NULL &&
                          i < G_N_ELEMENTS(decisions);
             i++) {
            if (strcmp(line->event, decisions[i]) == 0) {
                *key = next_key(side, "queue", TRUE);
                *value = g_strdup(line->event);
                return TRUE;
            }
        }
        return FALSE;
    }
    case MW_LAB_NONE:
        break;
    }
    return FALSE;
}

/* The value of a reference line under the same rules. */
static char *value_of(const MwScenario *lab, const MwLine *line, const char *key)
{
    if (line->kind == MW_LINE_REPLY) {
        const char *dot = strrchr(key, '.');
        return reply_value(line, dot ? (guint)g_ascii_strtoull(dot + 1, NULL, 10) : 0);
    }
    if (lab->lab_role == MW_LAB_ALICE)
        return g_strdup(line->event);
    return normalized(line->text);
}

void mw_lab_check_reference(MwLabCheck *check, const MwLine *line)
{
    char *key, *value;
    if (!item(check->lab, &check->reference, line, &key, &value))
        return;
    g_ptr_array_add(check->order, g_strdup(key));
    g_hash_table_insert(check->expected, key, mw_line_copy(line));
    g_free(value);
}

char *mw_lab_check_student(MwLabCheck *check, const MwLine *line)
{
    char *key, *value;
    if (!item(check->lab, &check->student, line, &key, &value))
        return NULL;
    const MwLine *expected = g_hash_table_lookup(check->expected, key);
    char *note = NULL;
    if (expected == NULL) {
        /* A client line the reference client never sent is the client's;
         * a reply or a decision with no counterpart follows from an
         * earlier difference (the dialogue took another path). */
        if (check->lab->lab_role == MW_LAB_CLIENT)
            note = g_strdup("the reference client had nothing more to send here");
    } else {
        char *want = value_of(check->lab, expected, key);
        if (strcmp(want, value) != 0) {
            if (expected->kind == MW_LINE_REPLY)
                note = g_strdup_printf("the reference answered \"%s\" here",
                                       expected->text);
            else if (check->lab->lab_role == MW_LAB_CLIENT)
                note = g_strdup_printf("the reference client sent \"%s\" here",
                                       expected->text);
            else if (check->lab->lab_role == MW_LAB_ALICE)
                note = g_strdup_printf("the reference server's queue did this here: %s",
                                       expected->text);
            else
                note = g_strdup_printf("the reference server stored \"%s\" here",
                                       expected->text);
        }
        g_free(want);
    }
    if (note != NULL)
        check->marks++;
    g_free(key);
    g_free(value);
    return note;
}

/* How many times the student's run produced this key's prefix ("client"
 * for "client#3"). */
static guint student_count(MwLabCheck *check, const char *prefix)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(check->student.seen, prefix));
}

char *mw_lab_check_missing(MwLabCheck *check)
{
    char *note = NULL;
    for (guint i = 0; note == NULL && i < check->order->len; i++) {
        const char *key = g_ptr_array_index(check->order, i);
        const MwLine *expected = g_hash_table_lookup(check->expected, key);
        const char *hash = strrchr(key, '#');
        char *prefix = g_strndup(key, (gsize)(hash - key));
        guint n = (guint)g_ascii_strtoull(hash + 1, NULL, 10);
        if (student_count(check, prefix) > n) {
            g_free(prefix);
            continue; /* the student's run got this far */
        }
        switch (check->lab->lab_role) {
        case MW_LAB_CLIENT:
            note = g_strdup_printf("your client stopped here; the reference client "
                                   "sent \"%s\" next",
                                   expected->text);
            break;
        case MW_LAB_BOB: {
            /* A reply the student's server owes: the same command was asked
             * as often, and never answered. */
            char *asked = g_strdup_printf("asked %s", expected->answers);
            if (g_str_has_suffix(key, ".0") && student_count(check, asked) > n)
                note = g_strdup_printf("your server never answered %s; the reference "
                                       "answered \"%s\"",
                                       expected->answers, expected->text);
            g_free(asked);
            break;
        }
        case MW_LAB_ALICE:
            note = g_strdup_printf("your server's queue stopped here; the reference "
                                   "server's queue went on: %s",
                                   expected->text);
            break;
        case MW_LAB_NONE:
            break;
        }
        g_free(prefix);
    }
    if (note != NULL)
        check->marks++;
    return note;
}

guint mw_lab_check_marks(MwLabCheck *check)
{
    return check->marks;
}
