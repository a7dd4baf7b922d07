/*
 * mw-lanes.c - drawing the sequence diagram with GtkSnapshot, and moving
 * arrows with the frame clock.
 *
 * Nothing here sleeps or counts frames: the tick callback reads the frame
 * clock's time, moves the flying arrow by (elapsed time x speed), and asks
 * for a redraw; when nothing moves, the callback is removed and the widget
 * costs nothing.
 */
#include "mw-lanes.h"

#include <math.h>

/* Sizes at the default text size (15 pt, a line of text LINE_PIXELS
 * high); they grow and shrink with the text (Ctrl +/-), so a back row can
 * read it and the rows still hold their labels. */
#define LINE_PIXELS    24.0  /* a line of 15 pt text, as Pango lays it out */
#define HEADER_HEIGHT  88.0  /* the actor boxes */
#define ROW_HEIGHT     44.0  /* one line of the dialogue */
#define GUTTER         110.0 /* left band with the phase names */
#define BOX_WIDTH      190.0 /* an actor's name box */
#define MIN_WIDTH      560.0 /* narrow enough for 1024 px with the panel open */
#define FLIGHT_SECONDS 0.9   /* one arrow at speed 1 */

struct _MwLanes {
    GtkWidget parent_instance;
    GPtrArray *actors;    /* char*, column names */
    GArray *gap_weights;  /* double, relative width between columns i, i+1 */
    GPtrArray *lines;     /* MwLine*, one per row */
    GPtrArray *layouts;   /* PangoLayout*, the label of each row */
    int flying;           /* the row in flight, or -1 */
    double progress;      /* 0..1 along its arrow */
    gint64 last_frame_us; /* frame time of the last tick */
    guint tick_id;        /* our tick callback, or 0 */
    double speed;
    int selected;       /* selected row, or -1 */
    gboolean exporting; /* drawing for a file: every row, header on top */
    double scale;       /* the text's height / LINE_PIXELS */
    GArray *tops;       /* double: each row's top below the header, and one
                           more, the end: a row is as tall as its label */
    double laid_width;  /* the width the labels were laid out for, or -1 */
};

G_DEFINE_FINAL_TYPE(MwLanes, mw_lanes, GTK_TYPE_WIDGET)

enum { SIGNAL_LANDED, SIGNAL_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ----- sizes that follow the text -------------------------------------------- */

static double header_height(MwLanes *self)
{
    return HEADER_HEIGHT * self->scale;
}

static double row_height(MwLanes *self)
{
    return ROW_HEIGHT * self->scale;
}

static double gutter(MwLanes *self)
{
    return GUTTER * MIN(self->scale, 1.5); /* the phase names wrap */
}

static double box_width(MwLanes *self)
{
    return BOX_WIDTH * self->scale;
}

/* The text size has changed (the theme, Ctrl +/-): measure a line of it,
 * lay every label out again, and ask for the new size. */
static void mw_lanes_css_changed(GtkWidget *widget, GtkCssStyleChange *change);

/* ----- colours: each kind of line has one, and a label too ---------------- */

/* The selected row's background. */
#define SELECTION ((GdkRGBA){1.0f, 0.93f, 0.55f, 0.9f})

static GdkRGBA rgba(const char *spec)
{
    GdkRGBA color;
    gdk_rgba_parse(&color, spec);
    return color;
}

static GdkRGBA line_color(const MwLine *line)
{
    /* A line decrypted inside TLS has the colour of what it is. */
    MwLineKind kind = line->kind == MW_LINE_EVENT && line->inside != MW_LINE_EVENT
                          ? line->inside
                          : line->kind;
    switch (kind) {
    case MW_LINE_COMMAND:
        return rgba("#1c4fa8");
    case MW_LINE_DATA:
        return rgba("#4a4a4a");
    case MW_LINE_TLS:
        return rgba("#7b3fb0");
    case MW_LINE_EVENT:
        return rgba("#795548");
    case MW_LINE_REPLY:
        break;
    }
    switch (line->code / 100) {
    case 2:
        return rgba("#17803a");
    case 3:
        return rgba("#00798c");
    case 4:
        return rgba("#b85c00");
    default:
        return rgba("#c62828");
    }
}

static GdkRGBA phase_color(MwPhase phase)
{
    switch (phase) {
    case MW_PHASE_SETUP:
        return rgba("#eaf2fb");
    case MW_PHASE_TRANSFER:
        return rgba("#eef7ec");
    case MW_PHASE_TERMINATION:
        return rgba("#fbf0e6");
    case MW_PHASE_READING:
        return rgba("#f1eef6");
    }
    return rgba("white");
}

/* ----- geometry ----------------------------------------------------------- */

/* Columns spread from gutter(self) to the right edge; the gaps between them
 * are as wide as their weights say (a wire hop gets more room for its
 * labels than the step into a mailbox). */
static double column_x_in(MwLanes *self, guint column, double width)
{
    double left = gutter(self) + box_width(self) / 2;
    double right = width - box_width(self) / 2 - 8;
    if (self->actors->len < 2)
        return left;
    double total = 0, before = 0;
    for (guint i = 0; i + 1 < self->actors->len; i++) {
        double w = g_array_index(self->gap_weights, double, i);
        total += w;
        if (i < column)
            before += w;
    }
    return left + (right - left) * before / total;
}

static double column_x(MwLanes *self, guint column)
{
    return column_x_in(self, column, gtk_widget_get_width(GTK_WIDGET(self)));
}

/* The part of the diagram in view: [*top, *top + *height). Without a
 * scrolled window around us, or when drawing for a file, all of it. */
static void visible_part(MwLanes *self, double *top, double *height)
{
    GtkWidget *scroller =
        gtk_widget_get_ancestor(GTK_WIDGET(self), GTK_TYPE_SCROLLED_WINDOW);
    *top = 0;
    *height = gtk_widget_get_height(GTK_WIDGET(self));
    if (scroller == NULL || self->exporting)
        return;
    GtkAdjustment *adj =
        gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(scroller));
    *top = gtk_adjustment_get_value(adj);
    *height = gtk_adjustment_get_page_size(adj);
}

