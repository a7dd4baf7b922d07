/*
 * fuzz_routes.c - the routes file parser (server/routes.c), our stand-in
 * for DNS MX records. It only reads files, so the input is written to a
 * temporary file and loaded from there.
 *
 * Input: a routes file, e.g. "bob.example 127.0.0.2:2525\n* [::1]:25\n".
 *
 * Checks, for any input:
 *  - on success: at most ROUTES_MAX routes, each with a non-empty domain,
 *    host and port that fit their fields, the line numbers in order, and
 *    no domain twice (compared without case, RFC 5321 §2.4); each route
 *    is found again by routes_find() under its own domain;
 *  - on failure: no routes at all, and a reason naming the file.
 */
#include <strings.h>

#include "fuzz.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    fuzz_write_file("routes", data, size, path, sizeof path);
    static struct routes r;
    char why[512] = "";
    int result = routes_load(&r, path, why, sizeof why);

    if (result != 0) {
        FUZZ_CHECK(result == -1 && r.count == 0);
        FUZZ_CHECK(strncmp(why, path, strlen(path)) == 0);
        return 0;
    }
    FUZZ_CHECK(r.count <= ROUTES_MAX);
    for (size_t i = 0; i < r.count; i++) {
        const struct route *e = &r.entries[i];
        FUZZ_CHECK(e->domain[0] != '\0' && strlen(e->domain) < sizeof e->domain);
        FUZZ_CHECK(e->host[0] != '\0' && strlen(e->host) < sizeof e->host);
        FUZZ_CHECK(e->port[0] != '\0' && strlen(e->port) < sizeof e->port);
        FUZZ_CHECK(e->line >= 1 && (i == 0 || e->line > r.entries[i - 1].line));
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcasecmp(r.entries[j].domain, e->domain) != 0);
        if (strcmp(e->domain, "*") != 0)
            FUZZ_CHECK(routes_find(&r, e->domain) == e);
    }
    /* A domain nobody listed goes to the smarthost, if there is one. */
    const struct route *other = routes_find(&r, "nowhere.invalid");
    FUZZ_CHECK(other == NULL || strcmp(other->domain, "*") == 0);
    return 0;
}
