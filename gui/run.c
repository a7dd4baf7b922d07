/*
 * run.c - starting the real programs and turning what the tap sees into
 * lines for the diagram.
 *
 * The classification of a unit follows the protocol: what goes to the
 * server is a command, unless the server has answered 354 to DATA, after
 * which it is message text until the lone "."; what comes back is a reply.
 */
#include "run.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "tap.h"

/* Columns of the one-hop diagram. */
enum { COLUMN_CLIENT = 0, COLUMN_SERVER = 1, COLUMN_MAILBOX = 2, COLUMN_READER = 3 };

struct _MwRun {
    GObject parent_instance;
    const MwScenario *scenario;
    char *dir;           /* the temporary folder */
    GSubprocess *server; /* Bob's mailwalk-server */
    GSubprocess *client; /* Alice's mailwalk-send */
    MwTap *tap;          /* between them */
    GCancellable *cancellable;
    guint log_poll_id;    /* timer that reads the event log */
    goffset log_offset;   /* how far we have read it */
    GString *log_partial; /* a log line not yet complete */
    /* The dialogue's state, to classify lines. */
    gboolean in_data; /* after 354, before "." */
    gboolean in_body; /* after the empty line */
    MwPhase phase;    /* phase of the last command */
    gboolean client_done;
    gboolean connection_done;
    gboolean reader_started; /* Bob's user agent is checking the mailbox */
    gboolean tls_started;    /* the server log said "tls": lines are sealed */
    gboolean reader_done;
    int client_status;
};

G_DEFINE_FINAL_TYPE(MwRun, mw_run, G_TYPE_OBJECT)

enum { SIGNAL_LINE, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ----- finding the programs -------------------------------------------------- */

char *mw_find_program(const char *name)
{
    const char *bindir = g_getenv("MAILWALK_BINDIR");
    if (bindir != NULL)
        return g_build_filename(bindir, name, NULL);
    char *self = g_file_read_link("/proc/self/exe", NULL);
    char *here = self ? g_path_get_dirname(self) : g_strdup(".");
    g_free(self);
    /* In the build tree the programs live in ../server and ../client. */
    const char *const subdirs[] = {"../server", "../client", "."};
    for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
        char *path = g_build_filename(here, subdirs[i], name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
            g_free(here);
            return path;
        }
        g_free(path);
    }
    g_free(here);
    return g_strdup(name); /* let PATH decide */
}

/* ----- lines ------------------------------------------------------------------ */

static void emit_line(MwRun *run, MwLine *line, gboolean held)
{
    g_signal_emit(run, signals[SIGNAL_LINE], 0, line, held);
}

/* Turn a unit of bytes from the tap into a line, and classify it. */
static MwLine *classify(MwRun *run, MwTapDirection direction, GBytes *bytes, gint kind,
                        gint tls_type)
{
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    guint from = direction == MW_TAP_TO_SERVER ? COLUMN_CLIENT : COLUMN_SERVER;
    guint to = direction == MW_TAP_TO_SERVER ? COLUMN_SERVER : COLUMN_CLIENT;

    if (kind == TAP_UNIT_TLS_RECORD) {
        char *text = g_strdup_printf("sealed TLS record: %s, %zu bytes",
                                     tap_tls_type_name(tls_type), (size_t)len);
        MwLine *line = mw_line_new(MW_LINE_TLS, from, to, text);
        line->tls_type = g_strdup(tap_tls_type_name(tls_type));
        line->phase = run->phase;
        g_free(text);
        return line;
    }

    /* Show the text without its line ending; bytes that are not UTF-8
     * (8-bit junk) are shown as replacement characters. */
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    char *text = g_utf8_make_valid(data, (gssize)len);
    MwLine *line;
    if (direction == MW_TAP_TO_CLIENT) {
        line = mw_line_new(MW_LINE_REPLY, from, to, text);
        mw_line_parse_reply(line);
        line->phase = run->phase;
        if (line->code == 354)
            run->in_data = TRUE, run->in_body = FALSE;
    } else if (run->in_data) {
        line = mw_line_new(MW_LINE_DATA, from, to, text);
        line->phase = MW_PHASE_TRANSFER;
        if (strcmp(text, ".") == 0) {
            line->data_part = MW_DATA_END;
            run->in_data = FALSE;
        } else if (!run->in_body && text[0] == '\0') {
            line->data_part = MW_DATA_SEPARATOR;
            run->in_body = TRUE;
        } else {
            line->data_part = run->in_body ? MW_DATA_BODY : MW_DATA_HEADER;
        }
    } else {
        line = mw_line_new(MW_LINE_COMMAND, from, to, text);
        run->phase = mw_phase_of_command(text);
        line->phase = run->phase;
    }
    g_free(text);
    return line;
}