/* How far the view is scrolled down: the actor boxes stay on top. */
static double scroll_offset(MwLanes *self)
{
    double top, height;
    visible_part(self, &top, &height);
    return top;
}

double mw_lanes_get_row_y(MwLanes *self, guint index)
{
    index = MIN(index, self->tops->len - 1);
    return header_height(self) + g_array_index(self->tops, double, index);
}

static double row_height_of(MwLanes *self, guint index)
{
    return mw_lanes_get_row_y(self, index + 1) - mw_lanes_get_row_y(self, index);
}

/* Where a row's label goes, in a diagram this wide: its left edge, its
 * width and its alignment. A label is never cut: it wraps, and its row
 * grows to hold it (lay_out_row).
 * - A note (from == to) goes right of its actor's dot.
 * - An arrow's label rides above the arrow, from the sender's side, if
 *   the arrow is long enough to carry it; else (into the mailbox, or a
 *   hop among five actors) it uses the row on whichever side of the
 *   arrow has more of it: the rest of the row is empty. */
static void place_label(MwLanes *self, const MwLine *line, double width, double *x,
                        double *w, PangoAlignment *align)
{
    if (line->from == line->to) {
        double cx = column_x_in(self, line->from, width);
        *x = cx + 14;
        *w = width - cx - 24;
        *align = PANGO_ALIGN_LEFT;
        return;
    }
    double x0 = column_x_in(self, line->from, width);
    double x1 = column_x_in(self, line->to, width);
    double span = fabs(x1 - x0) - 24;
    double room_right = width - MIN(x0, x1) - 24;
    double room_left = MAX(x0, x1) - gutter(self) - 24;
    if (span >= 320 * self->scale) {
        *w = span;
        *align = x1 >= x0 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT;
        *x = MIN(x0, x1) + 12;
    } else if (room_right >= room_left) {
        *w = room_right;
        *align = PANGO_ALIGN_LEFT;
        *x = MIN(x0, x1) + 12;
    } else {
        double right = MAX(x0, x1) - 12;
        *w = right - gutter(self) - 12;
        *align = PANGO_ALIGN_RIGHT;
        *x = right - *w;
    }
    *w = MAX(*w, 40);
}

/* Lay one row's label out for this width; its row's height follows: the
 * label above the arrow (or beside the dot), and room for the arrow. */
