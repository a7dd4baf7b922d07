/*
 * smtp_client.h - the sender-SMTP: one function per command.
 *
 * Tier: core — read this first.
 *
 * This is the other side of mailwalk-server. A client (RFC 5321 calls it the
 * "SMTP client" or sender-SMTP) opens a TCP connection, waits for the 220
 * greeting, says EHLO, and then runs one mail transaction after another:
 *
 *     MAIL FROM:<alice@alice.example>   the envelope sender      (§4.1.1.2)
 *     RCPT TO:<bob@bob.example>         one per recipient        (§4.1.1.3)
 *     DATA                              then the message text,
 *     .                                 ended by a lone dot      (§4.1.1.4)
 *     QUIT                                                       (§4.1.1.10)
 *
 * Every function below sends exactly one command and reads exactly one reply
 * (RFC 5321 §4.2: "Every command MUST generate exactly one reply"), so a
 * student can read the dialogue straight off the code. Each returns 0 when
 * a reply was read - whatever its code: a 550 is an answer, not a failure of
 * the library - and -1 when the conversation itself broke (the connection
 * closed, a timeout, a reply that is not SMTP); then c->error says what
 * happened, naming the failing call.
 *
 * The library keeps no global state and never calls exit(): mailwalk-send
 * uses it, and so does Alice's mailwalk-server when it relays.
 */
#ifndef MAILWALK_SMTP_CLIENT_H
#define MAILWALK_SMTP_CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "smtp_limits.h"
#include "wire.h"

/* ---- Replies ----------------------------------------------------------- */

/* Room for the text of one reply, all its lines together. An EHLO reply is
 * a dozen short lines; text beyond this is dropped (and counted), so a server
 * that sends a thousand-line reply cannot make us grow. */
#define SMTP_REPLY_TEXT_MAX 2048

/* A reply with more lines than this is taken as a broken server, not read on
 * forever. (No real reply comes near it; HELP is the longest.) */
#define SMTP_REPLY_MAX_LINES 200

/* One reply, maybe of several lines (RFC 5321 §4.2.1). */
struct smtp_reply {
    int code;                       /* the three digits, e.g. 250; 0 = none yet */
    char enhanced[16];              /* RFC 3463 code from the first line ("2.1.5")
                                        or "" if the server gave none */
    size_t line_count;              /* lines in the reply */
    bool truncated;                 /* some text did not fit in text[] */
    char text[SMTP_REPLY_TEXT_MAX]; /* the text after "250-"/"250 " of each line,
                                        lines joined by '\n' */
};

/* What feeding one line to a reply being read gave. */
enum smtp_reply_step {
    SMTP_REPLY_MORE,      /* a "250-" line: more lines follow */
    SMTP_REPLY_DONE,      /* a "250 " line: the reply is complete */
    SMTP_REPLY_MALFORMED, /* not an SMTP reply line; the text says why */
};

/* Start reading a new reply. */
void smtp_reply_clear(struct smtp_reply *r);

/*
 * Add one received line (without its CR LF) to the reply being read. This is
 * the whole of reply parsing, with no I/O, so the unit tests drive it line by
 * line. On SMTP_REPLY_MALFORMED, why[] says what was wrong with the line.
 */
enum smtp_reply_step smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
                                     char *why, size_t why_cap);

/* The first line of the reply text (for one-line messages to the user). */
void smtp_reply_first_line(const struct smtp_reply *r, char *out, size_t cap);

/* The first digit of a reply code, as RFC 5321 §4.2.1 names it. */
const char *smtp_reply_meaning(int code);

/* ---- Extensions (from the EHLO reply) ---------------------------------- */

/* What the server promised in its EHLO reply (RFC 5321 §4.1.1.1: one
 * keyword per line after the first). All false after HELO. */
