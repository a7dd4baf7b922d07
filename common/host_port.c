/*
 * host_port.c - splitting "HOST:PORT" and "[v6]:PORT".
 *
 * Tier: beyond the core — skip on a first reading.
 */
#include "host_port.h"

#include <string.h>

bool host_port_split(const char *spec, char *host, size_t host_cap, char *port,
                     size_t port_cap)
{
    const char *start = spec;
    const char *colon;
    size_t host_len;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':')
            return false;
        start = spec + 1;
        host_len = (size_t)(close - start);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':'); /* the last colon: "host:port" */
        if (colon == NULL)
            return false;
        host_len = (size_t)(colon - spec);
    }
    const char *digits = colon + 1;
    size_t port_len = strlen(digits);
    if (host_len == 0 || host_len >= host_cap || port_len == 0 ||
        port_len >= port_cap || strspn(digits, "0123456789") != port_len)
        return false;
    memcpy(host, start, host_len);
    host[host_len] = '\0';
    memcpy(port, digits, port_len + 1);
    return true;
}