static void lay_out_row(MwLanes *self, guint index, double width)
{
    const MwLine *line = g_ptr_array_index(self->lines, index);
    PangoLayout *layout = g_ptr_array_index(self->layouts, index);
    double x, w;
    PangoAlignment align;
    place_label(self, line, width, &x, &w, &align);
    pango_layout_set_width(layout, (int)(w * PANGO_SCALE));
    pango_layout_set_alignment(layout, align);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    double height = line->from == line->to ? lh + 8 : lh + 20 * self->scale;
    height = MAX(height, row_height(self));
    g_array_set_size(self->tops, index + 1);
    double top = g_array_index(self->tops, double, index);
    double end = top + height;
    g_array_append_val(self->tops, end);
}

/* Every row again: the width or the text size has changed. */
static void lay_out_all(MwLanes *self, double width)
{
    self->laid_width = width;
    g_array_set_size(self->tops, 1);
    for (guint i = 0; i < self->lines->len; i++)
        lay_out_row(self, i, width);
}

/* ----- the label of a row --------------------------------------------------- */

/* The text above a row's arrow. */
static PangoLayout *make_layout(MwLanes *self, const MwLine *line)
{
    char *escaped = g_markup_escape_text(line->text, -1);
    char *markup;
    if (line->kind == MW_LINE_REPLY)
        markup = g_strdup_printf("<tt>%s</tt>", escaped);
    else if (line->kind == MW_LINE_TLS)
        markup = g_strdup_printf("<i>%s</i>", escaped);
    else if (line->kind == MW_LINE_EVENT)
        markup = g_strdup_printf("<i>%s</i>", escaped);
    else if (line->kind == MW_LINE_DATA && line->text[0] == '\0')
        markup = g_strdup("<i><small>(empty line)</small></i>");
    else
        markup = g_strdup_printf("<tt>%s</tt>", escaped);
    PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
    pango_layout_set_markup(layout, markup, -1);
    /* Wrapped, never cut: the record size an eavesdropper learns, the
     * SIZE parameter, the next-try time are at the end of their lines. */
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    g_free(markup);
    g_free(escaped);
    return layout;
}

/* ----- drawing -------------------------------------------------------------- */

static void draw_text(GtkSnapshot *snapshot, PangoLayout *layout, double x, double y,
                      GdkRGBA color)
{
    gtk_snapshot_save(snapshot);
    gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)x, (float)y));
    gtk_snapshot_append_layout(snapshot, layout, &color);
    gtk_snapshot_restore(snapshot);
}

/* The lifelines: each actor's time runs down the page. */
static void draw_lifelines(MwLanes *self, GtkSnapshot *snapshot, double height)
{
    for (guint i = 0; i < self->actors->len; i++) {
        double x = column_x(self, i);
        gtk_snapshot_append_color(
            snapshot, &(GdkRGBA){0.6f, 0.6f, 0.6f, 1},
            &GRAPHENE_RECT_INIT((float)x - 1, (float)header_height(self), 2,
                                (float)(height - header_height(self))));
    }
}

/* The actors' name boxes, drawn at the top of what is visible, so they
 * stay in view however far the dialogue has scrolled. */
static void draw_actors(MwLanes *self, GtkSnapshot *snapshot)
{
    double top = scroll_offset(self);
    double width = gtk_widget_get_width(GTK_WIDGET(self));
    /* Five actors need narrower boxes than four: never wider than the
     * narrowest gap between two columns. */
    double box_w = box_width(self);
    for (guint i = 0; i + 1 < self->actors->len; i++)
        box_w = MIN(box_w, column_x(self, i + 1) - column_x(self, i) - 10);
    gtk_snapshot_append_color(snapshot, &(GdkRGBA){1, 1, 1, 1},
                              &GRAPHENE_RECT_INIT(0, (float)top, (float)width,
                                                  (float)header_height(self) - 4));
    for (guint i = 0; i < self->actors->len; i++) {
        double x = column_x(self, i);
        GskRoundedRect box;
        gsk_rounded_rect_init_from_rect(
            &box,
            &GRAPHENE_RECT_INIT((float)(x - box_w / 2), (float)(top + 6 * self->scale),
                                (float)box_w, (float)(80 * self->scale)),
            10);
        gtk_snapshot_push_rounded_clip(snapshot, &box);
        gtk_snapshot_append_color(snapshot, &(GdkRGBA){0.20f, 0.25f, 0.33f, 1},
                                  &box.bounds);
        gtk_snapshot_pop(snapshot);

        /* "Alice's user agent\n(mailwalk-send)": the name in bold, the
         * program that plays it in small print; smaller still when five
         * actors share the width and the name wraps. */
        PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
        char **parts = g_strsplit(g_ptr_array_index(self->actors, i), "\n", 2);
        char *markup = g_markup_printf_escaped("<span size='%s'><b>%s</b>\n%s</span>",
                                               box_w < 120 * self->scale   ? "xx-small"
                                               : box_w < 170 * self->scale ? "x-small"
                                                                           : "small",
                                               parts[0], parts[1] ? parts[1] : "");
        g_strfreev(parts);
        pango_layout_set_markup(layout, markup, -1);
        pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
        pango_layout_set_width(layout, (int)((box_w - 12) * PANGO_SCALE));
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
        /* In a narrow window: two lines for the name, two for the
         * program, and an ellipsis rather than text outside the box. */
        pango_layout_set_height(layout, -2);
        pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
        int lw, lh;
        pango_layout_get_pixel_size(layout, &lw, &lh);
        draw_text(snapshot, layout, x - (box_w - 12) / 2,
                  top + 46 * self->scale - lh / 2.0, (GdkRGBA){1, 1, 1, 1});
        g_object_unref(layout);
        g_free(markup);
    }
}

