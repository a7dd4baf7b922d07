/*
 * mw-window.c - the main window: plays a scenario line by line.
 *
 * The flow of one line:
 *   the tap holds it  ->  MwRun emits "line"  ->  we queue it (pending)
 *   ->  when playing, or when the user steps, MwLanes launches its arrow
 *   ->  "landed": we tell the run to release it, and the real bytes move on
 * So in step mode the programs really wait for the user, line by line.
 * With two hops the lines of both taps share this one queue, in the order
 * they arrived: a step is a step on whichever hop the next line waits.
 *
 * A lab scenario (mailwalk --lab 3) runs the student's program in one of
 * the roles, and beside it, unseen and all at once, the same story with
 * the reference build; each line of the student's run that differs from
 * the reference gets a mark (lab_check.c), so a wrong reply shows where
 * it happens, with what the reference said instead.
 *
 * In the typed console the window is also the client: the entry's lines
 * go to the tap like any client's, and a row of hints (from
 * explanations.ini) follows the dialogue to suggest what may come next.
 */
#include "mw-window.h"

#include <cairo-svg.h>

#include "console.h"
#include "explain.h"
#include "lab_check.h"
#include "mw-lanes.h"
#include "run.h"
#include "scenarios.h"

/* A line waiting for its turn on the diagram. */
typedef struct {
    MwLine *line;
    gboolean held; /* the real bytes wait for us: release after landing */
} Pending;

struct _MwWindow {
    GtkApplicationWindow parent_instance;
    /* From window.ui */
    GtkDropDown *scenario_choice;
    GtkButton *play_button;
    GtkLabel *speed_label;
    GtkLabel *summary_label;
    GtkScrolledWindow *scroller;
    MwLanes *lanes;
    GtkLabel *status_label;
    GtkLabel *explanation_label;
    GtkBox *console_box;
    GtkFlowBox *hint_box;
    GtkToggleButton *explain_toggle;
    GtkLabel *hint_label;
    GtkEntry *console_entry;
    /* State */
    MwWindowOptions options;
    GKeyFile *explanations;
    const MwScenario *scenario;
    MwRun *run;
    GPtrArray *choices; /* const MwScenario*, as the chooser lists them */
    /* A lab scenario: the reference run beside the student's, unseen. */
    MwRun *reference;
    MwLabCheck *check;       /* compares the two */
    gboolean reference_done; /* the reference run has finished */
    gboolean missing_told;   /* ...and what the student's run never got to
                                has been added at the end */
    guint checked;           /* rows of the diagram compared so far */
    char *lab_problem;       /* why the lab cannot run (not built), or NULL */
    GQueue pending;          /* Pending*, oldest first */
    gboolean flying_held;    /* the line in flight must be released on landing */
    gboolean playing;        /* lines follow each other without a click */
    gboolean step_requested; /* in step mode: launch one line */
    gboolean follow;         /* the explanation follows the newest line */
    gboolean finished;       /* the run said "finished" */
    gboolean done_reported;  /* ...and the queue has drained since */
    gboolean run_ok;
    char *finish_message;
    MwConsole console;        /* the typed console: where the dialogue stands */
    GPtrArray *hint_buttons;  /* GtkWidget*, the suggestions shown now */
    char **typed_lines;       /* --type: the lines still to type, or NULL */
    guint next_typed;         /* index of the next one */
    double text_size;         /* 1 is the default; Ctrl +/- */
    GtkCssProvider *text_css; /* the font sizes for text_size */
    /* --timing: what the benchmark reads (frame clock times, in us) */
    gint64 started_us;     /* when the window was made */
    gint64 first_frame_us; /* when the first frame was painted, or 0 */
    gint64 last_paint_us;  /* the previous paint */
    guint frames_flying;   /* frames painted while an arrow flew */
    gint64 flying_us;      /* time covered by those frames */
    gint64 worst_frame_us; /* longest gap between two such frames */
};

G_DEFINE_FINAL_TYPE(MwWindow, mw_window, GTK_TYPE_APPLICATION_WINDOW)

static void start_scenario(MwWindow *self);
static void stop_run(MwWindow *self);
static char *transcript_text(MwWindow *self);
static gboolean save_diagram(MwWindow *self, const char *path, GError **error);

/* ----- status and explanation ----------------------------------------------- */

static void update_status(MwWindow *self)
{
    char *text;
    if (self->done_reported)
        text = g_strdup(self->finish_message);
    else if (self->playing && self->scenario->client == MW_CLIENT_CONSOLE)
        text = g_strdup("Your turn: type a line below and press Enter. Click any line "
                        "of the diagram to read what it means.");
    else if (self->playing)
        text = g_strdup("Playing. Space pauses; click any line to read what it means.");
    else
        text = g_strdup_printf("Step mode: the programs are waiting. Press → (Step) to "
                               "send the next line%s.",
                               g_queue_is_empty(&self->pending) ? " when one is ready"
                                                                : "");
    gtk_label_set_text(self->status_label, text);
    g_free(text);
    /* ⏸ only while something can still play: once the story is over,
     * a pause button would promise a pause there is nothing to pause. */
    gboolean can_pause = self->playing && !self->done_reported;
    gtk_button_set_icon_name(self->play_button, can_pause
                                                    ? "media-playback-pause-symbolic"
                                                    : "media-playback-start-symbolic");
}

static void on_selected(MwLanes *lanes, gint index, gpointer data)
{
    MwWindow *self = data;
    const MwLine *line = mw_lanes_get_line(lanes, (guint)MAX(index, 0));
    if (index < 0 || line == NULL) {
        gtk_label_set_markup(self->explanation_label,
                             "<i>Select a line to see what it means.</i>");
        return;
    }
    char *markup = mw_explain_line(self->explanations, line);
    gtk_label_set_markup(self->explanation_label, markup);
    g_free(markup);
}

