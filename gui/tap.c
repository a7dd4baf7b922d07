/*
 * tap.c - MwTap: relay bytes, cut them into units, hold them, pass them on.
 *
 * Everything here runs on the GLib main loop with asynchronous GIO calls,
 * so the window never blocks: each read or write is started, and a
 * callback continues the story when it completes.
 *
 * One relayed connection (a Relay) has two flows, one per direction. A
 * flow reads from one peer, feeds its splitter, and queues each unit in
 * the tap's single queue of held units (so the order across both
 * directions is the order things happened). A released unit goes to its
 * flow's write queue and is written to the other peer. When a peer closes
 * its side, the close is passed on once everything it sent has been
 * delivered: the other peer sees the same end of stream, in order.
 */
#include "tap.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

/* A flow stops reading while this many of its units are held, so a 10 MB
 * message in step mode costs a few lines of memory, not 10 MB. */
#define MAX_HELD_PER_FLOW 64

/* Released units waiting for the same peer leave in one write of at most
 * this many bytes (see flow_start_write). */
#define MAX_BATCH_BYTES (256 * 1024)

typedef struct _Relay Relay;

/* One direction of one relayed connection. */
typedef struct {
    Relay *relay;                 /* the connection this flow belongs to */
    MwTapDirection direction;     /* which way it carries bytes */
    struct tap_splitter splitter; /* cuts the stream into units */
    guchar read_buffer[8192];     /* one read's worth of bytes */
    GQueue to_write;              /* released GBytes waiting to be written */
    gboolean writing;             /* a write is under way */
    guint batch;                  /* how many units that write carries */
    GBytes *batch_bytes;          /* ...and their bytes, end to end */
    gboolean reading;             /* a read is under way */
    gboolean read_eof;            /* the sending peer closed its side */
    gboolean write_shut;          /* we passed that close on */
    guint units_in_tap;           /* held + waiting to be written */
} Flow;

struct _Relay {
    MwTap *tap;                /* the tap (not a reference: it owns us) */
    guint id;                  /* connection number, from 1 */
    GSocketConnection *client; /* accepted from the client */
    GSocketConnection *server; /* made to the upstream server */
    Flow flows[2];             /* [MW_TAP_TO_SERVER], [MW_TAP_TO_CLIENT] */
};

/* A unit waiting in the tap's queue for release. */
typedef struct {
    Flow *flow;
    GBytes *bytes;
} HeldUnit;

struct _MwTap {
    GObject parent_instance;
    char *upstream_host; /* where the real server listens */
    guint16 upstream_port;
    GSocketListener *listener; /* where clients connect to us */
    guint16 port;
    GCancellable *cancellable; /* cancels every pending operation on stop */
    gboolean hold;             /* step mode: wait for mw_tap_release_next */
    GQueue held;               /* HeldUnit*, oldest first */
    GList *relays;             /* Relay*, open connections */
    guint next_id;
    guint connect_timeout;  /* seconds to wait for the server */
    guint16 preferred_port; /* where to listen if free, or 0 */
};

G_DEFINE_FINAL_TYPE(MwTap, mw_tap, G_TYPE_OBJECT)

enum {
    SIGNAL_UNIT_ARRIVED,
    SIGNAL_UNIT_PASSED,
    SIGNAL_CONNECTION_OPENED,
    SIGNAL_CONNECTION_CLOSED,
    SIGNAL_CONNECTION_FAILED,
    N_SIGNALS
};
static guint signals[N_SIGNALS];

static void flow_start_read(Flow *flow);
static void flow_start_write(Flow *flow);

/* ----- connections ------------------------------------------------------ */

/* The stream a flow reads from, and the connection it writes to. */
static GSocketConnection *flow_source(Flow *flow)
{
    return flow->direction == MW_TAP_TO_SERVER ? flow->relay->client
                                               : flow->relay->server;
}

static GSocketConnection *flow_sink(Flow *flow)
{
    return flow->direction == MW_TAP_TO_SERVER ? flow->relay->server
                                               : flow->relay->client;
}

/* Lines should cross one by one, not wait to be packed together. */
static void set_no_delay(GSocketConnection *connection)
{
    g_socket_set_option(g_socket_connection_get_socket(connection), IPPROTO_TCP,
                        TCP_NODELAY, 1, NULL);
}

static void relay_free(Relay *relay)
{
    for (int d = 0; d < 2; d++) {
        g_queue_clear_full(&relay->flows[d].to_write, (GDestroyNotify)g_bytes_unref);
        g_clear_pointer(&relay->flows[d].batch_bytes, g_bytes_unref);
    }
    g_clear_object(&relay->client);
    g_clear_object(&relay->server);
    g_free(relay);
}