static void on_unit_arrived(MwTap *tap, guint conn, gint direction, GBytes *bytes,
                            gint kind, gint tls_type, gpointer data)
{
    (void)tap, (void)conn;
    MwRun *run = data;
    emit_line(run, classify(run, direction, bytes, kind, tls_type), TRUE);
}

/* ----- the event log: what no wire shows --------------------------------------- */

/* The value of "key":"..." in one of our own log lines, with JSON's
 * escapes undone (\" \\ \n \u00XX: all that common/event_log.c writes),
 * so line text may hold any byte. Not a JSON parser: our log is flat. */
static char *json_string(const char *json, const char *key)
{
    char *needle = g_strdup_printf("\"%s\":\"", key);
    const char *p = strstr(json, needle);
    g_free(needle);
    if (p == NULL)
        return NULL;
    p += strlen(key) + 4;
    GString *out = g_string_new(NULL);
    for (; *p != '\0' && *p != '"'; p++) {
        if (*p != '\\') {
            g_string_append_c(out, *p);
            continue;
        }
        p++;
        if (*p == 'u' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2]) &&
            g_ascii_isxdigit(p[3]) && g_ascii_isxdigit(p[4])) {
            g_string_append_c(out, (char)strtol((char[]){p[3], p[4], 0}, NULL, 16));
            p += 4;
        } else if (*p == 'n') {
            g_string_append_c(out, '\n');
        } else if (*p == 'r') {
            g_string_append_c(out, '\r');
        } else if (*p == 't') {
            g_string_append_c(out, '\t');
        } else if (*p != '\0') {
            g_string_append_c(out, *p); /* \" \\ \/ */
        } else {
            break;
        }
    }
    return g_string_free(out, FALSE);
}

/* After STARTTLS the tap sees only sealed records. The server's event log
 * still knows every line it decrypted: show them, marked as what an
 * eavesdropper does NOT see. */
static void show_inside(MwRun *run, const char *event, const char *json)
{
    gboolean in = strcmp(event, "line_in") == 0 || strcmp(event, "data_in") == 0;
    char *text = json_string(json, "text");
    char *valid = g_utf8_make_valid(text ? text : "", -1);
    char *shown = g_strdup_printf("inside TLS: %s", valid);
    MwLine *line = mw_line_new(MW_LINE_EVENT, in ? COLUMN_CLIENT : COLUMN_SERVER,
                               in ? COLUMN_SERVER : COLUMN_CLIENT, shown);
    /* The tap cannot read the commands any more, so the phase follows the
     * decrypted ones. */
    if (strcmp(event, "data_in") == 0)
        run->phase = MW_PHASE_TRANSFER;
    else if (in)
        run->phase = mw_phase_of_command(valid);
    line->phase = run->phase;
    line->event = g_strdup("inside");
    emit_line(run, line, FALSE);
    g_free(shown);
    g_free(valid);
    g_free(text);
}