struct smtp_extensions {
    bool esmtp;                    /* EHLO was accepted: extensions exist */
    bool size;                     /* SIZE (RFC 1870): MAIL ... SIZE=n */
    unsigned long long size_limit; /* SIZE's number; 0 = no fixed limit */
    bool eightbitmime;             /* 8BITMIME (RFC 6152): MAIL ... BODY=8BITMIME */
    bool pipelining;               /* PIPELINING (RFC 2920) */
    bool smtputf8;                 /* SMTPUTF8 (RFC 6531): UTF-8 addresses */
    bool enhancedstatuscodes;      /* ENHANCEDSTATUSCODES (RFC 2034) */
    bool starttls;                 /* STARTTLS (RFC 3207) */
    bool auth;                     /* AUTH (RFC 4954) */
    char auth_mechanisms[128];     /* AUTH's list, e.g. "PLAIN LOGIN" */
};

/* Fill *ext from a 250 reply to EHLO. Pure: the unit tests call it. */
void smtp_parse_extensions(const struct smtp_reply *ehlo_reply,
                           struct smtp_extensions *ext);

/* ---- The client -------------------------------------------------------- */

/* Which way a transcript line went. */
enum smtp_direction {
    SMTP_SENT,      /* a command we sent ("C:") */
    SMTP_SENT_DATA, /* a line of message text we sent, after DATA's 354 */
    SMTP_RECEIVED,  /* a reply line from the server ("S:") */
    SMTP_NOTE,      /* something the library did that is not on the wire,
                      e.g. "connected to 127.0.0.1 port 2525" */
};

/* Called for every line, as it crosses the wire. line is not NUL-terminated
 * (message text may hold anything); len excludes the CR LF. */
typedef void (*smtp_transcript_fn)(void *user, enum smtp_direction direction,
                                   const char *line, size_t len);

/* A whole session - connect, greeting, every command, QUIT - should not
 * take longer than this. RFC 5321 §4.5.3.2 times each reply but sets no
 * limit for a session; without one, a server that answers every command
 * just inside its timeout could keep a client for hours. Half an hour is
 * far more than any honest session needs, even for a 10 MB message. */
#define SMTP_SESSION_LIMIT_S 1800

/* One connection to one SMTP server. Set it up with smtp_client_init(). */
struct smtp_client {
    struct wire wire;              /* the connection, as lines */
    bool connected;                /* wire.fd is an open socket */
    int timeout_cap_ms;            /* never wait longer than this for one
                                       whole reply (-1: use the RFC's timeouts) */
    int session_limit_ms;          /* the whole session must end within this,
                                       counted from smtp_open() (-1: no limit;
                                       set it before connecting) */
    long long session_deadline_ms; /* when that is, on wire_now_ms()'s clock */
    int reply_timeout_ms;          /* > 0: wait exactly this long for every
                                       reply, in place of the RFC's times
                                       (a watcher that holds lines) */
    struct smtp_extensions ext;    /* what the last EHLO reply offered */
    char local_address[64];        /* our end of the socket, e.g. "127.0.0.1" */
    smtp_transcript_fn transcript; /* where lines are reported, or NULL */
    void *transcript_user;         /* passed back to transcript */
    int sys_errno;                 /* errno of the last system failure, or 0 */
    bool tls_failed;               /* the last -1 was a failed TLS handshake
                                       (e.g. a certificate that did not check) */
    char error[512];               /* what broke, when a function returned -1 */
};

/* Prepare a client; nothing is connected yet. transcript may be NULL. */
void smtp_client_init(struct smtp_client *c, smtp_transcript_fn transcript,
                      void *transcript_user);

/*
 * Open a TCP connection to host:port, waiting at most timeout_ms for it
 * (-1: the system's own limit), then read the server's greeting into *reply
 * (RFC 5321 §3.1: 220 means "go ahead", 554 "no service here"). Returns -1
 * if no connection could be made (c->sys_errno says why, e.g. ECONNREFUSED).
 */
