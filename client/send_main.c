/*
 * send_main.c - mailwalk-send, Alice's user agent.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A user agent (MUA) is the program a person writes mail with. It builds the
 * message (RFC 5322 header fields and a MIME body) and hands it to a mail
 * server over SMTP - the first arrow of the story in docs/architecture.md. This one
 * prints the whole SMTP dialogue as it happens, so that a student sees every
 * command and every reply:
 *
 *     C: EHLO alice.example          what the client sent
 *     S: 250-bob.example Hello ...   what the server answered
 *     == ...                         what mailwalk-send is doing and why
 *
 * The exit code tells a script what happened, and, like a real MTA, it
 * tells a temporary refusal (4xx: try later) from a permanent one (5xx).
 *
 * With --starttls or --tls the conversation is sealed by TLS, and with
 * --user it logs in (AUTH) first, as a submission client does (RFC 6409).
 * Three rules keep that honest, and each is a lesson:
 *   - no silent downgrade: told --starttls, we stop if the server does not
 *     offer it, rather than send in plaintext (RFC 3207 §6);
 *   - the certificate is checked, chain and name, unless --insecure says
 *     loudly that it is not (RFC 8314 §5.3);
 *   - the password never travels or shows in plaintext: not on the command
 *     line (other users see it in `ps`), not in the transcript, not over a
 *     connection without TLS.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "host_port.h"
#include "message.h"
#include "smtp_client.h"
#include "terminal_text.h"

/* ---- Exit codes (also in --help and docs/client.md) -------------------- */

enum exit_code {
    EXIT_DELIVERED = 0,  /* the server took the message for every recipient */
    EXIT_PARTIAL = 1,    /* taken for some recipients, refused for others */
    EXIT_USAGE = 2,      /* bad command line or unreadable input */
    EXIT_CONNECTION = 3, /* no connection, it broke, or TLS failed */
    EXIT_TEMPORARY = 4,  /* a 4xx refusal: try again later */
    EXIT_PERMANENT = 5,  /* a 5xx refusal: do not retry as it is */
};

/* SIMPLIFICATION: the whole message is held in memory; a real MUA would
 * stream a big attachment from disk. 10 MB is plenty for a classroom. */
#define MAX_MESSAGE_BYTES (10 * 1024 * 1024)

/* The most --to options we take (RFC 5321 §4.5.3.1.8: servers take 100). */
#define MAX_RECIPIENTS 100

static const char usage_text[] =
    "usage: mailwalk-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR...]\n"
    "                     [--subject TEXT] [--body TEXT | --body-file FILE]\n"
    "                     [--raw] [--helo NAME] [--no-ehlo] [--pipelining] [--quiet]\n"
    "                     [--timeout SECONDS] [--reply-timeout SECONDS]\n"
    "                     [--starttls | --tls] [--cafile FILE] [--insecure]\n"
    "                     [--user NAME [--password-file FILE]] [--auth PLAIN|LOGIN]\n"
    "\n"
    "Send one message over SMTP and show the dialogue line by line\n"
    "(C: = what we sent, S: = what the server answered, == = notes;\n"
    "C~ and S~ = lines that travelled inside TLS).\n"
    "\n"
    "  --server HOST:PORT  the SMTP server, e.g. 127.0.0.1:2525 or [::1]:25\n"
    "  --from ADDR         the sender: MAIL FROM (envelope) and From: (header)\n"
    "  --to ADDR           a recipient: RCPT TO and To:; repeat for more\n"
    "  --subject TEXT      the Subject: (UTF-8; encoded for the wire if needed)\n"
    "  --body TEXT         the message text (default: standard input)\n"
    "  --body-file FILE    the message text, read from FILE\n"
    "  --raw               send the input as the whole message (header and body)\n"
    "                      instead of building one\n"
    "  --helo NAME         the name to give in EHLO/HELO (default: this host's\n"
    "                      name, or our address as [127.0.0.1])\n"
    "  --no-ehlo           say HELO, as in 1982 (RFC 821): no extensions, so no\n"
    "                      SIZE, 8BITMIME or PIPELINING either\n"
    "  --pipelining        send MAIL, RCPT and DATA together if the server\n"
    "                      offers PIPELINING (RFC 2920)\n"
    "  --quiet             print nothing but errors\n"
    "  --timeout SECONDS   wait at most this long to connect and for each whole\n"
    "                      reply, however slowly its lines come (default: 30 s\n"
    "                      to connect, RFC 5321 times for replies); a whole\n"
    "                      session may take at most 30 minutes\n"
    "  --reply-timeout SECONDS  wait this long for every reply, in place of\n"
    "                      RFC 5321's times, and lift the session limit (for a\n"
    "                      watcher that holds lines, as the visualizer does\n"
    "                      while paused)\n"
    "\n"
    "Security (TLS and login):\n"
    "  --starttls          after EHLO, seal the connection with STARTTLS (RFC 3207,\n"
    "                      port 587); stop if the server does not offer it\n"
    "  --tls               implicit TLS: the handshake comes first (RFC 8314,\n"
    "                      port 465)\n"
    "  --cafile FILE       trust the certificate(s) in FILE (PEM), e.g. the\n"
    "                      classroom server's, instead of the system's CAs\n"
    "  --insecure          do not check the server's certificate at all (for\n"
    "                      learning only: anyone in the middle can read everything)\n"
    "  --user NAME         log in as NAME (AUTH, RFC 4954); needs --starttls or --tls\n"
    "  --password-file FILE  the password is the first line of FILE; without it\n"
    "                      the password is asked for on the terminal (never given\n"
    "                      on the command line: other users could see it in ps)\n"
    "  --auth MECHANISM    PLAIN or LOGIN (default: PLAIN if offered, else LOGIN)\n"
    "\n"
    "  --help              show this help and exit\n"
    "  --version           show the version and exit\n"
    "\n"
    "The certificate must be signed by a trusted CA (or be in --cafile) and name\n"
    "the --server host: a DNS name in its subjectAltName, or for an address such\n"
    "as 127.0.0.1 an IP address entry.\n"
    "\n"
    "Exit status:\n"
    "  0  delivered: the server accepted the message for every recipient\n"
    "  1  partly delivered: some recipients were refused (listed on stderr)\n"
    "  2  usage error: bad options or unreadable input\n"
    "  3  connection failure: could not connect, the connection broke, or TLS\n"
    "     failed (no STARTTLS offered, a certificate that did not check)\n"
    "  4  temporary failure: the server said 4xx (try again later)\n"
    "  5  permanent failure: the server said 5xx (fix something first), e.g.\n"
    "     535 wrong password; or it offers no AUTH for --user\n";

