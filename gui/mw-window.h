/*
 * mw-window.h - MwWindow, the visualizer's main window: the scenario
 * chooser and the controls above, the diagram on the left, the explanation
 * of the selected line on the right.
 */
#ifndef MAILWALK_MW_WINDOW_H
#define MAILWALK_MW_WINDOW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MW_TYPE_WINDOW (mw_window_get_type())
G_DECLARE_FINAL_TYPE(MwWindow, mw_window, MW, WINDOW, GtkApplicationWindow)

/* What the command line asked for (see main.c). */
typedef struct {
    char *scenario;          /* scenario id, or NULL for the first */
    gboolean autoplay;       /* start playing at once (else: step mode) */
    double speed;            /* animation speed, 1.0 = normal */
    gboolean exit_when_done; /* quit when the scenario has finished */
    gboolean timing;         /* print frame timings (for tests/bench) */
    gint64 started_us;       /* g_get_monotonic_time() at the start of main() */
    char *screenshot;        /* write a PNG of the window when done */
    char *diagram;           /* write the whole diagram when done (.svg or .png) */
    char *transcript;        /* write the transcript when done */
    char *type_file;         /* console: type these lines, one per reply */
    guint pause_at;          /* stop playing once this many rows have landed,
                                then take the screenshot (0: never) */
    double text_size;        /* 1 is the default size; 2 for a back row */
    gboolean no_explanation; /* start with the explanation panel hidden */
    guint pause_for;         /* with pause_at: play on after this many
                                seconds (a class that talks for a while) */
    char *lab_build;         /* a lab scenario: run labNN-<program>-<this>
                                ("reference", "starter", ...) as the
                                student's program, or NULL for labNN-<program> */
} MwWindowOptions;

MwWindow *mw_window_new(GtkApplication *app, const MwWindowOptions *options);

/* Render widget as it looks now into a PNG file. */
gboolean mw_save_widget_png(GtkWidget *widget, const char *path, GError **error);

/* Render a node of width x height into a PNG file, with the renderer of
 * widget's window. */
gboolean mw_save_node_png(GtkWidget *widget, GskRenderNode *node, int width, int height,
                          const char *path, GError **error);

/* Render a node into an SVG file: vector shapes and glyph outlines, no
 * bitmap, so it stays sharp on a slide at any size. */
gboolean mw_save_node_svg(GskRenderNode *node, int width, int height, const char *path,
                          GError **error);

/* The application's keyboard shortcuts for the window's actions. With
 * enabled FALSE the single keys (Space, arrows, + and -) are given up, so
 * that they type into the console's entry instead. */
void mw_window_set_accels(GtkApplication *app, gboolean enabled);

/* The text's size: 1 is the default, 2 twice as large (Ctrl +/-). */
void mw_window_set_text_size(MwWindow *self, double size);

G_END_DECLS

#endif
