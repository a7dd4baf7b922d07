/*
 * session.h - one SMTP conversation, as a state machine with no sockets.
 *
 * Tier: core — read this first.
 *
 * The protocol core never reads or writes the network. The connection loop
 * (connection.c) hands it one line at a time with session_handle_line();
 * the session answers by appending reply lines to s->out, and the loop
 * sends them. That split lets unit tests drive whole dialogues without a
 * socket, and lets a lab swap the command handlers without touching I/O.
 *
 * The states follow RFC 5321 §4.1.4 (order of commands) and §3.3 (a mail
 * transaction is MAIL, then one or more RCPT, then DATA):
 *
 *   CONNECTED --HELO/EHLO--> GREETED --MAIL--> MAIL --RCPT--> RCPT --DATA--> DATA
 *                               ^                                              |
 *                               +------ RSET, EHLO, or the final "." ----------+
 *
 * Two things sit beside those states rather than in them:
 *  - TLS (RFC 3207). STARTTLS only queues "220 Ready" and sets
 *    tls_pending; connection.c runs the handshake after sending that reply
 *    and then calls session_tls_started(), which forgets everything and
 *    goes back to CONNECTED (the client must say EHLO again).
 *  - An AUTH exchange (RFC 4954). While the server waits for the client's
 *    answer to a "334" challenge, the next line is that answer, not a
 *    command: session_handle_line() hands it to auth_continue().
 */
#ifndef MAILWALK_SESSION_H
#define MAILWALK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "event_log.h"
#include "smtp_limits.h"
#include "path.h"
#include "wire.h"

enum session_state {
    STATE_CONNECTED, /* 220 sent; the client must say HELO or EHLO */
    STATE_GREETED,   /* hello done; no mail transaction is open */
    STATE_MAIL,      /* MAIL FROM accepted: we know the reverse-path */
    STATE_RCPT,      /* at least one RCPT TO accepted */
    STATE_DATA,      /* 354 sent: lines are message text until "." */
    STATE_CLOSING,   /* QUIT answered (or 421 sent): close after sending */
};

/* One recipient of the transaction. */
struct recipient {
    char address[SMTP_MAX_PATH + 1];       /* "bob@bob.example", for Received */
    char mailbox[SMTP_MAX_LOCAL_PART + 1]; /* "bob": the Maildir it goes to, or
                                              "" for another domain's mail,
                                              which goes to the queue */
};

/* The envelope: who the message is from and to, as MAIL and RCPT said.
 * It is separate from the message's own From:/To: headers, which is why
 * those headers can say anything (and why spoofing works). */
struct envelope {
    char reverse_path[SMTP_MAX_PATH + 1]; /* "" for the null path <> */
    struct recipient *recipients;         /* config->max_recipients slots */
    size_t recipient_count;
    unsigned long long declared_size; /* MAIL ... SIZE= (RFC 1870), or 0 */
    bool body_8bit;                   /* BODY=8BITMIME (RFC 6152) */
    bool smtputf8;                    /* SMTPUTF8 (RFC 6531) */
};

/* The message being received after 354, spooled to a file as it comes. */
struct message_spool {
    FILE *file;              /* the file being written, or NULL */
    bool to_queue;           /* it is in the queue's tmp/ (some recipient is
                                elsewhere), not in the first mailbox's tmp/ */
    char path[4096];         /* where that file is */
    char name[256];          /* its unique file name: Maildir name or queue ID */
    bool in_header;          /* still before the empty line after the header */
    unsigned received_count; /* Received: header lines seen (loop detection) */
    unsigned long long size; /* octets received, as SIZE counts them */
    bool at_line_start;      /* the last line ended in CRLF */
    bool too_big;            /* size went over --max-size: stop storing */
    bool bare_line_feed;     /* a line ended in LF alone (RFC 5321 §2.3.8) */
    int write_errno;         /* first write error (a full disk), or 0 */
};

/* Where an AUTH exchange stands (RFC 4954 §4): which answer we wait for. */
enum auth_step {
    AUTH_IDLE,                /* no exchange open: lines are commands */
    AUTH_PLAIN_WAIT,          /* "334 " sent: waiting for the PLAIN response */
    AUTH_LOGIN_WAIT_USER,     /* "334 VXNlcm5hbWU6" sent: the user name */
    AUTH_LOGIN_WAIT_PASSWORD, /* "334 UGFzc3dvcmQ6" sent: the password */
};

/* RFC 4954 §4: "12288 octets is considered to be a sufficient line length"
 * for the base64 answers of an AUTH exchange. */
#define SESSION_AUTH_LINE 12288

/* Failed logins before we hang up with 421 (each one answered slower). */
#define SESSION_AUTH_MAX_FAILURES 3

/* Error replies (4xx and 5xx) one session may earn before we answer
 * "421 4.7.0 Too many errors" and close, like Postfix's
 * smtpd_hard_error_limit (default 20). A client that sends a thousand
 * unknown commands is not going to get anywhere; each answer costs us a
 * little, so the conversation ends. Honest clients make a few mistakes at
 * most. */
#define SESSION_MAX_ERRORS 20

