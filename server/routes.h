/*
 * routes.h - where to send mail for a domain: our stand-in for DNS MX records.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * On the Internet, Alice's server asks DNS "who takes mail for bob.example?"
 * (an MX lookup, RFC 5321 §5.1; routes.c tells the whole story). On one
 * classroom machine there is no such DNS, so a small routes file answers
 * instead, one domain per line:
 *
 *     # DOMAIN      HOST:PORT
 *     bob.example   127.0.0.2:2525
 *     carol.example [::1]:2526
 *     *             127.0.0.9:25      # a smarthost for every other domain
 *
 * The queue (issue 5) calls routes_find() for each recipient's domain and
 * connects to the host and port it names.
 */
#ifndef MAILWALK_ROUTES_H
#define MAILWALK_ROUTES_H

#include <stddef.h>

#include "smtp_limits.h"

/* The most routes one file may hold: a classroom needs a handful. */
#define ROUTES_MAX 64

/* One line of the routes file: mail for `domain` goes to host:port. */
struct route {
    char domain[SMTP_MAX_DOMAIN + 1]; /* "bob.example", or "*" for every other domain */
    char host[256];                   /* "127.0.0.2" or "::1" (no brackets) or a name */
    char port[16];                    /* "2525" */
    int line;                         /* the line of the file it came from */
};

/* Every route of one file, in the order they were written. */
struct routes {
    struct route entries[ROUTES_MAX]; /* entries[0 .. count-1] are used */
    size_t count;                     /* how many routes were read */
};

/*
 * Read a routes file: one "DOMAIN HOST:PORT" per line (e.g.
 * `bob.example 127.0.0.2:2525`, `[::1]:25` for IPv6), '#' comments (a whole
 * line or the end of one), blank lines, surrounding spaces/tabs ok; "*" as
 * the domain is a smarthost for all other domains. Returns 0, or -1 with
 * why naming the file, the line number and what is wrong
 * ("routes.txt:3: expected DOMAIN HOST:PORT"); then r holds no routes.
 * Duplicate domains (compared without case) are an error.
 */
int routes_load(struct routes *r, const char *path, char *why, size_t why_cap);

/* The route for a domain: exact case-insensitive match first (RFC 5321
 * §2.4), then "*"; NULL if none. */
const struct route *routes_find(const struct routes *r, const char *domain);

#endif
