/*
 * run.c - starting the real programs, a wire tap on every hop, and turning
 * what the taps and the servers' event logs report into lines for the
 * diagram.
 *
 * The classification of a unit follows the protocol: what goes to the
 * server is a command, unless the server has answered 354 to DATA, after
 * which it is message text until the lone "."; what comes back is a reply.
 * Each hop keeps its own state for this, since each is its own SMTP
 * session (RFC 5321 §3): the relay on hop 2 starts with its own 220.
 *
 * Starting is a chain of small asynchronous steps, because each program
 * must run before the next can be told where it is:
 *
 *   Bob's server ─▶ (its port) ─▶ tap 2 ─▶ Alice's routes file names tap 2
 *   ─▶ Alice's server ─▶ (its submission port) ─▶ tap 1 ─▶ the client
 *
 * (one hop: Bob's server ─▶ tap 1 ─▶ the client). Nothing waits on the main
 * loop: a server's "listening on" lines are read with asynchronous reads.
 */
#include "run.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tap.h"

typedef struct _Hop Hop;

/* One SMTP hop on the wire, and the tap that watches it. */
struct _Hop {
    MwRun *run;
    guint number;        /* 1 or 2, shown in the diagram when there are two */
    MwTap *tap;          /* between the hop's client and its server */
    guint client_column; /* who connects */
    guint server_column; /* who answers */
    gboolean in_data;    /* after 354, before "." */
    gboolean in_body;    /* after the empty line */
    MwPhase phase;       /* phase of the last command */
    guint open;          /* connections open right now */
    guint closed;        /* connections closed so far */
    GQueue awaiting;     /* char*: what the server has yet to answer, oldest
                            first (MW_ANSWERS_GREETING, a command line,
                            MW_ANSWERS_END_OF_DATA);
                            a reply answers the head (RFC 5321 §4.2: one
                            reply per command, in order, even pipelined) */
};

/* One mailwalk-server: Bob's, or Alice's (two hops). */
typedef struct {
    MwRun *run;
    const char *who;         /* "bob" or "alice": its folder in the run's */
    char *dir;               /* <run>/bob: maildir/, events.jsonl, output */
    GSubprocess *process;    /* the running server, or NULL */
    GDataInputStream *out;   /* its stdout, while we look for its ports */
    guint16 port;            /* the plain (port-25 role) listener */
    guint16 submission_port; /* the submission listener, if asked for */
    gboolean wants_submission;
    void (*then)(MwRun *run); /* the next step once the ports are known */
    goffset log_offset;       /* how far we have read its event log */
    GString *log_partial;     /* a log line not yet complete */
    GHashTable *tls_sessions; /* sessions that said STARTTLS (their lines
                                 are sealed on the wire) */
    Hop *hop;                 /* the hop it answers on */
    guint column;             /* its column in the diagram */
    char *program;            /* a lab's server in place of mailwalk-server,
                                 or NULL */
} Server;

struct _MwRun {
    GObject parent_instance;
    const MwScenario *scenario;
    char *dir;               /* the temporary folder */
    Server bob;              /* Bob's mailwalk-server */
    Server alice;            /* Alice's, with the queue (two hops) */
    Hop hops[2];             /* [0]: the client's hop, [1]: the relay (two hops) */
    GQueue held;             /* Hop*, one per held unit: whose tap to release next */
    GSubprocess *client;     /* Alice's mailwalk-send */
    char *client_program;    /* a lab's client in place of mailwalk-send, or NULL */
    gboolean headless;       /* nobody watches: the taps hold nothing (the
                                reference run beside a lab run) */
    gint64 last_activity_us; /* when the last line was emitted */
    GCancellable *cancellable;
    guint log_poll_id; /* timer that reads the event logs */
    /* The console: the window itself is the client. */
    GSocketConnection *console;
    GQueue console_out; /* GBytes lines waiting to be written */
    gboolean console_writing;
    guchar console_buffer[4096];
    /* The scripted client: its next line, and a reply not yet complete. */
    guint script_next;
    GString *script_in;
    /* Columns that are not a hop's ends. */
    guint mailbox_column; /* Bob's mailbox */
    guint reader_column;  /* Bob's user agent */
    /* How the story goes. */
    gboolean started;          /* "started" emitted */
    gboolean client_done;      /* the client has exited (or closed) */
    int client_status;         /* its exit status */
    gboolean story_done;       /* two hops: relayed, or the bounce stored */
    gboolean bob_late_started; /* bob-is-down: Bob's server has started */
    gboolean reader_started;   /* the user agent is reading the mailbox */
    gboolean reader_done;
    gboolean finished; /* "finished" emitted */
};

G_DEFINE_FINAL_TYPE(MwRun, mw_run, G_TYPE_OBJECT)

enum { SIGNAL_LINE, SIGNAL_STARTED, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void maybe_finish(MwRun *run);
static char *client_outcome(MwRun *run);
static void fail(MwRun *run, const char *message);
static gboolean poll_event_logs(gpointer data);

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

/* A lab's program ("lab03-server"): $MAILWALK_BINDIR, then build/labs/
 * beside the build's gui/ (where labs/meson.build puts it, as
 * build/labs/labNN-recipe.json's "built" map says). NULL if not built. */
char *mw_find_lab_program(const char *name)
{
    const char *bindir = g_getenv("MAILWALK_BINDIR");
    char *self = g_file_read_link("/proc/self/exe", NULL);
    char *here = self ? g_path_get_dirname(self) : g_strdup(".");
    g_free(self);
    char *candidates[] = {
        bindir ? g_build_filename(bindir, name, NULL) : NULL,
        bindir ? g_build_filename(bindir, "..", "labs", name, NULL) : NULL,
        g_build_filename(here, "..", "labs", name, NULL),
    };
    char *found = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (found == NULL && candidates[i] != NULL &&
            g_file_test(candidates[i], G_FILE_TEST_IS_EXECUTABLE))
            found = g_strdup(candidates[i]);
        g_free(candidates[i]);
    }
    g_free(here);
    return found;
}

/* ----- patience: a held line must not cost the programs their timeouts --------- */

/* RFC 5321 §4.5.3.2 gives a client 2 minutes for the 354 after DATA and 5
 * or 10 for the other replies, and a server at least 5 minutes of a silent
 * client (§4.5.3.2.7). A window that holds a line while a class talks
 * would cost the programs those timeouts: a client that gives up after two
 * minutes on a held 354 breaks the story. The window controls both ends,
 * so it gives its own programs longer ones, and says so in the diagram.
 * MAILWALK_PATIENCE (seconds) shortens them, for tests that pause. */
#define MW_PATIENCE_SECONDS 3600

guint mw_run_patience_seconds(void)
{
    const char *env = g_getenv("MAILWALK_PATIENCE");
    guint64 value = env != NULL ? g_ascii_strtoull(env, NULL, 10) : 0;
    return value > 0 && value <= 86400 ? (guint)value : MW_PATIENCE_SECONDS;
}

/* A server outlasts the client whose reply is held: the client, which
 * knows what it was waiting for, is the one to say why it stopped. */
static guint server_patience_seconds(MwRun *run)
{
    return run->headless ? 600 : mw_run_patience_seconds() + 60;
}

/* ----- lines ------------------------------------------------------------------ */

static void emit_line(MwRun *run, MwLine *line, gboolean held)
{
    run->last_activity_us = g_get_monotonic_time();
    g_signal_emit(run, signals[SIGNAL_LINE], 0, line, held);
}