/* ---- Options ------------------------------------------------------------ */

struct options {
    char host[256]; /* from --server */
    char port[16];
    const char *from;
    const char *to[MAX_RECIPIENTS];
    size_t to_count;
    const char *subject;
    const char *body_text; /* --body */
    const char *body_file; /* --body-file */
    bool raw;
    const char *helo;
    bool no_ehlo; /* --no-ehlo: plain HELO */
    bool pipelining;
    bool quiet;
    int timeout_s;             /* --timeout, or 0 */
    int reply_timeout_s;       /* --reply-timeout, or 0 */
    bool starttls;             /* --starttls (RFC 3207) */
    bool tls;                  /* --tls: implicit TLS (RFC 8314) */
    const char *cafile;        /* --cafile, or NULL: the system's CAs */
    bool insecure;             /* --insecure: no certificate check */
    const char *user;          /* --user, or NULL: no AUTH */
    const char *password_file; /* --password-file, or NULL: ask */
    const char *mechanism;     /* --auth, or NULL: choose */
};

/* Print a usage error with a hint, and return EXIT_USAGE. */
static int usage_error(const char *format, const char *arg)
{
    fprintf(stderr, "mailwalk-send: ");
    fprintf(stderr, format, arg);
    fprintf(stderr, "\nTry 'mailwalk-send --help'.\n");
    return EXIT_USAGE;
}

/* Is this something we can put between < and > in MAIL/RCPT? We check only
 * what would break the command line; the server judges the rest. */
static bool plausible_address(const char *a)
{
    if (a[0] == '\0' || strchr(a, '@') == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++)
        if (*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f)
            return false;
    return true;
}

/* Take "<bob@x>" as well as "bob@x". */
static const char *strip_brackets(char *a)
{
    size_t n = strlen(a);
    if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
        a[n - 1] = '\0';
        return a + 1;
    }
    return a;
}

/* The security options must make sense together. Returns -1 to go on, or
 * EXIT_USAGE. Everything here is refused *before* connecting: a password
 * must never be at risk because of a typo in the options. */
static int check_security_options(const struct options *o)
{
    bool tls = o->starttls || o->tls;
    if (o->starttls && o->tls)
        return usage_error("%s", "give --starttls (TLS after EHLO, port 587) or --tls "
                                 "(TLS first, port 465), not both");
    if (o->user != NULL && !tls)
        /* RFC 4954 §4 and RFC 4616 §1: a password mechanism needs a
         * protected connection. We refuse even to connect. */
        return usage_error("%s", "--user needs --starttls or --tls: AUTH over "
                                 "plaintext would show the password to anyone on "
                                 "the path (base64 is not encryption)");
    if (o->user != NULL && o->user[0] == '\0')
        return usage_error("%s", "--user wants a user name");
    if (o->password_file != NULL && o->user == NULL)
        return usage_error("%s", "--password-file goes with --user NAME");
    if (o->mechanism != NULL && o->user == NULL)
        return usage_error("%s", "--auth goes with --user NAME");
    if ((o->cafile != NULL || o->insecure) && !tls)
        return usage_error("%s", "--cafile and --insecure are about TLS: add "
                                 "--starttls or --tls");
    if (o->cafile != NULL && o->insecure)
        return usage_error("%s", "give --cafile (check against this certificate) or "
                                 "--insecure (check nothing), not both");
    if (o->starttls && o->no_ehlo)
        return usage_error("%s", "--starttls needs EHLO (the server lists STARTTLS "
                                 "in its EHLO reply): drop --no-ehlo");
    if (o->user != NULL && o->no_ehlo)
        return usage_error("%s", "--user needs EHLO (the server lists AUTH in its "
                                 "EHLO reply): drop --no-ehlo");
    return -1;
}