/* The phase bands, and each phase's name down the left gutter. */
static void draw_phases(MwLanes *self, GtkSnapshot *snapshot, double width)
{
    guint start = 0;
    for (guint i = 0; i <= self->lines->len; i++) {
        const MwLine *line =
            i < self->lines->len ? g_ptr_array_index(self->lines, i) : NULL;
        const MwLine *first =
            start < self->lines->len ? g_ptr_array_index(self->lines, start) : NULL;
        if (first == NULL)
            break;
        if (line != NULL && line->phase == first->phase && line->hop == first->hop)
            continue;
        /* Rows start..i-1 share a phase. */
        double y = mw_lanes_get_row_y(self, start);
        double h = mw_lanes_get_row_y(self, i) - y;
        GdkRGBA band = phase_color(first->phase);
        gtk_snapshot_append_color(
            snapshot, &band, &GRAPHENE_RECT_INIT(0, (float)y, (float)width, (float)h));
        GdkRGBA edge = {0.75f, 0.75f, 0.75f, 1};
        gtk_snapshot_append_color(snapshot, &edge,
                                  &GRAPHENE_RECT_INIT(0, (float)y, (float)width, 1));

        /* The phase's name, at the top of its band in the left gutter. */
        PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
        /* With two hops, each has its own session and its own phases, and
         * their bands interleave: "Hop 2" above a short phase name keeps
         * the label within a single row. */
        char *markup =
            first->hop > 0
                ? g_markup_printf_escaped("<small><b>Hop %u</b>\n%s</small>",
                                          first->hop, mw_phase_short_name(first->phase))
                : g_markup_printf_escaped("<small><b>%s</b></small>",
                                          mw_phase_name(first->phase));
        pango_layout_set_markup(layout, markup, -1);
        pango_layout_set_width(layout, (int)((gutter(self) - 16) * PANGO_SCALE));
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD);
        draw_text(snapshot, layout, 10, y + 6, (GdkRGBA){0.3f, 0.3f, 0.3f, 1});
        g_object_unref(layout);
        g_free(markup);
        start = i;
    }
}

/* A lab run's mark on a row that differs from the reference: a red frame
 * around the row and "✗ differs" at its left, in words as well as colour. */
static void draw_mark(MwLanes *self, GtkSnapshot *snapshot, guint index)
{
    const MwLine *line = g_ptr_array_index(self->lines, index);
    if (line->mark == NULL)
        return;
    double y = mw_lanes_get_row_y(self, index);
    double width = gtk_widget_get_width(GTK_WIDGET(self));
    GdkRGBA red = rgba("#c62828");
    GdkRGBA tint = {0.78f, 0.16f, 0.16f, 0.08f};
    /* A little right of the gutter, so the phase's name stays readable. */
    float x0 = (float)gutter(self) + 8, w = (float)(width - gutter(self) - 10),
          h = (float)row_height_of(self, index) - 2;
    float top = (float)y + 1;
    gtk_snapshot_append_color(snapshot, &tint, &GRAPHENE_RECT_INIT(x0, top, w, h));
    gtk_snapshot_append_color(snapshot, &red, &GRAPHENE_RECT_INIT(x0, top, w, 2));
    gtk_snapshot_append_color(snapshot, &red,
                              &GRAPHENE_RECT_INIT(x0, top + h - 2, w, 2));
    gtk_snapshot_append_color(snapshot, &red, &GRAPHENE_RECT_INIT(x0, top, 2, h));
    gtk_snapshot_append_color(snapshot, &red,
                              &GRAPHENE_RECT_INIT(x0 + w - 2, top, 2, h));
    PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
    pango_layout_set_markup(layout, "<b>✗</b> <small><b>differs</b></small>", -1);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    draw_text(snapshot, layout, gutter(self) + 14, y + (row_height(self) - lh) / 2.0,
              red);
    g_object_unref(layout);
}

