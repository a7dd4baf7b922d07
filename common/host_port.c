/*
 * host_port.c - splitting "HOST:PORT" and "[v6]:PORT".
 *
 * Tier: beyond the core — skip on a first reading.
 */
#include "host_port.h"

#include <string.h>

#define PORT_RANGE "the port must be a number from 0 to 65535"

/* Find the host (without brackets) and the port's digits in spec. Returns
 * what is wrong, or NULL. */
static const char *find_parts(const char *spec, const char **host, size_t *host_len,
                              const char **digits)
{
    const char *colon;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':')
            return HOST_PORT_EXPECTED;
        *host = spec + 1;
        *host_len = (size_t)(close - *host);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':'); /* the last colon: "host:port" */
        if (colon == NULL)
            return HOST_PORT_EXPECTED;
        *host = spec;
        *host_len = (size_t)(colon - spec);
    }
    *digits = colon + 1;
    size_t port_len = strlen(*digits);
    if (*host_len == 0 || port_len == 0)
        return HOST_PORT_EXPECTED;
    /* A TCP port is 16 bits (RFC 9293 §3.1). Checked here, as a number,
     * because getaddrinfo() would quietly keep the low 16 bits of a bigger
     * one: "99999" would become port 34463. */
    if (strspn(*digits, "0123456789") != port_len)
        return PORT_RANGE;
    unsigned long value = 0;
    for (size_t i = 0; i < port_len; i++) {
        value = value * 10 + (unsigned long)((*digits)[i] - '0');
        if (value > 65535)
            return PORT_RANGE;
    }
    return NULL;
}

const char *host_port_problem(const char *spec)
{
    const char *host, *digits;
    size_t host_len;
    return find_parts(spec, &host, &host_len, &digits);
}

bool host_port_split(const char *spec, char *host, size_t host_cap, char *port,
                     size_t port_cap)
{
    const char *start, *digits;
    size_t host_len;
    if (find_parts(spec, &start, &host_len, &digits) != NULL)
        return false;
    size_t port_len = strlen(digits);
    if (host_len >= host_cap || port_len >= port_cap)
        return false;
    memcpy(host, start, host_len);
    host[host_len] = '\0';
    memcpy(port, digits, port_len + 1);
    return true;
}
