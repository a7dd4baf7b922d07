/*
 * config.c - the command line of mailwalk-server.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * getopt_long() does the parsing; this file adds the defaults, checks every
 * number, and explains in --help what each option is for.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host_port.h"
#include "smtp_limits.h"
#include "maildir.h"
#include "users.h"

static const char usage_text[] =
    "Usage: mailwalk-server [OPTION]...\n"
    "A small receiver-SMTP (RFC 5321) that delivers mail into Maildirs.\n"
    "\n"
    "  --listen HOST:PORT     accept connections here (may repeat;\n"
    "                         default 127.0.0.1:2525; port 0 picks a free one;\n"
    "                         IPv6 as [::1]:2525)\n"
    "  --hostname NAME        the name we give in greetings and Received:\n"
    "                         (default localhost)\n"
    "  --domain DOMAIN        accept mail for this domain (may repeat;\n"
    "                         default: the --hostname); '*' accepts every\n"
    "                         domain for local delivery - a classroom\n"
    "                         catch-all, never for a real server (no relaying)\n"
    "  --maildir DIR          deliver to DIR/<mailbox>/new (default ./maildir)\n"
    "  --mailboxes A,B,...    only these mailboxes exist; others get 550 5.1.1\n"
    "                         (default: any local part gets a mailbox)\n"
    "  --max-size BYTES       largest message accepted, advertised as SIZE\n"
    "                         (default 10485760)\n"
    "  --max-recipients N     recipients per message; more get 452\n"
    "                         (default 100, the minimum RFC 5321 §4.5.3.1.8 asks)\n"
    "  --max-sessions N       clients served at once; more get 421 (default 100)\n"
    "  --timeout SECONDS      idle time before a client gets 421 (default 300)\n"
    "  --log FILE             append one JSON event per line to FILE\n"
    "\n"
    "Limits, so that no client (or class) can lock the others out\n"
    "(docs/security.md):\n"
    "  --max-per-client N     sessions at once from one address; more get\n"
    "                         421 4.7.0 (default half of --max-sessions;\n"
    "                         0 = no limit)\n"
    "  --max-rate-per-client N\n"
    "                         connections a minute from one address; more\n"
    "                         get 421 4.7.0 (default 0 = no limit)\n"
    "  --limit-exempt CIDR    clients in this network have neither limit,\n"
    "                         e.g. a class behind one NAT address (may\n"
    "                         repeat; default 127.0.0.1/32 and ::1/128, the\n"
    "                         machine itself; 'none' exempts nobody)\n"
    "  --session-limit TIME   longest session, however busy (default 30m)\n"
    "  --busy-timeout SECONDS idle time before 421 while every worker is\n"
    "                         busy and clients are turned away (default 10)\n"
    "  --min-rate BYTES       then, too, a session older than\n"
    "                         --busy-timeout must have sent this many bytes a\n"
    "                         second on average, or get 421 (default 100;\n"
    "                         0 = no minimum)\n"
    "  --max-auth-failures N  failed logins from one address, or for one user\n"
    "                         name, before AUTH gets 454 4.7.0 (default 10)\n"
    "  --auth-failure-window TIME\n"
    "                         ... counted over this long (default 1h)\n"
    "\n"
    "Security (STARTTLS, AUTH, submission):\n"
    "  --submission HOST:PORT a submission listener, the port-587 role\n"
    "                         (RFC 6409): MAIL needs AUTH first (may repeat)\n"
    "  --smtps HOST:PORT      an implicit-TLS listener, the port-465 role\n"
    "                         (RFC 8314): TLS at once, then submission rules\n"
    "                         (may repeat)\n"
    "  --tls-cert FILE        our certificate (PEM, chain allowed)\n"
    "  --tls-key FILE         its private key (PEM)\n"
    "                         without both, a self-signed certificate for\n"
    "                         --hostname is made once in the --state-dir\n"
    "  --state-dir DIR        where that certificate lives\n"
    "                         (default <maildir>/.state)\n"
    "  --users FILE           who may log in with AUTH: one 'name:HASH' per\n"
    "                         line, '#' starts a comment; HASH comes from\n"
    "                         --hash-password (without --users, AUTH always\n"
    "                         fails)\n"
    "  --require-tls          MAIL only after STARTTLS, on every listener\n"
    "  --hash-password        read a password from standard input (not\n"
    "                         echoed on a terminal), print its hash for the\n"
    "                         users file, and exit\n"
    "\n"
    "Store-and-forward (Alice's server relaying to Bob's, docs/relay.md):\n"
    "  --queue DIR            keep mail for other domains in DIR and relay it;\n"
    "                         only logged-in users (AUTH) and --trusted\n"
    "                         networks may send such mail (without --queue,\n"
    "                         mail for other domains is refused)\n"
    "  --routes FILE          where each domain's mail goes: lines like\n"
    "                         'bob.example 127.0.0.2:2525' ('*' for every\n"
    "                         other domain), standing in for DNS MX records\n"
    "  --trusted CIDR         clients in this network may relay without AUTH,\n"
    "                         e.g. 127.0.0.0/8 (may repeat)\n"
    "  --retry LIST           waits between attempts, e.g. 5s,10s,30s,1m (the\n"
    "                         last one repeats; default 30m, RFC 5321\n"
    "                         §4.5.4.1)\n"
    "  --queue-lifetime TIME  give up and bounce after this long (default 5d)\n"
    "  --relay-tls MODE       STARTTLS on the relay hop (RFC 3207): 'none'\n"
    "                         (plaintext, as the demos use), 'opportunistic'\n"
    "                         (when the next hop offers it; its certificate\n"
    "                         is not checked) or 'required' (no STARTTLS, no\n"
    "                         mail: the message waits and is retried)\n"
    "                         (default opportunistic, RFC 7435)\n"
    "\n"
    "  --help                 show this help and exit\n"
    "  --version              show the version and exit\n"
    "\n"
    "On start it prints 'mailwalk-server: listening on HOST:PORT' for each\n"
    "listener (with '(submission)' or '(smtps)' after the port for those)\n"
    "and the SHA-256 fingerprint of the TLS certificate. SIGTERM or Ctrl-C\n"
    "stops it: open sessions get 421, and every message already answered\n"
    "250 is on disk.\n"
    "\n"
    "Example:\n"
    "  mailwalk-server --listen 127.0.0.1:2525 --domain bob.example \\\n"
    "                  --maildir /tmp/mail\n"
    "  swaks --server 127.0.0.1:2525 --to bob@bob.example\n"
    "\n"
    "A users file:\n"
    "  printf 'alice:' > users; mailwalk-server --hash-password >> users\n"
    "  mailwalk-server --submission 127.0.0.1:5870 --users users ...\n"
    "  swaks --server 127.0.0.1:5870 --tls --auth PLAIN --auth-user alice ...\n";

/* Option codes for getopt_long: values above any char. */
enum {
    OPT_LISTEN = 256,
    OPT_HOSTNAME,
    OPT_DOMAIN,
    OPT_MAILDIR,
    OPT_MAILBOXES,
    OPT_MAX_SIZE,
    OPT_MAX_RECIPIENTS,
    OPT_MAX_SESSIONS,
    OPT_TIMEOUT,
    OPT_LOG,
    OPT_SUBMISSION,
    OPT_SMTPS,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_STATE_DIR,
    OPT_USERS,
    OPT_REQUIRE_TLS,
    OPT_HASH_PASSWORD,
    OPT_QUEUE,
    OPT_ROUTES,
    OPT_TRUSTED,
    OPT_RETRY,
    OPT_QUEUE_LIFETIME,
    OPT_RELAY_TLS,
    OPT_MAX_PER_CLIENT,
    OPT_MAX_RATE_PER_CLIENT,
    OPT_LIMIT_EXEMPT,
    OPT_SESSION_LIMIT,
    OPT_BUSY_TIMEOUT,
    OPT_MIN_RATE,
    OPT_MAX_AUTH_FAILURES,
    OPT_AUTH_FAILURE_WINDOW,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"mailboxes", required_argument, NULL, OPT_MAILBOXES},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"max-recipients", required_argument, NULL, OPT_MAX_RECIPIENTS},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
    {"max-rate-per-client", required_argument, NULL, OPT_MAX_RATE_PER_CLIENT},
    {"limit-exempt", required_argument, NULL, OPT_LIMIT_EXEMPT},
    {"session-limit", required_argument, NULL, OPT_SESSION_LIMIT},
    {"busy-timeout", required_argument, NULL, OPT_BUSY_TIMEOUT},
    {"min-rate", required_argument, NULL, OPT_MIN_RATE},
    {"max-auth-failures", required_argument, NULL, OPT_MAX_AUTH_FAILURES},
    {"auth-failure-window", required_argument, NULL, OPT_AUTH_FAILURE_WINDOW},
    {"log", required_argument, NULL, OPT_LOG},
    {"submission", required_argument, NULL, OPT_SUBMISSION},
    {"smtps", required_argument, NULL, OPT_SMTPS},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"users", required_argument, NULL, OPT_USERS},
    {"require-tls", no_argument, NULL, OPT_REQUIRE_TLS},
    {"hash-password", no_argument, NULL, OPT_HASH_PASSWORD},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"routes", required_argument, NULL, OPT_ROUTES},
    {"trusted", required_argument, NULL, OPT_TRUSTED},
    {"retry", required_argument, NULL, OPT_RETRY},
    {"queue-lifetime", required_argument, NULL, OPT_QUEUE_LIFETIME},
    {"relay-tls", required_argument, NULL, OPT_RELAY_TLS},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Parse a whole decimal number in [min, max], or say what is wrong. */
