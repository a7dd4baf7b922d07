/*
 * networks.c - matching a client's address against CIDR networks.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * A network like 127.0.0.0/8 says: the first 8 bits must be those of
 * 127.0.0.0. So we compare whole bytes while at least 8 bits remain, then
 * the last few bits under a mask. An IPv4 client that reached an IPv6
 * socket shows up as ::ffff:127.0.0.1 (RFC 4291 §2.5.5.2); we unwrap it
 * so that 127.0.0.0/8 still matches.
 */
#include "networks.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Read a printable address into family + bytes; unwrap ::ffff:a.b.c.d
 * (and say so in *mapped, if asked). */
static bool parse_address(const char *text, int *family, unsigned char bytes[16],
                          bool *mapped)
{
    memset(bytes, 0, 16);
    if (mapped != NULL)
        *mapped = false;
    if (inet_pton(AF_INET, text, bytes) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, bytes) == 1) {
        static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0,    0,
                                                    0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(bytes, v4_mapped, 12) == 0) {
            memmove(bytes, bytes + 12, 4);
            memset(bytes + 4, 0, 12);
            *family = AF_INET;
            if (mapped != NULL)
                *mapped = true;
        } else {
            *family = AF_INET6;
        }
        return true;
    }
    return false;
}

int network_parse(const char *text, struct network *out)
{
    char address[64];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof address)
        return -1;
    memcpy(address, text, len);
    address[len] = '\0';
    bool mapped;
    if (!parse_address(address, &out->family, out->bytes, &mapped))
        return -1;
    /* ::ffff:127.0.0.0/104 is 127.0.0.0/8 written the IPv6 way: its
     * prefix counts the 96 bits of ::ffff: too. A shorter one would reach
     * outside the mapped addresses, which an IPv4 network cannot say. */
    unsigned max_bits = out->family == AF_INET && !mapped ? 32 : 128;
    unsigned skip = mapped ? 96 : 0;
    out->prefix_bits = max_bits - skip;
    if (slash != NULL) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits < (long)skip ||
            bits > (long)max_bits)
            return -1;
        out->prefix_bits = (unsigned)bits - skip;
    }
    return 0;
}

bool network_contains(const struct network *net, const char *address)
{
    int family;
    unsigned char bytes[16];
    if (!parse_address(address, &family, bytes, NULL) || family != net->family)
        return false;
    unsigned whole = net->prefix_bits / 8, rest = net->prefix_bits % 8;
    if (memcmp(bytes, net->bytes, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (bytes[whole] & mask) == (net->bytes[whole] & mask);
}
