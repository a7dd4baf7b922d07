/*
 * config.h - what the person starting mailwalk-server asked for.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Everything the server can be told on its command line lands in one struct,
 * filled once at start-up and only read after that. Pointers point into argv
 * (which lives as long as the process), so nothing here needs freeing.
 */
#ifndef MAILWALK_CONFIG_H
#define MAILWALK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "networks.h"

#define CONFIG_MAX_LISTEN    8  /* --listen, --submission and --smtps together */
#define CONFIG_MAX_DOMAINS   16 /* --domain may repeat this often */
#define CONFIG_MAX_MAILBOXES 64 /* names in --mailboxes */
#define CONFIG_MAX_TRUSTED   8  /* --trusted may repeat this often */
#define CONFIG_MAX_RETRIES   16 /* delays in a --retry list */
#define CONFIG_MAX_EXEMPT    8  /* --limit-exempt may repeat this often */

/*
 * What a listening port is for. The same SMTP runs on all of them; the
 * role changes the rules (RFC 6409 §1, RFC 8314 §3):
 *   plain       the port-25 role: anyone may deliver mail for our domains;
 *   submission  the port-587 role: our own users hand in mail after AUTH;
 *   smtps       the port-465 role: submission, but TLS starts at once.
 */
enum listener_role {
    ROLE_PLAIN,
    ROLE_SUBMISSION,
    ROLE_SMTPS,
};

/*
 * --relay-tls: does the queue runner seal the relay hop with STARTTLS
 * (RFC 3207) when it talks to the next hop? (relay.c; docs/relay.md)
 *   none           never: the hop stays readable (the classroom demos);
 *   opportunistic  when the next hop offers it, without checking its
 *                  certificate (RFC 7435); plaintext when it does not;
 *   required       always: a next hop without STARTTLS gets nothing, the
 *                  message waits and is retried.
 */
enum relay_tls_mode {
    RELAY_TLS_NONE,
    RELAY_TLS_OPPORTUNISTIC,
    RELAY_TLS_REQUIRED,
};

struct ssl_ctx_st; /* OpenSSL's SSL_CTX, from <openssl/ssl.h> */
struct routes;     /* the --routes file, from routes.h */

struct server_config {
    const char *listen[CONFIG_MAX_LISTEN];       /* HOST:PORT to accept on */
    enum listener_role roles[CONFIG_MAX_LISTEN]; /* what each listen[i] is for */
    size_t listen_count;
    const char *hostname;                    /* our name in 220/250/Received */
    const char *domains[CONFIG_MAX_DOMAINS]; /* mail for these is ours */
    size_t domain_count;
    const char *maildir;                   /* root: DIR/<mailbox>/{tmp,new,cur} */
    char *mailboxes[CONFIG_MAX_MAILBOXES]; /* if any: the only mailboxes */
    size_t mailbox_count;
    unsigned long long max_size; /* SIZE limit in octets (RFC 1870) */
    size_t max_recipients;       /* RCPTs per transaction */
    size_t max_sessions;         /* connections served at once */
    int timeout_seconds;         /* idle time before 421 */
    const char *log_path;        /* event log, or NULL */
    const char *tls_cert;        /* --tls-cert, or NULL: make one */
    const char *tls_key;         /* --tls-key, or NULL: make one */
    const char *state_dir;       /* --state-dir (default <maildir>/.state) */
    const char *users_path;      /* --users: who may AUTH, or NULL: nobody */
    bool require_tls;            /* --require-tls: MAIL only after STARTTLS */
    bool hash_password;          /* --hash-password: print a hash and exit */
    /* ----- store-and-forward (RFC 5321 §2.1, §4.5.4) ----- */
    const char *queue_dir;                      /* --queue: mail waiting to be
                                                   relayed, or NULL: no relaying */
    const char *routes_path;                    /* --routes: domain -> next hop */
    struct network trusted[CONFIG_MAX_TRUSTED]; /* --trusted: may relay without AUTH */
    size_t trusted_count;
    long retry_schedule[CONFIG_MAX_RETRIES]; /* --retry: seconds between tries */
    size_t retry_count;
    long queue_lifetime;           /* --queue-lifetime: seconds before we give up */
    enum relay_tls_mode relay_tls; /* --relay-tls: STARTTLS to the next hop? */

    /* ----- a server a class cannot lock out (anvil.c, session_clock.c) ----- */
    size_t max_per_client;        /* sessions at once from one address (0: any) */
    unsigned max_rate_per_client; /* connections a minute from one address (0: any) */
    struct network limit_exempt[CONFIG_MAX_EXEMPT]; /* not limited per client */
    size_t limit_exempt_count;
    long session_limit;         /* --session-limit: longest session, seconds */
    int busy_timeout_seconds;   /* idle limit under stress (all busy) */
    unsigned min_rate;          /* bytes a second a session must average then */
    unsigned max_auth_failures; /* failed logins per address or user name ... */
    long auth_failure_window;   /* ... within this many seconds */

    /* Set by main.c after the options, before the workers start: the
     * OpenSSL context with our certificate, or NULL when TLS is off. */
    struct ssl_ctx_st *tls_context;
    /* Set by main.c: the --routes file, read once, or NULL without one. */
    const struct routes *routes;
};

/* What config_parse() decided. */
enum config_result {
    CONFIG_RUN,     /* options are good: start the server */
    CONFIG_EXIT_OK, /* --help or --version was printed: exit 0 */
    CONFIG_ERROR,   /* a message was printed to stderr: exit 2 */
};

/* Fill *config from the command line, with defaults for what is missing. */
enum config_result config_parse(int argc, char **argv, struct server_config *config);

/* The role's name ("plain", "submission", "smtps"), for logs. */
const char *config_role_name(enum listener_role role);

/* The mode's name as --relay-tls spells it ("none", ...), for logs. */
const char *config_relay_tls_name(enum relay_tls_mode mode);

/* Is `domain` one of ours (case-insensitively, RFC 5321 §2.4)? Always yes
 * with the classroom catch-all --domain '*' (config.c says why a real
 * server must not). */
bool config_is_local_domain(const struct server_config *config, const char *domain);

/* May mail be delivered to `mailbox`? True for all names when --mailboxes
 * was not given; "postmaster" is always accepted (RFC 5321 §4.5.1). */
bool config_has_mailbox(const struct server_config *config, const char *mailbox);

/* Is the client at this printable address inside a --trusted network? */
bool config_is_trusted(const struct server_config *config, const char *peer);

/* Read a duration: a whole number with s, m, h or d after it ("90s",
 * "30m", "5d"; a bare number is seconds). Returns -1 if it is not one. */
long config_parse_duration(const char *text);

#endif