static bool parse_number(const char *option, const char *text, unsigned long long min,
                         unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE ||
        value < min || value > max) {
        fprintf(stderr,
                "mailwalk-server: %s wants a whole number from %llu to %llu, "
                "not '%s'\n",
                option, min, max, text);
        return false;
    }
    *out = value;
    return true;
}

/* Split "a,b,c" (in place) into config->mailboxes. */
static bool parse_mailboxes(struct server_config *config, char *list)
{
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        if (!maildir_name_is_safe(name)) {
            fprintf(stderr,
                    "mailwalk-server: --mailboxes: '%s' is not a usable mailbox "
                    "name (letters, digits, . - _ + and not starting with '.')\n",
                    name);
            return false;
        }
        if (config->mailbox_count == CONFIG_MAX_MAILBOXES) {
            fprintf(stderr, "mailwalk-server: --mailboxes: at most %d names\n",
                    CONFIG_MAX_MAILBOXES);
            return false;
        }
        config->mailboxes[config->mailbox_count++] = name;
    }
    return true;
}

/* Add a listener of the given role, or say there are too many. All
 * three options share one list, so the workers watch one set of sockets. */
static bool add_listener(struct server_config *config, const char *option,
                         enum listener_role role, const char *address)
{
    const char *problem = host_port_problem(address);
    if (problem != NULL) {
        fprintf(stderr, "mailwalk-server: %s %s: %s\nTry 'mailwalk-server --help'.\n",
                option, address, problem);
        return false;
    }
    if (config->listen_count == CONFIG_MAX_LISTEN) {
        fprintf(stderr,
                "mailwalk-server: %s: at most %d listeners in all "
                "(--listen, --submission, --smtps)\n",
                option, CONFIG_MAX_LISTEN);
        return false;
    }
    config->roles[config->listen_count] = role;
    config->listen[config->listen_count++] = address;
    return true;
}

