/*
 * mw-lanes.h - MwLanes, the sequence diagram: one column per actor (Alice's
 * user agent, her server, Bob's server, Bob's mailbox), one row per line
 * that crossed, and the three phases as coloured bands.
 *
 * A new row is *launched*: its arrow grows from the sender's column to the
 * receiver's, driven by the frame clock, and when it arrives the widget
 * emits "landed" (the window then lets the wire tap pass the real bytes on).
 */
#ifndef MAILWALK_MW_LANES_H
#define MAILWALK_MW_LANES_H

#include <gtk/gtk.h>

#include "line.h"

G_BEGIN_DECLS

#define MW_TYPE_LANES (mw_lanes_get_type())
G_DECLARE_FINAL_TYPE(MwLanes, mw_lanes, MW, LANES, GtkWidget)

GtkWidget *mw_lanes_new(void);

/* The actors, left to right (a NULL-terminated list), and the relative
 * widths of the gaps between neighbours (NULL: all equal). Clears the rows. */
void mw_lanes_set_actors(MwLanes *self, const char *const *names, const double *gaps);

/* Forget every row. */
void mw_lanes_clear(MwLanes *self);

/* Add a row and start its flight. Takes ownership of line. Returns its index. */
guint mw_lanes_launch(MwLanes *self, MwLine *line);

/* The whole diagram (every row, the actor boxes at the top), as a saved
 * picture needs, instead of just the part in view: a render node of
 * width x height. NULL if there is nothing to draw. */
GskRenderNode *mw_lanes_render_all(MwLanes *self, int *width, int *height);

/* Finish the current flight at once (it lands on the next frame). */
void mw_lanes_hurry(MwLanes *self);

/* Is an arrow on its way? */
gboolean mw_lanes_is_flying(MwLanes *self);

/* 1.0 = one line per second or so; 4.0 is four times faster. */
void mw_lanes_set_speed(MwLanes *self, double speed);
double mw_lanes_get_speed(MwLanes *self);

/* Select row index (-1: none) and emit "selected". */
void mw_lanes_select(MwLanes *self, int index);
int mw_lanes_get_selected(MwLanes *self);

guint mw_lanes_get_count(MwLanes *self);

/* A lab run: mark row index as differing from the reference (note says
 * how; NULL clears the mark). The row gets a red frame and a "✗". */
void mw_lanes_set_mark(MwLanes *self, guint index, const char *note);
const MwLine *mw_lanes_get_line(MwLanes *self, guint index);

/* Where row index is drawn, for scrolling it into view. */
double mw_lanes_get_row_y(MwLanes *self, guint index);

/*
 * Signals:
 *   "landed"   (guint index)  the row's arrow reached the receiver
 *   "selected" (gint index)   the user (or mw_lanes_select) chose a row
 */

G_END_DECLS

#endif