/* A line that is not on the wire: from an event log or a program's output.
 * from == to makes it a note beside one actor. */
static MwLine *event_line(Hop *hop, const char *event, guint from, guint to,
                          const char *text)
{
    MwLine *line = mw_line_new(MW_LINE_EVENT, from, to, text);
    line->event = g_strdup(event);
    line->phase = hop->phase;
    line->hop = hop->run->scenario->hops > 1 ? hop->number : 0;
    return line;
}

/* Turn a unit of bytes from a tap into a line, and classify it. */
static MwLine *classify(Hop *hop, MwTapDirection direction, GBytes *bytes, gint kind,
                        gint tls_type)
{
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    guint from =
        direction == MW_TAP_TO_SERVER ? hop->client_column : hop->server_column;
    guint to = direction == MW_TAP_TO_SERVER ? hop->server_column : hop->client_column;
    guint shown_hop = hop->run->scenario->hops > 1 ? hop->number : 0;

    if (kind == TAP_UNIT_TLS_RECORD) {
        char *text = g_strdup_printf("sealed TLS record: %s, %zu bytes",
                                     tap_tls_type_name(tls_type), (size_t)len);
        MwLine *line = mw_line_new(MW_LINE_TLS, from, to, text);
        line->tls_type = g_strdup(tap_tls_type_name(tls_type));
        line->phase = hop->phase;
        line->hop = shown_hop;
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
        line->phase = hop->phase;
        const char *head = g_queue_peek_head(&hop->awaiting);
        line->answers = g_strdup(head ? head : MW_ANSWERS_NOTHING);
        if (line->last)
            g_free(g_queue_pop_head(&hop->awaiting));
        if (line->code == 354)
            hop->in_data = TRUE, hop->in_body = FALSE;
    } else if (hop->in_data) {
        line = mw_line_new(MW_LINE_DATA, from, to, text);
        line->phase = MW_PHASE_TRANSFER;
        if (strcmp(text, ".") == 0) {
            line->data_part = MW_DATA_END;
            hop->in_data = FALSE;
            g_queue_push_tail(&hop->awaiting, g_strdup(MW_ANSWERS_END_OF_DATA));
        } else if (!hop->in_body && text[0] == '\0') {
            line->data_part = MW_DATA_SEPARATOR;
            hop->in_body = TRUE;
        } else {
            line->data_part = hop->in_body ? MW_DATA_BODY : MW_DATA_HEADER;
        }
    } else {
        line = mw_line_new(MW_LINE_COMMAND, from, to, text);
        g_queue_push_tail(&hop->awaiting, g_strdup(text));
        hop->phase = mw_phase_of_command(text);
        line->phase = hop->phase;
    }
    line->hop = shown_hop;
    g_free(text);
    return line;
}

static void on_unit_arrived(MwTap *tap, guint conn, gint direction, GBytes *bytes,
                            gint kind, gint tls_type, gpointer data)
{
    (void)tap, (void)conn;
    Hop *hop = data;
    /* What the servers logged until now happened before this unit
     * arrived: show it first, so the diagram keeps the real order. */
    poll_event_logs(hop->run);
    /* Remember whose tap holds it: the window releases lines in the order
     * they were emitted, and each tap releases its own oldest. Headless,
     * the tap has passed it on already. */
    if (!hop->run->headless)
        g_queue_push_tail(&hop->run->held, hop);
    emit_line(hop->run, classify(hop, direction, bytes, kind, tls_type),
              !hop->run->headless);
}

static void on_connection_opened(MwTap *tap, guint conn, gpointer data)
{
    (void)tap, (void)conn;
    Hop *hop = data;
    hop->open++;
    /* A new connection is a new SMTP session: it starts with setup. */
    hop->phase = MW_PHASE_SETUP;
    hop->in_data = hop->in_body = FALSE;
    /* The first thing a server says is its greeting (RFC 5321 §4.3.1). */
    g_queue_clear_full(&hop->awaiting, g_free);
    g_queue_push_tail(&hop->awaiting, g_strdup(MW_ANSWERS_GREETING));
}

static void on_connection_closed(MwTap *tap, guint conn, gpointer data)
{
    (void)tap, (void)conn;
    Hop *hop = data;
    if (hop->open > 0)
        hop->open--;
    hop->closed++;
    maybe_finish(hop->run);
}

/* The tap accepted a connection but could not reach the server behind it:
 * the client sees its connection close without a greeting, as if the host
 * were down. (bob-is-down: Alice's queue runner will try again.) */
static void on_connection_failed(MwTap *tap, guint conn, const char *message,
                                 gpointer data)
{
    (void)tap, (void)conn;
    Hop *hop = data;
    poll_event_logs(hop->run); /* the attempt that led here comes first */
    char *text =
        g_strdup_printf("no answer: %s is not running (%s); the connection "
                        "closes without a greeting",
                        hop->number == 2 ? "Bob's server" : "the server", message);
    /* A note beside the client that tried, not an arrow: the server that
     * would have sent one is not running. */
    emit_line(hop->run,
              event_line(hop, "refused", hop->client_column, hop->client_column, text),
              FALSE);
    g_free(text);
    maybe_finish(hop->run);
}

/* ----- the event logs: what no wire shows -------------------------------------- */

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

/* A field that may be a string or a bare number ("try":2): as text. */
static char *json_field(const char *json, const char *key)
{
    char *value = json_string(json, key);
    if (value != NULL)
        return value;
    char *needle = g_strdup_printf("\"%s\":", key);
    const char *p = strstr(json, needle);
    g_free(needle);
    if (p == NULL)
        return g_strdup("?");
    p += strlen(key) + 3;
    return g_strndup(p, strcspn(p, ",}"));
}

/* After STARTTLS the tap sees only sealed records. The server's event log
 * still knows every line it decrypted: show them, marked as what an
 * eavesdropper does NOT see. */
static void show_inside(Server *server, const char *event, const char *json)
{
    Hop *hop = server->hop;
    gboolean in = strcmp(event, "line_in") == 0 || strcmp(event, "data_in") == 0;
    char *text = json_string(json, "text");
    char *valid = g_utf8_make_valid(text ? text : "", -1);
    guint client = hop->client_column, srv = hop->server_column;
    MwLine *line = event_line(hop, "inside", in ? client : srv, in ? srv : client, "");
    /* What it is, as classify() does for a line in the clear: the tap
     * cannot read the commands any more, so the phase, the data's parts
     * and what each reply answers follow the decrypted lines. */
    if (strcmp(event, "data_in") == 0) {
        line->inside = MW_LINE_DATA;
        hop->phase = MW_PHASE_TRANSFER;
        if (strcmp(valid, ".") == 0) {
            line->data_part = MW_DATA_END;
            g_queue_push_tail(&hop->awaiting, g_strdup(MW_ANSWERS_END_OF_DATA));
        } else if (!hop->in_body && valid[0] == '\0') {
            line->data_part = MW_DATA_SEPARATOR;
            hop->in_body = TRUE;
        } else {
            line->data_part = hop->in_body ? MW_DATA_BODY : MW_DATA_HEADER;
        }
    } else if (in) {
        line->inside = MW_LINE_COMMAND;
        hop->phase = mw_phase_of_command(valid);
        g_queue_push_tail(&hop->awaiting, g_strdup(valid));
    } else {
        line->inside = MW_LINE_REPLY;
        g_free(line->text);
        line->text = g_strdup(valid);
        mw_line_parse_reply(line);
        const char *head = g_queue_peek_head(&hop->awaiting);
        line->answers = g_strdup(head ? head : MW_ANSWERS_NOTHING);
        if (line->last)
            g_free(g_queue_pop_head(&hop->awaiting));
        if (line->code == 354)
            hop->in_body = FALSE;
    }
    line->phase = line->inside == MW_LINE_DATA ? MW_PHASE_TRANSFER : hop->phase;
    g_free(line->text);
    line->text = g_strdup_printf("inside TLS: %s", valid);
    emit_line(server->run, line, FALSE);
    g_free(valid);
    g_free(text);
}