/* Add value to a repeatable option's list, or say there are too many. */
static bool add_to_list(const char *option, const char **list, size_t *count,
                        size_t max, const char *value)
{
    if (*count == max) {
        fprintf(stderr, "mailwalk-server: %s may be given at most %zu times\n", option,
                max);
        return false;
    }
    list[(*count)++] = value;
    return true;
}

long config_parse_duration(const char *text)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno == ERANGE || value > 1000000)
        return -1;
    long unit = 1;
    if (*end == 'm')
        unit = 60;
    else if (*end == 'h')
        unit = 60 * 60;
    else if (*end == 'd')
        unit = 24 * 60 * 60;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end != '\0' && end[1] != '\0')
        return -1;
    return value * unit;
}

/* Split "5s,10s,1m" (in place) into config->retry_schedule. */
static bool parse_retry(struct server_config *config, char *list)
{
    config->retry_count = 0;
    for (char *item = strtok(list, ","); item; item = strtok(NULL, ",")) {
        long seconds = config_parse_duration(item);
        if (seconds < 1) {
            fprintf(stderr,
                    "mailwalk-server: --retry: '%s' is not a wait like 30s, 5m, "
                    "1h or 1d\n",
                    item);
            return false;
        }
        if (config->retry_count == CONFIG_MAX_RETRIES) {
            fprintf(stderr, "mailwalk-server: --retry: at most %d waits\n",
                    CONFIG_MAX_RETRIES);
            return false;
        }
        config->retry_schedule[config->retry_count++] = seconds;
    }
    if (config->retry_count == 0)
        fprintf(stderr, "mailwalk-server: --retry wants a list like 5s,10s,1m\n");
    return config->retry_count > 0;
}