int smtp_connect(struct smtp_client *c, const char *host, const char *port,
                 int timeout_ms, struct smtp_reply *reply);

/* Close the socket (after QUIT, or after the conversation broke); with TLS
 * on, say close_notify first (RFC 8314 §3.4). */
void smtp_close(struct smtp_client *c);

/* Read one whole reply, however many lines (RFC 5321 §4.2.1). The whole
 * reply, not each line, must arrive within the command's timeout (RFC 5321
 * §4.5.3.2 times replies), and before the session's deadline; else -1 and
 * c->error says which limit was reached. */
int smtp_read_reply(struct smtp_client *c, struct smtp_reply *reply);

/* Send one command line (CR LF is added) and read its reply. The commands
 * below are all this, plus what each one means. */
int smtp_command(struct smtp_client *c, const char *line, struct smtp_reply *reply);

/* EHLO, falling back to HELO when the server does not know EHLO. */
int smtp_ehlo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply);
int smtp_helo(struct smtp_client *c, const char *client_name, struct smtp_reply *reply);

/* What MAIL FROM may carry; each is sent only if EHLO advertised it. */
struct smtp_mail_options {
    unsigned long long size; /* SIZE=n (RFC 1870); 0 = do not declare */
    bool body_8bit;          /* BODY=8BITMIME (RFC 6152) */
    bool smtputf8;           /* SMTPUTF8 (RFC 6531) */
};

int smtp_mail_from(struct smtp_client *c, const char *sender,
                   const struct smtp_mail_options *options, struct smtp_reply *reply);
int smtp_rcpt_to(struct smtp_client *c, const char *recipient,
                 struct smtp_reply *reply);

/* DATA, and if the server answers 354, the message itself: *reply is then
 * the server's verdict on the message (250 = it has taken responsibility). */
int smtp_data(struct smtp_client *c, const char *message, size_t len,
              struct smtp_reply *reply);

/* After a 354: send the message text, dot-stuffed, and the final ".". */
int smtp_send_message(struct smtp_client *c, const char *message, size_t len,
                      struct smtp_reply *reply);

int smtp_rset(struct smtp_client *c, struct smtp_reply *reply);
int smtp_noop(struct smtp_client *c, struct smtp_reply *reply);
int smtp_vrfy(struct smtp_client *c, const char *name, struct smtp_reply *reply);
int smtp_quit(struct smtp_client *c, struct smtp_reply *reply);

/*
 * The whole envelope of one transaction: MAIL, one RCPT per recipient, and
 * DATA (only if a recipient was accepted, or always when pipelining - see
 * smtp_pipeline.c). With pipelining asked for and offered, the commands go
 * out in groups without waiting (RFC 2920); otherwise one at a time.
 * rcpt_replies has count elements. A reply whose command was never sent
 * keeps code 0.
 */
int smtp_envelope(struct smtp_client *c, bool pipelining, const char *sender,
                  const struct smtp_mail_options *options,
                  const char *const *recipients, size_t count,
                  struct smtp_reply *mail_reply, struct smtp_reply *rcpt_replies,
                  struct smtp_reply *data_reply);

/* ---- TLS (smtp_tls.c) --------------------------------------------------- */

/*
 * STARTTLS (RFC 3207 §4): ask to seal the connection. On "220 Ready to start
 * TLS" run the handshake with ctx (whose verify mode decides whether the
 * certificate chain is checked) and verify_name (the name or IP address the
 * certificate must carry, also sent as SNI; NULL: no name check). Then the
 * extensions from the plaintext EHLO are forgotten (§4.2): the caller must
 * say EHLO again. Returns 0 when a reply was read - anything but 220 means
 * TLS did not start and the connection is still plaintext - and -1 when the
 * conversation or the handshake broke (c->tls_failed tells which).
 */
int smtp_starttls(struct smtp_client *c, SSL_CTX *ctx, const char *verify_name,
                  struct smtp_reply *reply);