static void handle_log_line(MwRun *run, const char *json)
{
    char *event = json_string(json, "event");
    if (g_strcmp0(event, "tls") == 0)
        run->tls_started = TRUE;
    else if (run->tls_started && event != NULL &&
             (strcmp(event, "line_in") == 0 || strcmp(event, "line_out") == 0 ||
              strcmp(event, "data_in") == 0))
        show_inside(run, event, json);
    if (g_strcmp0(event, "delivered") == 0) {
        char *mailbox = json_string(json, "mailbox");
        char *file = json_string(json, "file");
        char *text = g_strdup_printf(
            "stored in %s's Maildir: new/%s  (fsync, then 250)", mailbox, file);
        MwLine *line = mw_line_new(MW_LINE_EVENT, COLUMN_SERVER, COLUMN_MAILBOX, text);
        line->phase = MW_PHASE_TRANSFER;
        line->event = g_strdup("delivered");
        emit_line(run, line, FALSE);
        g_free(text);
        g_free(mailbox);
        g_free(file);
    }
    g_free(event);
}

static gboolean poll_event_log(gpointer data)
{
    MwRun *run = data;
    char *path = g_build_filename(run->dir, "events.jsonl", NULL);
    FILE *file = g_fopen(path, "r");
    g_free(path);
    if (file == NULL)
        return G_SOURCE_CONTINUE;
    char buf[4096];
    if (fseeko(file, run->log_offset, SEEK_SET) == 0) {
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
            run->log_offset += (goffset)n;
            g_string_append_len(run->log_partial, buf, (gssize)n);
        }
    }
    fclose(file);
    char *nl;
    while ((nl = memchr(run->log_partial->str, '\n', run->log_partial->len)) != NULL) {
        *nl = '\0';
        handle_log_line(run, run->log_partial->str);
        g_string_erase(run->log_partial, 0, nl - run->log_partial->str + 1);
    }
    return G_SOURCE_CONTINUE;
}

/* ----- the end ------------------------------------------------------------------- */

static void maybe_finish(MwRun *run);
static GSubprocessLauncher *new_launcher(GSubprocessFlags flags);

/* A line of Bob's reading: not SMTP at all (it comes after termination). */
static void emit_read_line(MwRun *run, guint from, guint to, const char *text)
{
    MwLine *line = mw_line_new(MW_LINE_EVENT, from, to, text);
    line->phase = MW_PHASE_TERMINATION;
    line->event = g_strdup("read");
    emit_line(run, line, FALSE);
}

static void on_reader_done(GObject *source, GAsyncResult *result, gpointer data)
{
    char *out = NULL;
    GError *error = NULL;
    gboolean ok = g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result,
                                                       &out, NULL, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    MwRun *run = data;
    char **lines =
        g_strsplit(ok && out ? out : "(mailwalk-read gave no answer)", "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        char *text = g_strstrip(lines[i]);
        /* "Mailbox bob in /tmp/...: 1 message": the folder is noise here,
         * and so is the table's heading line. */
        char *in = strstr(text, " in /");
        char *colon = in ? strchr(in, ':') : NULL;
        if (in != NULL && colon != NULL)
            memmove(in, colon, strlen(colon) + 1);
        if (text[0] != '\0' && text[0] != '#')
            emit_read_line(run, COLUMN_MAILBOX, COLUMN_READER, text);
    }
    g_strfreev(lines);
    g_free(out);
    g_clear_error(&error);
    g_object_unref(source);
    run->reader_done = TRUE;
    maybe_finish(run);
}

/* The last act: Bob's user agent checks his mailbox. SMTP pushed the
 * letter to Bob's server and stops there; reading is a pull. */
static void start_reader(MwRun *run)
{
    run->reader_started = TRUE;
    char *program = mw_find_program("mailwalk-read");
    char *maildir = g_build_filename(run->dir, "maildir", NULL);
    const char *argv[] = {program, "--maildir", maildir, "--user", "bob", "list", NULL};
    emit_read_line(run, COLUMN_READER, COLUMN_MAILBOX, "mailwalk-read --user bob list");
    GSubprocessLauncher *launcher =
        new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
    GSubprocess *reader = g_subprocess_launcher_spawnv(launcher, argv, NULL);
    g_object_unref(launcher);
    if (reader == NULL)
        run->reader_done = TRUE;
    else
        g_subprocess_communicate_utf8_async(reader, NULL, run->cancellable,
                                            on_reader_done, run);
    g_free(program);
    g_free(maildir);
}