/* Both directions are finished: say so and forget the connection. */
static void relay_close(Relay *relay)
{
    MwTap *tap = relay->tap;
    tap->relays = g_list_remove(tap->relays, relay);
    g_io_stream_close(G_IO_STREAM(relay->client), NULL, NULL);
    if (relay->server != NULL)
        g_io_stream_close(G_IO_STREAM(relay->server), NULL, NULL);
    g_signal_emit(tap, signals[SIGNAL_CONNECTION_CLOSED], 0, relay->id);
    relay_free(relay);
}

/* A flow whose sender has closed, with nothing left to deliver, passes
 * the close on (a TCP half-close: "I will send no more"). */
static void flow_maybe_finish(Flow *flow)
{
    if (!flow->read_eof || flow->units_in_tap > 0 || flow->writing || flow->write_shut)
        return;
    flow->write_shut = TRUE;
    g_socket_shutdown(g_socket_connection_get_socket(flow_sink(flow)), FALSE, TRUE,
                      NULL);
    Relay *relay = flow->relay;
    if (relay->flows[0].write_shut && relay->flows[1].write_shut)
        relay_close(relay);
}

/* ----- the queue of held units ------------------------------------------ */

/* Move the oldest held unit to its flow's write queue. */
static gboolean release_one(MwTap *tap)
{
    HeldUnit *unit = g_queue_pop_head(&tap->held);
    if (unit == NULL)
        return FALSE;
    g_queue_push_tail(&unit->flow->to_write, unit->bytes);
    flow_start_write(unit->flow);
    g_free(unit);
    return TRUE;
}

/* A unit was cut from a flow: announce it, queue it, maybe pass it on. */
static void flow_queue_unit(Flow *flow, const struct tap_unit *unit)
{
    MwTap *tap = flow->relay->tap;
    HeldUnit *held = g_new0(HeldUnit, 1);
    held->flow = flow;
    held->bytes = g_bytes_new(unit->data, unit->len);
    flow->units_in_tap++;
    g_queue_push_tail(&tap->held, held);
    g_signal_emit(tap, signals[SIGNAL_UNIT_ARRIVED], 0, flow->relay->id,
                  flow->direction, held->bytes, (gint)unit->kind, unit->tls_type);
    if (!tap->hold)
        while (release_one(tap))
            ;
}

/* ----- writing ------------------------------------------------------------ */

static void on_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;
    gboolean ok =
        g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error); /* the tap is stopping; the flow is gone */
        return;
    }
    Flow *flow = user_data;
    flow->writing = FALSE;
    g_clear_pointer(&flow->batch_bytes, g_bytes_unref);
    for (guint i = 0; i < flow->batch; i++) {
        GBytes *bytes = g_queue_pop_head(&flow->to_write);
        flow->units_in_tap--;
        if (ok)
            g_signal_emit(flow->relay->tap, signals[SIGNAL_UNIT_PASSED], 0,
                          flow->relay->id, flow->direction, bytes);
        g_bytes_unref(bytes);
    }
    flow->batch = 0;
    g_clear_error(&error);
    /* If the peer is gone, what follows is dropped the same way: the real
     * network would have lost it too. */
    if (!flow->reading && !flow->read_eof && flow->units_in_tap < MAX_HELD_PER_FLOW)
        flow_start_read(flow);
    flow_start_write(flow);
    flow_maybe_finish(flow);
}

/* Write what has been released for this peer. When several units wait
 * (nothing is held, and a long letter streams through), they go out in
 * one write: 10 MB of 100-byte lines become a few hundred writes instead
 * of 100 000 system calls. The peer reads the same bytes in the same
 * order; TCP never told it where one write ended anyway (RFC 9293: TCP
 * carries a stream of bytes, with no record boundaries). In step mode there is one unit at a
 * time, so every line still crosses on its own. */
