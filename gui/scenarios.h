/*
 * scenarios.h - the stories the visualizer can tell, as data.
 *
 * Each scenario names its actors (the diagram's columns) and the real
 * command lines it runs: Bob's mailwalk-server with some options, for the
 * full story Alice's own mailwalk-server in front of it, and a client
 * pointed at the first wire tap (Alice's mailwalk-send, your own client,
 * or the lines you type in the window). What the audience then sees is
 * whatever those programs really say to each other.
 */
#ifndef MAILWALK_SCENARIOS_H
#define MAILWALK_SCENARIOS_H

#include <glib.h>

/* What must be true at the end for the scenario to have told its story. */
typedef enum {
    MW_EXPECT_DELIVERED, /* the letter is in Bob's Maildir */
    MW_EXPECT_REFUSED,   /* nothing was delivered: the server said no */
    MW_EXPECT_BOUNCED,   /* nothing for Bob, and a bounce in Alice's Maildir */
    MW_EXPECT_ANYTHING,  /* your own client: whatever it does is the story */
} MwExpectation;

/* Who talks to the first tap. */
typedef enum {
    MW_CLIENT_SEND,    /* Alice's mailwalk-send, with client_args */
    MW_CLIENT_YOURS,   /* any client: the tap waits on MW_OWN_CLIENT_PORT */
    MW_CLIENT_CONSOLE, /* the lines the user types in the window */
    MW_CLIENT_SCRIPT,  /* the run types client_args itself, each line once
                          the server has answered the one before (inside
                          DATA, one after the other): a client that makes
                          the mistakes no real client makes */
} MwClientKind;

/* In a lab scenario, whose program is the student's. */
typedef enum {
    MW_LAB_NONE,   /* not a lab scenario */
    MW_LAB_CLIENT, /* labNN-send plays Alice's user agent */
    MW_LAB_BOB,    /* labNN-server plays Bob's server */
    MW_LAB_ALICE,  /* labNN-server plays Alice's server (two hops) */
} MwLabRole;

typedef struct {
    const char *id;            /* for --scenario: "hello" */
    const char *title;         /* for the chooser: "Hello SMTP" */
    const char *summary;       /* one paragraph, shown above the diagram */
    guint hops;                /* 1: straight to Bob's server; 2: via Alice's server */
    const char *const *actors; /* the diagram's columns, left to right */
    const double *gaps;        /* relative widths between them */
    const char *const *server_args; /* extra options for Bob's mailwalk-server */
    const char *const *alice_args;  /* extra options for Alice's (two hops) */
    MwClientKind client;
    const char *const *client_args; /* mailwalk-send's options after --server */
    gboolean bob_starts_late;       /* Bob's server is down until the first
                                       attempt has failed (two hops) */
    const char *const *reader_args; /* mailwalk-read's options after --maildir,
                                       run at the end ("--user bob list") */
    MwExpectation expect;
    guint lab;          /* a lab scenario: its number (1..6), else 0 */
    MwLabRole lab_role; /* whose program is the student's */
} MwScenario;

/* All scenarios, in the order the chooser lists them. */
const MwScenario *mw_scenarios(guint *count);

/* The lab scenarios, "lab01" .. "lab06": a story that shows the lab's
 * lesson, told with the student's program in place of one of ours. */
const MwScenario *mw_lab_scenarios(guint *count);

/* The scenario with this id ("hello", or a lab's "lab03"), or NULL. */
const MwScenario *mw_scenario_find(const char *id);

/* The name of a lab's program: "lab03-server", "lab02-send". */
char *mw_lab_program_name(const MwScenario *lab);

/* The port the tap prefers when you bring your own client, so that the
 * command to type stays the same from one class to the next. */
#define MW_OWN_CLIENT_PORT 2526

/* The classroom password of Alice's account on her server (two hops). */
#define MW_ALICE_PASSWORD "alice-in-class"

#endif
