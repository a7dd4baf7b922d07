/*
 * pop3_session.h - one POP3 conversation, as a state machine with no sockets.
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 * Read server/session.h first: this
 * file has the same shape on purpose.
 *
 * SMTP *pushes*: the sender connects and hands a letter over. POP3 (RFC
 * 1939) *pulls*: the owner of a mailbox connects, proves who he is, and
 * takes his letters out. The conversation has three states (§3), which
 * mirror SMTP's three phases:
 *
 *   SMTP phase            POP3 state        what happens
 *   connection setup  ->  AUTHORIZATION     greeting, [STLS], USER + PASS
 *   mail transfer     ->  TRANSACTION       STAT, LIST, RETR, TOP, DELE ...
 *   termination       ->  UPDATE            QUIT: *now* the DELEs happen
 *
 *   AUTHORIZATION --USER, PASS ok--> TRANSACTION --QUIT--> UPDATE -> closed
 *        |                                |
 *        +--QUIT--> closed                +--connection lost--> closed,
 *                                              nothing deleted
 *
 * Like the SMTP core, it never touches the network: pop3_session_handle_line()
 * appends the response to s->out and pop3_connection.c sends it. A long
 * response (a whole letter, a long list) is produced a piece at a time by
 * pop3_session_continue(), so memory stays bounded whatever the mailbox holds.
 *
 * Responses are "+OK ..." or "-ERR ..." (§3), not three-digit codes. RFC
 * 2449 §8 adds a machine-readable reason in brackets after "-ERR", such as
 * "-ERR [IN-USE]" (the mailbox is locked by another session) or
 * "-ERR [AUTH]" (RFC 3206: the login itself failed).
 */
#ifndef MAILWALK_POP3_SESSION_H
#define MAILWALK_POP3_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "event_log.h"
#include "pop3_mailbox.h"
#include "pop3_text.h"
#include "wire.h"

/* RFC 2449 §4: "The maximum length of a command is increased from 47
 * characters ... to 255 octets, including the terminating CRLF." */
#define POP3_MAX_COMMAND_LINE 255
/* ... and a response's first line is at most 512 octets with its CRLF. */
#define POP3_MAX_RESPONSE_LINE 512
/* RFC 1939 §3: each argument "may be up to 40 characters long". */
#define POP3_MAX_ARGUMENT 40

/* Responses waiting to be sent. A long response is made in pieces of at
 * most POP3_TEXT_PIECE_MAX, and the connection sends before the buffer
 * holds POP3_FLUSH_AT, so one more piece or response line always fits. */
#define POP3_OUT_SIZE 8192
#define POP3_FLUSH_AT 4096

/* Failed logins before the server hangs up (each one answered slower). */
#define POP3_MAX_LOGIN_FAILURES 3

/* What a POP3 session needs to know of the server's configuration. */
struct pop3_session_config {
    const char *hostname;       /* for the greeting */
    const char *maildir;        /* the Maildir root mailwalk-server delivers into */
    const char *users_file;     /* the same --users file as SMTP AUTH, or NULL */
    bool tls_available;         /* a certificate is loaded: STLS is offered */
    bool allow_plaintext_login; /* USER/PASS outside TLS (the eavesdropper lesson) */
};

enum pop3_state {
    POP3_AUTHORIZATION, /* greeting sent: who are you? (RFC 1939 §4) */
    POP3_TRANSACTION,   /* logged in, the mailbox is locked (§5) */
    POP3_UPDATE,        /* QUIT: removing what DELE marked (§6) */
    POP3_CLOSING,       /* the last response is queued: close after it */
};

/* A multi-line response still being produced (RETR, TOP, LIST, UIDL). */
enum pop3_pending {
    POP3_PENDING_NONE,
    POP3_PENDING_TEXT, /* a message's lines: s->text */
    POP3_PENDING_LIST, /* "n octets" lines from s->next_message */
    POP3_PENDING_UIDL, /* "n unique-id" lines from s->next_message */
};

struct pop3_session {
    const struct pop3_session_config *config;
    const struct event_log *log;
    char id[64];                           /* this session, in the event log */
    char peer[64];                         /* the client's address, printable */
    enum pop3_state state;                 /* where we are in the dialogue */
    unsigned long commands;                /* commands handled so far */
    unsigned long user_command;            /* ... the number of the last USER */
    char user[POP3_MAX_ARGUMENT + 1];      /* the name USER gave */
    char logged_in[POP3_MAX_ARGUMENT + 1]; /* whose mailbox is open, or "" */
    unsigned login_failures;               /* wrong passwords in this session */
    unsigned delay_seconds;                /* the connection waits this long first */
    bool tls;                              /* the connection is inside TLS now */
    bool tls_pending;                      /* "+OK Begin TLS" queued: handshake next */
    bool discarding_long_line;             /* inside a command line over 255 */
    struct pop3_mailbox mailbox;           /* open in TRANSACTION */
    enum pop3_pending pending;             /* a multi-line response in progress */
    struct pop3_text text;                 /* ... the message being sent */
    size_t next_message;                   /* ... the next LIST/UIDL index */
    char out[POP3_OUT_SIZE];               /* responses not yet sent */
    size_t out_len;
};

/* Set up a session for a client at `peer`. `tls` is true on the implicit-TLS
 * port (the port-995 role, RFC 8314 §3.3): the handshake came first. */
void pop3_session_init(struct pop3_session *s, const struct pop3_session_config *config,
                       const struct event_log *log, const char *id, const char *peer,
                       bool tls);

/* Release the mailbox lock. A session that never reached QUIT removes
 * nothing (RFC 1939 §6: no UPDATE state without QUIT). */
void pop3_session_free(struct pop3_session *s);

/* Queue the greeting: "+OK <host> POP3 server ready" (RFC 1939 §4). */
void pop3_session_greet(struct pop3_session *s);

/* How big a buffer the next command line wants (with its NUL). */
size_t pop3_session_line_limit(const struct pop3_session *s);

/* Handle one command line (or a piece of a too-long one). */
void pop3_session_handle_line(struct pop3_session *s, const char *line, size_t len,
                              enum line_end end);

/* Is a multi-line response still being produced? Then the connection calls
 * pop3_session_continue() each time it has sent s->out, before reading the
 * next command: a POP3 server answers one command at a time. */
bool pop3_session_has_more(const struct pop3_session *s);
void pop3_session_continue(struct pop3_session *s);

/* The STLS handshake succeeded (RFC 2595 §4): forget USER, stay in
 * AUTHORIZATION, and from now on allow the login. */
void pop3_session_tls_started(struct pop3_session *s);

/* The client was silent too long (RFC 1939 §3's autologout timer): close
 * *without* entering UPDATE, so nothing is deleted. */
void pop3_session_timed_out(struct pop3_session *s);

/* Should the connection close once s->out is sent? */
bool pop3_session_wants_close(const struct pop3_session *s);

/* ----- used by the command handlers (pop3_cmd_*.c) ----- */

/* Every response's first line leaves through these: "+OK text" and
 * "-ERR text" ("-ERR [CODE] text" with an RFC 2449 §8 response code). */
void pop3_ok(struct pop3_session *s, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void pop3_err(struct pop3_session *s, const char *code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* One line of a multi-line response that cannot start with "." (CAPA, the
 * LIST lines), and the final "." that ends the response. */
void pop3_line(struct pop3_session *s, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void pop3_end(struct pop3_session *s);

/* The one place the state changes; it logs "old -> new". */
void pop3_set_state(struct pop3_session *s, enum pop3_state next);

const char *pop3_state_name(enum pop3_state state);

#endif
