/*
 * explain.h - turning a line into a paragraph a student can read.
 *
 * The words come from explanations.ini (compiled into the program as a
 * resource); this module only finds the right entries for a line and puts
 * them together: what the command does, or what each digit of a reply code
 * means, which RFC section says so, and what happens next.
 */
#ifndef MAILWALK_EXPLAIN_H
#define MAILWALK_EXPLAIN_H

#include <glib.h>

#include "line.h"

/* Load the table from data (the contents of explanations.ini). */
GKeyFile *mw_explain_load(GBytes *data, GError **error);

/* Pango markup explaining line. Free with g_free(). */
char *mw_explain_line(GKeyFile *table, const MwLine *line);

/* The group a line is explained by ("command:MAIL", "reply:250"...),
 * or NULL when the table has none. Free with g_free(). */
char *mw_explain_group(GKeyFile *table, const MwLine *line);

#endif
