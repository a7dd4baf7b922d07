/*
 * config.h - what the person starting mailwalk-server asked for.
 *
 * Everything the server can be told on its command line lands in one struct,
 * filled once at start-up and only read after that. Pointers point into argv
 * (which lives as long as the process), so nothing here needs freeing.
 */
#ifndef MAILWALK_CONFIG_H
#define MAILWALK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_LISTEN    8  /* --listen may repeat this often */
#define CONFIG_MAX_DOMAINS   16 /* --domain may repeat this often */
#define CONFIG_MAX_MAILBOXES 64 /* names in --mailboxes */

struct server_config {
    const char *listen[CONFIG_MAX_LISTEN]; /* HOST:PORT to accept on */
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
};

/* What config_parse() decided. */
enum config_result {
    CONFIG_RUN,     /* options are good: start the server */
    CONFIG_EXIT_OK, /* --help or --version was printed: exit 0 */
    CONFIG_ERROR,   /* a message was printed to stderr: exit 2 */
};

/* Fill *config from the command line, with defaults for what is missing. */
enum config_result config_parse(int argc, char **argv, struct server_config *config);

/* Is `domain` one of ours (case-insensitively, RFC 5321 §2.4)? */
bool config_is_local_domain(const struct server_config *config, const char *domain);

/* May mail be delivered to `mailbox`? True for all names when --mailboxes
 * was not given; "postmaster" is always accepted (RFC 5321 §4.5.1). */
bool config_has_mailbox(const struct server_config *config, const char *mailbox);

#endif