/* A note from Alice's queue runner (session "queue"), beside her server
 * or, for an attempt, as the arrow of a new connection to the next hop. */
static void show_queue_event(MwRun *run, const char *event, const char *json)
{
    Hop *relay = &run->hops[1];
    guint alice = run->alice.column, bob = run->bob.column;
    char *id = json_field(json, "id");
    char *to = json_field(json, "to");
    char *text = NULL;
    guint from = alice, dest = alice;
    if (strcmp(event, "queued") == 0) {
        char *sender = json_field(json, "from");
        text = g_strdup_printf("queued as %s: <%s> to <%s>, on disk before the 250; "
                               "now it is Alice's server's job",
                               id, sender, to);
        g_free(sender);
        emit_line(run, event_line(&run->hops[0], event, from, dest, text), FALSE);
        g_free(text);
        g_free(id);
        g_free(to);
        return;
    } else if (strcmp(event, "attempt") == 0) {
        char *host = json_field(json, "host");
        char *try = json_field(json, "try");
        relay->phase = MW_PHASE_SETUP;
        text = g_strdup_printf("queue runner, try %s: connect to %s (bob.example's "
                               "next hop, from the routes file)",
                               try, host);
        dest = bob;
        g_free(host);
        g_free(try);
    } else if (strcmp(event, "relayed") == 0) {
        char *reply = json_field(json, "reply");
        text = g_strdup_printf("relayed %s: Bob's server said \"%s\"; it is his job "
                               "now, so the queue forgets it",
                               id, reply);
        g_free(reply);
        if (run->scenario->expect == MW_EXPECT_DELIVERED)
            run->story_done = TRUE;
    } else if (strcmp(event, "deferred") == 0) {
        char *reply = json_field(json, "reply");
        char *retry = json_field(json, "retry_at");
        text = g_strdup_printf("deferred %s: %s; it stays queued, next try at %s", id,
                               reply, retry);
        g_free(reply);
        g_free(retry);
    } else if (strcmp(event, "bounced") == 0) {
        char *status = json_field(json, "status");
        char *why = json_field(json, "why");
        text = g_strdup_printf("gave up on <%s> (%s): %s", to, status, why);
        g_free(status);
        g_free(why);
    } else if (strcmp(event, "relay_note") == 0) {
        /* The relay says why it does what it does next ("PIPELINING:
         * sending MAIL, RCPT and DATA without waiting"). Its notes about
         * connecting repeat what the attempt line and the tap show. */
        char *note = json_field(json, "text");
        if (!g_str_has_prefix(note, "connect"))
            text = g_strdup_printf("relay: %s", note);
        g_free(note);
    } else if (strcmp(event, "bounce_sent") == 0) {
        char *bounce = json_field(json, "bounce_id");
        text = g_strdup_printf("bounce %s sent to <%s>: a new letter, from the "
                               "null sender <>, into Alice's own mailbox",
                               bounce, to);
        g_free(bounce);
        /* Alice is local to her server: the bounce is in her Maildir. */
        if (run->scenario->expect == MW_EXPECT_BOUNCED)
            run->story_done = TRUE;
    }
    if (text != NULL)
        emit_line(run, event_line(relay, event, from, dest, text), FALSE);
    g_free(text);
    g_free(id);
    g_free(to);
}

static void start_bob_late(MwRun *run);

static void handle_log_line(Server *server, const char *json)
{
    MwRun *run = server->run;
    char *event = json_string(json, "event");
    char *session = json_string(json, "session");
    if (event == NULL || session == NULL)
        goto done;
    if (strcmp(event, "tls") == 0) {
        g_hash_table_add(server->tls_sessions, g_strdup(session));
    } else if ((strcmp(event, "line_in") == 0 || strcmp(event, "line_out") == 0 ||
                strcmp(event, "data_in") == 0) &&
               g_hash_table_contains(server->tls_sessions, session)) {
        show_inside(server, event, json);
    } else if (strcmp(event, "delivered") == 0) {
        char *mailbox = json_string(json, "mailbox");
        char *file = json_string(json, "file");
        MwLine *line;
        if (server == &run->bob || strcmp(session, "queue") != 0) {
            char *text = g_strdup_printf(
                "stored in %s's Maildir: new/%s  (fsync, then 250)", mailbox, file);
            line = event_line(
                server->hop, "delivered", server->column,
                server == &run->bob ? run->mailbox_column : server->column, text);
            g_free(text);
        } else {
            /* Alice's server delivering from its queue: her bounce. */
            char *text =
                g_strdup_printf("bounce stored in %s's Maildir: new/%s", mailbox, file);
            line = event_line(&run->hops[1], "bounce_stored", server->column,
                              run->hops[0].client_column, text);
            g_free(text);
            if (run->scenario->expect == MW_EXPECT_BOUNCED)
                run->story_done = TRUE;
        }
        emit_line(run, line, FALSE);
        g_free(mailbox);
        g_free(file);
    } else if (server == &run->alice &&
               (strcmp(event, "queued") == 0 || strcmp(session, "queue") == 0 ||
                strcmp(event, "relay_note") == 0)) {
        /* "queued" comes from the submission session that took the
         * letter; the rest from the queue runner. */
        show_queue_event(run, event, json);
        /* bob-is-down: the first attempt has failed; now Bob's server
         * comes up, and the next attempt will find it. */
        if (strcmp(event, "deferred") == 0 && run->scenario->bob_starts_late &&
            !run->bob_late_started)
            start_bob_late(run);
    }
done:
    g_free(event);
    g_free(session);
}

/* Read what a server has added to its event log since the last look. */
static void poll_server_log(Server *server)
{
    if (server->dir == NULL)
        return;
    char *path = g_build_filename(server->dir, "events.jsonl", NULL);
    FILE *file = g_fopen(path, "r");
    g_free(path);
    if (file == NULL)
        return;
    char buf[4096];
    if (fseeko(file, server->log_offset, SEEK_SET) == 0) {
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
            server->log_offset += (goffset)n;
            g_string_append_len(server->log_partial, buf, (gssize)n);
        }
    }
    fclose(file);
    GString *partial = server->log_partial;
    char *nl;
    while ((nl = memchr(partial->str, '\n', partial->len)) != NULL) {
        *nl = '\0';
        char *json = g_strdup(partial->str);
        g_string_erase(partial, 0, nl - partial->str + 1);
        handle_log_line(server, json);
        g_free(json);
    }
}

/* How long a lab run may stay quiet, with no line waiting on the user,
 * before the story is declared over: a student's queue may keep a letter
 * for half an hour (lab 6's starter does), a student's server may never
 * see the end of the data (lab 4's), and nobody should have to wait that
 * long to see the marks. */
