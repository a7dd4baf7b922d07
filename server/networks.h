/*
 * networks.h - "is this client inside 127.0.0.0/8?", for --trusted.
 *
 * Tier: beyond the core — skip on a first reading.
 *
 * Before SMTP AUTH existed, a server knew its own users by where they
 * connected from: the machines of the office network could relay, the rest
 * of the Internet could not (RFC 5321 §3.6.2 leaves the rule to the site).
 * Many servers still trust their own networks this way (Postfix calls it
 * mynetworks). A network is written in CIDR notation (RFC 4632 §3.1): an
 * address and how many of its leading bits must match.
 */
#ifndef MAILWALK_NETWORKS_H
#define MAILWALK_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>

struct network {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char bytes[16]; /* the address, in network byte order */
    unsigned prefix_bits;    /* how many leading bits must match */
};

/* Parse "127.0.0.0/8", "::1/128" or a lone address (all its bits). An
 * IPv4 network written the IPv6 way, "::ffff:127.0.0.0/104", is the IPv4
 * one (its prefix at least 96). Returns 0, or -1 if the text is not a
 * network. */
int network_parse(const char *text, struct network *out);

/* Is the printable address (what accept() gave, e.g. "127.0.0.1" or
 * "::ffff:127.0.0.1") inside the network? */
bool network_contains(const struct network *net, const char *address);

#endif
