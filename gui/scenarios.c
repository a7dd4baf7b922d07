/*
 * scenarios.c - the scenario table.
 *
 * Most scenarios have one hop: Alice's user agent talks straight to Bob's
 * server, which is how a first lesson can show the three phases without
 * anything else in the way. The two-hop scenarios tell the whole story
 * (docs/architecture.md, "The story"): Alice's user agent submits to *her*
 * server (port-587 role, STARTTLS, AUTH), her server queues the letter and relays it to Bob's
 * server (port-25 role) as the next hop, store-and-forward (RFC 5321 §2.1).
 */
#include "scenarios.h"

#include <string.h>

static const char *const one_hop_actors[] = {
    "Alice's user agent\n(mailwalk-send)",
    "Bob's server\n(mailwalk-server)",
    "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",
    NULL,
};

/* The same, when the client is yours. */
static const char *const own_client_actors[] = {
    "Your client\n(swaks, curl, nc ...)",
    "Bob's server\n(mailwalk-server)",
    "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",
    NULL,
};

/* ...and when you type the lines yourself. */
static const char *const console_actors[] = {
    "You\n(the console)",
    "Bob's server\n(mailwalk-server)",
    "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",
    NULL,
};

/* The wire hop gets most of the width: its lines carry the long labels. */
static const double one_hop_gaps[] = {2.4, 1.0, 1.0};

/* The whole story: two hops on the wire, then the mailbox and Bob. */
static const char *const two_hop_actors[] = {
    "Alice's user agent\n(mailwalk-send)", "Alice's server\n(mailwalk-server)",
    "Bob's server\n(mailwalk-server)",     "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",   NULL,
};
static const double two_hop_gaps[] = {1.5, 1.5, 1.0, 1.0};

static const char *const no_args[] = {NULL};

/* What Bob's (or Alice's) user agent does at the end. */
static const char *const bob_lists[] = {"--user", "bob", "list", NULL};
static const char *const bob_reads[] = {"--user", "bob", "show", "1", NULL};
static const char *const alice_reads[] = {"--user", "alice", "show", "1", NULL};

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

/* Alice's user agent submits to her own server, the port-587 way: seal
 * the connection first (STARTTLS, RFC 3207), then log in (AUTH, RFC 4954),
 * trusting exactly her server's classroom certificate. @ALICE_PASSWORD@
 * is a file holding MW_ALICE_PASSWORD: never a password on a command line. */
static const char *const submit_client[] = {
    "--helo",
    "alice-laptop.alice.example",
    "--starttls",
    "--cafile",
    "@ALICE_CERT@",
    "--user",
    "alice",
    "--password-file",
    "@ALICE_PASSWORD@",
    "--from",
    "alice@alice.example",
    "--to",
    "bob@bob.example",
    "--subject",
    "Lunch on Friday?",
    "--body",
    "Hi Bob,\n\nthis letter went through my server first, then to yours.\n\nAlice",
    NULL};

static const char *const submit_to_eve[] = {"--helo",
                                            "alice-laptop.alice.example",
                                            "--starttls",
                                            "--cafile",
                                            "@ALICE_CERT@",
                                            "--user",
                                            "alice",
                                            "--password-file",
                                            "@ALICE_PASSWORD@",
                                            "--from",
                                            "alice@alice.example",
                                            "--to",
                                            "eve@bob.example",
                                            "--subject",
                                            "Are you there?",
                                            "--body",
                                            "Hi Eve?",
                                            NULL};

/* Alice's server retries soon, for a lesson, not after the usual 30 minutes. */
static const char *const alice_quick_retry[] = {"--retry", "3s,5s,10s", NULL};