#define LAB_QUIET_SECONDS 8

static gboolean poll_event_logs(gpointer data)
{
    MwRun *run = data;
    poll_server_log(&run->alice);
    poll_server_log(&run->bob);
    maybe_finish(run);
    if (run->scenario->lab > 0 && run->started && !run->finished &&
        g_queue_is_empty(&run->held) &&
        g_get_monotonic_time() - run->last_activity_us >
            LAB_QUIET_SECONDS * G_USEC_PER_SEC) {
        char *message = g_strdup_printf(
            "Unexpected: nothing happened for %d s, so the story ends here.",
            LAB_QUIET_SECONDS);
        run->finished = TRUE;
        g_signal_emit(run, signals[SIGNAL_FINISHED], 0, FALSE, message);
        g_free(message);
    }
    return G_SOURCE_CONTINUE;
}

/* ----- the end ------------------------------------------------------------------- */

static GSubprocessLauncher *new_launcher(GSubprocessFlags flags);

/* Whose mailbox the user agent reads at the end: "--user NAME ...". */
static const char *reader_user(MwRun *run)
{
    const char *const *args = run->scenario->reader_args;
    return args != NULL && args[0] != NULL && args[1] != NULL ? args[1] : "bob";
}

/* A line of the reading: not SMTP at all (it comes after termination).
 * Bob reads his mailbox in his own columns; Alice reads hers, which is
 * kept by her server. */
static void emit_read_line(MwRun *run, gboolean asking, const char *text)
{
    gboolean alice = strcmp(reader_user(run), "alice") == 0;
    guint agent = alice ? run->hops[0].client_column : run->reader_column;
    guint box = alice ? run->alice.column : run->mailbox_column;
    Hop *hop = &run->hops[run->scenario->hops - 1];
    MwLine *line = event_line(hop, alice ? "read_bounce" : "read", asking ? agent : box,
                              asking ? box : agent, text);
    line->phase = MW_PHASE_READING;
    line->hop = 0;
    emit_line(run, line, FALSE);
}

static void on_reader_done(GObject *source, GAsyncResult *result, gpointer data)
{
    char *out = NULL;
    GError *error = NULL;
    gboolean ok = g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result,
                                                       &out, NULL, &error);
    g_object_unref(source);
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
            emit_read_line(run, FALSE, text);
    }
    g_strfreev(lines);
    g_free(out);
    g_clear_error(&error);
    run->reader_done = TRUE;
    maybe_finish(run);
}

/* The last act: a user agent reads the mailbox. SMTP pushed the letter
 * to the server and stops there; reading is a pull. */
static void start_reader(MwRun *run)
{
    run->reader_started = TRUE;
    const char *const *args = run->scenario->reader_args;
    if (args == NULL) {
        run->reader_done = TRUE;
        return;
    }
    gboolean alice = strcmp(reader_user(run), "alice") == 0;
    char *program = mw_find_program("mailwalk-read");
    char *maildir =
        g_build_filename(alice ? run->alice.dir : run->bob.dir, "maildir", NULL);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, program);
    g_ptr_array_add(argv, "--maildir");
    g_ptr_array_add(argv, maildir);
    GString *shown = g_string_new("mailwalk-read");
    for (guint i = 0; args[i] != NULL; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
        g_string_append_printf(shown, " %s", args[i]);
    }
    g_ptr_array_add(argv, NULL);
    emit_read_line(run, TRUE, shown->str);
    g_string_free(shown, TRUE);
    GSubprocessLauncher *launcher =
        new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
    GSubprocess *reader =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, NULL);
    g_object_unref(launcher);
    if (reader == NULL)
        run->reader_done = TRUE;
    else
        g_subprocess_communicate_utf8_async(reader, NULL, run->cancellable,
                                            on_reader_done, run);
    g_ptr_array_free(argv, TRUE);
    g_free(program);
    g_free(maildir);
}

/* Why the client stopped, in its own words: the last line its error
 * messages start with ("mailwalk-send: no reply to DATA within 120 s"),
 * from its output in the run's folder; NULL if it said nothing. */
static char *client_reason(MwRun *run)
{
    char *path = g_build_filename(run->dir, "mailwalk-send.txt", NULL);
    char *text = NULL;
    g_file_get_contents(path, &text, NULL, NULL);
    g_free(path);
    if (text == NULL)
        return NULL;
    char *program = run->client_program ? g_path_get_basename(run->client_program)
                                        : g_strdup("mailwalk-send");
    char *prefix = g_strdup_printf("%s: ", program);
    char *reason = NULL;
    char **lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], prefix)) {
            g_free(reason);
            reason = g_utf8_make_valid(lines[i] + strlen(prefix), -1);
        }
    }
    g_strfreev(lines);
    g_free(prefix);
    g_free(program);
    g_free(text);
    return reason;
}

/* "exited with 3 (no reply to DATA within 120 s)": the status, and the
 * reason when the client failed. */
static char *client_outcome(MwRun *run)
{
    if (run->client_status == 0)
        return g_strdup("exited with 0");
    char *reason = client_reason(run);
    char *outcome = reason != NULL ? g_strdup_printf("exited with %d: \"%s\"",
                                                     run->client_status, reason)
                                   : g_strdup_printf("exited with %d (it said nothing "
                                                     "about why)",
                                                     run->client_status);
    g_free(reason);
    return outcome;
}

static void emit_finished(MwRun *run, gboolean ok, const char *message)
{
    g_signal_emit(run, signals[SIGNAL_FINISHED], 0, ok, message);
}

/* Has the scenario told its story? Then read the mailbox, then say so. */
static void maybe_finish(MwRun *run)
{
    if (run->finished || !run->started)
        return;
    Hop *first = &run->hops[0];
    if (run->scenario->client == MW_CLIENT_YOURS) {
        /* Your own client: when its connection has closed, tell, and wait
         * for the next one on the same tap. */
        if (first->closed == 0 || first->open > 0)
            return;
        first->closed = 0;
        poll_server_log(&run->bob);
        guint delivered = mw_run_count_delivered(run, "bob");
        char *message = g_strdup_printf(
            "Connection closed; %u letter%s in Bob's Maildir so far. Connect again "
            "to 127.0.0.1:%u.",
            delivered, delivered == 1 ? "" : "s", mw_run_get_tap_port(run));
        emit_finished(run, TRUE, message);
        g_free(message);
        return;
    }
    if (!run->client_done || first->open > 0 || first->closed == 0)
        return;
    /* Two hops: the client's part is over; the queue's goes on until
     * the letter is relayed (or bounced) and the relay has said QUIT. A
     * client that failed (no AUTH, say) left nothing to relay. */
    if (run->scenario->hops > 1 && run->client_status == 0 &&
        (!run->story_done || run->hops[1].open > 0))
        return;
    if (!run->reader_started) {
        start_reader(run);
        if (!run->reader_done)
            return; /* on_reader_done() comes back here */
    }
    if (!run->reader_done)
        return;
    run->finished = TRUE;
    guint delivered =
        mw_run_count_delivered(run, "bob") + mw_run_count_delivered(run, "carol");
    guint bounces = mw_run_count_alice(run, "alice");
    gboolean ok = TRUE;
    switch (run->scenario->expect) {
    case MW_EXPECT_DELIVERED:
        ok = delivered > 0;
        break;
    case MW_EXPECT_REFUSED:
        ok = delivered == 0;
        break;
    case MW_EXPECT_BOUNCED:
        ok = delivered == 0 && bounces > 0;
        break;
    case MW_EXPECT_ANYTHING:
        break;
    }
    char *message;
    char *outcome = client_outcome(run);
    if (run->scenario->client == MW_CLIENT_CONSOLE)
        message = g_strdup_printf("Done: the connection is closed; %u letter%s in "
                                  "Bob's Maildir. Ctrl+R starts a new session.",
                                  delivered, delivered == 1 ? "" : "s");
    else if (run->scenario->client == MW_CLIENT_SCRIPT)
        message = g_strdup_printf("%s: the scripted client has said QUIT; %u letter%s "
                                  "in Bob's Maildir.",
                                  ok ? "Done" : "Unexpected", delivered,
                                  delivered == 1 ? "" : "s");
    else if (run->scenario->expect == MW_EXPECT_BOUNCED)
        message = g_strdup_printf("%s: mailwalk-send %s; %u letter%s for "
                                  "Bob, %u bounce%s in Alice's Maildir.",
                                  ok ? "Done" : "Unexpected", outcome, delivered,
                                  delivered == 1 ? "" : "s", bounces,
                                  bounces == 1 ? "" : "s");
    else
        message = g_strdup_printf("%s: mailwalk-send %s; %u letter%s in "
                                  "the Maildirs.",
                                  ok ? "Done" : "Unexpected", outcome, delivered,
                                  delivered == 1 ? "" : "s");
    emit_finished(run, ok, message);
    g_free(message);
    g_free(outcome);
}

