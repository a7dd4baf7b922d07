/*
 * run.h - MwRun: one scenario, played with real programs.
 *
 * A run makes a temporary folder and starts the scenario's programs in it:
 * Bob's mailwalk-server; for the two-hop story also Alice's mailwalk-server,
 * whose queue relays to Bob's; and a client. A wire tap sits on every hop:
 *
 *   one hop:   client ─tap 1─▶ Bob's server
 *   two hops:  Alice's UA ─tap 1─▶ Alice's server ─tap 2─▶ Bob's server
 *
 * (Alice's routes file names tap 2's port as the next hop for bob.example,
 * so her queue runner connects to the tap, and the tap to Bob.) Every unit a
 * tap holds becomes an MwLine, emitted with "line" in the order the units
 * arrived, whichever hop they crossed; the receiver animates it and then
 * calls mw_run_release(), and the real bytes move on. The servers' event
 * logs add the lines no wire shows: "queued", "deferred", "stored in Bob's
 * Maildir".
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

/* A lab scenario: run the program at path (a labNN-send or labNN-server)
 * in the student's role instead of ours. Call before mw_run_start(). */
void mw_run_set_lab_program(MwRun *run, const char *path);

/* Nobody watches this run: the taps pass every line on at once, and
 * "line" says held FALSE. (The reference run beside a lab run.) */
void mw_run_set_headless(MwRun *run, gboolean headless);

/* Start the programs, one after the other, without blocking: "started"
 * says when the client may connect, or "finished" (FALSE) says why not.
 * FALSE with error set only if not even the run's folder could be made. */
gboolean mw_run_start(MwRun *run, GError **error);

/* Let the oldest held wire line move on (after its animation), on
 * whichever hop it is waiting. */
void mw_run_release(MwRun *run);

/* The console scenario: send one line (CR LF is added) as the client. */
void mw_run_send_line(MwRun *run, const char *text);

/* Stop every program and remove the temporary folder. */
void mw_run_stop(MwRun *run);

/* Where clients connect: the first tap's port (0 until "started"). */
guint16 mw_run_get_tap_port(MwRun *run);

/* How many letters are in a mailbox (new/ and cur/) on Bob's server, or
 * on Alice's with mw_run_count_alice(). */
guint mw_run_count_delivered(MwRun *run, const char *mailbox);
guint mw_run_count_alice(MwRun *run, const char *mailbox);

/* The run's folder (bob/, alice/, the programs' output). */
const char *mw_run_get_dir(MwRun *run);

/*
 * Signals:
 *   "line"     (gpointer MwLine*, gboolean held): a line to show; the
 *              handler takes ownership of the MwLine. held: the real bytes
 *              wait for mw_run_release().
 *   "started"  (): every program runs; the first tap listens.
 *   "finished" (gboolean ok, const char *message): the story has ended
 *              (or could not start); ok says whether the scenario's
 *              expectation holds.
 */

/* Where the mailwalk programs are: $MAILWALK_BINDIR, the build tree next
 * to this executable, or the folder this executable is installed in. */
char *mw_find_program(const char *name);

/* Where a lab's program is ("lab03-server", "lab03-server-reference"):
 * $MAILWALK_BINDIR, or build/labs/ beside this executable's folder.
 * NULL if it is not built. */
char *mw_find_lab_program(const char *name);

G_END_DECLS

#endif