/* Add a --trusted network, or say what is wrong with it. */
static bool add_trusted(struct server_config *config, const char *text)
{
    if (config->trusted_count == CONFIG_MAX_TRUSTED) {
        fprintf(stderr, "mailwalk-server: --trusted may be given at most %d times\n",
                CONFIG_MAX_TRUSTED);
        return false;
    }
    if (network_parse(text, &config->trusted[config->trusted_count]) < 0) {
        fprintf(stderr,
                "mailwalk-server: --trusted: '%s' is not a network like "
                "127.0.0.0/8 or ::1/128\n",
                text);
        return false;
    }
    config->trusted_count++;
    return true;
}

/* --relay-tls none|opportunistic|required. */
static bool parse_relay_tls(struct server_config *config, const char *text)
{
    static const enum relay_tls_mode modes[] = {
        RELAY_TLS_NONE,
        RELAY_TLS_OPPORTUNISTIC,
        RELAY_TLS_REQUIRED,
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(text, config_relay_tls_name(modes[i])) == 0) {
            config->relay_tls = modes[i];
            return true;
        }
    }
    fprintf(stderr,
            "mailwalk-server: --relay-tls wants none, opportunistic or required, "
            "not '%s'\n",
            text);
    return false;
}

/* ----- limits per client (anvil.c) and per session (connection.c) ----- */

/* Was --limit-exempt given? Then its networks replace the defaults. */
static bool limit_exempt_given;

static void set_limit_defaults(struct server_config *config)
{
    /* Postfix's smtpd_client_connection_count_limit is half its process
     * limit; we work it out once --max-sessions is known (-1: not given). */
    config->max_per_client = (size_t)-1;
    /* The machine itself is exempt, as Postfix exempts $mynetworks: the
     * visualizer, the labs and the tests all connect from 127.0.0.1. */
    network_parse("127.0.0.1/32", &config->limit_exempt[0]);
    network_parse("::1/128", &config->limit_exempt[1]);
    config->limit_exempt_count = 2;
    limit_exempt_given = false;
    config->session_limit = 30 * 60;
    /* Postfix, under stress, cuts its 300 s timeout to 10 s. */
    config->busy_timeout_seconds = 10;
    config->min_rate = 100;
    config->max_auth_failures = 10;
    config->auth_failure_window = 60 * 60;
}