static void maybe_finish(MwRun *run)
{
    if (!run->client_done || !run->connection_done)
        return;
    poll_event_log(run); /* the last events, before we judge */
    if (run->scenario->client_args == NULL) {
        /* Your own client: its connection closed; tell, and wait for the
         * next one on the same tap. */
        run->connection_done = FALSE;
        guint delivered = mw_run_count_delivered(run, "bob");
        char *message = g_strdup_printf(
            "Connection closed; %u letter%s in Bob's Maildir so far. Connect again "
            "to 127.0.0.1:%u.",
            delivered, delivered == 1 ? "" : "s", mw_run_get_tap_port(run));
        g_signal_emit(run, signals[SIGNAL_FINISHED], 0, TRUE, message);
        g_free(message);
        return;
    }
    if (!run->reader_started) {
        start_reader(run);
        if (!run->reader_done)
            return; /* on_reader_done() comes back here */
    }
    if (!run->reader_done)
        return;
    guint delivered =
        mw_run_count_delivered(run, "bob") + mw_run_count_delivered(run, "carol");
    gboolean ok =
        run->scenario->expect == MW_EXPECT_DELIVERED ? delivered > 0 : delivered == 0;
    char *message = g_strdup_printf(
        "%s: mailwalk-send exited with %d; %u letter%s in the Maildirs.",
        ok ? "Done" : "Unexpected", run->client_status, delivered,
        delivered == 1 ? "" : "s");
    g_signal_emit(run, signals[SIGNAL_FINISHED], 0, ok, message);
    g_free(message);
}

static void on_connection_closed(MwTap *tap, guint conn, gpointer data)
{
    (void)tap, (void)conn;
    MwRun *run = data;
    run->connection_done = TRUE;
    maybe_finish(run);
}

static void on_client_exited(GObject *source, GAsyncResult *result, gpointer data)
{
    GError *error = NULL;
    if (!g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error)) {
        g_error_free(error); /* cancelled: the run was stopped */
        return;
    }
    MwRun *run = data;
    run->client_done = TRUE;
    run->client_status = g_subprocess_get_if_exited(G_SUBPROCESS(source))
                             ? g_subprocess_get_exit_status(G_SUBPROCESS(source))
                             : -1;
    maybe_finish(run);
}

/* ----- starting ------------------------------------------------------------------- */

/* Read the server's "listening on 127.0.0.1:PORT" line (bounded wait). */
static guint16 read_server_port(GSubprocess *server, GError **error)
{
    GDataInputStream *out =
        g_data_input_stream_new(g_subprocess_get_stdout_pipe(server));
    guint16 port = 0;
    for (int i = 0; i < 5 && port == 0; i++) {
        char *line = g_data_input_stream_read_line(out, NULL, NULL, error);
        if (line == NULL)
            break;
        const char *at = strstr(line, "listening on 127.0.0.1:");
        if (at != NULL)
            port = (guint16)g_ascii_strtoull(at + strlen("listening on 127.0.0.1:"),
                                             NULL, 10);
        g_free(line);
    }
    g_object_unref(out);
    if (port == 0 && error != NULL && *error == NULL)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "mailwalk-server did not start (is it built?)");
    return port;
}

/* In each child, before it runs: if the window goes away without
 * stopping us (a crash, a kill), the kernel sends us SIGTERM, so no
 * orphaned server is left listening. (Linux: prctl PR_SET_PDEATHSIG.) */
