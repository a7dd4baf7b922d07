/*
 * tap.h - MwTap, the wire tap: a loopback TCP relay that lets the GUI hold
 * every SMTP line in its hand before passing it on.
 *
 *     client  ──▶  tap (127.0.0.1:<port>)  ──▶  server
 *             ◀──                          ◀──
 *
 * The client connects to the tap instead of the server; the tap connects to
 * the server and relays bytes both ways. On the way it cuts each direction
 * into units (lines, or TLS records after STARTTLS: tap_splitter.c) and puts
 * them in one queue, in the order they arrived. In *hold* mode a unit is
 * only passed on when the GUI calls mw_tap_release_next(), once its
 * animation has carried the line across; meanwhile the real peers simply
 * wait, exactly as they would on a slow network. Nothing is faked: the
 * bytes the server reads are the bytes the client wrote.
 */
#ifndef MAILWALK_TAP_H
#define MAILWALK_TAP_H

#include <gio/gio.h>

#include "tap_splitter.h"

G_BEGIN_DECLS

#define MW_TYPE_TAP (mw_tap_get_type())
G_DECLARE_FINAL_TYPE(MwTap, mw_tap, MW, TAP, GObject)

/* Which way a unit travels. */
typedef enum {
    MW_TAP_TO_SERVER, /* client -> server: commands and message text */
    MW_TAP_TO_CLIENT, /* server -> client: replies */
} MwTapDirection;

/* A tap that will relay to upstream_host:upstream_port. */
MwTap *mw_tap_new(const char *upstream_host, guint16 upstream_port);

/* Relay new connections to another server from now on (connections
 * already open keep theirs). A server that started late, on a port of its
 * own choosing, can be put behind a tap that was already listening. */
void mw_tap_set_upstream(MwTap *tap, const char *upstream_host, guint16 upstream_port);

/* How long to wait for the server to accept a connection (default 10 s). */
void mw_tap_set_connect_timeout(MwTap *tap, guint seconds);

/* Listen on this port if it is free (call before mw_tap_start). */
void mw_tap_set_preferred_port(MwTap *tap, guint16 port);

/* Start listening on 127.0.0.1: on the preferred port if one was set and
 * is free, else on a port of the kernel's choosing. */
gboolean mw_tap_start(MwTap *tap, GError **error);

/* The port clients should connect to (after mw_tap_start). */
guint16 mw_tap_get_port(MwTap *tap);

/* Hold each unit until released (TRUE), or pass units on at once (FALSE).
 * Turning hold off releases everything queued. */
void mw_tap_set_hold(MwTap *tap, gboolean hold);

/* Pass the oldest held unit on to its peer. FALSE if none is waiting. */
gboolean mw_tap_release_next(MwTap *tap);

/* How many units are held right now. */
guint mw_tap_get_held_count(MwTap *tap);

/* Stop listening and close every relayed connection. */
void mw_tap_stop(MwTap *tap);

/*
 * Signals:
 *   "unit-arrived"  (guint conn, MwTapDirection dir, GBytes *bytes,
 *                    gint kind, gint tls_type)
 *       a unit was cut from the stream and queued (kind: enum tap_unit_kind)
 *   "unit-passed"   (guint conn, MwTapDirection dir, GBytes *bytes)
 *       the unit has been written to the peer
 *   "connection-opened" (guint conn)   a client connected and the tap
 *       reached the server
 *   "connection-closed" (guint conn)   both sides are done
 *   "connection-failed" (guint conn, const char *message)
 *       the tap could not reach the server (the client is disconnected)
 */

G_END_DECLS

#endif
