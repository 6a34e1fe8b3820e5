/* mdns_browse.h - finds micrOS nodes by browsing `_micros._tcp` over mDNS (Avahi client). */
#ifndef MDNS_BROWSE_H
#define MDNS_BROWSE_H

#include <stddef.h>

struct mdns_found {
    char name[64]; /* service instance: the devfid */
    char uid[96];  /* TXT uid */
    char ip[48];
    unsigned port;
    unsigned web_port; /* TXT webport, 0 = none */
};

/* Browses for at most wait_ms (returns as soon as the daemon has sent all it knows and every
 * service is resolved). Returns the number of nodes found (<= cap), or -1 with the reason in
 * why (no avahi-daemon, or a build without Avahi). */
long mdns_browse(struct mdns_found *out, size_t cap, unsigned wait_ms, char *why, size_t whycap);

#endif