/* Something did not start: say why, and end the story there. */
static void fail(MwRun *run, const char *message)
{
    if (run->finished)
        return;
    run->finished = TRUE;
    emit_finished(run, FALSE, message);
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
    if (run->client_status != 0 && !run->headless) {
        /* A row beside the client: it stopped, and why (a refusal it
         * could not get past, or a reply that never came), where the
         * story broke off; the status line says it again at the end. */
        char *outcome = client_outcome(run);
        char *text = g_strdup_printf("the client stopped: it %s", outcome);
        Hop *hop = &run->hops[0];
        emit_line(run,
                  event_line(hop, "client_failed", hop->client_column,
                             hop->client_column, text),
                  FALSE);
        g_free(text);
        g_free(outcome);
    }
    maybe_finish(run);
}

/* ----- the console: the window is the client ---------------------------------- */

static void console_write_next(MwRun *run);

static void on_console_written(GObject *source, GAsyncResult *result, gpointer data)
{
    GError *error = NULL;
    g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    g_clear_error(&error); /* a closed connection: the read side will tell */
    MwRun *run = data;
    g_bytes_unref(g_queue_pop_head(&run->console_out));
    run->console_writing = FALSE;
    console_write_next(run);
}

static void console_write_next(MwRun *run)
{
    if (run->console == NULL || run->console_writing ||
        g_queue_is_empty(&run->console_out))
        return;
    gsize len;
    const void *bytes = g_bytes_get_data(g_queue_peek_head(&run->console_out), &len);
    run->console_writing = TRUE;
    g_output_stream_write_all_async(
        g_io_stream_get_output_stream(G_IO_STREAM(run->console)), bytes, len,
        G_PRIORITY_DEFAULT, run->cancellable, on_console_written, run);
}

void mw_run_send_line(MwRun *run, const char *text)
{
    /* SMTP lines end in CR LF (RFC 5321 §2.3.8), whatever the keyboard did. */
    char *line = g_strdup_printf("%s\r\n", text);
    g_queue_push_tail(&run->console_out, g_bytes_new_take(line, strlen(line)));
    console_write_next(run);
}

/* The scripted client heard some bytes: once a reply is complete (its
 * last line, "250 ", not "250-"), it types its next line; after 354,
 * every line of the letter up to and including the lone ".". */
static void script_heard(MwRun *run, const char *bytes, gsize len)
{
    const char *const *script = run->scenario->client_args;
    g_string_append_len(run->script_in, bytes, (gssize)len);
    char *nl;
    while ((nl = memchr(run->script_in->str, '\n', run->script_in->len)) != NULL) {
        gsize line_len = (gsize)(nl - run->script_in->str);
        gboolean complete = line_len >= 3 && g_ascii_isdigit(run->script_in->str[0]) &&
                            (line_len < 4 || run->script_in->str[3] != '-');
        gboolean go_ahead = g_str_has_prefix(run->script_in->str, "354");
        g_string_erase(run->script_in, 0, (gssize)line_len + 1);
        if (!complete)
            continue;
        /* The reply to QUIT: now the client may close (RFC 5321 §4.1.1.10),
         * whether or not the server does. */
        if (run->script_next > 0 &&
            g_ascii_strcasecmp(script[run->script_next - 1], "QUIT") == 0) {
            g_io_stream_close(G_IO_STREAM(run->console), NULL, NULL);
            return;
        }
        /* DATA refused (anything but 354): the letter must not be sent
         * (RFC 5321 §4.1.1.4), or the server would read each of its lines
         * as a command. Skip it, up to its ".", and go on with the next
         * command. */
        if (script != NULL && !go_ahead && run->script_next > 0 &&
            g_ascii_strcasecmp(script[run->script_next - 1], "DATA") == 0) {
            while (script[run->script_next] != NULL &&
                   strcmp(script[run->script_next++], ".") != 0)
                ;
        }
        while (script != NULL && script[run->script_next] != NULL) {
            const char *next = script[run->script_next++];
            mw_run_send_line(run, next);
            if (!go_ahead || strcmp(next, ".") == 0)
                break;
        }
    }
}

/* The replies are on the diagram already (the tap saw them); the console
 * only has to take them off the wire, and notice when the server closes. */
static void on_console_read(GObject *source, GAsyncResult *result, gpointer data)
{
    GError *error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    g_clear_error(&error);
    MwRun *run = data;
    if (n > 0 && run->scenario->client == MW_CLIENT_SCRIPT)
        script_heard(run, (const char *)run->console_buffer, (gsize)n);
    if (n > 0) {
        g_input_stream_read_async(G_INPUT_STREAM(source), run->console_buffer,
                                  sizeof run->console_buffer, G_PRIORITY_DEFAULT,
                                  run->cancellable, on_console_read, run);
        return;
    }
    /* The server closed (after 221, or a 421): so do we. */
    g_io_stream_close(G_IO_STREAM(run->console), NULL, NULL);
    run->client_done = TRUE;
    maybe_finish(run);
}

static void on_console_connected(GObject *source, GAsyncResult *result, gpointer data)
{
    GError *error = NULL;
    GSocketConnection *connection =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    MwRun *run = data;
    if (connection == NULL) {
        fail(run, error->message);
        g_error_free(error);
        return;
    }
    run->console = connection;
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(connection)),
                              run->console_buffer, sizeof run->console_buffer,
                              G_PRIORITY_DEFAULT, run->cancellable, on_console_read,
                              run);
    console_write_next(run);
}

/* ----- starting ------------------------------------------------------------------- */

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

static void on_server_line(GObject *source, GAsyncResult *result, gpointer data);

/* Read the server's "listening on 127.0.0.1:PORT" lines, one at a time. */
static void read_next_server_line(Server *server)
{
    g_data_input_stream_read_line_async(server->out, G_PRIORITY_DEFAULT,
                                        server->run->cancellable, on_server_line,
                                        server);
}