/* Add a --limit-exempt network; "none" empties the list. */
static bool add_limit_exempt(struct server_config *config, const char *text)
{
    if (!limit_exempt_given)
        config->limit_exempt_count = 0; /* the defaults give way */
    limit_exempt_given = true;
    if (strcmp(text, "none") == 0)
        return true;
    if (config->limit_exempt_count == CONFIG_MAX_EXEMPT) {
        fprintf(stderr,
                "mailwalk-server: --limit-exempt may be given at most %d times\n",
                CONFIG_MAX_EXEMPT);
        return false;
    }
    if (network_parse(text, &config->limit_exempt[config->limit_exempt_count]) < 0) {
        fprintf(stderr,
                "mailwalk-server: --limit-exempt: '%s' is not a network like "
                "203.0.113.7/32 or 10.0.0.0/8, nor 'none'\n",
                text);
        return false;
    }
    config->limit_exempt_count++;
    return true;
}

/* A time option: "90", "90s", "30m", "1h"; at least one second. */
static bool parse_time(const char *option, const char *text, long *out)
{
    *out = config_parse_duration(text);
    if (*out >= 1)
        return true;
    fprintf(stderr, "mailwalk-server: %s: '%s' is not a time like 90s, 30m or 1h\n",
            option, text);
    return false;
}

/* Apply one of the limit options; false means an error was printed. */
static bool apply_limit_option(struct server_config *config, int code, char *arg)
{
    unsigned long long n;
    switch (code) {
    case OPT_MAX_PER_CLIENT:
        if (!parse_number("--max-per-client", arg, 0, 10000, &n))
            return false;
        config->max_per_client = (size_t)n;
        return true;
    case OPT_MAX_RATE_PER_CLIENT:
        if (!parse_number("--max-rate-per-client", arg, 0, 1000000, &n))
            return false;
        config->max_rate_per_client = (unsigned)n;
        return true;
    case OPT_LIMIT_EXEMPT:
        return add_limit_exempt(config, arg);
    case OPT_SESSION_LIMIT:
        return parse_time("--session-limit", arg, &config->session_limit);
    case OPT_BUSY_TIMEOUT:
        if (!parse_number("--busy-timeout", arg, 1, 86400, &n))
            return false;
        config->busy_timeout_seconds = (int)n;
        return true;
    case OPT_MIN_RATE:
        if (!parse_number("--min-rate", arg, 0, 1000000000, &n))
            return false;
        config->min_rate = (unsigned)n;
        return true;
    case OPT_MAX_AUTH_FAILURES:
        if (!parse_number("--max-auth-failures", arg, 1, 1000000, &n))
            return false;
        config->max_auth_failures = (unsigned)n;
        return true;
    case OPT_AUTH_FAILURE_WINDOW:
        return parse_time("--auth-failure-window", arg, &config->auth_failure_window);
    }
    return false;
}

static void set_defaults(struct server_config *config)
{
    memset(config, 0, sizeof *config);
    config->hostname = "localhost";
    config->maildir = "maildir";
    config->max_size = 10 * 1024 * 1024;
    config->max_recipients = SMTP_MIN_RECIPIENTS;
    /* Postfix's default process limit: a class of 30 with a few
     * sessions each, and memory stays small (docs/performance.md). */
    config->max_sessions = 100;
    config->timeout_seconds = SMTP_SERVER_TIMEOUT_SECONDS;
    set_limit_defaults(config);
    /* RFC 5321 §4.5.4.1: retry after at least 30 minutes, give up after
     * at least 4-5 days. Demos pass --retry 5s and a short lifetime. */
    config->retry_schedule[0] = 30 * 60;
    config->retry_count = 1;
    config->queue_lifetime = 5 * 24 * 60 * 60;
    /* RFC 3207 §6: "The additional option of using TLS when possible
     * SHOULD also be provided"; it is what real MTAs do by default (RFC
     * 7435). The demos pass --relay-tls none so the relay hop can be read. */
    config->relay_tls = RELAY_TLS_OPPORTUNISTIC;
}

