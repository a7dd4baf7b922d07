/*
 * routes.c - finding the next hop for a domain: MX records, played by a file.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * When Alice writes to bob@bob.example, her server must find the machine
 * that takes mail for bob.example. A real MTA asks DNS for the domain's MX
 * ("mail exchanger") records (RFC 5321 §5.1):
 *
 *     $ dig MX bob.example
 *     ;; ANSWER SECTION:
 *     bob.example.    3600  IN  MX  10 mx1.bob.example.
 *     bob.example.    3600  IN  MX  20 mx2.bob.example.
 *
 * Each record has a *preference* and a host name. Lower numbers are more
 * preferred: the sender sorts the list, tries mx1 (10) first and falls
 * back to mx2 (20) only if mx1 cannot be reached; hosts of equal preference
 * are tried in random order, to spread the load (§5.1). Each host name is
 * then looked up again for its A (IPv4) or AAAA (IPv6) records, which give
 * the address to connect to (on port 25). A domain with no MX records at
 * all still gets mail: its own A/AAAA record acts as an "implicit MX" with
 * preference 0. But once MX records exist, only they count.
 *
 * On one classroom machine there is no DNS for bob.example, so this file
 * plays that part. The line
 *
 *     bob.example 127.0.0.2:2525
 *
 * says what the whole lookup above would end in: "connect to 127.0.0.2,
 * port 2525". A line for "*" is a *smarthost*: where mail for every other
 * domain goes, as a small office sends all its outgoing mail to its
 * provider's relay.
 *
 * SIMPLIFICATION: a real MTA would get a list of hosts by preference and
 * try each in turn; a route here names exactly one host. An opt-in real
 * MX lookup may come later, never in tests (docs/relay.md).
 */
#include "routes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host_port.h"

/* The longest line we read: a domain, a host and a comment fit easily. */
#define ROUTES_LINE_MAX 1024

/* Spaces and tabs separate the fields and may surround them. */
#define BLANKS " \t"

/* Fill why with "path:line: message" and return -1. */
static int fail_at(char *why, size_t why_cap, const char *path, int line,
                   const char *message, const char *detail)
{
    snprintf(why, why_cap, "%s:%d: %s%s", path, line, message, detail);
    return -1;
}

/* Is text "*" or a domain name by RFC 5321 §4.1.2 (sub-domains of letters,
 * digits and inner hyphens, joined by dots)? Bytes >= 0x80 pass as parts
 * of UTF-8 U-labels (RFC 6531 §3.3), as in path.c. */
static bool is_route_domain(const char *text)
{
    if (strcmp(text, "*") == 0)
        return true;
    const unsigned char *p = (const unsigned char *)text;
    for (;;) {
        const unsigned char *label = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (*p >= '0' && *p <= '9') || *p == '-' || *p >= 0x80)
            p++;
        if (p == label || *label == '-' || p[-1] == '-')
            return false; /* empty label, or a hyphen at either end */
        if (*p == '\0')
            return true;
        if (*p != '.')
            return false;
        p++;
    }
}

/* Is port a TCP port number, 1 to 65535? (host_port_split checked that it
 * is all digits.) */
static bool is_port(const char *port)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(port, &end, 10);
    return errno == 0 && *end == '\0' && n >= 1 && n <= 65535;
}

/* Take one line apart into r->entries[r->count]. Returns 0, or -1 with why
 * set. A blank or comment-only line adds nothing. */
static int parse_line(struct routes *r, char *text, const char *path, int line,
                      char *why, size_t why_cap)
{
    char *hash = strchr(text, '#');
    if (hash != NULL)
        *hash = '\0'; /* a comment runs to the end of the line */
    char *save = NULL;
    char *domain = strtok_r(text, BLANKS, &save);
    if (domain == NULL)
        return 0; /* nothing but blanks */
    char *spec = strtok_r(NULL, BLANKS, &save);
    if (spec == NULL || strtok_r(NULL, BLANKS, &save) != NULL)
        return fail_at(why, why_cap, path, line, "expected DOMAIN HOST:PORT", "");

    if (strlen(domain) > SMTP_MAX_DOMAIN)
        return fail_at(why, why_cap, path, line,
                       "the domain is longer than 255 octets (RFC 5321 §4.5.3.1.2)",
                       "");
    if (!is_route_domain(domain))
        return fail_at(why, why_cap, path, line,
                       "expected a domain name like bob.example (or *), got ", domain);

    struct route route;
    const char *problem = host_port_problem(spec);
    if (problem != NULL && strcmp(problem, HOST_PORT_EXPECTED) != 0)
        return fail_at(why, why_cap, path, line,
                       "the port must be a number from 1 to 65535, got ",
                       strrchr(spec, ':') + 1);
    if (!host_port_split(spec, route.host, sizeof route.host, route.port,
                         sizeof route.port))
        return fail_at(why, why_cap, path, line,
                       "expected HOST:PORT like 127.0.0.2:2525 or [::1]:2525, got ",
                       spec);
    /* "::1:25" could be the address ::1 port 25, or ::1:25 with no port:
     * the brackets of "[::1]:25" say which (as in URLs, RFC 3986 §3.2.2). */
    if (spec[0] != '[' && strchr(route.host, ':') != NULL)
        return fail_at(why, why_cap, path, line,
                       "an IPv6 address needs brackets, as in [::1]:25; got ", spec);
    if (!is_port(route.port))
        return fail_at(why, why_cap, path, line,
                       "the port must be a number from 1 to 65535, got ", route.port);

    /* Two lines for one domain: which one did the author mean? */
    for (size_t i = 0; i < r->count; i++) {
        if (strcasecmp(r->entries[i].domain, domain) == 0) {
            snprintf(why, why_cap, "%s:%d: %s is routed twice (first on line %d)", path,
                     line, domain, r->entries[i].line);
            return -1;
        }
    }
    if (r->count == ROUTES_MAX)
        return fail_at(why, why_cap, path, line, "too many routes (at most 64)", "");

    snprintf(route.domain, sizeof route.domain, "%s", domain);
    route.line = line;
    r->entries[r->count++] = route;
    return 0;
}

int routes_load(struct routes *r, const char *path, char *why, size_t why_cap)
{
    r->count = 0;
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        snprintf(why, why_cap, "fopen(%s): %s", path, strerror(errno));
        return -1;
    }

    char text[ROUTES_LINE_MAX];
    int rc = 0;
    for (int line = 1; rc == 0 && fgets(text, sizeof text, file) != NULL; line++) {
        size_t len = strlen(text);
        if (len > 0 && text[len - 1] == '\n')
            text[--len] = '\0';
        else if (!feof(file))
            rc = fail_at(why, why_cap, path, line, "the line is too long", "");
        if (len > 0 && text[len - 1] == '\r')
            text[--len] = '\0'; /* a file written on Windows */
        if (rc == 0)
            rc = parse_line(r, text, path, line, why, why_cap);
    }
    if (rc == 0 && ferror(file)) {
        snprintf(why, why_cap, "read(%s): %s", path, strerror(errno));
        rc = -1;
    }
    fclose(file);
    if (rc < 0)
        r->count = 0; /* all or nothing: never half a routing table */
    return rc;
}

const struct route *routes_find(const struct routes *r, const char *domain)
{
    const struct route *fallback = NULL;
    for (size_t i = 0; i < r->count; i++) {
        /* Domains follow DNS rules: BOB.Example is bob.example (§2.4). */
        if (strcasecmp(r->entries[i].domain, domain) == 0)
            return &r->entries[i];
        if (strcmp(r->entries[i].domain, "*") == 0)
            fallback = &r->entries[i];
    }
    return fallback;
}