static const MwScenario scenarios[] = {
    {.id = "hello",
     .title = "Hello SMTP",
     .summary = "Alice's user agent opens a TCP connection to Bob's server, says HELO "
                "(plain SMTP, as in 1982), names the sender and one recipient, sends "
                "the letter and says goodbye: the three phases of every SMTP session.",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SEND,
     .client_args = hello_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED},
    {.id = "alice-to-bob",
     .title = "Alice to Bob, the whole way",
     .summary = "Alice's user agent hands the letter to her own server: STARTTLS "
                "first, then AUTH, on the submission port. Her server stores it in "
                "its queue and answers 250; then its queue runner relays it to Bob's "
                "server, which stores it in Bob's mailbox. Bob reads it later: SMTP "
                "pushes, reading pulls.",
     .hops = 2,
     .actors = two_hop_actors,
     .gaps = two_hop_gaps,
     .server_args = no_args,
     .alice_args = alice_quick_retry,
     .client = MW_CLIENT_SEND,
     .client_args = submit_client,
     .reader_args = bob_reads,
     .expect = MW_EXPECT_DELIVERED},
    {.id = "bob-is-down",
     .title = "Bob's server is down",
     .summary = "Alice's server has the letter in its queue, but Bob's server is not "
                "running: the connection fails, and the letter waits (a 4xx or no "
                "answer means: try again later). Then Bob's server starts, the next "
                "attempt gets through, and the letter is delivered: store and "
                "forward.",
     .hops = 2,
     .actors = two_hop_actors,
     .gaps = two_hop_gaps,
     .server_args = no_args,
     .alice_args = alice_quick_retry,
     .client = MW_CLIENT_SEND,
     .client_args = submit_client,
     .bob_starts_late = TRUE,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED},
    {.id = "esmtp",
     .title = "ESMTP: PIPELINING and SIZE",
     .summary = "EHLO asks Bob's server for its extensions. Because it offers "
                "PIPELINING, the client sends MAIL and both RCPTs in one go, without "
                "waiting; SIZE lets it say up front how big the letter is. Note the "
                "doubled dot.",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = bob_and_carol,
     .client = MW_CLIENT_SEND,
     .client_args = esmtp_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED},
    {.id = "no-such-user",
     .title = "No such user: a bounce",
     .summary = "Alice writes to eve@bob.example. Her own server cannot know who "
                "lives at bob.example, so it takes the letter and relays it; Bob's "
                "server knows only bob and carol and answers 550 5.1.1 at RCPT, a "
                "permanent failure. Alice's server cannot hand the 550 to Alice any "
                "more (she has gone), so it writes her a bounce, from the null sender "
                "<>, and it lands in Alice's own mailbox.",
     .hops = 2,
     .actors = two_hop_actors,
     .gaps = two_hop_gaps,
     .server_args = bob_and_carol,
     .alice_args = alice_quick_retry,
     .client = MW_CLIENT_SEND,
     .client_args = submit_to_eve,
     .reader_args = alice_reads,
     .expect = MW_EXPECT_BOUNCED},
    {.id = "too-big",
     .title = "Message too big",
     .summary = "Bob's server takes at most 64 KiB and says so in its EHLO reply "
                "(SIZE). Alice's 100 KiB letter declares its size on MAIL FROM and is "
                "refused at once with 552, before a single byte of it is sent.",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = small_server,
     .client = MW_CLIENT_SEND,
     .client_args = too_big_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_REFUSED},
    {.id = "open-relay",
     .title = "Open relay refused",
     .summary = "Mallory asks Bob's server to pass a letter on to a domain Bob's "
                "server does not serve. A server that did that for anyone would be "
                "an open relay, a spammer's tool; this one answers 550 5.7.1.",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SEND,
     .client_args = relay_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_REFUSED},
    {.id = "eavesdropper",
     .title = "What an eavesdropper sees",
     .summary = "The same kind of letter as in Hello SMTP, but Alice's client says "
                "STARTTLS first. After the 220, the tap (like anyone on the network) "
                "sees only sealed TLS records; the dim lines marked 'inside TLS' come "
                "from Bob's server's own log: what it decrypted, and what an "
                "eavesdropper cannot read.",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SEND,
     .client_args = tls_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED},
    {.id = "console",
     .title = "Type it yourself",
     .summary = "Bob's server is waiting behind the wire tap, and you are the client: "
                "type each line in the console below and press Enter. The row above "
                "it suggests what may come next; click a suggestion to copy it.",
     .hops = 1,
     .actors = console_actors,
     .gaps = one_hop_gaps,
     .server_args = bob_and_carol,
     .client = MW_CLIENT_CONSOLE,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_ANYTHING},
    {.id = "your-client",
     .title = "Bring your own client",
     .summary = "Bob's server is running, behind the wire tap. Point any SMTP client "
                "at the tap and watch it talk: swaks, curl, Thunderbird, Python's "
                "smtplib, your own lab build, or nc -C to type the lines yourself.",
     .hops = 1,
     .actors = own_client_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_YOURS,
     .expect = MW_EXPECT_ANYTHING},
    {.id = "long-letter",
     .title = "A long letter",
     .summary = "A letter of a thousand lines. After DATA's 354 every line is message "
                "text, and the server says nothing until the final dot: one reply for "
                "the whole letter. (Press + a few times.)",
     .hops = 1,
     .actors = one_hop_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SEND,
     .client_args = long_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED},
};