/* Keep the newest row in view. */
static gboolean scroll_to_end(gpointer data)
{
    MwWindow *self = data;
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(self->scroller);
    gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj) -
                                      gtk_adjustment_get_page_size(adj));
    return G_SOURCE_REMOVE;
}

/* The diagram has grown (a new row, a label that wrapped): while the
 * window follows the newest line, keep it in view. Done once the height
 * is known, not when the row is added: a row is as tall as its label. Not
 * in this handler itself: the scrolled window sets its old value back
 * after "changed"; an idle of high priority comes after that and before
 * the next frame is painted. */
static void on_diagram_grown(GtkAdjustment *adj, gpointer data)
{
    (void)adj;
    MwWindow *self = data;
    if (self->follow)
        g_idle_add_full(G_PRIORITY_HIGH_IDLE, scroll_to_end, g_object_ref(self),
                        g_object_unref);
}

/* ----- the end -------------------------------------------------------------- */

static gboolean quit_app(gpointer data)
{
    GtkWindow *window = data;
    GApplication *app = G_APPLICATION(gtk_window_get_application(window));
    g_application_quit(app);
    return G_SOURCE_REMOVE;
}

static gboolean finish_up(gpointer data)
{
    MwWindow *self = data;
    GError *error = NULL;
    if (self->options.diagram != NULL &&
        !save_diagram(self, self->options.diagram, &error)) {
        g_printerr("mailwalk: cannot save %s: %s\n", self->options.diagram,
                   error->message);
        g_clear_error(&error);
        self->run_ok = FALSE;
    }
    if (self->options.transcript != NULL) {
        char *text = transcript_text(self);
        if (!g_file_set_contents(self->options.transcript, text, -1, &error)) {
            g_printerr("mailwalk: cannot save %s: %s\n", self->options.transcript,
                       error->message);
            g_clear_error(&error);
            self->run_ok = FALSE;
        }
        g_free(text);
    }
    if (self->options.screenshot != NULL) {
        GError *error = NULL;
        if (!mw_save_widget_png(GTK_WIDGET(self), self->options.screenshot, &error)) {
            g_printerr("mailwalk: cannot save %s: %s\n", self->options.screenshot,
                       error->message);
            g_error_free(error);
            self->run_ok = FALSE;
        }
    }
    if (self->options.exit_when_done) {
        stop_run(self); /* the server stops, the run's folder goes */
        g_object_set_data(G_OBJECT(gtk_window_get_application(GTK_WINDOW(self))),
                          "mailwalk-exit-code", GINT_TO_POINTER(self->run_ok ? 0 : 1));
        quit_app(self);
    }
    return G_SOURCE_REMOVE;
}

/* --timing: note every painted frame (the frame clock's after-paint). */
static void on_after_paint(GdkFrameClock *clock, gpointer data)
{
    MwWindow *self = data;
    gint64 now = gdk_frame_clock_get_frame_time(clock);
    if (self->first_frame_us == 0) {
        self->first_frame_us = g_get_monotonic_time();
        GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(self));
        g_print("mailwalk: first frame %.1f ms after start (renderer %s)\n",
                (self->first_frame_us - self->started_us) / 1000.0,
                renderer ? G_OBJECT_TYPE_NAME(renderer) : "none");
    }
    if (mw_lanes_is_flying(self->lanes) && self->last_paint_us != 0) {
        gint64 gap = now - self->last_paint_us;
        self->frames_flying++;
        self->flying_us += gap;
        self->worst_frame_us = MAX(self->worst_frame_us, gap);
    }
    self->last_paint_us = now;
}

static void on_realize(GtkWidget *widget, gpointer data)
{
    (void)data;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);
    g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), widget);
}

/* The run has finished and every line has landed. */
static void report_done(MwWindow *self)
{
    self->done_reported = TRUE;
    if (self->check != NULL) {
        guint marks = mw_lab_check_marks(self->check);
        char *program = mw_lab_program_name(self->scenario);
        char *text =
            marks == 0
                ? g_strdup_printf("%s Your %s said what the reference said.",
                                  self->finish_message, program)
                : g_strdup_printf("%s Your %s: %u line%s differ%s from the reference "
                                  "(✗).",
                                  self->finish_message, program, marks,
                                  marks == 1 ? "" : "s", marks == 1 ? "s" : "");
        g_free(self->finish_message);
        self->finish_message = text;
        g_free(program);
    }
    update_status(self);
    g_print("mailwalk: %s\n", self->finish_message);
    fflush(stdout);
    if (self->options.timing && self->frames_flying > 0)
        g_print("mailwalk: %u rows; %u frames while animating, %.1f frames/s on "
                "average, slowest frame %.1f ms\n",
                mw_lanes_get_count(self->lanes), self->frames_flying,
                self->frames_flying * 1e6 / (double)self->flying_us,
                self->worst_frame_us / 1000.0);
    /* Give the last frame a moment to be drawn before a screenshot. */
    if (self->options.screenshot != NULL || self->options.diagram != NULL ||
        self->options.transcript != NULL || self->options.exit_when_done)
        g_timeout_add(400, finish_up, self);
}

/* ----- the typed console ------------------------------------------------------ */

static void on_hint_clicked(GtkButton *button, gpointer data)
{
    MwWindow *self = data;
    const char *text = g_object_get_data(G_OBJECT(button), "mailwalk-line");
    gtk_editable_set_text(GTK_EDITABLE(self->console_entry), text);
    gtk_widget_grab_focus(GTK_WIDGET(self->console_entry));
    gtk_editable_set_position(GTK_EDITABLE(self->console_entry), -1);
}

/* Show the hints for the stage the dialogue has reached: a sentence, and
 * one button per suggested line ([hint:STAGE] in explanations.ini). */