/* Parse argv into *o. Returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
    enum {
        OPT_HELO = 256,
        OPT_BODY_FILE,
        OPT_TIMEOUT,
        OPT_REPLY_TIMEOUT,
        OPT_VERSION,
        OPT_NO_EHLO,
        OPT_STARTTLS,
        OPT_TLS,
        OPT_CAFILE,
        OPT_INSECURE,
        OPT_USER,
        OPT_PASSWORD_FILE,
        OPT_AUTH,
    };
    static const struct option longs[] = {
        {"server", required_argument, NULL, 's'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"subject", required_argument, NULL, 'S'},
        {"body", required_argument, NULL, 'b'},
        {"body-file", required_argument, NULL, OPT_BODY_FILE},
        {"raw", no_argument, NULL, 'r'},
        {"helo", required_argument, NULL, OPT_HELO},
        {"no-ehlo", no_argument, NULL, OPT_NO_EHLO},
        {"pipelining", no_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"reply-timeout", required_argument, NULL, OPT_REPLY_TIMEOUT},
        {"starttls", no_argument, NULL, OPT_STARTTLS},
        {"tls", no_argument, NULL, OPT_TLS},
        {"cafile", required_argument, NULL, OPT_CAFILE},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"user", required_argument, NULL, OPT_USER},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"auth", required_argument, NULL, OPT_AUTH},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    bool have_server = false;
    memset(o, 0, sizeof *o);
    opterr = 0; /* we print our own messages */
    int ch;
    while ((ch = getopt_long(argc, argv, "s:f:t:S:b:rpqh", longs, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (host_port_problem(optarg) != NULL) {
                /* The one check of common/host_port.c: 100561 is no port. */
                fprintf(stderr,
                        "mailwalk-send: --server %s: %s\nTry 'mailwalk-send --help'.\n",
                        optarg, host_port_problem(optarg));
                return EXIT_USAGE;
            }
            if (!host_port_split(optarg, o->host, sizeof o->host, o->port,
                                 sizeof o->port))
                return usage_error("--server %s: the host name is too long", optarg);
            have_server = true;
            break;
        case 'f':
            o->from = strip_brackets(optarg);
            if (!plausible_address(o->from))
                return usage_error("--from wants an address like alice@alice.example; "
                                   "got \"%s\"",
                                   optarg);
            break;
        case 't':
            if (o->to_count == MAX_RECIPIENTS)
                return usage_error("too many --to options (at most %s)", "100");
            o->to[o->to_count] = strip_brackets(optarg);
            if (!plausible_address(o->to[o->to_count]))
                return usage_error("--to wants an address like bob@bob.example; "
                                   "got \"%s\"",
                                   optarg);
            o->to_count++;
            break;
        case 'S':
            o->subject = optarg;
            break;
        case 'b':
            o->body_text = optarg;
            break;
        case OPT_BODY_FILE:
            o->body_file = optarg;
            break;
        case 'r':
            o->raw = true;
            break;
        case OPT_HELO:
            o->helo = optarg;
            break;
        case OPT_NO_EHLO:
            o->no_ehlo = true;
            break;
        case 'p':
            o->pipelining = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_TIMEOUT: {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end != '\0' || s < 1 || s > 3600)
                return usage_error("--timeout wants a number of seconds (1-3600); "
                                   "got \"%s\"",
                                   optarg);
            o->timeout_s = (int)s;
            break;
        }
        case OPT_REPLY_TIMEOUT: {
            char *end;
            long s = strtol(optarg, &end, 10);
            if (*end != '\0' || s < 1 || s > 86400)
                return usage_error("--reply-timeout wants a number of seconds "
                                   "(1-86400); got \"%s\"",
                                   optarg);
            o->reply_timeout_s = (int)s;
            break;
        }
        case OPT_STARTTLS:
            o->starttls = true;
            break;
        case OPT_TLS:
            o->tls = true;
            break;
        case OPT_CAFILE:
            o->cafile = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = true;
            break;
        case OPT_USER:
            o->user = optarg;
            break;
        case OPT_PASSWORD_FILE:
            o->password_file = optarg;
            break;
        case OPT_AUTH:
            if (strcasecmp(optarg, "PLAIN") != 0 && strcasecmp(optarg, "LOGIN") != 0)
                return usage_error("--auth wants PLAIN or LOGIN; got \"%s\"", optarg);
            o->mechanism = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_DELIVERED;
        case OPT_VERSION:
            printf("mailwalk-send %s\n", MAILWALK_VERSION);
            return EXIT_DELIVERED;
        default:
            return usage_error("unknown option or missing value: '%s'",
                               argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument \"%s\"", argv[optind]);
    if (!have_server)
        return usage_error("%s", "--server HOST:PORT is missing");
    if (o->from == NULL)
        return usage_error("%s", "--from ADDR is missing");
    if (o->to_count == 0)
        return usage_error("%s", "at least one --to ADDR is needed");
    if (o->body_text != NULL && o->body_file != NULL)
        return usage_error("%s", "give --body or --body-file, not both");
    if (o->raw && o->subject != NULL)
        return usage_error("%s", "--subject does not go with --raw: in raw mode "
                                 "the input is the whole message, header included");
    return check_security_options(o);
}

/* ---- Input -------------------------------------------------------------- */

/* Read all of a stream into *data (malloc'd). Returns 0 or -1 (errno). */
static int read_all(FILE *in, char **data, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (used == cap) {
            if (cap >= MAX_MESSAGE_BYTES) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return -1;
            }
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + used, 1, cap - used, in);
        used += n;
        if (n == 0) {
            if (ferror(in)) {
                free(buf);
                return -1;
            }
            break;
        }
    }
    *data = buf;
    *len = used;
    return 0;
}