/* ----- the labs: the same stories, with the student's program ----------------
 *
 * Each lab scenario runs one of the student's programs (build/labs/
 * labNN-send or labNN-server) in place of ours, in a story where the
 * lab's lesson shows on the wire. The window runs the same story with the
 * reference build beside it, without showing it, and marks every line
 * where the student's program said something else (see lab_check.c). */

static const char *const lab_client_actors[][5] = {
    {"Your client\n(lab01-send)", "Bob's server\n(mailwalk-server)",
     "Bob's mailbox\n(Maildir)", "Bob's user agent\n(mailwalk-read)", NULL},
    {"Your client\n(lab02-send)", "Bob's server\n(mailwalk-server)",
     "Bob's mailbox\n(Maildir)", "Bob's user agent\n(mailwalk-read)", NULL},
    {"Your client\n(lab05-send)", "Bob's server\n(mailwalk-server)",
     "Bob's mailbox\n(Maildir)", "Bob's user agent\n(mailwalk-read)", NULL},
};

static const char *const lab03_actors[] = {
    "A scripted client\n(typed by mailwalk)", "Your server, Bob's\n(lab03-server)",
    "Bob's mailbox\n(Maildir)", "Bob's user agent\n(mailwalk-read)", NULL};
static const char *const lab04_actors[] = {
    "A scripted client\n(typed by mailwalk)", "Your server, Bob's\n(lab04-server)",
    "Bob's mailbox\n(Maildir)", "Bob's user agent\n(mailwalk-read)", NULL};
static const char *const lab06_actors[] = {
    "Alice's user agent\n(mailwalk-send)", "Your server, Alice's\n(lab06-server)",
    "Bob's server\n(mailwalk-server)",     "Bob's mailbox\n(Maildir)",
    "Bob's user agent\n(mailwalk-read)",   NULL,
};

/* Lab 3: a client that tries the state machine's corners, which no real
 * client visits: RCPT before MAIL and after RSET (503, RFC 5321 §4.1.4),
 * a verb nobody knows (500), MAIL without its argument (501). Then a
 * proper letter, so the ordinary path is checked too. */
static const char *const lab03_script[] = {"EHLO alice.example",
                                           "RCPT TO:<bob@bob.example>",
                                           "MAIL FROM:<alice@alice.example>",
                                           "RSET",
                                           "RCPT TO:<bob@bob.example>",
                                           "NOOP",
                                           "FROB",
                                           "MAIL",
                                           "MAIL FROM:<alice@alice.example>",
                                           "RCPT TO:<bob@bob.example>",
                                           "DATA",
                                           "Subject: Testing your server",
                                           "",
                                           "Hello Bob, this letter came through lab 3.",
                                           ".",
                                           "QUIT",
                                           NULL};

/* Lab 4: a letter whose lines start with dots, stuffed on the wire as
 * RFC 5321 §4.5.2 says; Bob's user agent shows what the server stored. */
static const char *const lab04_script[] = {"EHLO alice.example",
                                           "MAIL FROM:<alice@alice.example>",
                                           "RCPT TO:<bob@bob.example>",
                                           "DATA",
                                           "Subject: Dots",
                                           "",
                                           "A line with no dot at all.",
                                           "..A line that starts with one dot.",
                                           "..",
                                           "...Three on the wire, two in the letter.",
                                           "The line above the end is not the end.",
                                           ".",
                                           "QUIT",
                                           NULL};

