/*
 * cmd_starttls.c - STARTTLS: turn a plaintext connection into a TLS one.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * SMTP began in 1982 with every byte in the clear, passwords included.
 * RFC 3207 adds one command: the client says STARTTLS, we say "220 Ready
 * to start TLS", and then both run the TLS handshake on the *same* TCP
 * connection. Everything after it is sealed.
 *
 * The protocol core does no I/O, so this handler only answers and sets
 * s->tls_pending. connection.c sees the flag after sending the 220, runs
 * the handshake (common/wire_tls.c) and calls session_tls_started(),
 * which resets the session: whatever was said in plaintext might have
 * been changed by an attacker in the middle, so none of it counts (RFC
 * 3207 §4.2). The attacker's other trick - plaintext commands written
 * right behind STARTTLS, hoping we read them as if they came through TLS
 * (CVE-2011-0411) - is stopped twice: the session ignores every line
 * while tls_pending is set, and the wire throws away every byte that
 * arrived before the handshake.
 */
#include "commands.h"

/* STARTTLS (RFC 3207 §4). Allowed after HELO/EHLO, outside a transaction
 * (table: IN_GREETED). Replies: 220 2.0.0 (go ahead: handshake next);
 * 501 5.5.4 (it takes no arguments); 503 5.5.1 (TLS is already on);
 * 454 4.7.0 (TLS not available, RFC 3207 §4). */
void cmd_starttls(struct session *s, const char *args)
{
    if (args[0] != '\0') {
        /* RFC 3207 §4: "STARTTLS" takes no parameters; 501 is its
         * syntax error reply. */
        session_reply(s, 501, "5.5.4", "Syntax: STARTTLS (no arguments)");
        return;
    }
    if (s->tls) {
        /* TLS inside TLS makes no sense, and RFC 3207 §4.2 says the
         * server MUST NOT advertise STARTTLS once TLS is on. */
        session_reply(s, 503, "5.5.1", "TLS is already active");
        return;
    }
    if (!session_tls_available(s)) {
        session_reply(s, 454, "4.7.0", "TLS not available due to temporary reason");
        return;
    }
    session_reply(s, 220, "2.0.0", "Ready to start TLS");
    s->tls_pending = true;
}