static void die_with_parent(gpointer data)
{
    (void)data;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* A launcher for our programs, with die_with_parent. */
static GSubprocessLauncher *new_launcher(GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    return launcher;
}

static GSubprocess *start_server(MwRun *run, GError **error)
{
    char *program = mw_find_program("mailwalk-server");
    char *maildir = g_build_filename(run->dir, "maildir", NULL);
    char *log = g_build_filename(run->dir, "events.jsonl", NULL);
    GPtrArray *argv = g_ptr_array_new();
    const char *const fixed[] = {
        program,    "--listen",    "127.0.0.1:0", "--hostname", "mx.bob.example",
        "--domain", "bob.example", "--maildir",   maildir,      "--log",
        log,        "--timeout",   "600"};
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (gpointer)fixed[i]);
    for (guint i = 0; run->scenario->server_args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)run->scenario->server_args[i]);
    g_ptr_array_add(argv, NULL);
    GSubprocessLauncher *launcher = new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    char *server_err = g_build_filename(run->dir, "mailwalk-server.txt", NULL);
    g_subprocess_launcher_set_stderr_file_path(launcher, server_err);
    GSubprocess *server =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
    g_object_unref(launcher);
    g_free(server_err);
    g_ptr_array_free(argv, TRUE);
    g_free(program);
    g_free(maildir);
    g_free(log);
    return server;
}

static GSubprocess *start_client(MwRun *run, guint16 tap_port, GError **error)
{
    char *program = mw_find_program("mailwalk-send");
    char *server = g_strdup_printf("127.0.0.1:%u", tap_port);
    char *big_file = g_build_filename(run->dir, "photos.txt", NULL);
    char *cert = NULL;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(program));
    g_ptr_array_add(argv, g_strdup("--server"));
    g_ptr_array_add(argv, g_strdup(server));
    for (guint i = 0; run->scenario->client_args[i] != NULL; i++) {
        const char *arg = run->scenario->client_args[i];
        if (strcmp(arg, "@CERT@") == 0) {
            /* The server's classroom certificate: trust exactly that one. */
            g_free(cert);
            cert =
                g_build_filename(run->dir, "maildir", ".state", "tls-cert.pem", NULL);
            arg = cert;
        } else if (strcmp(arg, "@LONG_FILE@") == 0) {
            /* A thousand numbered lines, for "A long letter". */
            GString *text = g_string_new(NULL);
            for (int n = 1; n <= 1000; n++)
                g_string_append_printf(text, "Line %d of the long letter.\n", n);
            g_file_set_contents(big_file, text->str, (gssize)text->len, NULL);
            g_string_free(text, TRUE);
            arg = big_file;
        } else if (strcmp(arg, "@BIG_FILE@") == 0) {
            /* 100 KiB of text, for "Message too big". */
            GString *text = g_string_new(NULL);
            while (text->len < 100 * 1024)
                g_string_append(text, "A line of a very long letter about holidays.\n");
            g_file_set_contents(big_file, text->str, (gssize)text->len, NULL);
            g_string_free(text, TRUE);
            arg = big_file;
        }
        g_ptr_array_add(argv, g_strdup(arg));
    }
    g_ptr_array_add(argv, NULL);
    /* Its own transcript and messages go to a file in the run's folder. */
    GSubprocessLauncher *launcher = new_launcher(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    char *client_out = g_build_filename(run->dir, "mailwalk-send.txt", NULL);
    g_subprocess_launcher_set_stdout_file_path(launcher, client_out);
    GSubprocess *client =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
    g_object_unref(launcher);
    g_free(client_out);
    g_ptr_array_free(argv, TRUE);
    g_free(program);
    g_free(server);
    g_free(big_file);
    g_free(cert);
    return client;
}