static void update_hints(MwWindow *self)
{
    for (guint i = 0; i < self->hint_buttons->len; i++)
        gtk_flow_box_remove(self->hint_box, g_ptr_array_index(self->hint_buttons, i));
    g_ptr_array_set_size(self->hint_buttons, 0);

    char *group =
        g_strdup_printf("hint:%s", mw_console_stage_name(self->console.stage));
    char *title = g_key_file_get_string(self->explanations, group, "title", NULL);
    char *text = g_key_file_get_string(self->explanations, group, "text", NULL);
    char *markup =
        g_markup_printf_escaped("<b>%s.</b> %s", title ? title : "", text ? text : "");
    gtk_label_set_markup(self->hint_label, markup);
    gsize count = 0;
    char **lines =
        g_key_file_get_string_list(self->explanations, group, "try", &count, NULL);
    for (gsize i = 0; i < count; i++) {
        GtkWidget *button =
            gtk_button_new_with_label(lines[i][0] ? lines[i] : "(empty line)");
        gtk_widget_add_css_class(button, "monospace");
        gtk_widget_set_valign(button, GTK_ALIGN_START);
        gtk_widget_set_tooltip_text(button, "Copy into the console (then press Enter)");
        g_object_set_data_full(G_OBJECT(button), "mailwalk-line", g_strdup(lines[i]),
                               g_free);
        g_signal_connect(button, "clicked", G_CALLBACK(on_hint_clicked), self);
        gtk_flow_box_insert(self->hint_box, button, -1);
        g_ptr_array_add(self->hint_buttons, button);
    }
    g_strfreev(lines);
    g_free(markup);
    g_free(title);
    g_free(text);
    g_free(group);
}

static void on_console_activate(GtkEntry *entry, gpointer data)
{
    MwWindow *self = data;
    if (self->run == NULL || self->console.stage == MW_CONSOLE_CLOSED)
        return;
    mw_run_send_line(self->run, gtk_editable_get_text(GTK_EDITABLE(entry)));
    gtk_editable_set_text(GTK_EDITABLE(entry), "");
}

/* --type: a typist who waits for each reply, except inside DATA, where
 * the server says nothing until the final dot. */
static void type_next_line(MwWindow *self, const MwLine *landed)
{
    if (self->typed_lines == NULL || self->typed_lines[self->next_typed] == NULL)
        return;
    gboolean answered = landed->kind == MW_LINE_REPLY && landed->last;
    gboolean in_text = self->console.stage == MW_CONSOLE_DATA &&
                       landed->kind == MW_LINE_DATA && landed->data_part != MW_DATA_END;
    if (!answered && !in_text)
        return;
    if (self->console.stage == MW_CONSOLE_CONNECTING ||
        self->console.stage == MW_CONSOLE_CLOSED)
        return;
    mw_run_send_line(self->run, self->typed_lines[self->next_typed++]);
}

/* While the entry has the focus, Space and the arrows belong to it. */
static void on_console_focus(GtkEventControllerFocus *focus, gpointer data)
{
    MwWindow *self = data;
    GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
    if (app != NULL)
        mw_window_set_accels(app, !gtk_event_controller_focus_contains_focus(focus));
}

/* ----- a lab run: marks where the student's program differs ----------------- */

/* Compare every row not compared yet with the reference run, once that
 * run is complete; mark the ones that differ. */
static void check_rows(MwWindow *self)
{
    if (self->check == NULL || !self->reference_done)
        return;
    for (; self->checked < mw_lanes_get_count(self->lanes); self->checked++) {
        char *note = mw_lab_check_student(
            self->check, mw_lanes_get_line(self->lanes, self->checked));
        if (note == NULL)
            continue;
        mw_lanes_set_mark(self->lanes, self->checked, note);
        g_free(note);
        if ((int)self->checked == mw_lanes_get_selected(self->lanes))
            on_selected(self->lanes, (gint)self->checked, self);
    }
}

/* The reference run's lines are not shown: they only set the standard. */
static void on_reference_line(MwRun *run, gpointer line, gboolean held, gpointer data)
{
    (void)run, (void)held;
    MwWindow *self = data;
    mw_lab_check_reference(self->check, line);
    mw_line_free(line);
}

static void launch_next(MwWindow *self);

/* Where the student's program stands in the diagram. */
static guint student_column(const MwScenario *lab)
{
    switch (lab->lab_role) {
    case MW_LAB_BOB:
        return lab->hops;
    case MW_LAB_ALICE:
        return 1;
    default:
        return 0;
    }
}

/* Both runs are over: if the reference went further than the student's
 * program, a last row beside that program says what came next. */
static void add_missing_row(MwWindow *self)
{
    char *note = mw_lab_check_missing(self->check);
    if (note == NULL)
        return;
    guint column = student_column(self->scenario);
    char *text = g_strdup_printf("✗ %s", note);
    MwLine *line = mw_line_new(MW_LINE_EVENT, column, column, text);
    line->event = g_strdup("lab_missing");
    line->phase = MW_PHASE_TERMINATION;
    line->mark = note;
    Pending *pending = g_new0(Pending, 1);
    pending->line = line;
    g_queue_push_tail(&self->pending, pending);
    g_free(text);
}

static gboolean stop_reference(gpointer run)
{
    mw_run_stop(run);
    return G_SOURCE_REMOVE;
}

static void on_reference_finished(MwRun *run, gboolean ok, const char *message,
                                  gpointer data)
{
    MwWindow *self = data;
    if (!ok)
        g_printerr("mailwalk: the reference run: %s\n", message);
    self->reference_done = TRUE;
    /* Its programs have told their story: stop them, once this signal's
     * emitter (a tap, a timer) is out of the way. */
    g_signal_handlers_disconnect_by_data(run, self);
    g_idle_add_full(G_PRIORITY_DEFAULT, stop_reference, g_object_ref(run),
                    g_object_unref);
    check_rows(self);
    launch_next(self); /* the student's run may have been waiting for us */
}

/* Start the reference run of a lab scenario; FALSE (with lab_problem set)
 * if the student's or the reference program is not built. */
