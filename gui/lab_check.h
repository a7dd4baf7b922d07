/*
 * lab_check.h - marking a lab run: where did the student's program say
 * something other than the reference build, given the same story?
 *
 * The window plays a lab scenario twice: once with the student's program
 * (shown), once with the reference program (not shown, all at once). Each
 * run's lines are fed in the order they came; every line of the student's
 * run that the lab is about gets compared with the reference line in the
 * same place, and a line that differs gets a note for the diagram:
 *
 *   server labs (3, 4)  each reply, by the command it answers and how
 *                       many times that command was answered before:
 *                       code, "-" or " ", enhanced code (the text after
 *                       them is the server's own words, not checked);
 *                       lab 4 also the letter as Bob's user agent shows it
 *   client labs (1, 2, 5)  each line the client sent, the n-th with the
 *                       n-th (inside TLS too, from the server's log), with
 *                       digits and the Date: and Message-ID: fields left
 *                       out (they change from run to run)
 *   lab 6               each decision of Alice's queue, the n-th with the
 *                       n-th: tried, deferred, gave up, bounce sent
 */
#ifndef MAILWALK_LAB_CHECK_H
#define MAILWALK_LAB_CHECK_H

#include <glib.h>

#include "line.h"
#include "scenarios.h"

typedef struct _MwLabCheck MwLabCheck;

MwLabCheck *mw_lab_check_new(const MwScenario *lab);
void mw_lab_check_free(MwLabCheck *check);

/* A line of the reference run, in the order the run emitted them. */
void mw_lab_check_reference(MwLabCheck *check, const MwLine *line);

/* A line of the student's run, in order, once the reference run is
 * complete: NULL if it agrees with the reference (or is not what the lab
 * is about), else what the reference said in its place. Free with g_free(). */
char *mw_lab_check_student(MwLabCheck *check, const MwLine *line);

/* Once both runs are over: what the reference run said that the
 * student's never got to (a client that stopped early, a command the
 * server never answered, a queue that kept the letter), or NULL. Counts
 * as a mark. Free with g_free(). */
char *mw_lab_check_missing(MwLabCheck *check);

/* How many lines of the student's run were marked so far. */
guint mw_lab_check_marks(MwLabCheck *check);

#endif