static void flow_start_write(Flow *flow)
{
    if (flow->writing || g_queue_is_empty(&flow->to_write))
        return;
    GBytes *head = g_queue_peek_head(&flow->to_write);
    if (g_queue_get_length(&flow->to_write) == 1) {
        flow->batch = 1;
        flow->batch_bytes = g_bytes_ref(head);
    } else {
        GByteArray *all = g_byte_array_new();
        flow->batch = 0;
        for (GList *l = flow->to_write.head; l != NULL && all->len < MAX_BATCH_BYTES;
             l = l->next) {
            gsize len;
            const guint8 *data = g_bytes_get_data(l->data, &len);
            g_byte_array_append(all, data, (guint)len);
            flow->batch++;
        }
        flow->batch_bytes = g_byte_array_free_to_bytes(all);
    }
    gsize len;
    const void *data = g_bytes_get_data(flow->batch_bytes, &len);
    flow->writing = TRUE;
    g_output_stream_write_all_async(
        g_io_stream_get_output_stream(G_IO_STREAM(flow_sink(flow))), data, len,
        G_PRIORITY_DEFAULT, flow->relay->tap->cancellable, on_written, flow);
}

/* ----- reading ------------------------------------------------------------ */

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    Flow *flow = user_data;
    struct tap_unit unit;
    flow->reading = FALSE;
    if (error != NULL)
        g_debug("tap: connection %u: read error: %s", flow->relay->id, error->message);
    g_clear_error(&error); /* a reset connection ends the flow like a close */

    if (n <= 0) {
        flow->read_eof = TRUE;
        if (tap_splitter_flush(&flow->splitter, &unit))
            flow_queue_unit(flow, &unit);
        flow_maybe_finish(flow);
        return;
    }
    gsize done = 0;
    while (done < (gsize)n) {
        done += tap_splitter_push(&flow->splitter, flow->read_buffer + done,
                                  (gsize)n - done);
        while (tap_splitter_next(&flow->splitter, &unit))
            flow_queue_unit(flow, &unit);
    }
    if (flow->units_in_tap < MAX_HELD_PER_FLOW)
        flow_start_read(flow);
}

static void flow_start_read(Flow *flow)
{
    flow->reading = TRUE;
    g_input_stream_read_async(
        g_io_stream_get_input_stream(G_IO_STREAM(flow_source(flow))), flow->read_buffer,
        sizeof flow->read_buffer, G_PRIORITY_DEFAULT, flow->relay->tap->cancellable,
        on_read, flow);
}

/* ----- accepting and connecting ------------------------------------------- */

static void on_upstream_connected(GObject *source, GAsyncResult *result,
                                  gpointer user_data)
{
    GError *error = NULL;
    GSocketConnection *server =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        return;
    }
    Relay *relay = user_data;
    MwTap *tap = relay->tap;
    if (server == NULL) {
        /* The server is down: the client sees its connection close, just
         * as if nobody had answered. */
        g_signal_emit(tap, signals[SIGNAL_CONNECTION_FAILED], 0, relay->id,
                      error->message);
        g_error_free(error);
        tap->relays = g_list_remove(tap->relays, relay);
        g_io_stream_close(G_IO_STREAM(relay->client), NULL, NULL);
        relay_free(relay);
        return;
    }
    relay->server = server;
    set_no_delay(server);
    /* The connect timeout stays on the socket for every later read; but a
     * held line may keep the peer silent for as long as the user reads. */
    g_socket_set_timeout(g_socket_connection_get_socket(server), 0);
    g_signal_emit(tap, signals[SIGNAL_CONNECTION_OPENED], 0, relay->id);
    flow_start_read(&relay->flows[MW_TAP_TO_SERVER]);
    flow_start_read(&relay->flows[MW_TAP_TO_CLIENT]);
}

static void accept_next(MwTap *tap);

static void on_accepted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GError *error = NULL;
    GSocketConnection *client = g_socket_listener_accept_finish(
        G_SOCKET_LISTENER(source), result, NULL, &error);
    if (client == NULL) {
        g_error_free(error); /* cancelled: the tap stopped */
        return;
    }
    MwTap *tap = user_data;
    Relay *relay = g_new0(Relay, 1);
    relay->tap = tap;
    relay->id = ++tap->next_id;
    relay->client = client;
    set_no_delay(client);
    for (int d = 0; d < 2; d++) {
        relay->flows[d].relay = relay;
        relay->flows[d].direction = (MwTapDirection)d;
        tap_splitter_init(&relay->flows[d].splitter);
        g_queue_init(&relay->flows[d].to_write);
    }
    tap->relays = g_list_prepend(tap->relays, relay);

    GSocketClient *connector = g_socket_client_new();
    g_socket_client_set_timeout(connector, tap->connect_timeout);
    g_socket_client_connect_to_host_async(connector, tap->upstream_host,
                                          tap->upstream_port, tap->cancellable,
                                          on_upstream_connected, relay);
    g_object_unref(connector);
    accept_next(tap);
}

static void accept_next(MwTap *tap)
{
    g_socket_listener_accept_async(tap->listener, tap->cancellable, on_accepted, tap);
}

