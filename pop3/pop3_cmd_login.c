/*
 * pop3_cmd_login.c - the AUTHORIZATION state: CAPA, STLS, USER, PASS, and
 * QUIT (which also ends the TRANSACTION state).
 *
 * Tier: beyond the core — skip on a first reading (the pull side, POP3).
 *
 * The login is the one thing POP3 does before anything else, and it is the
 * simplest there is (RFC 1939 §7): the client names the user, then sends the
 * password itself, in the clear:
 *
 *     C: USER bob
 *     S: +OK Now send the password for bob
 *     C: PASS secret
 *     S: +OK bob has 2 messages (740 octets)
 *
 * Anyone who can see the connection can read that password. So mailwalk
 * takes USER/PASS only inside TLS - after STLS (RFC 2595 §4) or on the
 * implicit-TLS port (RFC 8314 §3.3) - unless the server was started with
 * --allow-plaintext-login, to show a class what an eavesdropper sees.
 * The names and hashes come from the same --users file as SMTP AUTH.
 */
#include <stdio.h>
#include <string.h>

#include "maildir.h"
#include "pop3_commands.h"
#include "users.h"

/* May USER and PASS be used on this connection now? */
static bool login_allowed(const struct pop3_session *s)
{
    return s->tls || s->config->allow_plaintext_login;
}

/* The answer to USER or PASS outside TLS. "[AUTH]" is RFC 3206 §4's code
 * for "the login failed for a reason other than a wrong password". */
static void refuse_plaintext_login(struct pop3_session *s)
{
    pop3_err(s, "AUTH",
             "Log in only inside TLS: send STLS first, or use the pop3s port");
}

/* CAPA (RFC 2449 §5): what the server can do *now*. The list changes with
 * the connection: STLS only before TLS, USER only where a login is
 * allowed. A client reads it to decide what to try. */
void pop3_capa(struct pop3_session *s, const char *args)
{
    if (args[0] != '\0') {
        pop3_err(s, NULL, "Usage: CAPA (no arguments)");
        return;
    }
    pop3_ok(s, "Capability list follows");
    pop3_line(s, "TOP");            /* RFC 2449 §6.1 */
    pop3_line(s, "UIDL");           /* §6.4 */
    pop3_line(s, "RESP-CODES");     /* §6.5: "-ERR [IN-USE]" and friends */
    pop3_line(s, "AUTH-RESP-CODE"); /* RFC 3206 §3: "-ERR [AUTH]" */
    if (login_allowed(s))
        pop3_line(s, "USER"); /* §6.2 */
    if (s->config->tls_available && !s->tls)
        pop3_line(s, "STLS");                     /* RFC 2595 §4 */
    pop3_line(s, "IMPLEMENTATION mailwalk-pop3"); /* §6.9 */
    pop3_end(s);
}

/* STLS (RFC 2595 §4): "+OK", then the TLS handshake on the same
 * connection. The client must say USER and PASS only after it. */
void pop3_stls(struct pop3_session *s, const char *args)
{
    if (args[0] != '\0') {
        pop3_err(s, NULL, "Usage: STLS (no arguments)");
        return;
    }
    if (s->tls) {
        /* RFC 2595 §4: "-ERR Command not permitted when TLS active". */
        pop3_err(s, NULL, "Command not permitted when TLS active");
        return;
    }
    if (!s->config->tls_available) {
        pop3_err(s, NULL, "STLS is not available: this server has no certificate");
        return;
    }
    pop3_ok(s, "Begin TLS negotiation");
    s->tls_pending = true; /* pop3_connection.c runs the handshake next */
}

/* USER name (RFC 1939 §7). We answer +OK for any name: telling which names
 * exist would help a guesser (the RFC allows either answer). */
void pop3_user(struct pop3_session *s, const char *args)
{
    if (!login_allowed(s)) {
        refuse_plaintext_login(s);
        return;
    }
    if (args[0] == '\0' || strlen(args) > POP3_MAX_ARGUMENT ||
        strchr(args, ' ') != NULL) {
        pop3_err(s, NULL, "Usage: USER name (one word, at most %d characters)",
                 POP3_MAX_ARGUMENT);
        return;
    }
    snprintf(s->user, sizeof s->user, "%s", args);
    s->user_command = s->commands; /* PASS must be the very next command */
    pop3_ok(s, "Now send the password for %s", s->user);
}

/* A wrong name or password. The Nth failure is answered after N seconds
 * (pop3_connection.c waits), the POP3_MAX_LOGIN_FAILURES-th ends the
 * session: a guesser gets few tries per connection. */