/* Apply one option; false means an error was printed. */
static bool apply_option(struct server_config *config, int code, char *arg)
{
    unsigned long long n;
    switch (code) {
    case OPT_LISTEN:
        return add_listener(config, "--listen", ROLE_PLAIN, arg);
    case OPT_SUBMISSION:
        return add_listener(config, "--submission", ROLE_SUBMISSION, arg);
    case OPT_SMTPS:
        return add_listener(config, "--smtps", ROLE_SMTPS, arg);
    case OPT_TLS_CERT:
        config->tls_cert = arg;
        return true;
    case OPT_TLS_KEY:
        config->tls_key = arg;
        return true;
    case OPT_STATE_DIR:
        config->state_dir = arg;
        return true;
    case OPT_USERS:
        config->users_path = arg;
        return true;
    case OPT_REQUIRE_TLS:
        config->require_tls = true;
        return true;
    case OPT_HASH_PASSWORD:
        config->hash_password = true;
        return true;
    case OPT_HOSTNAME:
        config->hostname = arg;
        return true;
    case OPT_DOMAIN:
        return add_to_list("--domain", config->domains, &config->domain_count,
                           CONFIG_MAX_DOMAINS, arg);
    case OPT_MAILDIR:
        config->maildir = arg;
        return true;
    case OPT_MAILBOXES:
        return parse_mailboxes(config, arg);
    case OPT_MAX_SIZE:
        /* RFC 5321 §4.5.3.1.7: we must take at least 64K. */
        if (!parse_number("--max-size", arg, SMTP_MIN_MESSAGE_SIZE, 1ULL << 40, &n))
            return false;
        config->max_size = n;
        return true;
    case OPT_MAX_RECIPIENTS:
        if (!parse_number("--max-recipients", arg, 1, 100000, &n))
            return false;
        config->max_recipients = (size_t)n;
        return true;
    case OPT_MAX_SESSIONS:
        if (!parse_number("--max-sessions", arg, 1, 10000, &n))
            return false;
        config->max_sessions = (size_t)n;
        return true;
    case OPT_TIMEOUT:
        if (!parse_number("--timeout", arg, 1, 86400, &n))
            return false;
        config->timeout_seconds = (int)n;
        return true;
    case OPT_LOG:
        config->log_path = arg;
        return true;
    case OPT_QUEUE:
        config->queue_dir = arg;
        return true;
    case OPT_ROUTES:
        config->routes_path = arg;
        return true;
    case OPT_TRUSTED:
        return add_trusted(config, arg);
    case OPT_RETRY:
        return parse_retry(config, arg);
    case OPT_QUEUE_LIFETIME:
        config->queue_lifetime = config_parse_duration(arg);
        if (config->queue_lifetime >= 1)
            return true;
        fprintf(stderr,
                "mailwalk-server: --queue-lifetime: '%s' is not a time like "
                "2m, 4h or 5d\n",
                arg);
        return false;
    case OPT_RELAY_TLS:
        return parse_relay_tls(config, arg);
    }
    return apply_limit_option(config, code, arg);
}

/* --domain '*': the classroom catch-all of Mailpit and smtp4dev. Every
 * domain is ours, so students can point any client, with any address, at
 * the instructor's machine. A real server must never do this: it would
 * accept mail for addresses that do not exist and then have to bounce it
 * (backscatter to forged senders), and a catch-all that also relayed would
 * be an open relay. So '*' means local delivery for every domain and
 * nothing else: with it there is nothing to relay, and --queue is refused.
 * The real names go first: domains[0] is the one VRFY and the start-up
 * line use. */
static bool use_catch_all(struct server_config *config)
{
    size_t star = config->domain_count;
    for (size_t i = 0; i < config->domain_count; i++)
        if (strcmp(config->domains[i], "*") == 0)
            star = i;
    if (star == config->domain_count)
        return true;
    if (config->queue_dir != NULL) {
        fprintf(stderr, "mailwalk-server: --domain '*' delivers mail for every domain "
                        "here, so nothing is ever relayed: leave out --queue\n");
        return false;
    }
    for (size_t i = star; i + 1 < config->domain_count; i++)
        config->domains[i] = config->domains[i + 1];
    config->domain_count--;
    if (config->domain_count == 0)
        config->domains[config->domain_count++] = config->hostname;
    return add_to_list("--domain", config->domains, &config->domain_count,
                       CONFIG_MAX_DOMAINS, "*");
}