static void on_server_line(GObject *source, GAsyncResult *result, gpointer data)
{
    GError *error = NULL;
    char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source),
                                                      result, NULL, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        g_free(line);
        return;
    }
    Server *server = data;
    MwRun *run = server->run;
    if (line == NULL) {
        char *message =
            g_strdup_printf("%s's mailwalk-server did not start (see %s/%s/"
                            "mailwalk-server.txt; is it built, does it know "
                            "every option?)",
                            server->who, run->dir, server->who);
        g_clear_error(&error);
        g_clear_object(&server->out);
        fail(run, message);
        g_free(message);
        return;
    }
    const char *at = strstr(line, "listening on 127.0.0.1:");
    if (at != NULL) {
        guint16 port =
            (guint16)g_ascii_strtoull(at + strlen("listening on 127.0.0.1:"), NULL, 10);
        if (strstr(at, "(submission)") != NULL)
            server->submission_port = port;
        else if (strchr(at, '(') == NULL)
            server->port = port;
    }
    g_free(line);
    if (server->port != 0 && (!server->wants_submission || server->submission_port))
        server->then(run); /* the stream stays: it is read no further */
    else
        read_next_server_line(server);
}

/* Start a mailwalk-server with these options; then() runs once its ports
 * are known. Its messages go to <dir>/mailwalk-server.txt. */
static gboolean start_server(Server *server, GPtrArray *args, void (*then)(MwRun *),
                             GError **error)
{
    char *program = server->program ? g_strdup(server->program)
                                    : mw_find_program("mailwalk-server");
    g_ptr_array_insert(args, 0, program);
    g_ptr_array_add(args, NULL);
    GSubprocessLauncher *launcher = new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    char *server_err = g_build_filename(server->dir, "mailwalk-server.txt", NULL);
    g_subprocess_launcher_set_stderr_file_path(launcher, server_err);
    server->process =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)args->pdata, error);
    g_object_unref(launcher);
    g_free(server_err);
    g_ptr_array_free(args, TRUE);
    if (server->process == NULL)
        return FALSE;
    server->then = then;
    server->out =
        g_data_input_stream_new(g_subprocess_get_stdout_pipe(server->process));
    read_next_server_line(server);
    return TRUE;
}

/* A server's usual options: where it lives, what it is called. */
static GPtrArray *server_args(Server *server, const char *hostname, const char *domain,
                              const char *const *extra)
{
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    const char *const fixed[] = {"--listen", "127.0.0.1:0", "--hostname",
                                 hostname,   "--domain",    domain};
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(args, g_strdup(fixed[i]));
    g_ptr_array_add(args, g_strdup("--timeout"));
    g_ptr_array_add(args, g_strdup_printf("%u", server_patience_seconds(server->run)));
    /* A lecture paused now and then may hold one session far longer than
     * the server's 30 minutes; a day is more than any class. */
    g_ptr_array_add(args, g_strdup("--session-limit"));
    g_ptr_array_add(args, g_strdup("1d"));
    g_ptr_array_add(args, g_strdup("--maildir"));
    g_ptr_array_add(args, g_build_filename(server->dir, "maildir", NULL));
    g_ptr_array_add(args, g_strdup("--log"));
    g_ptr_array_add(args, g_build_filename(server->dir, "events.jsonl", NULL));
    for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
        g_ptr_array_add(args, g_strdup(extra[i]));
    return args;
}

static gboolean start_bob(MwRun *run, void (*then)(MwRun *), GError **error)
{
    return start_server(&run->bob,
                        server_args(&run->bob, "mx.bob.example", "bob.example",
                                    run->scenario->server_args),
                        then, error);
}

static GSubprocess *start_client(MwRun *run, guint16 tap_port, GError **error)
{
    char *program = run->client_program ? g_strdup(run->client_program)
                                        : mw_find_program("mailwalk-send");
    char *server = g_strdup_printf("127.0.0.1:%u", tap_port);
    char *big_file = g_build_filename(run->dir, "letter.txt", NULL);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(program));
    g_ptr_array_add(argv, g_strdup("--server"));
    g_ptr_array_add(argv, g_strdup(server));
    /* Our own client waits as long as the window may hold a reply (a lab's
     * client keeps its own timeouts: it may not know the option). */
    if (run->client_program == NULL && !run->headless) {
        g_ptr_array_add(argv, g_strdup("--reply-timeout"));
        g_ptr_array_add(argv, g_strdup_printf("%u", mw_run_patience_seconds()));
    }
    for (guint i = 0; run->scenario->client_args[i] != NULL; i++) {
        const char *arg = run->scenario->client_args[i];
        char *value;
        if (strcmp(arg, "@CERT@") == 0) {
            /* The server's classroom certificate: trust exactly that one. */
            value = g_build_filename(run->bob.dir, "maildir", ".state", "tls-cert.pem",
                                     NULL);
        } else if (strcmp(arg, "@ALICE_CERT@") == 0) {
            value = g_build_filename(run->alice.dir, "maildir", ".state",
                                     "tls-cert.pem", NULL);
        } else if (strcmp(arg, "@ALICE_PASSWORD@") == 0) {
            value = g_build_filename(run->alice.dir, "password", NULL);
        } else if (strcmp(arg, "@LONG_FILE@") == 0) {
            /* A thousand numbered lines, for "A long letter". */
            GString *text = g_string_new(NULL);
            for (int n = 1; n <= 1000; n++)
                g_string_append_printf(text, "Line %d of the long letter.\n", n);
            g_file_set_contents(big_file, text->str, (gssize)text->len, NULL);
            g_string_free(text, TRUE);
            value = g_strdup(big_file);
        } else if (strcmp(arg, "@BIG_FILE@") == 0) {
            /* 100 KiB of text, for "Message too big". */
            GString *text = g_string_new(NULL);
            while (text->len < 100 * 1024)
                g_string_append(text, "A line of a very long letter about holidays.\n");
            g_file_set_contents(big_file, text->str, (gssize)text->len, NULL);
            g_string_free(text, TRUE);
            value = g_strdup(big_file);
        } else {
            value = g_strdup(arg);
        }
        g_ptr_array_add(argv, value);
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
    return client;
}

/* A tap on hop, relaying to port; FALSE (and the run fails) if it cannot
 * listen. */
static gboolean start_tap(Hop *hop, guint16 port, guint16 preferred)
{
    hop->tap = mw_tap_new("127.0.0.1", port);
    mw_tap_set_hold(hop->tap, !hop->run->headless);
    if (preferred != 0)
        mw_tap_set_preferred_port(hop->tap, preferred);
    g_signal_connect(hop->tap, "unit-arrived", G_CALLBACK(on_unit_arrived), hop);
    g_signal_connect(hop->tap, "connection-opened", G_CALLBACK(on_connection_opened),
                     hop);
    g_signal_connect(hop->tap, "connection-closed", G_CALLBACK(on_connection_closed),
                     hop);
    g_signal_connect(hop->tap, "connection-failed", G_CALLBACK(on_connection_failed),
                     hop);
    GError *error = NULL;
    if (!mw_tap_start(hop->tap, &error)) {
        fail(hop->run, error->message);
        g_error_free(error);
        return FALSE;
    }
    return TRUE;
}

/* A duration for people: "60 min", or "45 s" for a test's short one. */
static char *say_duration(guint seconds)
{
    return seconds >= 120 && seconds % 60 == 0 ? g_strdup_printf("%u min", seconds / 60)
                                               : g_strdup_printf("%u s", seconds);
}