static void login_failed(struct pop3_session *s)
{
    s->login_failures++;
    s->delay_seconds = s->login_failures;
    event_log_write(s->log, s->id, "auth", "user", s->user, "result", "failed", NULL);
    s->user[0] = '\0';
    s->user_command = 0;
    if (s->login_failures >= POP3_MAX_LOGIN_FAILURES) {
        pop3_err(s, "AUTH", "Too many failed logins, closing the connection");
        pop3_set_state(s, POP3_CLOSING);
        return;
    }
    /* Like SMTP's 535, it does not say whether the name or the password
     * was wrong. */
    pop3_err(s, "AUTH", "Wrong user name or password");
}

/* The password was right: lock and open the mailbox (RFC 1939 §8). */
static void open_mailbox(struct pop3_session *s)
{
    char why[512] = "";
    switch (
        pop3_mailbox_open(&s->mailbox, s->config->maildir, s->user, why, sizeof why)) {
    case POP3_OPEN_IN_USE:
        /* RFC 2449 §8.1.2: "[IN-USE]" - another session has the mailbox.
         * RFC 1939 §4 lets the client try again later or QUIT. */
        pop3_err(s, "IN-USE", "%s's mailbox is open in another session; try later",
                 s->user);
        return;
    case POP3_OPEN_ERROR:
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        pop3_err(s, "SYS/TEMP", "Cannot open the mailbox now; try later");
        return;
    case POP3_OPEN_OK:
        break;
    }
    snprintf(s->logged_in, sizeof s->logged_in, "%s", s->user);
    event_log_write(s->log, s->id, "auth", "user", s->user, "result", "ok", NULL);
    size_t count;
    unsigned long long octets;
    pop3_mailbox_totals(&s->mailbox, &count, &octets);
    pop3_set_state(s, POP3_TRANSACTION);
    pop3_ok(s, "%s has %zu message%s (%llu octets)", s->user, count,
            count == 1 ? "" : "s", octets);
}

/* PASS secret (RFC 1939 §7): only right after a USER. The password is the
 * rest of the line, spaces included (§7: "the server may treat spaces in
 * the argument as part of the password"). */
void pop3_pass(struct pop3_session *s, const char *args)
{
    if (!login_allowed(s)) {
        refuse_plaintext_login(s);
        return;
    }
    if (s->user_command == 0 || s->user_command != s->commands - 1) {
        pop3_err(s, NULL, "Send USER first, then PASS right after it");
        return;
    }
    if (s->config->users_file == NULL) {
        pop3_err(s, "SYS/PERM", "This server has no users file, so nobody can log in");
        return;
    }
    char why[512] = "";
    int ok = args[0] != '\0'
                 ? users_check(s->config->users_file, s->user, args, why, sizeof why)
                 : 0;
    if (ok < 0) {
        /* The users file is broken: not the client's fault (RFC 3206 §4:
         * "[SYS/TEMP]", a problem on the server that may go away). */
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        pop3_err(s, "SYS/TEMP", "Cannot check passwords now; try later");
        return;
    }
    /* The mailbox is a folder named after the user: a name that could
     * never be a safe folder name cannot log in, whatever the file says. */
    if (ok == 0 || !maildir_name_is_safe(s->user)) {
        login_failed(s);
        return;
    }
    open_mailbox(s);
}

/* QUIT (RFC 1939 §6). In AUTHORIZATION it just ends the session. In
 * TRANSACTION it is the one command that changes the mailbox: the session
 * enters the UPDATE state and removes what DELE marked. */
void pop3_quit(struct pop3_session *s, const char *args)
{
    (void)args; /* "QUIT anything" still quits: the client wants to go */
    if (s->state == POP3_AUTHORIZATION) {
        pop3_ok(s, "%s POP3 server signing off", s->config->hostname);
        pop3_set_state(s, POP3_CLOSING);
        return;
    }
    pop3_set_state(s, POP3_UPDATE);
    size_t removed = 0;
    char why[512] = "";
    if (pop3_mailbox_commit(&s->mailbox, &removed, why, sizeof why) != 0) {
        event_log_write(s->log, s->id, "error", "what", why, NULL);
        /* §6: "-ERR some deleted messages not removed". */
        pop3_err(s, "SYS/TEMP", "Some deleted messages not removed (%zu were)",
                 removed);
    } else {
        pop3_ok(s, "%s POP3 server signing off (%zu message%s deleted)",
                s->config->hostname, removed, removed == 1 ? "" : "s");
    }
    char count[32];
    snprintf(count, sizeof count, "%zu", removed);
    event_log_write(s->log, s->id, "update", "user", s->logged_in, "deleted", count,
                    NULL);
    pop3_mailbox_close(&s->mailbox);
    pop3_set_state(s, POP3_CLOSING);
}
