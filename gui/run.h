/*
 * run.h - MwRun: one scenario, played with real programs.
 *
 * A run makes a temporary folder, starts Bob's mailwalk-server in it, puts
 * a wire tap in front of the server, and starts Alice's mailwalk-send
 * pointed at the tap. Every unit the tap holds becomes an MwLine, emitted
 * with "line"; the receiver animates it and then calls mw_run_release() so
 * the real bytes move on. The server's event log adds the lines no wire
 * shows ("delivered to bob's Maildir").
 */
#ifndef MAILWALK_RUN_H
#define MAILWALK_RUN_H

#include <gio/gio.h>

#include "line.h"
#include "scenarios.h"

G_BEGIN_DECLS

#define MW_TYPE_RUN (mw_run_get_type())
G_DECLARE_FINAL_TYPE(MwRun, mw_run, MW, RUN, GObject)

MwRun *mw_run_new(const MwScenario *scenario);

/* Start the programs. FALSE with error set if a program is missing. */
gboolean mw_run_start(MwRun *run, GError **error);

/* Let the oldest held wire line move on (after its animation). */
void mw_run_release(MwRun *run);

/* Stop every program and remove the temporary folder. */
void mw_run_stop(MwRun *run);

/* Where clients connect: the wire tap's port. */
guint16 mw_run_get_tap_port(MwRun *run);

/* How many letters are in mailbox's new/ folder right now. */
guint mw_run_count_delivered(MwRun *run, const char *mailbox);

/* The run's folder (maildir/, events.jsonl, the programs' output). */
const char *mw_run_get_dir(MwRun *run);

/*
 * Signals:
 *   "line"     (gpointer MwLine*, gboolean held): a line to show; the
 *              handler takes ownership of the MwLine. held: the real bytes
 *              wait for mw_run_release().
 *   "finished" (gboolean ok, const char *message): the client has exited,
 *              the connection is closed; ok says whether the scenario's
 *              expectation holds.
 */

/* Where the mailwalk programs are: $MAILWALK_BINDIR, the build tree next
 * to this executable, or the folder this executable is installed in. */
char *mw_find_program(const char *name);

G_END_DECLS

#endif