/* The first row: pausing costs nothing, and why (see patience above). */
static void emit_patience_note(MwRun *run)
{
    if (run->headless || run->scenario->client == MW_CLIENT_YOURS)
        return;
    char *client = say_duration(mw_run_patience_seconds());
    char *server = say_duration(server_patience_seconds(run));
    char *text;
    if (run->scenario->client == MW_CLIENT_SEND && run->client_program == NULL)
        text = g_strdup_printf(
            "pause as long as you like: the window gives mailwalk-send %s for each "
            "reply (RFC 5321 §4.5.3.2: 2 to 10 min) and its servers %s for a silent "
            "client (at least 5 min)",
            client, server);
    else
        text = g_strdup_printf(
            "pause as long as you like: the window gives its servers %s for a silent "
            "client (RFC 5321 §4.5.3.2.7: at least 5 min)%s",
            server,
            run->scenario->client == MW_CLIENT_SEND
                ? "; your client keeps its own timeouts"
                : "");
    Hop *hop = &run->hops[0];
    emit_line(run,
              event_line(hop, "patience", hop->client_column, hop->client_column, text),
              FALSE);
    g_free(text);
    g_free(client);
    g_free(server);
}

/* Last step: the first tap in front of the first server, and the client. */
static void start_first_hop(MwRun *run)
{
    Hop *hop = &run->hops[0];
    guint16 upstream =
        run->scenario->hops > 1 ? run->alice.submission_port : run->bob.port;
    guint16 preferred =
        run->scenario->client == MW_CLIENT_YOURS ? MW_OWN_CLIENT_PORT : 0;
    if (!start_tap(hop, upstream, preferred))
        return;
    emit_patience_note(run);
    GError *error = NULL;
    switch (run->scenario->client) {
    case MW_CLIENT_YOURS:
        run->client_done = TRUE; /* bring your own: no client of ours */
        break;
    case MW_CLIENT_CONSOLE:
    case MW_CLIENT_SCRIPT: {
        GSocketClient *connector = g_socket_client_new();
        g_socket_client_connect_to_host_async(
            connector, "127.0.0.1", mw_tap_get_port(hop->tap), run->cancellable,
            on_console_connected, run);
        g_object_unref(connector);
        break;
    }
    case MW_CLIENT_SEND:
        run->client = start_client(run, mw_tap_get_port(hop->tap), &error);
        if (run->client == NULL) {
            fail(run, error->message);
            g_error_free(error);
            return;
        }
        g_subprocess_wait_async(run->client, run->cancellable, on_client_exited, run);
        break;
    }
    run->started = TRUE;
    g_signal_emit(run, signals[SIGNAL_STARTED], 0);
}

/* Write one of the run's small files, or fail the run. */
static gboolean write_file(MwRun *run, const char *path, const char *text)
{
    GError *error = NULL;
    if (g_file_set_contents(path, text, -1, &error))
        return TRUE;
    fail(run, error->message);
    g_error_free(error);
    return FALSE;
}

/* Two hops: tap 2 in front of Bob's server (running or not), then Alice's
 * server, whose routes file names tap 2 as bob.example's next hop. */
static void start_second_hop(MwRun *run)
{
    /* While Bob's server is down, the tap points at port 9 of loopback
     * (discard: nobody listens there): every attempt is refused. */
    if (!start_tap(&run->hops[1], run->bob.port ? run->bob.port : 9, 0))
        return;
    Server *alice = &run->alice;
    char *routes = g_build_filename(alice->dir, "routes", NULL);
    char *users = g_build_filename(alice->dir, "users", NULL);
    char *password = g_build_filename(alice->dir, "password", NULL);
    char *queue = g_build_filename(alice->dir, "queue", NULL);
    /* The routes file stands in for DNS: bob.example's MX would be Bob's
     * server; here it is the tap, which passes everything on to Bob. */
    char *route = g_strdup_printf(
        "# domain      next hop (the wire tap in front of Bob's server)\n"
        "bob.example   127.0.0.1:%u\n",
        mw_tap_get_port(run->hops[1].tap));
    /* Alice's account. The hash was made once with
     *   printf 'alice-in-class' | mailwalk-server --hash-password
     * (PBKDF2 with a random salt): the server never stores the password. */
    const char *account = "alice:pbkdf2-sha256$100000$bwDlPAKwPnRVgcFehlGTZQ==$"
                          "hQq8wsEp3TAVnEF+nwR+QE8/7dbZ1lKM7ApfLWJ3qOM=\n";
    gboolean ok = write_file(run, routes, route) && write_file(run, users, account) &&
                  write_file(run, password, MW_ALICE_PASSWORD "\n");
    if (ok) {
        GPtrArray *args = server_args(alice, "mail.alice.example", "alice.example",
                                      run->scenario->alice_args);
        /* --relay-tls none: the second hop stays plaintext so it can be watched. */
        const char *const more[] = {"--submission", "127.0.0.1:0", "--users",  users,
                                    "--queue",      queue,         "--routes", routes,
                                    "--relay-tls",  "none"};
        for (guint i = 0; i < G_N_ELEMENTS(more); i++)
            g_ptr_array_add(args, g_strdup(more[i]));
        alice->wants_submission = TRUE;
        GError *error = NULL;
        if (!start_server(alice, args, start_first_hop, &error)) {
            fail(run, error->message);
            g_error_free(error);
        }
    }
    g_free(route);
    g_free(routes);
    g_free(users);
    g_free(password);
    g_free(queue);
}

/* bob-is-down, later: Bob's server is up; the tap now passes on to it. */
static void on_bob_late_started(MwRun *run)
{
    mw_tap_set_upstream(run->hops[1].tap, "127.0.0.1", run->bob.port);
    char *text = g_strdup_printf("Bob's server starts, listening on 127.0.0.1:%u",
                                 run->bob.port);
    emit_line(
        run,
        event_line(&run->hops[1], "started", run->bob.column, run->bob.column, text),
        FALSE);
    g_free(text);
}

static void start_bob_late(MwRun *run)
{
    run->bob_late_started = TRUE;
    GError *error = NULL;
    if (!start_bob(run, on_bob_late_started, &error)) {
        fail(run, error->message);
        g_error_free(error);
    }
}

static void init_server(MwRun *run, Server *server, const char *who, Hop *hop,
                        guint column)
{
    server->run = run;
    server->who = who;
    server->dir = g_build_filename(run->dir, who, NULL);
    server->hop = hop;
    server->column = column;
    g_mkdir_with_parents(server->dir, 0700);
}

static void init_hop(MwRun *run, Hop *hop, guint number, guint client, guint server)
{
    hop->run = run;
    hop->number = number;
    hop->client_column = client;
    hop->server_column = server;
    hop->phase = MW_PHASE_SETUP;
}

static void remove_tree(const char *path);

/* A window that died without stopping its run (SIGKILL, a lost display)
 * left the run's folder behind, with TLS private keys and a password file
 * in it. Each run writes its window's process id into its folder; at the
 * next start, the folders whose window is gone are removed. Only those: a
 * window that is still running keeps its own, and a folder without the
 * file is not ours to judge. */