/* The text to send: --body, --body-file or standard input. */
static int read_body(const struct options *o, char **data, size_t *len)
{
    if (o->body_text != NULL) {
        *len = strlen(o->body_text);
        *data = malloc(*len + 1);
        if (*data == NULL)
            return usage_error("%s", "out of memory");
        memcpy(*data, o->body_text, *len + 1);
        return -1;
    }
    FILE *in = stdin;
    const char *name = "standard input";
    if (o->body_file != NULL) {
        name = o->body_file;
        in = fopen(o->body_file, "rb");
        if (in == NULL) {
            fprintf(stderr, "mailwalk-send: cannot open %s: %s\n", name,
                    strerror(errno));
            return EXIT_USAGE;
        }
    } else if (isatty(STDIN_FILENO) && !o->quiet) {
        fprintf(stderr, "(type the message, then Ctrl-D on a line of its own)\n");
    }
    int rc = read_all(in, data, len);
    int saved = errno;
    if (in != stdin)
        fclose(in);
    if (rc < 0) {
        fprintf(stderr, "mailwalk-send: cannot read %s: %s\n", name,
                errno == EFBIG ? "bigger than 10 MB" : strerror(saved));
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- The password ------------------------------------------------------ */

/* Drop a trailing LF (and CR) from a line read with fgets. */
static void chomp(char *line)
{
    line[strcspn(line, "\r\n")] = '\0';
}

/*
 * Get the password for --user: the first line of --password-file, or typed
 * at the terminal with echo off (as passwd and ssh do, via termios). Never
 * from the command line: every user on the machine can read another's
 * command line in `ps` or /proc. Returns -1 to go on, or EXIT_USAGE.
 */
static int read_password(const struct options *o, char *password, size_t cap)
{
    password[0] = '\0';
    if (o->password_file != NULL) {
        FILE *f = fopen(o->password_file, "r");
        if (f == NULL) {
            fprintf(stderr, "mailwalk-send: cannot open --password-file %s: %s\n",
                    o->password_file, strerror(errno));
            return EXIT_USAGE;
        }
        if (fgets(password, (int)cap, f) == NULL)
            password[0] = '\0';
        fclose(f);
        chomp(password);
        if (password[0] == '\0') {
            fprintf(stderr,
                    "mailwalk-send: --password-file %s: the first line is empty\n",
                    o->password_file);
            return EXIT_USAGE;
        }
        return -1;
    }
    if (!isatty(STDIN_FILENO))
        return usage_error("%s", "--user needs a password: give --password-file FILE "
                                 "(standard input is not a terminal to ask on)");

    /* Turn echo off so the password does not appear on the screen (or on
     * the classroom projector), and back on whatever happens. */
    struct termios saved, quiet;
    if (tcgetattr(STDIN_FILENO, &saved) < 0) {
        fprintf(stderr, "mailwalk-send: tcgetattr(stdin): %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    quiet = saved;
    quiet.c_lflag &= (tcflag_t)~ECHO;
    /* Echo off *before* the prompt: a fast typist (or a script) may answer
     * the moment the prompt shows, and TCSAFLUSH drops unread input. */
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    fprintf(stderr, "Password for %s: ", o->user);
    fflush(stderr);
    char *got = fgets(password, (int)cap, stdin);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fprintf(stderr, "\n");
    if (got == NULL)
        password[0] = '\0';
    chomp(password);
    if (password[0] == '\0') {
        fprintf(stderr, "mailwalk-send: no password given\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- TLS setup ----------------------------------------------------------- */

/*
 * The OpenSSL context for this run: TLS 1.2 or newer (RFC 8314 §4), and
 * the certificate checked against the system's CAs, or only against
 * --cafile, or - with --insecure - not at all. Returns NULL (message
 * printed) if the CA file cannot be read.
 */
static SSL_CTX *make_tls_context(const struct options *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        fprintf(stderr, "mailwalk-send: SSL_CTX_new failed: out of memory\n");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (o->insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        return ctx;
    }
    /* SSL_VERIFY_PEER: the handshake fails unless the chain ends at a CA
     * we trust. (The name is checked too: see wire_start_tls_client.) */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int loaded = o->cafile != NULL ? SSL_CTX_load_verify_locations(ctx, o->cafile, NULL)
                                   : SSL_CTX_set_default_verify_paths(ctx);
    if (loaded != 1) {
        fprintf(stderr,
                "mailwalk-send: cannot load the trusted certificates%s%s: is it a PEM "
                "certificate file?\n",
                o->cafile != NULL ? " from --cafile " : " of the system",
                o->cafile != NULL ? o->cafile : "");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The loud warning --insecure deserves: this is how TLS gets used wrong. */
static void warn_insecure(void)
{
    fprintf(stderr,
            "mailwalk-send: WARNING: --insecure: the server's certificate will NOT be "
            "checked.\n"
            "  Anyone in the middle can pretend to be the server and read everything,\n"
            "  the password included. Use it only to learn; to trust the classroom\n"
            "  server, give its certificate with --cafile FILE instead.\n");
}

/* ---- The transcript ----------------------------------------------------- */

/* What the transcript printer needs: the options (--quiet) and the
 * client, to ask whether a line travels inside TLS. */
struct transcript_context {
    const struct options *options;
    const struct smtp_client *client;
};

/* Print one transcript line. Control characters are shown as \xNN (C1 and
 * bidi controls as \uNNNN), so that a stray escape sequence in a reply
 * cannot mess up the terminal (common/terminal_text.h). A line that
 * travels inside TLS - after STARTTLS's handshake, or every line with
 * --tls - is marked "C~"/"S~" instead of "C:"/"S:" (swaks writes "~>" and
 * "<~"): what has a colon, an eavesdropper can read. */
static void print_transcript(void *user, enum smtp_direction direction,
                             const char *line, size_t len)
{
    const struct transcript_context *t = user;
    if (t->options->quiet)
        return;
    bool sealed = smtp_tls_active(t->client);
    const char *mark = direction == SMTP_RECEIVED ? (sealed ? "S~ " : "S: ")
                       : direction == SMTP_NOTE   ? "== "
                                                  : (sealed ? "C~ " : "C: ");
    fputs(mark, stdout);
    terminal_write(stdout, line, len, false);
    putchar('\n');
    fflush(stdout);
}

/* Text that came from the server (a reply, or c->error, which may quote
 * one), made safe for stderr: the same escapes as the transcript. */
static const char *safe(const char *text, char *out, size_t cap)
{
    terminal_escape(text, strlen(text), false, out, cap);
    return out;
}

/* Print a note in the transcript's style (unless --quiet). */
static void note(const struct options *o, const char *format, const char *arg)
{
    if (o->quiet)
        return;
    printf("== ");
    printf(format, arg);
    printf("\n");
    fflush(stdout);
}

/* ---- The session -------------------------------------------------------- */

/* Which exit code a refusal reply means (RFC 5321 §4.2.1: the first digit). */
static int exit_for_reply(int code)
{
    return code / 100 == 4 ? EXIT_TEMPORARY : EXIT_PERMANENT;
}

/* Say goodbye properly (RFC 5321 §4.1.1.10), then close. Errors here do
 * not change the outcome: the mail's fate was decided before. */
static void finish(struct smtp_client *c)
{
    struct smtp_reply reply;
    if (c->connected)
        smtp_quit(c, &reply);
    smtp_close(c);
}

/* Explain a failed connection in words a student can act on. */
static int connection_failed(const struct smtp_client *c, const struct options *o)
{
    const char *server = o->host;
    switch (c->sys_errno) {
    case ECONNREFUSED:
        fprintf(stderr,
                "mailwalk-send: connection refused: is mailwalk-server "
                "running on %s:%s?\n  (nothing is listening on that port; start "
                "the server, or check --server)\n",
                server, o->port);
        break;
    case ETIMEDOUT:
        fprintf(stderr,
                "mailwalk-send: no answer from %s:%s in time: is the "
                "address right, or is a firewall dropping the connection?\n",
                server, o->port);
        break;
    case ENETUNREACH:
    case EHOSTUNREACH:
        fprintf(stderr,
                "mailwalk-send: cannot reach %s: no route to that "
                "network (%s)\n",
                server, c->error);
        break;
    default:
        if (strncmp(c->error, "getaddrinfo", 11) == 0)
            fprintf(stderr,
                    "mailwalk-send: cannot find the host \"%s\": check "
                    "the name in --server (%s)\n",
                    server, c->error);
        else
            fprintf(stderr, "mailwalk-send: cannot connect to %s:%s: %s\n", server,
                    o->port, c->error);
    }
    return EXIT_CONNECTION;
}

/* The TLS handshake failed, most often on the certificate: say what to do. */
static int tls_failed(struct smtp_client *c)
{
    char shown[sizeof c->error * 4];
    if (strstr(c->error, "IP address mismatch") != NULL ||
        strstr(c->error, "hostname mismatch") != NULL) {
        /* The commonest classroom mistake: a certificate made for
         * "localhost" (the server's --hostname) reached as 127.0.0.1. */
        fprintf(stderr,
                "mailwalk-send: %s\n"
                "  (the certificate is made out for another name. Give --server the\n"
                "  name it carries - for the classroom server, its --hostname, e.g.\n"
                "  localhost. To see the names: openssl x509 -in CERT -noout -ext "
                "subjectAltName)\n",
                safe(c->error, shown, sizeof shown));
        smtp_close(c);
        return EXIT_CONNECTION;
    }
    fprintf(stderr,
            "mailwalk-send: %s\n"
            "  (nothing was sent through TLS. Is the certificate for the name in\n"
            "  --server, still valid, and signed by a CA you trust? For the classroom\n"
            "  server, trust its certificate with --cafile FILE.)\n",
            safe(c->error, shown, sizeof shown));
    smtp_close(c);
    return EXIT_CONNECTION;
}

/* The conversation broke in the middle (closed, timed out, garbled). */
static int conversation_broke(struct smtp_client *c)
{
    char shown[sizeof c->error * 4];
    if (c->tls_failed)
        return tls_failed(c);
    fprintf(stderr,
            "mailwalk-send: the SMTP conversation broke off: %s\n"
            "  (nothing was delivered unless the server had already said 250 "
            "after the final \".\")\n",
            safe(c->error, shown, sizeof shown));
    smtp_close(c);
    return EXIT_CONNECTION;
}

/* A refusal of the whole transaction (greeting, EHLO, MAIL, DATA). */
static int refused(struct smtp_client *c, const char *what,
                   const struct smtp_reply *reply)
{
    char first[600], shown[sizeof first * 4];
    smtp_reply_first_line(reply, first, sizeof first);
    fprintf(stderr, "mailwalk-send: the server refused %s: %s\n  (%s%s)\n", what,
            safe(first, shown, sizeof shown), smtp_reply_meaning(reply->code),
            reply->code / 100 == 4 ? "; the server may accept it later" : "");
    finish(c);
    return exit_for_reply(reply->code);
}

/* The name for EHLO: RFC 5321 §4.1.1.1 asks for our fully qualified domain
 * name, or, without one, an address literal such as [127.0.0.1] (§4.1.3). */
static void choose_helo_name(const struct smtp_client *c, const struct options *o,
                             char *out, size_t cap)
{
    if (o->helo != NULL) {
        snprintf(out, cap, "%s", o->helo);
        return;
    }
    char host[256];
    if (gethostname(host, sizeof host) == 0 && strchr(host, '.') != NULL) {
        snprintf(out, cap, "%s", host);
        return;
    }
    if (strchr(c->local_address, ':') != NULL)
        snprintf(out, cap, "[IPv6:%s]", c->local_address);
    else if (c->local_address[0] != '\0')
        snprintf(out, cap, "[%s]", c->local_address);
    else
        snprintf(out, cap, "localhost");
}

/* Build the message to send, adapting to what the server offered. Returns
 * -1 to go on, or an exit code. */
static int prepare_message(struct smtp_client *c, const struct options *o, char *body,
                           size_t body_len, struct message *m)
{
    char why[300];
    if (o->raw) {
        /* The input is the message; we only check what SMTP forbids. */
        size_t bad = smtp_data_long_line(body, body_len);
        if (bad > 0) {
            char n[32];
            snprintf(n, sizeof n, "%zu", bad);
            fprintf(stderr,
                    "mailwalk-send: line %s of the message is longer than "
                    "998 characters, which SMTP forbids (RFC 5321 §4.5.3.1.6);\n"
                    "  send it without --raw to have it encoded\n",
                    n);
            return EXIT_USAGE;
        }
        m->data = body;
        m->len = body_len;
        m->eight_bit = smtp_data_is_8bit(body, body_len);
        m->utf8_headers = false;
        if (m->eight_bit && !c->ext.eightbitmime)
            note(o, "%s",
                 "warning: the message has 8-bit octets but the server "
                 "did not offer 8BITMIME (RFC 6152); it may garble them");
        return -1;
    }

    char id[300];
    time_t now = time(NULL);
    message_make_id(id, sizeof id, o->from, now);
    struct message_spec spec = {
        .from = o->from,
        .to = o->to,
        .to_count = o->to_count,
        .subject = o->subject,
        .body = body,
        .body_len = body_len,
        .date = now,
        .message_id = id,
        .allow_8bit = c->ext.eightbitmime,
        .allow_utf8_headers = c->ext.smtputf8,
    };
    if (message_build(&spec, m, why, sizeof why) < 0) {
        fprintf(stderr, "mailwalk-send: %s\n", why);
        finish(c);
        return EXIT_USAGE;
    }
    if (strcmp(m->transfer_encoding, "quoted-printable") == 0)
        note(o, "%s",
             c->ext.eightbitmime || !smtp_data_is_8bit(body, body_len)
                 ? "the body has lines too long for SMTP: encoding it as "
                   "quoted-printable (RFC 2045 §6.7)"
                 : "the body is not ASCII and the server did not offer 8BITMIME: "
                   "encoding it as quoted-printable (RFC 2045 §6.7)");
    else if (m->eight_bit)
        note(o, "%s",
             "the body is not ASCII and the server offers 8BITMIME: "
             "sending it as 8-bit text with BODY=8BITMIME (RFC 6152)");
    return -1;
}

/* Report which recipients were accepted and which refused. Returns the
 * number accepted; *worst is the exit code the refusals alone would give. */
static size_t sort_recipients(const struct options *o, const struct smtp_reply *rcpt,
                              int *worst)
{
    size_t accepted = 0;
    *worst = EXIT_DELIVERED;
    for (size_t i = 0; i < o->to_count; i++) {
        if (rcpt[i].code / 100 == 2) {
            accepted++;
            continue;
        }
        char first[600], shown[sizeof first * 4];
        smtp_reply_first_line(&rcpt[i], first, sizeof first);
        fprintf(stderr, "mailwalk-send: recipient %s refused: %s (%s)\n", o->to[i],
                safe(first, shown, sizeof shown), smtp_reply_meaning(rcpt[i].code));
        /* Any temporary refusal makes the whole outcome "try later":
         * those recipients may still work. */
        int code = exit_for_reply(rcpt[i].code);
        if (*worst == EXIT_DELIVERED || code == EXIT_TEMPORARY)
            *worst = code;
    }
    return accepted;
}

/* STARTTLS, then EHLO again (RFC 3207 §4.2). Returns -1 to go on, or an
 * exit code. */
static int start_tls(struct smtp_client *c, const struct options *o, SSL_CTX *ctx,
                     const char *helo)
{
    struct smtp_reply reply;
    if (!c->ext.starttls) {
        /* The "250-STARTTLS" line came in plaintext: an attacker may have
         * deleted it to keep us talking in the clear. Going on anyway would
         * be exactly the downgrade they want (RFC 3207 §6). */
        fprintf(stderr,
                "mailwalk-send: the server does not offer STARTTLS, and --starttls "
                "was asked for:\n  stopping here. No downgrade: nothing but EHLO was "
                "sent in plaintext.\n");
        finish(c);
        return EXIT_CONNECTION;
    }
    if (smtp_starttls(c, ctx, o->insecure ? NULL : o->host, &reply) < 0)
        return conversation_broke(c);
    if (reply.code != 220)
        return refused(c, "to start TLS (STARTTLS)", &reply);
    if (smtp_ehlo(c, helo, &reply) < 0)
        return conversation_broke(c);
    if (reply.code != 250)
        return refused(c, "our EHLO after STARTTLS", &reply);
    return -1;
}

/* AUTH (RFC 4954): log in with the mechanism asked for, or the best one
 * offered. Returns -1 to go on, or an exit code. */
static int log_in(struct smtp_client *c, const struct options *o, const char *password)
{
    struct smtp_reply reply;
    if (!c->ext.auth) {
        fprintf(stderr,
                "mailwalk-send: the server does not offer AUTH (RFC 4954), so --user "
                "cannot log in;\n  nothing was sent. (Is this a submission server?)\n");
        finish(c);
        return EXIT_PERMANENT;
    }
    /* PLAIN is the standard one (RFC 4616) and takes one round trip. */
    const char *mechanism = o->mechanism;
    if (mechanism == NULL)
        mechanism = smtp_auth_offers(&c->ext, "PLAIN")   ? "PLAIN"
                    : smtp_auth_offers(&c->ext, "LOGIN") ? "LOGIN"
                                                         : NULL;
    if (mechanism == NULL) {
        char shown[sizeof c->ext.auth_mechanisms * 4];
        fprintf(stderr,
                "mailwalk-send: the server offers AUTH %s, but mailwalk-send speaks "
                "only PLAIN and LOGIN\n",
                safe(c->ext.auth_mechanisms, shown, sizeof shown));
        finish(c);
        return EXIT_PERMANENT;
    }
    int rc = strcasecmp(mechanism, "LOGIN") == 0
                 ? smtp_auth_login(c, o->user, password, &reply)
                 : smtp_auth_plain(c, o->user, password, &reply);
    if (rc < 0)
        return conversation_broke(c);
    if (reply.code != 235)
        return refused(c, "our login (AUTH): check --user and the password", &reply);
    note(o, "logged in as %s (RFC 4954 §6: 235)", o->user);
    return -1;
}

/* The whole session: connect, greet, EHLO, [STARTTLS, EHLO, AUTH,]
 * envelope, DATA, QUIT. ctx is NULL without TLS. */
static int send_mail(struct smtp_client *c, const struct options *o, SSL_CTX *ctx,
                     const char *password, char *body, size_t body_len)
{
    struct smtp_reply reply;
    /* --timeout caps each whole reply (RFC 5321 §4.5.3.2's own times are
     * minutes); the session as a whole has a limit too. */
    if (o->timeout_s > 0)
        c->timeout_cap_ms = o->timeout_s * 1000;
    c->reply_timeout_ms = o->reply_timeout_s * 1000;
    /* A watcher that holds lines (--reply-timeout: the visualizer, paused
     * mid-story for a lecture) decides how long things take; otherwise a
     * whole session has 30 minutes. */
    c->session_limit_ms = o->reply_timeout_s > 0 ? -1 : SMTP_SESSION_LIMIT_S * 1000;
    int connect_ms = (o->timeout_s > 0 ? o->timeout_s : 30) * 1000;
    /* Which name the certificate must carry: the host we were told to
     * reach. With --insecure no name is checked (and no SNI sent). */
    const char *verify_name = o->insecure ? NULL : o->host;

    /* 1. Connection setup: TCP, [TLS,] then the server's 220 (RFC 5321
     * §3.1, RFC 8314 §3.3). */
    int connected = o->tls ? smtp_connect_tls(c, o->host, o->port, connect_ms, ctx,
                                              verify_name, &reply)
                           : smtp_connect(c, o->host, o->port, connect_ms, &reply);
    if (connected < 0)
        return c->connected ? conversation_broke(c) : connection_failed(c, o);
    if (reply.code != 220)
        return refused(c, "to talk to us (its greeting)", &reply);

    char helo[300];
    choose_helo_name(c, o, helo, sizeof helo);
    int said = o->no_ehlo ? smtp_helo(c, helo, &reply) : smtp_ehlo(c, helo, &reply);
    if (said < 0)
        return conversation_broke(c);
    if (reply.code != 250)
        return refused(c, "our EHLO/HELO", &reply);

    /* 1b. Security: seal the connection, then log in - in that order,
     * so the password only ever travels under TLS. */
    int rc;
    if (o->starttls) {
        rc = start_tls(c, o, ctx, helo);
        if (rc >= 0)
            return rc;
    }
    if (o->user != NULL) {
        rc = log_in(c, o, password);
        if (rc >= 0)
            return rc;
    }

    struct message m;
    rc = prepare_message(c, o, body, body_len, &m);
    if (rc >= 0)
        return rc;

    /* 2. Mail transfer: the envelope (MAIL, RCPT...) then DATA. */
    struct smtp_mail_options mail = {
        .size = smtp_data_size(m.data, m.len),
        .body_8bit = m.eight_bit,
        .smtputf8 = m.utf8_headers,
    };
    struct smtp_reply mail_reply, data_reply;
    struct smtp_reply *rcpt = calloc(o->to_count, sizeof *rcpt);
    if (rcpt == NULL) {
        fprintf(stderr, "mailwalk-send: out of memory\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (smtp_envelope(c, o->pipelining, o->from, &mail, o->to, o->to_count, &mail_reply,
                      rcpt, &data_reply) < 0) {
        rc = conversation_broke(c);
        goto done;
    }
    if (mail_reply.code / 100 != 2) {
        rc = refused(c, "the sender (MAIL FROM)", &mail_reply);
        goto done;
    }
    int refusals;
    size_t accepted = sort_recipients(o, rcpt, &refusals);
    if (data_reply.code == 354 && accepted == 0) {
        /* RFC 2920 §3.1: after pipelining, DATA may be accepted although
         * every RCPT was refused; then "the client should send a single
         * dot", an empty message that goes to nobody. */
        note(o, "%s",
             "no recipient was accepted, but DATA was: sending only the "
             "final dot (RFC 2920 §3.1)");
        if (smtp_send_message(c, "", 0, &data_reply) < 0) {
            rc = conversation_broke(c);
            goto done;
        }
    }
    if (accepted == 0) {
        fprintf(stderr, "mailwalk-send: every recipient was refused: nothing "
                        "was sent\n");
        finish(c);
        rc = refusals;
        goto done;
    }
    if (data_reply.code != 354) {
        rc = refused(c, "to take the message text (DATA)", &data_reply);
        goto done;
    }
    if (smtp_send_message(c, m.data, m.len, &reply) < 0) {
        rc = conversation_broke(c);
        goto done;
    }
    if (reply.code / 100 != 2) {
        rc = refused(c, "the message", &reply);
        goto done;
    }

    /* 3. Termination: QUIT, 221, close (RFC 5321 §4.1.1.10). */
    finish(c);
    if (!o->quiet) {
        printf("== delivered: the server took responsibility for the message for ");
        size_t shown = 0;
        for (size_t i = 0; i < o->to_count; i++)
            if (rcpt[i].code / 100 == 2)
                printf("%s%s", shown++ ? ", " : "", o->to[i]);
        printf("\n");
    }
    if (accepted < o->to_count) {
        fprintf(stderr,
                "mailwalk-send: partly delivered: %zu of %zu recipients "
                "accepted; the refused ones are listed above\n",
                accepted, o->to_count);
        rc = EXIT_PARTIAL;
    } else {
        rc = EXIT_DELIVERED;
    }

done:
    free(rcpt);
    if (!o->raw)
        message_free(&m);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;

    /* OpenSSL writes to the socket with write(): if the server has gone,
     * that raises SIGPIPE, which would kill us without a word. Ignored, the
     * write fails with EPIPE and we report it. */
    signal(SIGPIPE, SIG_IGN);

    /* Ask for the password first, before the body (which may also come
     * from the terminal) and before any connection is made. */
    char password[SMTP_AUTH_FIELD_MAX + 2] = "";
    if (o.user != NULL) {
        rc = read_password(&o, password, sizeof password);
        if (rc >= 0)
            return rc;
    }

    SSL_CTX *ctx = NULL;
    if (o.starttls || o.tls) {
        ctx = make_tls_context(&o);
        if (ctx == NULL) {
            OPENSSL_cleanse(password, sizeof password);
            return EXIT_USAGE;
        }
        if (o.insecure)
            warn_insecure();
    }

    char *body;
    size_t body_len;
    rc = read_body(&o, &body, &body_len);
    if (rc < 0) {
        struct smtp_client client;
        struct transcript_context transcript = {&o, &client};
        smtp_client_init(&client, print_transcript, &transcript);
        rc = send_mail(&client, &o, ctx, password, body, body_len);
        free(body);
    }
    OPENSSL_cleanse(password, sizeof password);
    SSL_CTX_free(ctx);
    return rc;
}