/* A row's label, over a backdrop of its band's colour: a lifeline it
 * crosses passes behind the words, not through them. */
static void draw_label(MwLanes *self, GtkSnapshot *snapshot, const MwLine *line,
                       PangoLayout *layout, double x, double y, GdkRGBA color)
{
    /* (A file gets no selection: it is the diagram, not this moment.) */
    gboolean selected = self->selected >= 0 && !self->exporting &&
                        line == mw_lanes_get_line(self, (guint)self->selected);
    PangoRectangle ink, logical;
    pango_layout_get_pixel_extents(layout, &ink, &logical);
    GdkRGBA backdrop = phase_color(line->phase);
    backdrop.alpha = 0.85f;
    if (selected)
        backdrop = SELECTION;
    gtk_snapshot_append_color(
        snapshot, &backdrop,
        &GRAPHENE_RECT_INIT((float)(x + logical.x - 3), (float)(y + logical.y),
                            (float)logical.width + 6, (float)logical.height));
    draw_text(snapshot, layout, x, y, color);
}

/* A note beside one actor (from == to): something it did on its own,
 * like queueing a letter. A dot on its lifeline, the words to its right. */
static void draw_note(MwLanes *self, GtkSnapshot *snapshot, guint index)
{
    const MwLine *line = g_ptr_array_index(self->lines, index);
    PangoLayout *layout = g_ptr_array_index(self->layouts, index);
    double y = mw_lanes_get_row_y(self, index);
    double x = column_x(self, line->from);
    double p = ((int)index == self->flying) ? self->progress : 1.0;
    GdkRGBA color = line_color(line);
    color.alpha = (float)(0.35 + 0.65 * p);
    double width = gtk_widget_get_width(GTK_WIDGET(self));
    if ((int)index == self->selected && !self->exporting) {
        GdkRGBA highlight = SELECTION;
        gtk_snapshot_append_color(
            snapshot, &highlight,
            &GRAPHENE_RECT_INIT((float)gutter(self), (float)y + 1,
                                (float)(width - gutter(self)),
                                (float)row_height_of(self, index) - 2));
    }
    GskRoundedRect dot;
    gsk_rounded_rect_init_from_rect(
        &dot,
        &GRAPHENE_RECT_INIT((float)x - 7, (float)(y + row_height(self) / 2 - 7), 14,
                            14),
        7);
    gtk_snapshot_push_rounded_clip(snapshot, &dot);
    gtk_snapshot_append_color(snapshot, &color, &dot.bounds);
    gtk_snapshot_pop(snapshot);
    double label_x, label_w;
    PangoAlignment align;
    place_label(self, line, width, &label_x, &label_w, &align);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    draw_label(self, snapshot, line, layout, label_x, y + 4, color);
}