static void remove_abandoned_runs(void)
{
    const char *tmp = g_get_tmp_dir();
    GDir *dir = g_dir_open(tmp, 0, NULL);
    if (dir == NULL)
        return;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_prefix(name, "mailwalk-run-"))
            continue;
        char *folder = g_build_filename(tmp, name, NULL);
        char *pid_file = g_build_filename(folder, "window.pid", NULL);
        char *text = NULL;
        if (g_file_get_contents(pid_file, &text, NULL, NULL)) {
            gint64 pid = g_ascii_strtoll(text, NULL, 10);
            /* kill(pid, 0) sends nothing: it asks whether pid exists. */
            if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                remove_tree(folder);
        }
        g_free(text);
        g_free(pid_file);
        g_free(folder);
    }
    g_dir_close(dir);
}

gboolean mw_run_start(MwRun *run, GError **error)
{
    run->last_activity_us = g_get_monotonic_time();
    remove_abandoned_runs();
    run->dir = g_dir_make_tmp("mailwalk-run-XXXXXX", error);
    if (run->dir == NULL)
        return FALSE;
    char *pid_file = g_build_filename(run->dir, "window.pid", NULL);
    char *pid = g_strdup_printf("%ld\n", (long)getpid());
    gboolean written = g_file_set_contents(pid_file, pid, -1, error);
    g_free(pid);
    g_free(pid_file);
    if (!written)
        return FALSE;
    /* Columns: [Alice's UA] [Alice's server] Bob's server, mailbox, reader. */
    guint hops = run->scenario->hops;
    guint bob_column = hops;
    run->mailbox_column = bob_column + 1;
    run->reader_column = bob_column + 2;
    init_hop(run, &run->hops[0], 1, 0, 1);
    init_hop(run, &run->hops[1], 2, 1, 2);
    init_server(run, &run->bob, "bob", &run->hops[hops - 1], bob_column);
    if (hops > 1)
        init_server(run, &run->alice, "alice", &run->hops[0], 1);
    run->log_poll_id = g_timeout_add(50, poll_event_logs, run);

    void (*after_bob)(MwRun *) = hops > 1 ? start_second_hop : start_first_hop;
    if (hops > 1 && run->scenario->bob_starts_late) {
        after_bob(run); /* Bob's server comes later: start_bob_late() */
        return TRUE;
    }
    GError *spawn_error = NULL;
    if (!start_bob(run, after_bob, &spawn_error)) {
        fail(run, spawn_error->message);
        g_error_free(spawn_error);
    }
    return TRUE;
}

void mw_run_release(MwRun *run)
{
    Hop *hop = g_queue_pop_head(&run->held);
    if (hop != NULL && hop->tap != NULL)
        mw_tap_release_next(hop->tap);
}

guint16 mw_run_get_tap_port(MwRun *run)
{
    return run->hops[0].tap ? mw_tap_get_port(run->hops[0].tap) : 0;
}

/* Letters in <maildir>/<mailbox>/new and cur (read ones move to cur/). */
static guint count_letters(const char *server_dir, const char *mailbox)
{
    guint n = 0;
    const char *const folders[] = {"new", "cur"};
    for (guint i = 0; server_dir != NULL && i < G_N_ELEMENTS(folders); i++) {
        char *path = g_build_filename(server_dir, "maildir", mailbox, folders[i], NULL);
        GDir *dir = g_dir_open(path, 0, NULL);
        g_free(path);
        if (dir == NULL)
            continue;
        while (g_dir_read_name(dir) != NULL)
            n++;
        g_dir_close(dir);
    }
    return n;
}

guint mw_run_count_delivered(MwRun *run, const char *mailbox)
{
    return count_letters(run->bob.dir, mailbox);
}

guint mw_run_count_alice(MwRun *run, const char *mailbox)
{
    return count_letters(run->alice.dir, mailbox);
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

static void stop_tap(Hop *hop)
{
    g_queue_clear_full(&hop->awaiting, g_free);
    if (hop->tap == NULL)
        return;
    g_signal_handlers_disconnect_by_data(hop->tap, hop);
    mw_tap_stop(hop->tap);
    g_clear_object(&hop->tap);
}

/* SIGTERM, as an administrator would: open sessions get 421, and every
 * letter already answered 250 is on disk. */
static void stop_server(Server *server)
{
    g_clear_object(&server->out);
    if (server->process != NULL) {
        g_subprocess_send_signal(server->process, SIGTERM);
        g_subprocess_wait(server->process, NULL, NULL);
        g_clear_object(&server->process);
    }
    g_clear_pointer(&server->dir, g_free);
}

void mw_run_stop(MwRun *run)
{
    g_cancellable_cancel(run->cancellable);
    if (run->log_poll_id != 0) {
        g_source_remove(run->log_poll_id);
        run->log_poll_id = 0;
    }
    stop_tap(&run->hops[0]);
    stop_tap(&run->hops[1]);
    g_queue_clear(&run->held);
    if (run->console != NULL) {
        g_io_stream_close(G_IO_STREAM(run->console), NULL, NULL);
        g_clear_object(&run->console);
    }
    g_queue_clear_full(&run->console_out, (GDestroyNotify)g_bytes_unref);
    if (run->client != NULL) {
        g_subprocess_force_exit(run->client);
        g_clear_object(&run->client);
    }
    /* Alice's server first: its queue runner may be talking to Bob's. */
    stop_server(&run->alice);
    stop_server(&run->bob);
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
    Server *servers[] = {&run->bob, &run->alice};
    for (guint i = 0; i < G_N_ELEMENTS(servers); i++) {
        if (servers[i]->log_partial != NULL)
            g_string_free(servers[i]->log_partial, TRUE);
        servers[i]->log_partial = NULL;
        g_clear_pointer(&servers[i]->tls_sessions, g_hash_table_unref);
        g_clear_pointer(&servers[i]->program, g_free);
    }
    g_clear_pointer(&run->client_program, g_free);
    if (run->script_in != NULL)
        g_string_free(run->script_in, TRUE);
    run->script_in = NULL;
    G_OBJECT_CLASS(mw_run_parent_class)->dispose(object);
}

static void mw_run_init(MwRun *run)
{
    run->cancellable = g_cancellable_new();
    g_queue_init(&run->held);
    g_queue_init(&run->console_out);
    run->script_in = g_string_new(NULL);
    Server *servers[] = {&run->bob, &run->alice};
    for (guint i = 0; i < G_N_ELEMENTS(servers); i++) {
        servers[i]->log_partial = g_string_new(NULL);
        servers[i]->tls_sessions =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
}

static void mw_run_class_init(MwRunClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = mw_run_dispose;
    signals[SIGNAL_LINE] =
        g_signal_new("line", MW_TYPE_RUN, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_BOOLEAN);
    signals[SIGNAL_STARTED] = g_signal_new("started", MW_TYPE_RUN, G_SIGNAL_RUN_LAST, 0,
                                           NULL, NULL, NULL, G_TYPE_NONE, 0);
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

void mw_run_set_lab_program(MwRun *run, const char *path)
{
    switch (run->scenario->lab_role) {
    case MW_LAB_CLIENT:
        g_free(run->client_program);
        run->client_program = g_strdup(path);
        break;
    case MW_LAB_BOB:
        g_free(run->bob.program);
        run->bob.program = g_strdup(path);
        break;
    case MW_LAB_ALICE:
        g_free(run->alice.program);
        run->alice.program = g_strdup(path);
        break;
    case MW_LAB_NONE:
        break;
    }
}

void mw_run_set_headless(MwRun *run, gboolean headless)
{
    run->headless = headless;
}
