/*
 * fuzz_session.c - the receiver-SMTP core: bytes from a client, through
 * the wire's line splitter (common/wire.c), into session_handle_line()
 * (server/session.c and every command handler), with real Maildir and
 * queue folders behind it so that DATA stores real files.
 *
 * The input is what a client sends, e.g. "EHLO a\r\nMAIL FROM:<a@b>\r\n...".
 * If it starts with "#submission\n" or "#smtps\n", that line is not sent
 * but picks the listener role (RFC 6409, RFC 8314). STARTTLS "succeeds"
 * without a handshake (the fuzzer is after the protocol core, not OpenSSL),
 * so AUTH and the TLS rules are reachable; alice's password is "secret".
 * The loop is connection.c's: replies are flushed when no whole line waits
 * or the buffer is half full.
 *
 * Checks, for any input:
 *  - every reply line is 3 digits (2-5, 0-5, 0-9), then ' ' or '-', at
 *    most 512 octets with its CR LF, and then only HT, printable text or
 *    UTF-8, never a CR, LF or other control octet (RFC 5321 §4.2,
 *    §2.3.8, §4.5.3.1.5);
 *  - one line in gives at most one reply, always complete (a multi-line
 *    reply keeps its code and ends with its ' ' line), §4.2.1;
 *  - the state agrees with the transaction: MAIL has no recipient yet,
 *    RCPT has one at least, DATA has its spool file open, 354 means DATA;
 *  - 250 after the final "." means a stored file: a message in some
 *    mailbox's new/ or in the queue's messages/ (RFC 5321 §6.1);
 *  - when the session ends, no tmp/ folder holds a file (nothing half
 *    written is left behind).
 */
#include <sys/ioctl.h>

#include "commands.h"
#include "fuzz.h"
#include "networks.h"
#include "queue.h"
#include "routes.h"
#include "session.h"
#include "users.h"
#include "wire.h"

static struct server_config config;
static char maildir[128], queue_dir[128], users_path[128];

/* Set the server up once: folders, a users file, relaying for 192.0.2.0/24. */
static void setup_once(void)
{
    if (config.hostname != NULL)
        return;
    const char *root = fuzz_temp_dir();
    snprintf(maildir, sizeof maildir, "%s/maildir", root);
    snprintf(queue_dir, sizeof queue_dir, "%s/queue", root);
    char hash[256], why[256], line[300];
    if (users_hash_password("secret", hash, sizeof hash, why, sizeof why) != 0)
        abort();
    int n = snprintf(line, sizeof line, "# fuzz users\nalice:%s\n", hash);
    fuzz_write_file("users", (const uint8_t *)line, (size_t)n, users_path,
                    sizeof users_path);

    config.hostname = "bob.example";
    config.domains[0] = "bob.example";
    config.domain_count = 1;
    config.maildir = maildir;
    config.max_size = SMTP_MIN_MESSAGE_SIZE; /* small: "too big" is reachable */
    config.max_recipients = SMTP_MIN_RECIPIENTS;
    config.max_sessions = 1;
    config.timeout_seconds = 300;
    config.users_path = users_path;
    config.queue_dir = queue_dir;
    if (network_parse("192.0.2.0/24", &config.trusted[0]) != 0)
        abort();
    config.trusted_count = 1;
    /* A smarthost for every other domain, so that relayed mail is queued
     * (nothing connects to it here: the queue runner is not part of this). */
    static struct routes routes;
    char routes_path[128];
    static const char smarthost[] = "* 127.0.0.1:9\n";
    fuzz_write_file("routes", (const uint8_t *)smarthost, sizeof smarthost - 1,
                    routes_path, sizeof routes_path);
    if (routes_load(&routes, routes_path, why, sizeof why) != 0)
        abort();
    config.routes = &routes;
    /* Only connection.c would use the context (for the handshake, which
     * this loop pretends); the session just asks whether there is one. */
    static char no_real_context;
    config.tls_context = (struct ssl_ctx_st *)&no_real_context;
}

/* Check the replies in out[from..to): well-formed lines, whole replies.
 * Returns how many replies (a multi-line reply counts once). */
static int check_replies(const char *out, size_t from, size_t to)
{
    int replies = 0;
    bool in_multiline = false;
    char code[3] = "";
    for (size_t start = from; start < to;) {
        const char *line = out + start;
        const char *crlf = memchr(line, '\n', to - start);
        FUZZ_CHECK(crlf != NULL && crlf > line && crlf[-1] == '\r');
        size_t len = (size_t)(crlf - line) - 1; /* without CR LF */
        FUZZ_CHECK(len >= 4 && len + 2 <= SMTP_MAX_REPLY_LINE);
        FUZZ_CHECK(line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                   line[1] <= '5' && line[2] >= '0' && line[2] <= '9');
        FUZZ_CHECK(line[3] == ' ' || line[3] == '-');
        for (size_t i = 4; i < len; i++) /* §4.2 textstring: HT, SP..~, UTF-8 */
            FUZZ_CHECK(line[i] == '\t' ||
                       ((unsigned char)line[i] >= 32 && line[i] != 127));
        if (in_multiline)
            FUZZ_CHECK(memcmp(code, line, 3) == 0);
        memcpy(code, line, 3);
        in_multiline = line[3] == '-';
        if (!in_multiline)
            replies++;
        start += len + 2;
    }
    FUZZ_CHECK(!in_multiline);
    return replies;
}

