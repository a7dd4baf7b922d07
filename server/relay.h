/*
 * relay.h - one attempt to hand a queued message to the next hop.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Here Alice's server turns client: it connects to Bob's server and speaks
 * the sender side of SMTP, with the same client library mailwalk-send uses
 * (client/smtp_client.h). One attempt is one SMTP session: greeting, EHLO,
 * [STARTTLS and EHLO again, per --relay-tls,] MAIL, a RCPT per recipient,
 * DATA, QUIT. What comes back is one answer per recipient, because RFC 5321
 * §3.3 gives every RCPT its own reply: Bob's server may take the message
 * for bob and refuse it for carol.
 */
#ifndef MAILWALK_RELAY_H
#define MAILWALK_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "event_log.h"

/* What the next hop said about one recipient. */
struct relay_answer {
    int code;          /* the reply code that decided it; 0 = no reply at all */
    char enhanced[16]; /* its RFC 3463 code, or "" */
    char text[512];    /* "550 5.1.1 No such user" or "connect to ...: refused" */
};

/* Everything one attempt needs. */
struct relay_job {
    const char *host; /* the next hop, from --routes */
    const char *port;
    const char *helo_name;         /* our --hostname, for EHLO */
    const char *reverse_path;      /* MAIL FROM; "" for a bounce */
    bool body_8bit;                /* ask for BODY=8BITMIME */
    bool smtputf8;                 /* ask for SMTPUTF8 */
    const char *const *recipients; /* RCPT TO, count of them */
    size_t count;
    const char *message;         /* the text as queued ("\n" line ends; the library */
    size_t message_len;          /* sends CR LF and dot-stuffs) */
    int timeout_ms;              /* longest wait for one whole reply */
    int attempt_limit_ms;        /* the whole attempt, connect to close
                                    (-1: none): its deadline */
    enum relay_tls_mode tls;     /* --relay-tls: STARTTLS before MAIL? */
    const struct event_log *log; /* each line to and from the hop goes here */
    const char *log_session;     /* ...under this session name */
};

/* An attempt may take as long as this many replies at their longest
 * (--timeout each): the greeting, EHLO, the envelope and the end of data.
 * RFC 5321 §4.5.3.2 times each reply but not a session; without a limit,
 * a next hop that answers each command just in time holds the attempt -
 * and its child of the queue runner - for as long as it likes. */
#define RELAY_ATTEMPT_REPLIES 4

/* Make one attempt; answers[i] is filled for recipients[i]. Returns true
 * if the session was sealed with TLS (STARTTLS) before the envelope was
 * sent, so that every answer came through TLS; false if it stayed
 * plaintext (or ended before MAIL). */
bool relay_attempt(const struct relay_job *job, struct relay_answer *answers);

#endif