static gboolean start_lab(MwWindow *self)
{
    char *name = mw_lab_program_name(self->scenario);
    char *student_name = self->options.lab_build
                             ? g_strdup_printf("%s-%s", name, self->options.lab_build)
                             : g_strdup(name);
    char *reference_name = g_strdup_printf("%s-reference", name);
    char *student = mw_find_lab_program(student_name);
    char *reference = mw_find_lab_program(reference_name);
    g_clear_pointer(&self->lab_problem, g_free);
    if (student == NULL || reference == NULL)
        self->lab_problem = g_strdup_printf(
            "Lab %u is not built: no %s in build/labs/ (or $MAILWALK_BINDIR). Build "
            "it with: meson compile -C build",
            self->scenario->lab, student == NULL ? student_name : reference_name);
    else {
        mw_run_set_lab_program(self->run, student);
        self->check = mw_lab_check_new(self->scenario);
        self->reference = mw_run_new(self->scenario);
        mw_run_set_lab_program(self->reference, reference);
        mw_run_set_headless(self->reference, TRUE);
        g_signal_connect(self->reference, "line", G_CALLBACK(on_reference_line), self);
        g_signal_connect(self->reference, "finished", G_CALLBACK(on_reference_finished),
                         self);
        GError *error = NULL;
        if (!mw_run_start(self->reference, &error)) {
            self->lab_problem =
                g_strdup_printf("The reference run did not start: %s", error->message);
            g_error_free(error);
        }
    }
    g_free(student);
    g_free(reference);
    g_free(student_name);
    g_free(reference_name);
    g_free(name);
    return self->lab_problem == NULL;
}

/* ----- the queue of lines ------------------------------------------------------ */

static void launch_next(MwWindow *self)
{
    if (mw_lanes_is_flying(self->lanes))
        return;
    if (g_queue_is_empty(&self->pending)) {
        /* A lab run is done when the reference is too: its marks first,
         * and a last row if the reference went further than the student. */
        if (self->finished && !self->done_reported && self->check != NULL &&
            self->reference_done && !self->missing_told) {
            self->missing_told = TRUE;
            add_missing_row(self);
        }
        if (g_queue_is_empty(&self->pending)) {
            if (self->finished && !self->done_reported &&
                (self->check == NULL || self->reference_done))
                report_done(self);
            return;
        }
    }
    if (!self->playing && !self->step_requested)
        return;
    self->step_requested = FALSE;
    Pending *next = g_queue_pop_head(&self->pending);
    self->flying_held = next->held;
    mw_lanes_launch(self->lanes, next->line); /* the lanes own the line now */
    g_free(next);
    scroll_to_end(self);
    update_status(self);
}

/* --pause-for: the pause is over; play on. */
static gboolean resume_play(gpointer data)
{
    MwWindow *self = data;
    if (self->run == NULL)
        return G_SOURCE_REMOVE;
    self->playing = TRUE;
    launch_next(self);
    update_status(self);
    return G_SOURCE_REMOVE;
}

static void on_landed(MwLanes *lanes, guint index, gpointer data)
{
    MwWindow *self = data;
    /* The animation has carried the line across: now the bytes may go. */
    if (self->flying_held)
        mw_run_release(self->run);
    self->flying_held = FALSE;
    check_rows(self);
    if (self->follow)
        mw_lanes_select(lanes, (gint)index);
    if (self->options.pause_at > 0 && index + 1 == self->options.pause_at) {
        /* --pause-at: the middle of the story, for a picture. The programs
         * wait for the next Step, as in step mode. */
        self->playing = FALSE;
        if (self->options.pause_for > 0) {
            /* ... and after a while, play on to the end. */
            g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, self->options.pause_for,
                                       resume_play, g_object_ref(self), g_object_unref);
        } else {
            self->run_ok = TRUE;
            if (self->options.screenshot != NULL || self->options.exit_when_done)
                g_timeout_add(400, finish_up, self);
        }
    }
    if (self->scenario->client == MW_CLIENT_CONSOLE) {
        mw_console_see(&self->console, mw_lanes_get_line(lanes, index));
        update_hints(self);
        type_next_line(self, mw_lanes_get_line(lanes, index));
    }
    launch_next(self);
    update_status(self);
}

static void on_run_line(MwRun *run, gpointer line, gboolean held, gpointer data)
{
    (void)run;
    MwWindow *self = data;
    Pending *pending = g_new0(Pending, 1);
    pending->line = line;
    pending->held = held;
    g_queue_push_tail(&self->pending, pending);
    /* With your own client, the story goes on after a connection ends. */
    self->finished = self->done_reported = FALSE;
    launch_next(self);
    update_status(self);
}

static void on_run_finished(MwRun *run, gboolean ok, const char *message, gpointer data)
{
    (void)run;
    MwWindow *self = data;
    self->finished = TRUE;
    self->run_ok = ok;
    g_free(self->finish_message);
    self->finish_message = g_strdup(message);
    launch_next(self);
}

static void free_pending(gpointer data)
{
    Pending *pending = data;
    mw_line_free(pending->line);
    g_free(pending);
}

/* ----- scenarios ----------------------------------------------------------------- */

static void stop_run(MwWindow *self)
{
    if (self->run != NULL) {
        g_signal_handlers_disconnect_by_data(self->run, self);
        mw_run_stop(self->run);
        g_clear_object(&self->run);
    }
    if (self->reference != NULL) {
        g_signal_handlers_disconnect_by_data(self->reference, self);
        mw_run_stop(self->reference);
        g_clear_object(&self->reference);
    }
    g_clear_pointer(&self->check, mw_lab_check_free);
    self->reference_done = self->missing_told = FALSE;
    self->checked = 0;
    g_queue_clear_full(&self->pending, free_pending);
}