/* Files in DIR/<each mailbox>/<folder> (Maildir) or DIR/<folder> (queue). */
static int count_files(const char *dir, const char *folder, bool per_mailbox)
{
    char path[512];
    if (!per_mailbox) {
        snprintf(path, sizeof path, "%s/%s", dir, folder);
        DIR *d = opendir(path);
        int n = 0;
        for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
            n += e->d_name[0] != '.';
        if (d != NULL)
            closedir(d);
        return n;
    }
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += count_files(path, folder, false);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

static int stored_files(void)
{
    return count_files(maildir, "new", true) +
           count_files(queue_dir, "messages", false);
}

/* The state must agree with what the transaction holds. */
static void check_state(const struct session *s)
{
    FUZZ_CHECK(s->state >= STATE_CONNECTED && s->state <= STATE_CLOSING);
    if (s->state == STATE_CONNECTED || s->state == STATE_GREETED ||
        s->state == STATE_MAIL)
        FUZZ_CHECK(s->envelope.recipient_count == 0);
    if (s->state == STATE_RCPT || s->state == STATE_DATA)
        FUZZ_CHECK(s->envelope.recipient_count >= 1);
    FUZZ_CHECK(s->envelope.recipient_count <= config.max_recipients);
    if (s->state == STATE_DATA)
        FUZZ_CHECK(s->spool.file != NULL);
    FUZZ_CHECK(s->out_len <= sizeof s->out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    remove_tree(maildir);
    remove_tree(queue_dir);
    char why[256];
    if (queue_create(queue_dir, why, sizeof why) != 0)
        abort();

    enum listener_role role = ROLE_PLAIN;
    if (size >= 12 && memcmp(data, "#submission\n", 12) == 0) {
        role = ROLE_SUBMISSION;
        data += 12, size -= 12;
    } else if (size >= 7 && memcmp(data, "#smtps\n", 7) == 0) {
        role = ROLE_SMTPS;
        data += 7, size -= 7;
    }

    int reader, writer;
    fuzz_socket_with(data, size, &reader, &writer);
    shutdown(writer, SHUT_WR); /* the client sent everything, then closed */
    static struct wire w;
    static struct session s;
    static char line[SESSION_AUTH_LINE + 2];
    wire_init(&w, reader, 1000);
    if (session_init(&s, &config, NULL, "fuzz.1", "192.0.2.7", role) != 0)
        abort();
    if (role == ROLE_SMTPS)
        session_tls_implicit(&s, "TLSv1.3 (fuzz: no handshake)");
    session_greet(&s);

    while (!session_wants_close(&s)) {
        size_t cap = session_line_limit(&s);
        FUZZ_CHECK(cap >= 3 && cap <= sizeof line);
        /* connection.c's flush rule, so the out buffer is used as much as
         * it really is. */
        if (s.out_len > 0 && (s.tls_pending || !wire_line_ready(&w, cap) ||
                              s.out_len >= SESSION_FLUSH_AT)) {
            check_replies(s.out, 0, s.out_len);
            s.out_len = 0;
        }
        if (s.tls_pending) {
            session_tls_started(&s, "TLSv1.3 (fuzz: no handshake)");
            check_state(&s);
            continue;
        }
        size_t len;
        enum line_end end;
        if (wire_read_line(&w, line, cap, &len, &end) != WIRE_OK)
            break;
        FUZZ_CHECK(len < cap && line[len] == '\0');

        enum session_state before = s.state;
        unsigned messages_before = s.messages;
        int files_before = before == STATE_DATA ? stored_files() : 0;
        size_t out_before = s.out_len;

        session_handle_line(&s, line, len, end);

        int replies = check_replies(s.out, out_before, s.out_len);
        /* One reply per line, except the error budget's 421 after the 20th
         * error reply (RFC 5321 §3.8: a server that must close may say
         * 421 at any time); then the session is closing. */
        FUZZ_CHECK(replies <= 1 || (replies == 2 && s.state == STATE_CLOSING &&
                                    s.errors >= SESSION_MAX_ERRORS));
        check_state(&s);
        const char *reply = s.out + out_before;
        if (replies == 1 && memcmp(reply, "354", 3) == 0)
            FUZZ_CHECK(s.state == STATE_DATA);
        if (before == STATE_DATA && s.state != STATE_DATA && replies == 1 &&
            reply[0] == '2') {
            /* 250 after the dot: it is on the disk (RFC 5321 §6.1). */
            FUZZ_CHECK(s.messages == messages_before + 1);
            FUZZ_CHECK(stored_files() > files_before);
        }
    }
    check_replies(s.out, 0, s.out_len);
    session_free(&s);
    close(reader);
    close(writer);

    /* Nothing half-written may stay behind. */
    FUZZ_CHECK(count_files(maildir, "tmp", true) == 0);
    FUZZ_CHECK(count_files(queue_dir, "tmp", false) == 0);
    return 0;
}