enum config_result config_parse(int argc, char **argv, struct server_config *config)
{
    set_defaults(config);
    opterr = 0; /* we print our own, friendlier errors */
    int code;
    while ((code = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (code == OPT_HELP) {
            fputs(usage_text, stdout);
            return CONFIG_EXIT_OK;
        }
        if (code == OPT_VERSION) {
            printf("mailwalk-server %s\n", MAILWALK_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (code == '?' || code == ':') {
            fprintf(stderr,
                    "mailwalk-server: unknown option or missing value: '%s'\n"
                    "Try 'mailwalk-server --help'.\n",
                    argv[optind - 1]);
            return CONFIG_ERROR;
        }
        if (!apply_option(config, code, optarg))
            return CONFIG_ERROR;
    }
    if (optind < argc) {
        fprintf(stderr,
                "mailwalk-server: unexpected argument '%s'\n"
                "Try 'mailwalk-server --help'.\n",
                argv[optind]);
        return CONFIG_ERROR;
    }
    if ((config->tls_cert == NULL) != (config->tls_key == NULL)) {
        fprintf(stderr, "mailwalk-server: --tls-cert and --tls-key go together: "
                        "give both, or neither for a self-signed certificate\n");
        return CONFIG_ERROR;
    }
    if (config->queue_dir == NULL &&
        (config->routes_path != NULL || config->trusted_count > 0)) {
        fprintf(stderr, "mailwalk-server: --routes and --trusted are for relaying, "
                        "which needs a --queue DIR to keep mail in\n");
        return CONFIG_ERROR;
    }
    if (config->max_per_client == (size_t)-1)
        config->max_per_client =
            config->max_sessions > 1 ? config->max_sessions / 2 : 1;
    if (config->users_path != NULL && !config->hash_password) {
        char why[512];
        if (users_file_check(config->users_path, why, sizeof why) < 0) {
            fprintf(stderr, "mailwalk-server: --users %s\n", why);
            return CONFIG_ERROR;
        }
    }
    if (!use_catch_all(config))
        return CONFIG_ERROR;
    if (config->listen_count == 0)
        add_listener(config, "--listen", ROLE_PLAIN, "127.0.0.1:2525");
    if (config->domain_count == 0)
        config->domains[config->domain_count++] = config->hostname;
    return CONFIG_RUN;
}

const char *config_role_name(enum listener_role role)
{
    switch (role) {
    case ROLE_PLAIN:
        return "plain";
    case ROLE_SUBMISSION:
        return "submission";
    case ROLE_SMTPS:
        return "smtps";
    }
    return "?";
}

const char *config_relay_tls_name(enum relay_tls_mode mode)
{
    switch (mode) {
    case RELAY_TLS_NONE:
        return "none";
    case RELAY_TLS_OPPORTUNISTIC:
        return "opportunistic";
    case RELAY_TLS_REQUIRED:
        return "required";
    }
    return "?";
}

bool config_is_local_domain(const struct server_config *config, const char *domain)
{
    for (size_t i = 0; i < config->domain_count; i++)
        if (strcmp(config->domains[i], "*") == 0 ||
            strcasecmp(config->domains[i], domain) == 0)
            return true;
    return false;
}

bool config_has_mailbox(const struct server_config *config, const char *mailbox)
{
    if (config->mailbox_count == 0 || strcasecmp(mailbox, "postmaster") == 0)
        return true;
    for (size_t i = 0; i < config->mailbox_count; i++)
        if (strcasecmp(config->mailboxes[i], mailbox) == 0)
            return true;
    return false;
}

bool config_is_trusted(const struct server_config *config, const char *peer)
{
    for (size_t i = 0; i < config->trusted_count; i++)
        if (network_contains(&config->trusted[i], peer))
            return true;
    return false;
}