/* New Maildirs one session may cause when no --mailboxes list says which
 * names exist (then any name is a mailbox, made at its first delivery:
 * four folders each). Without a cap, one client could make thousands of
 * folders a second; beyond it the next new name gets 450 4.7.1 ("try
 * later", in a new session). With --mailboxes there is no cap: the names
 * are the admin's. */
#define SESSION_MAX_NEW_MAILBOXES 20

/* Replies waiting to be sent. Big enough for every reply one line can
 * cause; the connection loop sends them before the buffer can fill. */
#define SESSION_OUT_SIZE 8192
#define SESSION_FLUSH_AT 4096

struct session {
    const struct server_config *config;    /* what the server was told */
    const struct event_log *log;           /* where events go */
    char id[64];                           /* this session, in logs and Received */
    char peer[64];                         /* the client's IP address, printable */
    enum session_state state;              /* where we are in the dialogue */
    bool esmtp;                            /* EHLO (not HELO) was used */
    char client_name[SMTP_MAX_DOMAIN + 1]; /* what HELO/EHLO said */
    struct envelope envelope;              /* the open mail transaction */
    struct message_spool spool;            /* the message, during DATA */
    unsigned messages;                     /* messages accepted so far */
    bool discarding_long_line;             /* inside a command line over 512 */
    bool long_line_answered;               /* ...and its 500 is already sent */
    /* ----- security (RFC 3207, RFC 4954, RFC 6409, RFC 8314) ----- */
    enum listener_role role;    /* the listener this client came through */
    bool tls;                   /* the connection is inside TLS now */
    bool tls_pending;           /* 220 to STARTTLS queued: handshake next */
    char tls_description[128];  /* "TLSv1.3 with TLS_AES_256_GCM_SHA384" */
    enum auth_step auth_step;   /* an AUTH exchange in progress, or idle */
    char auth_mechanism[8];     /* "PLAIN" or "LOGIN", while one is open */
    char login_user[256];       /* AUTH LOGIN: the name, until the password */
    char auth_user[256];        /* who logged in, or "" (not authenticated) */
    unsigned auth_failures;     /* failed AUTH attempts in this session */
    unsigned errors;            /* 4xx/5xx replies so far (SESSION_MAX_ERRORS) */
    unsigned new_mailboxes;     /* RCPTs that will make a new Maildir */
    char out[SESSION_OUT_SIZE]; /* replies not yet sent */
    size_t out_len;
};

/* Set up a session for a client at `peer` who came in through a listener
 * of the given role. Returns -1 if out of memory. */
int session_init(struct session *s, const struct server_config *config,
                 const struct event_log *log, const char *id, const char *peer,
                 enum listener_role role);

/* Free what session_init took; discards an unfinished message. */
void session_free(struct session *s);

/* Queue the 220 greeting (RFC 5321 §3.1, §4.2). */
void session_greet(struct session *s);

/* How big a buffer the next line wants: a command or a text line. */
size_t session_line_limit(const struct session *s);

/* Handle one line (or piece of a long line) that arrived. */
void session_handle_line(struct session *s, const char *line, size_t len,
                         enum line_end end);

/* The client said nothing for --timeout seconds: 421 and close. */
void session_timed_out(struct session *s);

/* The server is stopping (SIGTERM): 421 and close (RFC 5321 §3.8). */
void session_shutting_down(struct session *s);

/* Should the connection close once the replies are sent? */
bool session_wants_close(const struct session *s);

/* The TLS handshake after STARTTLS succeeded (connection.c ran it):
 * forget everything the client said before it and wait for a new EHLO,
 * without a new greeting (RFC 3207 §4.2). `description` is the version and
 * cipher, for Received: and the log. */
void session_tls_started(struct session *s, const char *description);

/* Implicit TLS (RFC 8314 §3.3): the handshake came before the greeting,
 * so there is nothing to forget; just note that TLS is on. */
void session_tls_implicit(struct session *s, const char *description);

/* Is TLS on offer at all (a certificate was loaded)? */
bool session_tls_available(const struct session *s);

/* Does this listener follow the submission rules (RFC 6409): MAIL only
 * after AUTH? True for the submission and smtps roles. */
bool session_is_submission(const struct session *s);

/* ----- used by the command handlers (commands.c, cmd_*.c) ----- */

/*
 * Every reply leaves through these two. `enhanced` is the RFC 3463 status
 * code ("2.1.0"), or NULL where none belongs (the greeting, HELO/EHLO:
 * RFC 2034 §3). session_reply_more() writes a continuation line "250-..."
 * of a multi-line reply (RFC 5321 §4.2.1); session_reply() the last one.
 */
void session_reply(struct session *s, int code, const char *enhanced,
                   const char *format, ...) __attribute__((format(printf, 4, 5)));
void session_reply_more(struct session *s, int code, const char *enhanced,
                        const char *format, ...) __attribute__((format(printf, 4, 5)));

/* The one place the state changes; it logs "old -> new". */
void session_set_state(struct session *s, enum session_state next);

/* Forget the mail transaction (RSET, EHLO, after "."), RFC 5321 §4.1.1.5. */
void session_reset_transaction(struct session *s);

/* The state's name, for logs and the HELP text. */
const char *session_state_name(enum session_state state);

#endif
