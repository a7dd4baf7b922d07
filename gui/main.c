/*
 * main.c - mailwalk, the visualizer: see SMTP work, line by line.
 *
 *   mailwalk                                   open the window, step mode
 *   mailwalk --scenario esmtp --autoplay       play a scenario
 *   mailwalk --scenario hello --autoplay --speed 8 --exit-when-done \
 *            --screenshot hello.png            run to the end, save a picture
 *   mailwalk --scenario alice-to-bob --autoplay --exit-when-done \
 *            --diagram story.svg --transcript story.txt
 *   mailwalk --lab 3                           watch your lab 3 server talk;
 *                                              lines that differ from the
 *                                              reference build are marked
 *   mailwalk --list-scenarios
 */
#include <glib-unix.h>
#include <signal.h>
#include <gtk/gtk.h>
#include <stdlib.h>

#include "mw-window.h"
#include "run.h"
#include "scenarios.h"

static MwWindowOptions options;
static gboolean list_scenarios;
static gboolean show_version;
static gint lab_number;

static const GOptionEntry entries[] = {
    {"scenario", 's', 0, G_OPTION_ARG_STRING, &options.scenario,
     "The scenario to open (see --list-scenarios)", "NAME"},
    {"autoplay", 'a', 0, G_OPTION_ARG_NONE, &options.autoplay,
     "Play at once instead of waiting for Step", NULL},
    {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &options.speed,
     "Animation speed: 1 is one line a second, 4 four times faster", "X"},
    {"exit-when-done", 0, 0, G_OPTION_ARG_NONE, &options.exit_when_done,
     "Quit when the scenario has finished (exit 0 if it told its story)", NULL},
    {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, &options.screenshot,
     "When the scenario has finished, save the window as a PNG", "FILE"},
    {"diagram", 0, 0, G_OPTION_ARG_FILENAME, &options.diagram,
     "When the scenario has finished, save the whole diagram (FILE.svg or FILE.png)",
     "FILE"},
    {"transcript", 0, 0, G_OPTION_ARG_FILENAME, &options.transcript,
     "When the scenario has finished, save the transcript (C:/S: lines)", "FILE"},
    {"type", 0, 0, G_OPTION_ARG_FILENAME, &options.type_file,
     "In the console scenario, type the lines of FILE, each once the server has "
     "answered the one before (for demos and tests)",
     "FILE"},
    {"pause-at", 0, 0, G_OPTION_ARG_INT, &options.pause_at,
     "Stop playing once N lines are on the diagram; with --screenshot, take it "
     "then (a picture of the middle of a story)",
     "N"},
    {"pause-for", 0, 0, G_OPTION_ARG_INT, &options.pause_for,
     "With --pause-at: play on after SECONDS, as after a class has talked about "
     "the held line (the programs wait that long for it)",
     "SECONDS"},
    {"text-size", 0, 0, G_OPTION_ARG_DOUBLE, &options.text_size,
     "Text size: 1 is the default, 2 twice as large, for the back row (Ctrl +/- "
     "in the window)",
     "X"},
    {"no-explanation", 0, 0, G_OPTION_ARG_NONE, &options.no_explanation,
     "Start with the explanation panel hidden (F9 shows it)", NULL},
    {"timing", 0, 0, G_OPTION_ARG_NONE, &options.timing,
     "Print the time to the first frame and the frame rate (for benchmarks)", NULL},
    {"lab", 0, 0, G_OPTION_ARG_INT, &lab_number,
     "Run lab N's scenario with your build of it (build/labs/labNN-...), and mark "
     "every line where it differs from the reference build",
     "N"},
    {"lab-build", 0, 0, G_OPTION_ARG_STRING, &options.lab_build,
     "With --lab: run labNN-<program>-NAME instead of your build (reference, "
     "starter, or a known-wrong one such as rcpt-before-mail)",
     "NAME"},
    {"list-scenarios", 0, 0, G_OPTION_ARG_NONE, &list_scenarios,
     "List the scenarios and exit", NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version, "Show the version and exit",
     NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Options that end the program before any window opens. */
static int on_local_options(GApplication *app, GVariantDict *dict, gpointer data)
{
    (void)app, (void)dict, (void)data;
    if (show_version) {
        g_print("mailwalk %s\n", MAILWALK_VERSION);
        return 0;
    }
    if (list_scenarios) {
        guint count;
        const MwScenario *all = mw_scenarios(&count);
        for (guint i = 0; i < count; i++)
            g_print("%-14s %s\n", all[i].id, all[i].title);
        all = mw_lab_scenarios(&count);
        for (guint i = 0; i < count; i++)
            g_print("%-14s %s (--lab %u)\n", all[i].id, all[i].title, all[i].lab);
        return 0;
    }
    if (lab_number != 0) {
        /* --lab 3 is --scenario lab03, with a word if lab 3 is not built. */
        char *id = g_strdup_printf("lab%02d", lab_number);
        const MwScenario *lab = mw_scenario_find(id);
        g_free(id);
        if (lab == NULL) {
            g_printerr("mailwalk: there is no lab %d; the labs are 1 to 6\n",
                       lab_number);
            return 2;
        }
        char *name = mw_lab_program_name(lab);
        char *wanted = options.lab_build
                           ? g_strdup_printf("%s-%s", name, options.lab_build)
                           : g_strdup(name);
        char *path = mw_find_lab_program(wanted);
        if (path == NULL) {
            g_printerr("mailwalk: lab %d is not built: no %s in build/labs/ (or in "
                       "$MAILWALK_BINDIR). Build it with: meson compile -C build\n",
                       lab_number, wanted);
            g_free(name);
            g_free(wanted);
            return 2;
        }
        g_free(path);
        g_free(name);
        g_free(wanted);
        g_free(options.scenario);
        options.scenario = g_strdup(lab->id);
    }
    if (options.scenario != NULL && mw_scenario_find(options.scenario) == NULL) {
        g_printerr("mailwalk: no scenario called '%s'; try --list-scenarios\n",
                   options.scenario);
        return 2;
    }
    return -1; /* go on: open the window */
}

static void on_activate(GtkApplication *app, gpointer data)
{
    (void)data;
    GtkCssProvider *css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/org/mailwalk/Mailwalk/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(),
                                               GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(css);
    MwWindow *window = mw_window_new(app, &options);
    gtk_window_present(GTK_WINDOW(window));
}

/* On the way out, close every window: each stops its scenario's programs. */
static void on_shutdown(GApplication *app, gpointer data)
{
    (void)data;
    GList *windows;
    while ((windows = gtk_application_get_windows(GTK_APPLICATION(app))) != NULL)
        gtk_window_destroy(GTK_WINDOW(windows->data));
}

/* Ctrl-C in the terminal, or a kill: leave as through the menu, so that
 * every window stops its programs and removes its run's folder. */
static gboolean on_quit_signal(gpointer app)
{
    g_application_quit(G_APPLICATION(app));
    return G_SOURCE_CONTINUE;
}

/* GTK 4.8 draws with OpenGL by default. On a machine with no GPU (a
 * classroom's virtual machines, most CI), OpenGL is emulated on the CPU
 * (llvmpipe): measured under Xvfb, 11-17 frames/s with 450 ms frames at
 * 87% CPU, where GTK's cairo renderer gives 57-59 frames/s at 15% (see
 * docs/performance.md). A GPU's driver shows itself as a render node in
 * /dev/dri; without one, ask for cairo, unless the user chose a renderer
 * (GSK_RENDERER) already. Before GTK starts: it reads the variable then. */
static void choose_renderer(void)
{
    if (g_getenv("GSK_RENDERER") != NULL)
        return;
    gboolean gpu = FALSE;
    GDir *dri = g_dir_open("/dev/dri", 0, NULL);
    const char *name;
    while (dri != NULL && (name = g_dir_read_name(dri)) != NULL)
        if (g_str_has_prefix(name, "renderD"))
            gpu = TRUE;
    if (dri != NULL)
        g_dir_close(dri);
    if (!gpu)
        g_setenv("GSK_RENDERER", "cairo", TRUE);
}

int main(int argc, char **argv)
{
    options.started_us = g_get_monotonic_time();
    choose_renderer();
    /* NON_UNIQUE: a class may open several windows, each its own scenario. */
    GtkApplication *app =
        gtk_application_new("org.mailwalk.Mailwalk", G_APPLICATION_NON_UNIQUE);
    g_application_add_main_option_entries(G_APPLICATION(app), entries);
    g_application_set_option_context_summary(
        G_APPLICATION(app), "Watch real SMTP programs talk, one line at a time.");
    g_signal_connect(app, "handle-local-options", G_CALLBACK(on_local_options), NULL);
    g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
    g_signal_connect(app, "shutdown", G_CALLBACK(on_shutdown), NULL);
    g_unix_signal_add(SIGINT, on_quit_signal, app);
    g_unix_signal_add(SIGTERM, on_quit_signal, app);
    g_unix_signal_add(SIGHUP, on_quit_signal, app); /* the terminal closed */

    mw_window_set_accels(app, TRUE);

    int status = g_application_run(G_APPLICATION(app), argc, argv);
    gpointer code = g_object_get_data(G_OBJECT(app), "mailwalk-exit-code");
    if (status == 0 && code != NULL)
        status = GPOINTER_TO_INT(code);
    g_object_unref(app);
    return status;
}
