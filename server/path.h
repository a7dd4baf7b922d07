/*
 * path.h - reading the <address> in MAIL FROM:<...> and RCPT TO:<...>.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * RFC 5321 §4.1.2 gives the grammar. A path is an address in angle
 * brackets; the reverse-path may also be the null path "<>", which bounces
 * use so that nobody ever bounces a bounce (§4.5.5). Old source routes like
 * <@relay.example:bob@bob.example> must be accepted and their route
 * ignored (§3.3 and Appendix C).
 */
#ifndef MAILWALK_PATH_H
#define MAILWALK_PATH_H

#include <stdbool.h>

#include "smtp_limits.h"

/* A mailbox taken apart: local-part "@" domain. */
struct mailbox_address {
    char local[SMTP_MAX_LOCAL_PART + 1]; /* as written, quotes included */
    char domain[SMTP_MAX_DOMAIN + 1];    /* a domain or an [address literal] */
    bool utf8;                           /* has non-ASCII: needs SMTPUTF8 */
};

enum path_result {
    PATH_OK,       /* a mailbox was read into *out */
    PATH_NULL,     /* "<>": the null reverse-path */
    PATH_SYNTAX,   /* not a path by §4.1.2: reply 501 */
    PATH_TOO_LONG, /* over a §4.5.3.1 limit: reply 501 */
};

/*
 * Parse the path at the start of `text`. *rest is set to the first
 * character after the closing '>' (where parameters may follow).
 * Non-ASCII (UTF-8) text is accepted and flagged in out->utf8: whether it
 * is allowed depends on the SMTPUTF8 parameter (RFC 6531 §3.5), which
 * only comes after the path, so the caller decides.
 */
enum path_result path_parse(const char *text, struct mailbox_address *out,
                            const char **rest);

/* Write "local@domain" into buf (of size cap). */
void path_format(const struct mailbox_address *address, char *buf, unsigned long cap);

#endif