/* Every program runs: with your own client, say where to connect. */
static void on_run_started(MwRun *run, gpointer data)
{
    MwWindow *self = data;
    if (self->scenario->client != MW_CLIENT_YOURS)
        return;
    char *text = g_strdup_printf(
        "%s\n\nConnect to 127.0.0.1:%u, for example:   swaks --server "
        "127.0.0.1:%u --to bob@bob.example",
        self->scenario->summary, mw_run_get_tap_port(run), mw_run_get_tap_port(run));
    gtk_label_set_text(self->summary_label, text);
    g_free(text);
    /* Also on stdout, for scripts and tests that bring the client. */
    g_print("mailwalk: waiting for your client on 127.0.0.1:%u\n",
            mw_run_get_tap_port(run));
    fflush(stdout);
}

static void start_scenario(MwWindow *self)
{
    stop_run(self);
    self->finished = self->done_reported = FALSE;
    self->flying_held = FALSE;
    self->follow = TRUE;
    mw_lanes_set_actors(self->lanes, self->scenario->actors, self->scenario->gaps);
    gtk_label_set_text(self->summary_label, self->scenario->summary);
    on_selected(self->lanes, -1, self);

    /* The console: you are the client, so the lines play as you type. */
    gboolean console = self->scenario->client == MW_CLIENT_CONSOLE;
    gtk_widget_set_visible(GTK_WIDGET(self->console_box), console);
    mw_console_init(&self->console);
    self->next_typed = 0;
    if (console) {
        self->playing = TRUE;
        update_hints(self);
        gtk_widget_grab_focus(GTK_WIDGET(self->console_entry));
    }

    self->run = mw_run_new(self->scenario);
    g_signal_connect(self->run, "line", G_CALLBACK(on_run_line), self);
    g_signal_connect(self->run, "started", G_CALLBACK(on_run_started), self);
    g_signal_connect(self->run, "finished", G_CALLBACK(on_run_finished), self);
    if (self->scenario->lab > 0 && !start_lab(self)) {
        gtk_label_set_text(self->status_label, self->lab_problem);
        g_printerr("mailwalk: %s\n", self->lab_problem);
        self->run_ok = FALSE;
        g_free(self->finish_message);
        self->finish_message = g_strdup(self->lab_problem);
        if (self->options.exit_when_done)
            g_timeout_add(100, finish_up, self);
        return;
    }
    GError *error = NULL;
    gboolean started = mw_run_start(self->run, &error);
    if (!started) {
        char *text =
            g_strdup_printf("Could not start the scenario: %s", error->message);
        gtk_label_set_text(self->status_label, text);
        g_printerr("mailwalk: %s\n", text);
        g_free(text);
        g_error_free(error);
        self->run_ok = FALSE;
        g_free(self->finish_message);
        self->finish_message = g_strdup("failed to start");
        if (self->options.exit_when_done)
            g_timeout_add(100, finish_up, self);
        return;
    }
    update_status(self);
}

static void on_scenario_chosen(GtkDropDown *choice, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    MwWindow *self = data;
    guint index = gtk_drop_down_get_selected(choice);
    if (index >= self->choices->len ||
        g_ptr_array_index(self->choices, index) == (gpointer)self->scenario)
        return;
    self->scenario = g_ptr_array_index(self->choices, index);
    start_scenario(self);
}

/* ----- actions -------------------------------------------------------------------- */

static void set_speed(MwWindow *self, double speed)
{
    mw_lanes_set_speed(self->lanes, speed);
    char *text = g_strdup_printf("%g×", mw_lanes_get_speed(self->lanes));
    gtk_label_set_text(self->speed_label, text);
    g_free(text);
}

static void action_restart(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    start_scenario(MW_WINDOW(widget));
}

static void action_play(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    self->playing = !self->playing;
    if (self->playing)
        self->follow = TRUE;
    launch_next(self);
    update_status(self);
}

static void action_step(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    self->playing = FALSE;
    self->follow = TRUE;
    if (mw_lanes_is_flying(self->lanes))
        mw_lanes_hurry(self->lanes); /* a second press: skip to its landing */
    else
        self->step_requested = TRUE;
    launch_next(self);
    update_status(self);
}

static void action_back(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    int selected = mw_lanes_get_selected(self->lanes);
    self->follow = FALSE; /* the user is reading: do not jump away */
    if (selected > 0)
        mw_lanes_select(self->lanes, selected - 1);
}

static void action_faster(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    set_speed(self, mw_lanes_get_speed(self->lanes) * 2);
}

static void action_slower(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    set_speed(self, mw_lanes_get_speed(self->lanes) / 2);
}

static void action_forward(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    int selected = mw_lanes_get_selected(self->lanes);
    int last = (int)mw_lanes_get_count(self->lanes) - 1;
    /* Back at the newest line, the explanation follows new lines again. */
    self->follow = selected + 1 >= last;
    if (selected < last)
        mw_lanes_select(self->lanes, selected + 1);
}

static void action_toggle_explanation(GtkWidget *widget, const char *name,
                                      GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    gtk_toggle_button_set_active(self->explain_toggle,
                                 !gtk_toggle_button_get_active(self->explain_toggle));
}

/* The text's size, for the back row of a classroom: every font size of
 * style.css times text_size, in a style provider of our own above it. */