static const MwScenario lab_scenarios[] = {
    {.id = "lab01",
     .title = "Lab 1: your client reads replies",
     .summary = "Your lab01-send (your reply parser inside mailwalk-send) talks to "
                "Bob's server: a multi-line EHLO reply, PIPELINING, two recipients. A "
                "parser that reads one line of a multi-line reply falls out of step. "
                "Lines marked ✗ differ from what the reference client sent.",
     .hops = 1,
     .actors = lab_client_actors[0],
     .gaps = one_hop_gaps,
     .server_args = bob_and_carol,
     .client = MW_CLIENT_SEND,
     .client_args = esmtp_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED,
     .lab = 1,
     .lab_role = MW_LAB_CLIENT},
    {.id = "lab02",
     .title = "Lab 2: your client",
     .summary =
         "Your lab02-send (your commands inside mailwalk-send) sends a letter to "
         "two recipients, with PIPELINING and a line that starts with a dot "
         "(dot-stuffing). Lines marked ✗ differ from what the reference client "
         "sent.",
     .hops = 1,
     .actors = lab_client_actors[1],
     .gaps = one_hop_gaps,
     .server_args = bob_and_carol,
     .client = MW_CLIENT_SEND,
     .client_args = esmtp_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED,
     .lab = 2,
     .lab_role = MW_LAB_CLIENT},
    {.id = "lab03",
     .title = "Lab 3: your server's commands and states",
     .summary = "A scripted client talks to your lab03-server: RCPT before MAIL, RCPT "
                "after RSET, a verb nobody knows, MAIL without its argument, then a "
                "proper letter. Replies marked ✗ differ from what the reference server "
                "answered to the same command.",
     .hops = 1,
     .actors = lab03_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SCRIPT,
     .client_args = lab03_script,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED,
     .lab = 3,
     .lab_role = MW_LAB_BOB},
    {.id = "lab04",
     .title = "Lab 4: your server's end of data",
     .summary = "A scripted client sends your lab04-server a letter whose lines start "
                "with dots, doubled on the wire (dot-stuffing). Bob's user agent then "
                "shows what your server stored: one dot less. Lines marked ✗ differ "
                "from the reference server's replies or from the letter it stored.",
     .hops = 1,
     .actors = lab04_actors,
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SCRIPT,
     .client_args = lab04_script,
     .reader_args = bob_reads,
     .expect = MW_EXPECT_DELIVERED,
     .lab = 4,
     .lab_role = MW_LAB_BOB},
    {.id = "lab05",
     .title = "Lab 5: your client's STARTTLS",
     .summary = "Your lab05-send says STARTTLS to Bob's server, checks its certificate "
                "and says EHLO again inside TLS; the tap sees sealed records, and the "
                "dim lines are what Bob's server decrypted. Lines marked ✗ differ from "
                "what the reference client sent.",
     .hops = 1,
     .actors = lab_client_actors[2],
     .gaps = one_hop_gaps,
     .server_args = no_args,
     .client = MW_CLIENT_SEND,
     .client_args = tls_client,
     .reader_args = bob_lists,
     .expect = MW_EXPECT_DELIVERED,
     .lab = 5,
     .lab_role = MW_LAB_CLIENT},
    {.id = "lab06",
     .title = "Lab 6: your server's queue",
     .summary =
         "Alice's server is your lab06-server. Alice writes to eve@bob.example; "
         "Bob's server answers 550 5.1.1, a permanent failure. Your queue policy "
         "decides: retry, or give up and bounce to Alice? Queue decisions marked "
         "✗ differ from the reference server's.",
     .hops = 2,
     .actors = lab06_actors,
     .gaps = two_hop_gaps,
     .server_args = bob_and_carol,
     .alice_args = alice_quick_retry,
     .client = MW_CLIENT_SEND,
     .client_args = submit_to_eve,
     .reader_args = alice_reads,
     .expect = MW_EXPECT_BOUNCED,
     .lab = 6,
     .lab_role = MW_LAB_ALICE},
};

const MwScenario *mw_lab_scenarios(guint *count)
{
    *count = G_N_ELEMENTS(lab_scenarios);
    return lab_scenarios;
}

char *mw_lab_program_name(const MwScenario *lab)
{
    return g_strdup_printf("lab%02u-%s", lab->lab,
                           lab->lab_role == MW_LAB_CLIENT ? "send" : "server");
}

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
    for (guint i = 0; i < G_N_ELEMENTS(lab_scenarios); i++)
        if (strcmp(lab_scenarios[i].id, id) == 0)
            return &lab_scenarios[i];
    return NULL;
}