/* ----- public ------------------------------------------------------------- */

MwTap *mw_tap_new(const char *upstream_host, guint16 upstream_port)
{
    MwTap *tap = g_object_new(MW_TYPE_TAP, NULL);
    tap->upstream_host = g_strdup(upstream_host);
    tap->upstream_port = upstream_port;
    return tap;
}

void mw_tap_set_upstream(MwTap *tap, const char *upstream_host, guint16 upstream_port)
{
    g_free(tap->upstream_host);
    tap->upstream_host = g_strdup(upstream_host);
    tap->upstream_port = upstream_port;
}

void mw_tap_set_connect_timeout(MwTap *tap, guint seconds)
{
    tap->connect_timeout = seconds;
}

void mw_tap_set_preferred_port(MwTap *tap, guint16 port)
{
    tap->preferred_port = port;
}

/* Listen on 127.0.0.1:port; the port really used goes into tap->port. */
static gboolean listen_on(MwTap *tap, guint16 port, GError **error)
{
    GInetAddress *loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *address = g_inet_socket_address_new(loopback, port);
    GSocketAddress *bound = NULL;
    gboolean ok =
        g_socket_listener_add_address(tap->listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error);
    g_object_unref(address);
    g_object_unref(loopback);
    if (ok) {
        tap->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
        g_object_unref(bound);
    }
    return ok;
}

gboolean mw_tap_start(MwTap *tap, GError **error)
{
    g_return_val_if_fail(tap->listener == NULL, FALSE);
    tap->listener = g_socket_listener_new();
    if (tap->preferred_port == 0 || !listen_on(tap, tap->preferred_port, NULL))
        if (!listen_on(tap, 0, error))
            return FALSE;
    accept_next(tap);
    return TRUE;
}

guint16 mw_tap_get_port(MwTap *tap)
{
    return tap->port;
}

void mw_tap_set_hold(MwTap *tap, gboolean hold)
{
    tap->hold = hold;
    if (!hold)
        while (release_one(tap))
            ;
}

gboolean mw_tap_release_next(MwTap *tap)
{
    return release_one(tap);
}

guint mw_tap_get_held_count(MwTap *tap)
{
    return g_queue_get_length(&tap->held);
}

void mw_tap_stop(MwTap *tap)
{
    g_cancellable_cancel(tap->cancellable);
    if (tap->listener != NULL)
        g_socket_listener_close(tap->listener);
    HeldUnit *unit;
    while ((unit = g_queue_pop_head(&tap->held)) != NULL) {
        g_bytes_unref(unit->bytes);
        g_free(unit);
    }
    for (GList *l = tap->relays; l != NULL; l = l->next) {
        Relay *relay = l->data;
        g_io_stream_close(G_IO_STREAM(relay->client), NULL, NULL);
        if (relay->server != NULL)
            g_io_stream_close(G_IO_STREAM(relay->server), NULL, NULL);
        relay_free(relay);
    }
    g_clear_pointer(&tap->relays, g_list_free);
}

static void mw_tap_finalize(GObject *object)
{
    MwTap *tap = MW_TAP(object);
    mw_tap_stop(tap);
    g_clear_object(&tap->listener);
    g_clear_object(&tap->cancellable);
    g_free(tap->upstream_host);
    G_OBJECT_CLASS(mw_tap_parent_class)->finalize(object);
}

static void mw_tap_init(MwTap *tap)
{
    tap->connect_timeout = 10;
    tap->cancellable = g_cancellable_new();
    g_queue_init(&tap->held);
}

static void mw_tap_class_init(MwTapClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = mw_tap_finalize;
    signals[SIGNAL_UNIT_ARRIVED] = g_signal_new(
        "unit-arrived", MW_TYPE_TAP, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
        G_TYPE_NONE, 5, G_TYPE_UINT, G_TYPE_INT, G_TYPE_BYTES, G_TYPE_INT, G_TYPE_INT);
    signals[SIGNAL_UNIT_PASSED] =
        g_signal_new("unit-passed", MW_TYPE_TAP, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_INT, G_TYPE_BYTES);
    signals[SIGNAL_CONNECTION_OPENED] =
        g_signal_new("connection-opened", MW_TYPE_TAP, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    signals[SIGNAL_CONNECTION_CLOSED] =
        g_signal_new("connection-closed", MW_TYPE_TAP, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
    signals[SIGNAL_CONNECTION_FAILED] =
        g_signal_new("connection-failed", MW_TYPE_TAP, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}