/*
 * Implicit TLS (RFC 8314 §3.3, port 465): connect as smtp_connect() does,
 * but run the TLS handshake before anything else, then read the greeting
 * through TLS. ctx and verify_name as for smtp_starttls().
 */
int smtp_connect_tls(struct smtp_client *c, const char *host, const char *port,
                     int timeout_ms, SSL_CTX *ctx, const char *verify_name,
                     struct smtp_reply *reply);

/*
 * A client context for STARTTLS that encrypts but does NOT check the
 * server's certificate (TLS 1.2 or newer; use it with verify_name NULL).
 * That stops a passive listener, not a machine in the middle, which can
 * show any certificate it likes. It is what servers relaying to each other
 * do by default ("opportunistic" TLS, RFC 7435): the next hop's certificate
 * is often self-signed, and the only alternative is plaintext. Never use
 * it where a password is sent (mailwalk-send checks, unless --insecure).
 * Returns NULL when out of memory; free it with SSL_CTX_free().
 */
SSL_CTX *smtp_tls_context_unverified(void);

/* Is the connection sealed by TLS now? */
bool smtp_tls_active(const struct smtp_client *c);

/* ---- AUTH (smtp_auth.c) ------------------------------------------------- */

/* RFC 4616 §2: PLAIN's user name and password are each at most 255 octets
 * (what a server must accept); longer ones are refused before sending. */
#define SMTP_AUTH_FIELD_MAX 255

/*
 * The PLAIN response (RFC 4616 §2): base64 of "" NUL user NUL password (an
 * empty authorization identity: "act as myself"). Writes it, NUL-terminated,
 * to out and returns its length, or -1 if a field is empty, too long or
 * holds a NUL, or out is too small. Pure: the unit tests call it.
 */
long smtp_auth_plain_response(const char *user, const char *password, char *out,
                              size_t cap);

/*
 * AUTH PLAIN (RFC 4954 §4, RFC 4616): log in with one line, the response
 * sent with the command. AUTH LOGIN (a widespread, never standardised
 * mechanism): the server asks "Username:" and "Password:" in two 334
 * challenges. Both refuse (-1, nothing sent) unless the connection is under
 * TLS: base64 is an encoding, not encryption. *reply is the server's
 * verdict: 235 logged in, 535 wrong user or password, 534/538 ...
 */
int smtp_auth_plain(struct smtp_client *c, const char *user, const char *password,
                    struct smtp_reply *reply);
int smtp_auth_login(struct smtp_client *c, const char *user, const char *password,
                    struct smtp_reply *reply);

/* Does the EHLO reply's AUTH list name this mechanism ("PLAIN")? */
bool smtp_auth_offers(const struct smtp_extensions *ext, const char *mechanism);

/* ---- Message text (smtp_data.c) ---------------------------------------- */

/*
 * The message as it goes on the wire after DATA: every line ended by CR LF
 * (a bare LF or a bare CR becomes CR LF, RFC 5321 §2.3.8), a "." doubled at
 * the start of a line (§4.5.2), and the final ".\r\n" (§4.1.1.4). Writes at
 * most cap bytes into out and returns the full length (like snprintf), so
 * smtp_data_encode(m, n, NULL, 0) measures. Pure: the unit tests call it.
 */
size_t smtp_data_encode(const char *message, size_t len, char *out, size_t cap);

/* The message's size as RFC 1870 counts it: CR LF line endings, no dot
 * stuffing, no final dot. This is what MAIL's SIZE= declares. */
unsigned long long smtp_data_size(const char *message, size_t len);

/* The 1-based number of the first line longer than RFC 5321 §4.5.3.1.6
 * allows (998 octets + CR LF), or 0 if every line fits. */
size_t smtp_data_long_line(const char *message, size_t len);

/* True if any octet has its high bit set (8-bit text, RFC 6152). */
bool smtp_data_is_8bit(const char *message, size_t len);

#endif