static void apply_text_size(MwWindow *self)
{
    /* The diagram and the explanation grow all the way; the scenario's
     * summary, the status line and the hints at most by a third, so that
     * at twice the size the diagram keeps its rows on a 720-pixel screen
     * (the teacher tells the summary; the back row reads the lines). */
    static const struct {
        const char *selector;
        double points;
        double most; /* the largest factor */
    } sizes[] = {
        {"lanes", 15, 3},
        {".summary", 14, 1.34},
        {".explanation", 14, 3},
        {".status", 12, 1.34},
        {".hint", 13, 1.34},
        {".console entry", 14, 3},
        {".console button", 12, 1.34},
    };
    GString *css = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        char number[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_dtostr(number, sizeof number,
                       sizes[i].points * MIN(self->text_size, sizes[i].most));
        g_string_append_printf(css, "%s { font-size: %spt; }\n", sizes[i].selector,
                               number);
    }
    if (self->text_css == NULL) {
        self->text_css = gtk_css_provider_new();
        gtk_style_context_add_provider_for_display(
            gtk_widget_get_display(GTK_WIDGET(self)),
            GTK_STYLE_PROVIDER(self->text_css),
            GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
    }
    gtk_css_provider_load_from_data(self->text_css, css->str, (gssize)css->len);
    g_string_free(css, TRUE);
}

void mw_window_set_text_size(MwWindow *self, double size)
{
    self->text_size = CLAMP(size, 0.5, 3.0);
    apply_text_size(self);
}

static void action_text_larger(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    mw_window_set_text_size(self, self->text_size * 1.25);
}

static void action_text_smaller(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    mw_window_set_text_size(self, self->text_size / 1.25);
}

static void action_text_normal(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    mw_window_set_text_size(MW_WINDOW(widget), 1.0);
}

/* The transcript as text: "C:"/"S:" lines, as in the RFC's examples. */
static char *transcript_text(MwWindow *self)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "# mailwalk scenario: %s\n", self->scenario->title);
    for (guint i = 0; i < mw_lanes_get_count(self->lanes); i++) {
        const MwLine *line = mw_lanes_get_line(self->lanes, i);
        /* Who spoke: servers answer from the right (a sealed TLS record
         * goes either way). */
        const char *who = line->kind == MW_LINE_EVENT ? "#  "
                          : line->to < line->from     ? "S: "
                                                      : "C: ";
        /* Two hops: which session the line belongs to, "1 C:", "2 S:". */
        if (line->hop > 0 && line->kind != MW_LINE_EVENT)
            g_string_append_printf(out, "%u %s%s\n", line->hop, who, line->text);
        else
            g_string_append_printf(out, "%s%s\n", who, line->text);
        /* A lab run: "!" under a line that differs from the reference. */
        if (line->mark != NULL)
            g_string_append_printf(out, "!  ✗ differs: %s\n", line->mark);
    }
    return g_string_free(out, FALSE);
}

/* Ask for a file name (GtkFileChooserNative: GTK 4.8 has no GtkFileDialog). */
static void choose_file(MwWindow *self, const char *title, const char *name,
                        GCallback on_response)
{
    GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
        title, GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SAVE, "_Save", "_Cancel");
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), name);
    g_signal_connect(chooser, "response", on_response, self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

static char *chosen_path(GtkNativeDialog *dialog, int response)
{
    char *path = NULL;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        path = g_file_get_path(file);
        g_object_unref(file);
    }
    g_object_unref(dialog);
    return path;
}

static void on_transcript_file(GtkNativeDialog *dialog, int response, gpointer data)
{
    MwWindow *self = data;
    char *path = chosen_path(dialog, response);
    if (path == NULL)
        return;
    char *text = transcript_text(self);
    GError *error = NULL;
    if (!g_file_set_contents(path, text, -1, &error)) {
        gtk_label_set_text(self->status_label, error->message);
        g_error_free(error);
    }
    g_free(text);
    g_free(path);
}

/* The whole diagram, every row, as SVG if the name ends in .svg, else PNG. */
static gboolean save_diagram(MwWindow *self, const char *path, GError **error)
{
    int width, height;
    GskRenderNode *node = mw_lanes_render_all(self->lanes, &width, &height);
    if (node == NULL || width <= 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing to draw yet");
        g_clear_pointer(&node, gsk_render_node_unref);
        return FALSE;
    }
    gboolean saved =
        g_str_has_suffix(path, ".svg")
            ? mw_save_node_svg(node, width, height, path, error)
            : mw_save_node_png(GTK_WIDGET(self), node, width, height, path, error);
    gsk_render_node_unref(node);
    return saved;
}

static void on_diagram_file(GtkNativeDialog *dialog, int response, gpointer data)
{
    MwWindow *self = data;
    char *path = chosen_path(dialog, response);
    if (path == NULL)
        return;
    GError *error = NULL;
    if (!save_diagram(self, path, &error)) {
        gtk_label_set_text(self->status_label, error->message);
        g_error_free(error);
    }
    g_free(path);
}

static void action_save_transcript(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    char *file = g_strdup_printf("%s.txt", self->scenario->id);
    choose_file(self, "Save Transcript", file, G_CALLBACK(on_transcript_file));
    g_free(file);
}

static void action_save_diagram(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    char *file = g_strdup_printf("%s.png", self->scenario->id);
    choose_file(self, "Save Diagram as PNG", file, G_CALLBACK(on_diagram_file));
    g_free(file);
}

static void action_save_svg(GtkWidget *widget, const char *name, GVariant *param)
{
    (void)name, (void)param;
    MwWindow *self = MW_WINDOW(widget);
    char *file = g_strdup_printf("%s.svg", self->scenario->id);
    choose_file(self, "Save Diagram as SVG", file, G_CALLBACK(on_diagram_file));
    g_free(file);
}

/* ----- pictures ----------------------------------------------------------------- */

/* The widget as a render node: the tree of colours, shapes and text its
 * snapshot() made, before any renderer has turned it into pixels. */
static GskRenderNode *widget_node(GtkWidget *widget, int *width, int *height,
                                  GError **error)
{
    *width = gtk_widget_get_width(widget), *height = gtk_widget_get_height(widget);
    if (*width <= 0 || *height <= 0 || gtk_widget_get_native(widget) == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window is not shown");
        return NULL;
    }
    GdkPaintable *paintable = gtk_widget_paintable_new(widget);
    /* The picture at its own size, one pixel for one pixel. A window's
     * picture is a little larger than the window's width and height: its
     * frame (border and resize margin) is drawn around them. Drawn at the
     * window's size, it would be squeezed by those pixels: every edge would
     * fall between two pixels, and where the actor boxes cover the scrolled
     * rows, a row would show through above the boxes. */
    int own_width = gdk_paintable_get_intrinsic_width(paintable);
    int own_height = gdk_paintable_get_intrinsic_height(paintable);
    if (own_width > 0 && own_height > 0) {
        *width = own_width;
        *height = own_height;
    }
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), *width, *height);
    g_object_unref(paintable);
    GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
    if (node == NULL)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing to draw");
    return node;
}