static void draw_row(MwLanes *self, GtkSnapshot *snapshot, guint index)
{
    const MwLine *line = g_ptr_array_index(self->lines, index);
    if (line->from == line->to) {
        draw_note(self, snapshot, index);
        return;
    }
    PangoLayout *layout = g_ptr_array_index(self->layouts, index);
    double y = mw_lanes_get_row_y(self, index);
    double x0 = column_x(self, line->from), x1 = column_x(self, line->to);
    double dir = x1 >= x0 ? 1 : -1;
    double p = ((int)index == self->flying) ? self->progress : 1.0;
    /* Ease out: fast start, gentle arrival. */
    double eased = 1 - (1 - p) * (1 - p);
    double tip = x0 + (x1 - x0) * eased;
    GdkRGBA color = line_color(line);

    if ((int)index == self->selected && !self->exporting) {
        GdkRGBA highlight = SELECTION;
        double width = gtk_widget_get_width(GTK_WIDGET(self));
        gtk_snapshot_append_color(
            snapshot, &highlight,
            &GRAPHENE_RECT_INIT((float)gutter(self), (float)y + 1,
                                (float)(width - gutter(self)),
                                (float)row_height_of(self, index) - 2));
    }

    /* The arrow's shaft, under its label... */
    double arrow_y = y + row_height_of(self, index) - 10 * self->scale;
    double left = MIN(x0, tip), right = MAX(x0, tip);
    gtk_snapshot_append_color(snapshot, &color,
                              &GRAPHENE_RECT_INIT((float)left, (float)arrow_y - 1.5,
                                                  (float)(right - left), 3));
    /* ...and its head, a triangle drawn as a glyph. */
    PangoLayout *head =
        gtk_widget_create_pango_layout(GTK_WIDGET(self), dir > 0 ? "▶" : "◀");
    int hw, hh;
    pango_layout_get_pixel_size(head, &hw, &hh);
    draw_text(snapshot, head, dir > 0 ? tip - hw + 2 : tip - 2, arrow_y - hh / 2.0,
              color);
    g_object_unref(head);

    /* The label above the arrow (see place_label). */
    double width = gtk_widget_get_width(GTK_WIDGET(self));
    GdkRGBA text = color;
    text.alpha = (float)(0.35 + 0.65 * p);
    double label_x, label_w;
    PangoAlignment align;
    place_label(self, line, width, &label_x, &label_w, &align);
    draw_label(self, snapshot, line, layout, label_x, y + 4, text);

    /* Replies also say in words what their colour says ("2xx completion"),
     * beside the server that sent them: colour is never the only cue. */
    /* A line of the letter that starts with a dot went out with one more
     * (RFC 5321 §4.5.2): say so on the row that has it. */
    const char *tag_text = NULL;
    if (line->kind == MW_LINE_REPLY || line->inside == MW_LINE_REPLY)
        tag_text = mw_reply_label(line->code);
    else if (mw_line_is_dot_stuffed(line))
        tag_text = "dot-stuffed";
    if (tag_text != NULL) {
        PangoLayout *tag = gtk_widget_create_pango_layout(GTK_WIDGET(self), NULL);
        char *markup = g_markup_printf_escaped("<small>%s</small>", tag_text);
        pango_layout_set_markup(tag, markup, -1);
        int tw, th;
        pango_layout_get_pixel_size(tag, &tw, &th);
        double tag_x = dir < 0 ? x0 + 10 : x0 - 10 - tw;
        draw_text(snapshot, tag, tag_x, arrow_y - th / 2.0, text);
        g_free(markup);
        g_object_unref(tag);
    }
}

static void mw_lanes_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    MwLanes *self = MW_LANES(widget);
    double width = gtk_widget_get_width(widget);
    double height = gtk_widget_get_height(widget);
    gtk_snapshot_append_color(snapshot, &(GdkRGBA){1, 1, 1, 1},
                              &GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height));
    draw_phases(self, snapshot, width);
    draw_lifelines(self, snapshot, height);
    /* Only the rows in view: with a thousand rows, drawing all of them on
     * every frame would cost more than the frame has. */
    double top, view;
    visible_part(self, &top, &view);
    for (guint i = 0; i < self->lines->len; i++) {
        double y = mw_lanes_get_row_y(self, i);
        if (y + row_height_of(self, i) >= top && y <= top + view) {
            draw_row(self, snapshot, i);
            draw_mark(self, snapshot, i);
        }
    }
    draw_actors(self, snapshot);
}

static void mw_lanes_measure(GtkWidget *widget, GtkOrientation orientation,
                             int for_size, int *minimum, int *natural,
                             int *minimum_baseline, int *natural_baseline)
{
    MwLanes *self = MW_LANES(widget);
    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
        *minimum = *natural = (int)(MIN_WIDTH * self->scale);
    } else {
        /* As tall as the rows are for this width: wrapped labels. */
        double width = for_size > 0 ? for_size : gtk_widget_get_width(widget);
        if (width > 0 && width != self->laid_width)
            lay_out_all(self, width);
        *minimum = *natural =
            (int)(mw_lanes_get_row_y(self, self->lines->len) + row_height(self) + 20);
    }
    *minimum_baseline = *natural_baseline = -1;
}

static void mw_lanes_size_allocate(GtkWidget *widget, int width, int height,
                                   int baseline)
{
    (void)height, (void)baseline;
    MwLanes *self = MW_LANES(widget);
    if (width != self->laid_width)
        lay_out_all(self, width);
}