gboolean mw_run_start(MwRun *run, GError **error)
{
    run->dir = g_dir_make_tmp("mailwalk-run-XXXXXX", error);
    if (run->dir == NULL)
        return FALSE;
    run->server = start_server(run, error);
    if (run->server == NULL)
        return FALSE;
    guint16 port = read_server_port(run->server, error);
    if (port == 0)
        return FALSE;

    run->tap = mw_tap_new("127.0.0.1", port);
    mw_tap_set_hold(run->tap, TRUE);
    if (run->scenario->client_args == NULL)
        mw_tap_set_preferred_port(run->tap, MW_OWN_CLIENT_PORT);
    g_signal_connect(run->tap, "unit-arrived", G_CALLBACK(on_unit_arrived), run);
    g_signal_connect(run->tap, "connection-closed", G_CALLBACK(on_connection_closed),
                     run);
    if (!mw_tap_start(run->tap, error))
        return FALSE;

    if (run->scenario->client_args == NULL) {
        run->client_done = TRUE; /* bring your own: no client of ours */
    } else {
        run->client = start_client(run, mw_tap_get_port(run->tap), error);
        if (run->client == NULL)
            return FALSE;
        g_subprocess_wait_async(run->client, run->cancellable, on_client_exited, run);
    }
    run->log_poll_id = g_timeout_add(50, poll_event_log, run);
    return TRUE;
}

void mw_run_release(MwRun *run)
{
    if (run->tap != NULL)
        mw_tap_release_next(run->tap);
}

guint16 mw_run_get_tap_port(MwRun *run)
{
    return run->tap ? mw_tap_get_port(run->tap) : 0;
}

guint mw_run_count_delivered(MwRun *run, const char *mailbox)
{
    char *path = g_build_filename(run->dir, "maildir", mailbox, "new", NULL);
    GDir *dir = g_dir_open(path, 0, NULL);
    g_free(path);
    guint n = 0;
    if (dir != NULL) {
        while (g_dir_read_name(dir) != NULL)
            n++;
        g_dir_close(dir);
    }
    return n;
}

const char *mw_run_get_dir(MwRun *run)
{
    return run->dir;
}

/* Remove the run's folder and everything in it. */
static void remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir != NULL) {
        const char *name;
        while ((name = g_dir_read_name(dir)) != NULL) {
            char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                remove_tree(child);
            else
                g_unlink(child);
            g_free(child);
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

void mw_run_stop(MwRun *run)
{
    g_cancellable_cancel(run->cancellable);
    if (run->log_poll_id != 0) {
        g_source_remove(run->log_poll_id);
        run->log_poll_id = 0;
    }
    if (run->tap != NULL) {
        g_signal_handlers_disconnect_by_data(run->tap, run);
        mw_tap_stop(run->tap);
        g_clear_object(&run->tap);
    }
    if (run->client != NULL) {
        g_subprocess_force_exit(run->client);
        g_clear_object(&run->client);
    }
    if (run->server != NULL) {
        g_subprocess_send_signal(run->server, SIGTERM);
        g_subprocess_wait(run->server, NULL, NULL);
        g_clear_object(&run->server);
    }
    if (run->dir != NULL && g_getenv("MAILWALK_KEEP_RUN") != NULL)
        g_print("mailwalk: kept the run's folder %s\n", run->dir);
    else if (run->dir != NULL)
        remove_tree(run->dir);
    g_clear_pointer(&run->dir, g_free);
}

static void mw_run_dispose(GObject *object)
{
    MwRun *run = MW_RUN(object);
    mw_run_stop(run);
    g_clear_object(&run->cancellable);
    if (run->log_partial != NULL) {
        g_string_free(run->log_partial, TRUE);
        run->log_partial = NULL;
    }
    G_OBJECT_CLASS(mw_run_parent_class)->dispose(object);
}

static void mw_run_init(MwRun *run)
{
    run->cancellable = g_cancellable_new();
    run->log_partial = g_string_new(NULL);
    run->phase = MW_PHASE_SETUP;
}

static void mw_run_class_init(MwRunClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = mw_run_dispose;
    signals[SIGNAL_LINE] =
        g_signal_new("line", MW_TYPE_RUN, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_BOOLEAN);
    signals[SIGNAL_FINISHED] =
        g_signal_new("finished", MW_TYPE_RUN, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

MwRun *mw_run_new(const MwScenario *scenario)
{
    MwRun *run = g_object_new(MW_TYPE_RUN, NULL);
    run->scenario = scenario;
    return run;
}