gboolean mw_save_node_svg(GskRenderNode *node, int width, int height, const char *path,
                          GError **error)
{
    /* The nodes, drawn by cairo onto an SVG surface instead of the screen:
     * rectangles stay rectangles and text becomes glyph outlines, so the
     * picture is sharp at any size (gsk_render_node_draw is GSK's own
     * cairo fallback). */
    cairo_surface_t *surface = cairo_svg_surface_create(path, width, height);
    cairo_t *cr = cairo_create(surface);
    gsk_render_node_draw(node, cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_status_t status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not write %s: %s",
                    path, cairo_status_to_string(status));
        return FALSE;
    }
    return TRUE;
}

gboolean mw_save_node_png(GtkWidget *widget, GskRenderNode *node, int width, int height,
                          const char *path, GError **error)
{
    /* Let the window's renderer turn the node into a texture: pixels. */
    GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
    GdkTexture *texture = gsk_renderer_render_texture(
        renderer, node, &GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height));
    gboolean ok = texture != NULL && gdk_texture_save_to_png(texture, path);
    g_clear_object(&texture);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not write %s", path);
    return ok;
}

gboolean mw_save_widget_png(GtkWidget *widget, const char *path, GError **error)
{
    int width, height;
    GskRenderNode *node = widget_node(widget, &width, &height, error);
    if (node == NULL)
        return FALSE;
    gboolean ok = mw_save_node_png(widget, node, width, height, path, error);
    gsk_render_node_unref(node);
    return ok;
}

/* ----- the GObject ---------------------------------------------------------------- */

static void mw_window_dispose(GObject *object)
{
    MwWindow *self = MW_WINDOW(object);
    stop_run(self);
    g_clear_pointer(&self->explanations, g_key_file_free);
    if (self->text_css != NULL) {
        gtk_style_context_remove_provider_for_display(
            gtk_widget_get_display(GTK_WIDGET(self)),
            GTK_STYLE_PROVIDER(self->text_css));
        g_clear_object(&self->text_css);
    }
    g_clear_pointer(&self->finish_message, g_free);
    g_clear_pointer(&self->options.scenario, g_free);
    g_clear_pointer(&self->options.screenshot, g_free);
    g_clear_pointer(&self->options.diagram, g_free);
    g_clear_pointer(&self->options.transcript, g_free);
    g_clear_pointer(&self->hint_buttons, g_ptr_array_unref);
    g_clear_pointer(&self->typed_lines, g_strfreev);
    g_clear_pointer(&self->choices, g_ptr_array_unref);
    g_clear_pointer(&self->lab_problem, g_free);
    g_clear_pointer(&self->options.lab_build, g_free);
    gtk_widget_dispose_template(GTK_WIDGET(self), MW_TYPE_WINDOW);
    G_OBJECT_CLASS(mw_window_parent_class)->dispose(object);
}

static void mw_window_init(MwWindow *self)
{
    g_type_ensure(MW_TYPE_LANES);
    gtk_widget_init_template(GTK_WIDGET(self));
    g_queue_init(&self->pending);

    GBytes *table =
        g_resources_lookup_data("/org/mailwalk/Mailwalk/explanations.ini", 0, NULL);
    self->explanations = mw_explain_load(table, NULL);
    g_bytes_unref(table);
    g_assert(self->explanations != NULL);

    /* The chooser: every scenario, then "Lab N: ..." for each lab whose
     * program is built (build/labs/labNN-...). */
    guint count;
    const MwScenario *all = mw_scenarios(&count);
    self->choices = g_ptr_array_new();
    for (guint i = 0; i < count; i++)
        g_ptr_array_add(self->choices, (gpointer)&all[i]);
    const MwScenario *labs = mw_lab_scenarios(&count);
    for (guint i = 0; i < count; i++) {
        char *name = mw_lab_program_name(&labs[i]);
        char *path = mw_find_lab_program(name);
        if (path != NULL)
            g_ptr_array_add(self->choices, (gpointer)&labs[i]);
        g_free(path);
        g_free(name);
    }
    GtkStringList *titles = gtk_string_list_new(NULL);
    for (guint i = 0; i < self->choices->len; i++)
        gtk_string_list_append(titles,
                               ((const MwScenario *)self->choices->pdata[i])->title);
    gtk_drop_down_set_model(self->scenario_choice, G_LIST_MODEL(titles));
    g_object_unref(titles);

    g_signal_connect(self->lanes, "landed", G_CALLBACK(on_landed), self);
    g_signal_connect_object(gtk_scrolled_window_get_vadjustment(self->scroller),
                            "changed", G_CALLBACK(on_diagram_grown), self, 0);
    g_signal_connect(self->lanes, "selected", G_CALLBACK(on_selected), self);

    self->hint_buttons = g_ptr_array_new();
    self->text_size = 1.0;
    g_signal_connect(self->console_entry, "activate", G_CALLBACK(on_console_activate),
                     self);
    GtkEventController *focus = gtk_event_controller_focus_new();
    g_signal_connect(focus, "enter", G_CALLBACK(on_console_focus), self);
    g_signal_connect(focus, "leave", G_CALLBACK(on_console_focus), self);
    gtk_widget_add_controller(GTK_WIDGET(self->console_entry), focus);
}