/* ----- motion --------------------------------------------------------------- */

static gboolean on_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
    (void)data;
    MwLanes *self = MW_LANES(widget);
    gint64 now = gdk_frame_clock_get_frame_time(clock);
    if (self->last_frame_us == 0)
        self->last_frame_us = now;
    double elapsed = (now - self->last_frame_us) / 1e6;
    self->last_frame_us = now;

    if (self->flying >= 0) {
        self->progress += elapsed * self->speed / FLIGHT_SECONDS;
        if (self->progress >= 1.0) {
            guint landed = (guint)self->flying;
            self->progress = 1.0;
            self->flying = -1;
            gtk_widget_queue_draw(widget);
            g_signal_emit(self, signals[SIGNAL_LANDED], 0, landed);
        }
        gtk_widget_queue_draw(widget);
    }
    if (self->flying < 0) {
        /* Nothing moves: stop asking for frames. */
        self->tick_id = 0;
        self->last_frame_us = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

guint mw_lanes_launch(MwLanes *self, MwLine *line)
{
    g_ptr_array_add(self->lines, line);
    g_ptr_array_add(self->layouts, make_layout(self, line));
    guint index = self->lines->len - 1;
    double width = gtk_widget_get_width(GTK_WIDGET(self));
    lay_out_row(self, index, width > 0 ? width : MIN_WIDTH * self->scale);
    self->flying = (int)index;
    self->progress = 0;
    if (self->tick_id == 0)
        self->tick_id =
            gtk_widget_add_tick_callback(GTK_WIDGET(self), on_tick, NULL, NULL);
    gtk_widget_queue_resize(GTK_WIDGET(self));
    return index;
}

GskRenderNode *mw_lanes_render_all(MwLanes *self, int *width, int *height)
{
    /* Our own snapshot function, called directly: a GtkWidgetPaintable
     * would hand back the node of the last frame, the part in view. */
    *width = gtk_widget_get_width(GTK_WIDGET(self));
    *height = gtk_widget_get_height(GTK_WIDGET(self));
    GtkSnapshot *snapshot = gtk_snapshot_new();
    self->exporting = TRUE;
    mw_lanes_snapshot(GTK_WIDGET(self), snapshot);
    self->exporting = FALSE;
    return gtk_snapshot_free_to_node(snapshot);
}

void mw_lanes_hurry(MwLanes *self)
{
    if (self->flying >= 0)
        self->progress = 1.0;
}

gboolean mw_lanes_is_flying(MwLanes *self)
{
    return self->flying >= 0;
}

void mw_lanes_set_speed(MwLanes *self, double speed)
{
    self->speed = CLAMP(speed, 0.25, 16.0);
}

double mw_lanes_get_speed(MwLanes *self)
{
    return self->speed;
}

/* ----- rows and selection ----------------------------------------------------- */

void mw_lanes_set_actors(MwLanes *self, const char *const *names, const double *gaps)
{
    g_ptr_array_set_size(self->actors, 0);
    g_array_set_size(self->gap_weights, 0);
    for (guint i = 0; names[i] != NULL; i++) {
        g_ptr_array_add(self->actors, g_strdup(names[i]));
        if (names[i + 1] != NULL) {
            double w = gaps != NULL ? gaps[i] : 1.0;
            g_array_append_val(self->gap_weights, w);
        }
    }
    mw_lanes_clear(self);
}

void mw_lanes_clear(MwLanes *self)
{
    g_ptr_array_set_size(self->lines, 0);
    g_ptr_array_set_size(self->layouts, 0);
    g_array_set_size(self->tops, 1);
    self->flying = -1;
    self->selected = -1;
    gtk_widget_queue_resize(GTK_WIDGET(self));
}

void mw_lanes_select(MwLanes *self, int index)
{
    if (index >= (int)self->lines->len)
        index = (int)self->lines->len - 1;
    self->selected = index;
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SIGNAL_SELECTED], 0, index);
}

int mw_lanes_get_selected(MwLanes *self)
{
    return self->selected;
}

guint mw_lanes_get_count(MwLanes *self)
{
    return self->lines->len;
}

