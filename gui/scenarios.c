/*
 * scenarios.c - the scenario table.
 *
 * SIMPLIFICATION: these first scenarios have one hop, Alice's user agent
 * talking straight to Bob's server. The full Alice-to-Bob story (her own
 * server, the queue, the relay to Bob's server) comes with the relay work.
 */
#include "scenarios.h"

#include <string.h>

const char *const mw_one_hop_actors[] = {
    "Alice's user agent\n(mailwalk-send)",
    "Bob's server\n(mailwalk-server)",
    "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",
    NULL,
};

/* The same, when the client is yours. */
const char *const mw_own_client_actors[] = {
    "Your client\n(swaks, curl, nc ...)",
    "Bob's server\n(mailwalk-server)",
    "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",
    NULL,
};

/* The wire hop gets most of the width: its lines carry the long labels. */
const double mw_one_hop_gaps[] = {2.4, 1.0, 1.0};

static const char *const no_args[] = {NULL};

static const char *const hello_client[] = {
    "--helo",
    "alice.example",
    "--no-ehlo",
    "--from",
    "alice@alice.example",
    "--to",
    "bob@bob.example",
    "--subject",
    "Hello Bob",
    "--body",
    "Hi Bob,\n\nthis letter travelled by SMTP.\n\nAlice",
    NULL};

static const char *const esmtp_client[] = {
    "--helo",
    "alice.example",
    "--pipelining",
    "--from",
    "alice@alice.example",
    "--to",
    "bob@bob.example",
    "--to",
    "carol@bob.example",
    "--subject",
    "Lunch on Friday?",
    "--body",
    "Hi both,\n\nlunch on Friday at noon?\n\n.. and bring a dot.\n\nAlice",
    NULL};

static const char *const bob_and_carol[] = {"--mailboxes", "bob,carol", NULL};

static const char *const no_user_client[] = {
    "--helo", "alice.example",   "--from",    "alice@alice.example",
    "--to",   "eve@bob.example", "--subject", "Are you there?",
    "--body", "Hi Eve?",         NULL};

static const char *const small_server[] = {"--max-size", "65536", NULL};

static const char *const too_big_client[] = {
    "--helo",      "alice.example",   "--from",    "alice@alice.example",
    "--to",        "bob@bob.example", "--subject", "Holiday photos",
    "--body-file", "@BIG_FILE@",      NULL};

static const char *const relay_client[] = {"--helo",    "mallory.example",
                                           "--from",    "mallory@mallory.example",
                                           "--to",      "victim@elsewhere.example",
                                           "--subject", "You have won",
                                           "--body",    "Click here.",
                                           NULL};

static const char *const long_client[] = {
    "--helo",          "alice.example",       "--pipelining",
    "--from",          "alice@alice.example", "--to",
    "bob@bob.example", "--subject",           "The whole story",
    "--body-file",     "@LONG_FILE@",         NULL};

static const char *const tls_client[] = {
    "--helo",
    "alice.example",
    "--starttls",
    "--cafile",
    "@CERT@",
    "--from",
    "alice@alice.example",
    "--to",
    "bob@bob.example",
    "--subject",
    "Our secret",
    "--body",
    "Hi Bob,\n\nthe password is swordfish.\n\nAlice",
    NULL};

static const MwScenario scenarios[] = {
    {"hello", "Hello SMTP",
     "Alice's user agent opens a TCP connection to Bob's server, says HELO (plain "
     "SMTP, as in 1982), names the sender and one recipient, sends the letter and "
     "says goodbye: the three phases of every SMTP session.",
     no_args, hello_client, MW_EXPECT_DELIVERED},
    {"esmtp", "ESMTP: PIPELINING and SIZE",
     "EHLO asks Bob's server for its extensions. Because it offers PIPELINING, "
     "the client sends MAIL and both RCPTs in one go, without waiting; SIZE lets "
     "it say up front how big the letter is. Note the doubled dot.",
     bob_and_carol, esmtp_client, MW_EXPECT_DELIVERED},
    {"no-such-user", "No such user",
     "Bob's server knows only bob and carol. A letter to eve is refused at RCPT "
     "with 550 5.1.1, a permanent failure: there is nothing to send.",
     bob_and_carol, no_user_client, MW_EXPECT_REFUSED},
    {"too-big", "Message too big",
     "Bob's server takes at most 64 KiB and says so in its EHLO reply (SIZE). "
     "Alice's 100 KiB letter declares its size on MAIL FROM and is refused at "
     "once with 552, before a single byte of it is sent.",
     small_server, too_big_client, MW_EXPECT_REFUSED},
    {"open-relay", "Open relay refused",
     "Mallory asks Bob's server to pass a letter on to a domain Bob's server does "
     "not serve. A server that did that for anyone would be an open relay, a "
     "spammer's tool; this one answers 550 5.7.1.",
     no_args, relay_client, MW_EXPECT_REFUSED},
    {"eavesdropper", "What an eavesdropper sees",
     "The same kind of letter as in Hello SMTP, but Alice's client says STARTTLS "
     "first. After the 220, the tap (like anyone on the network) sees only sealed "
     "TLS records; the dim lines marked 'inside TLS' come from Bob's server's own "
     "log: what it decrypted, and what an eavesdropper cannot read.",
     no_args, tls_client, MW_EXPECT_DELIVERED},
    {"your-client", "Bring your own client",
     "Bob's server is running, behind the wire tap. Point any SMTP client at the "
     "tap and watch it talk: swaks, curl, Thunderbird, Python's smtplib, your own "
     "lab build, or nc -C to type the lines yourself.",
     no_args, NULL, MW_EXPECT_ANYTHING},
    {"long-letter", "A long letter",
     "A letter of a thousand lines. After DATA's 354 every line is message text, "
     "and the server says nothing until the final dot: one reply for the whole "
     "letter. (Press + a few times.)",
     no_args, long_client, MW_EXPECT_DELIVERED},
};

const MwScenario *mw_scenarios(guint *count)
{
    *count = G_N_ELEMENTS(scenarios);
    return scenarios;
}

const MwScenario *mw_scenario_find(const char *id)
{
    for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++)
        if (strcmp(scenarios[i].id, id) == 0)
            return &scenarios[i];
    return NULL;
}
