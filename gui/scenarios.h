/*
 * scenarios.h - the stories the visualizer can tell, as data.
 *
 * Each scenario names its actors (the diagram's columns) and the real
 * command lines it runs: Bob's mailwalk-server with some options, and
 * Alice's mailwalk-send pointed at the wire tap. What the audience then
 * sees is whatever those programs really say to each other.
 */
#ifndef MAILWALK_SCENARIOS_H
#define MAILWALK_SCENARIOS_H

#include <glib.h>

/* What must be true at the end for the scenario to have told its story. */
typedef enum {
    MW_EXPECT_DELIVERED, /* the letter is in Bob's Maildir */
    MW_EXPECT_REFUSED,   /* nothing was delivered: the server said no */
    MW_EXPECT_ANYTHING,  /* your own client: whatever it does is the story */
} MwExpectation;

typedef struct {
    const char *id;                 /* for --scenario: "hello" */
    const char *title;              /* for the chooser: "Hello SMTP" */
    const char *summary;            /* one paragraph, shown above the diagram */
    const char *const *server_args; /* extra options for Bob's mailwalk-server */
    const char *const *client_args; /* mailwalk-send's options after --server,
                                       or NULL: bring your own client */
    MwExpectation expect;
} MwScenario;

/* All scenarios, in the order the chooser lists them. */
const MwScenario *mw_scenarios(guint *count);

/* The scenario with this id, or NULL. */
const MwScenario *mw_scenario_find(const char *id);

/* The port the tap prefers when you bring your own client, so that the
 * command to type stays the same from one class to the next. */
#define MW_OWN_CLIENT_PORT 2526

/* The diagram's columns for the one-hop scenarios. */
extern const char *const mw_one_hop_actors[];
extern const char *const mw_own_client_actors[];
extern const double mw_one_hop_gaps[];

#endif