void mw_lanes_set_mark(MwLanes *self, guint index, const char *note)
{
    if (index >= self->lines->len)
        return;
    MwLine *line = g_ptr_array_index(self->lines, index);
    g_free(line->mark);
    line->mark = g_strdup(note);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

const MwLine *mw_lanes_get_line(MwLanes *self, guint index)
{
    return index < self->lines->len ? g_ptr_array_index(self->lines, index) : NULL;
}

static void on_click(GtkGestureClick *gesture, int n_press, double x, double y,
                     gpointer data)
{
    (void)gesture, (void)n_press, (void)x;
    MwLanes *self = data;
    if (y < header_height(self))
        return;
    for (guint row = 0; row < self->lines->len; row++) {
        if (y < mw_lanes_get_row_y(self, row + 1)) {
            mw_lanes_select(self, (int)row);
            return;
        }
    }
}

/* ----- the GObject ------------------------------------------------------------ */

static void mw_lanes_css_changed(GtkWidget *widget, GtkCssStyleChange *change)
{
    GTK_WIDGET_CLASS(mw_lanes_parent_class)->css_changed(widget, change);
    MwLanes *self = MW_LANES(widget);
    PangoLayout *probe = gtk_widget_create_pango_layout(widget, "Hg");
    int w, h;
    pango_layout_get_pixel_size(probe, &w, &h);
    g_object_unref(probe);
    double scale = h > 0 ? h / LINE_PIXELS : 1.0;
    for (guint i = 0; i < self->layouts->len; i++)
        pango_layout_context_changed(g_ptr_array_index(self->layouts, i));
    self->laid_width = -1; /* the labels' sizes have changed */
    self->scale = scale;
    gtk_widget_queue_resize(widget);
    gtk_widget_queue_draw(widget);
}

/* Once in a window: redraw when scrolled, since the actor boxes follow. */
static void mw_lanes_root(GtkWidget *widget)
{
    GTK_WIDGET_CLASS(mw_lanes_parent_class)->root(widget);
    GtkWidget *scroller = gtk_widget_get_ancestor(widget, GTK_TYPE_SCROLLED_WINDOW);
    if (scroller != NULL)
        g_signal_connect_object(
            gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(scroller)),
            "value-changed", G_CALLBACK(gtk_widget_queue_draw), widget,
            G_CONNECT_SWAPPED);
}

static void mw_lanes_dispose(GObject *object)
{
    MwLanes *self = MW_LANES(object);
    if (self->tick_id != 0) {
        gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->tick_id);
        self->tick_id = 0;
    }
    g_clear_pointer(&self->lines, g_ptr_array_unref);
    g_clear_pointer(&self->layouts, g_ptr_array_unref);
    g_clear_pointer(&self->actors, g_ptr_array_unref);
    g_clear_pointer(&self->gap_weights, g_array_unref);
    g_clear_pointer(&self->tops, g_array_unref);
    G_OBJECT_CLASS(mw_lanes_parent_class)->dispose(object);
}

static void mw_lanes_init(MwLanes *self)
{
    self->actors = g_ptr_array_new_with_free_func(g_free);
    self->gap_weights = g_array_new(FALSE, FALSE, sizeof(double));
    self->lines = g_ptr_array_new_with_free_func((GDestroyNotify)mw_line_free);
    self->layouts = g_ptr_array_new_with_free_func(g_object_unref);
    self->flying = -1;
    self->selected = -1;
    self->speed = 1.0;
    self->scale = 1.0;
    self->laid_width = -1;
    self->tops = g_array_new(FALSE, TRUE, sizeof(double));
    g_array_set_size(self->tops, 1); /* tops[0] = 0: the first row's top */
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(on_click), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    gtk_widget_add_css_class(GTK_WIDGET(self), "lanes");
}

static void mw_lanes_class_init(MwLanesClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = mw_lanes_dispose;
    GTK_WIDGET_CLASS(klass)->snapshot = mw_lanes_snapshot;
    GTK_WIDGET_CLASS(klass)->measure = mw_lanes_measure;
    GTK_WIDGET_CLASS(klass)->root = mw_lanes_root;
    GTK_WIDGET_CLASS(klass)->css_changed = mw_lanes_css_changed;
    GTK_WIDGET_CLASS(klass)->size_allocate = mw_lanes_size_allocate;
    signals[SIGNAL_LANDED] =
        g_signal_new("landed", MW_TYPE_LANES, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_UINT);
    signals[SIGNAL_SELECTED] =
        g_signal_new("selected", MW_TYPE_LANES, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_INT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "lanes");
}

GtkWidget *mw_lanes_new(void)
{
    return g_object_new(MW_TYPE_LANES, NULL);
}