static void mw_window_class_init(MwWindowClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = mw_window_dispose;
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/mailwalk/Mailwalk/window.ui");
    gtk_widget_class_bind_template_child(widget_class, MwWindow, scenario_choice);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, play_button);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, speed_label);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, summary_label);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, scroller);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, lanes);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, status_label);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, explanation_label);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, console_box);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, hint_box);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, hint_label);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, console_entry);
    gtk_widget_class_bind_template_child(widget_class, MwWindow, explain_toggle);

    gtk_widget_class_install_action(widget_class, "win.restart", NULL, action_restart);
    gtk_widget_class_install_action(widget_class, "win.play", NULL, action_play);
    gtk_widget_class_install_action(widget_class, "win.step", NULL, action_step);
    gtk_widget_class_install_action(widget_class, "win.back", NULL, action_back);
    gtk_widget_class_install_action(widget_class, "win.forward", NULL, action_forward);
    gtk_widget_class_install_action(widget_class, "win.toggle-explanation", NULL,
                                    action_toggle_explanation);
    gtk_widget_class_install_action(widget_class, "win.text-larger", NULL,
                                    action_text_larger);
    gtk_widget_class_install_action(widget_class, "win.text-smaller", NULL,
                                    action_text_smaller);
    gtk_widget_class_install_action(widget_class, "win.text-normal", NULL,
                                    action_text_normal);
    gtk_widget_class_install_action(widget_class, "win.faster", NULL, action_faster);
    gtk_widget_class_install_action(widget_class, "win.slower", NULL, action_slower);
    gtk_widget_class_install_action(widget_class, "win.save-transcript", NULL,
                                    action_save_transcript);
    gtk_widget_class_install_action(widget_class, "win.save-diagram", NULL,
                                    action_save_diagram);
    gtk_widget_class_install_action(widget_class, "win.save-svg", NULL,
                                    action_save_svg);
}

/* One row per action: its shortcuts, and whether they are single keys
 * that an entry needs for typing. */
static const struct {
    const char *action;
    const char *accels[4];
    gboolean typing_key;
} window_accels[] = {
    {"win.play", {"space", NULL}, TRUE},
    {"win.step", {"Right", NULL}, TRUE},
    {"win.back", {"Left", "Up", NULL}, TRUE},
    {"win.forward", {"Down", NULL}, TRUE},
    {"win.toggle-explanation", {"F9", NULL}, FALSE},
    {"win.text-larger",
     {"<Control>plus", "<Control>equal", "<Control>KP_Add", NULL},
     FALSE},
    {"win.text-smaller", {"<Control>minus", "<Control>KP_Subtract", NULL}, FALSE},
    {"win.text-normal", {"<Control>0", NULL}, FALSE},
    {"win.faster", {"plus", "KP_Add", "equal", NULL}, TRUE},
    {"win.slower", {"minus", "KP_Subtract", NULL}, TRUE},
    {"win.restart", {"<Control>r", NULL}, FALSE},
    {"win.save-transcript", {"<Control>s", NULL}, FALSE},
    {"win.save-diagram", {"<Control><Shift>s", NULL}, FALSE},
    {"win.save-svg", {"<Control>e", NULL}, FALSE},
    {"window.close", {"<Control>q", NULL}, FALSE},
};

void mw_window_set_accels(GtkApplication *app, gboolean enabled)
{
    static const char *const none[] = {NULL};
    for (guint i = 0; i < G_N_ELEMENTS(window_accels); i++)
        gtk_application_set_accels_for_action(
            app, window_accels[i].action,
            enabled || !window_accels[i].typing_key ? window_accels[i].accels : none);
}

static gboolean start_first_scenario(gpointer data)
{
    MwWindow *self = data;
    if (self->run == NULL)
        start_scenario(self);
    return G_SOURCE_REMOVE;
}

MwWindow *mw_window_new(GtkApplication *app, const MwWindowOptions *options)
{
    MwWindow *self = g_object_new(MW_TYPE_WINDOW, "application", app, NULL);
    self->started_us = options->started_us;
    self->options.timing = options->timing;
    if (options->timing)
        g_signal_connect(self, "realize", G_CALLBACK(on_realize), NULL);
    self->options.scenario = g_strdup(options->scenario);
    self->options.screenshot = g_strdup(options->screenshot);
    self->options.diagram = g_strdup(options->diagram);
    self->options.transcript = g_strdup(options->transcript);
    if (options->type_file != NULL) {
        char *text = NULL;
        GError *error = NULL;
        if (g_file_get_contents(options->type_file, &text, NULL, &error)) {
            /* One line each; a final newline does not make an extra one. */
            if (g_str_has_suffix(text, "\n"))
                text[strlen(text) - 1] = '\0';
            self->typed_lines = g_strsplit(text, "\n", -1);
        } else {
            g_printerr("mailwalk: %s\n", error->message);
            g_error_free(error);
        }
        g_free(text);
    }
    self->options.autoplay = options->autoplay;
    self->options.exit_when_done = options->exit_when_done;
    self->options.pause_at = options->pause_at;
    self->options.pause_for = options->pause_for;
    self->playing = options->autoplay;
    set_speed(self, options->speed > 0 ? options->speed : 1.0);
    mw_window_set_text_size(self, options->text_size > 0 ? options->text_size : 1.0);
    if (options->no_explanation)
        gtk_toggle_button_set_active(self->explain_toggle, FALSE);

    self->options.lab_build = g_strdup(options->lab_build);
    const MwScenario *first = g_ptr_array_index(self->choices, 0);
    self->scenario = options->scenario ? mw_scenario_find(options->scenario) : first;
    if (self->scenario == NULL)
        self->scenario = first;
    guint shown = 0;
    if (g_ptr_array_find(self->choices, self->scenario, &shown))
        gtk_drop_down_set_selected(self->scenario_choice, shown);
    g_signal_connect(self->scenario_choice, "notify::selected",
                     G_CALLBACK(on_scenario_chosen), self);
    /* The programs start once the first frame is on the screen: an idle
     * of default priority runs after GTK's layout and paint (which have a
     * higher one), so the window appears without waiting for any fork. */
    g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, start_first_scenario, g_object_ref(self),
                    g_object_unref);
    return self;
}
