/* mdns_priv.h - the Avahi client's .local resolver, for port/posix/resolve.c. */
#ifndef MDNS_PRIV_H
#define MDNS_PRIV_H

#include <stdbool.h>

struct mdns_lookup;
/* Called once with 0 and the address, or ERR_NOHOST with a reason. */
typedef void mdns_lookup_fn(void *arg, int rc, const char *ip, const char *detail);

/* True when avahi-daemon is connected and lookups can start. */
bool mdns_can_resolve(void);
/* Starts an mDNS A lookup of name (ends in .local). Returns the lookup or NULL (no daemon or
 * no memory); cb is never called inside this call. */
struct mdns_lookup *mdns_lookup_start(const char *name, mdns_lookup_fn *cb, void *arg);
/* Stops a lookup; its callback is never called. */
void mdns_lookup_cancel(struct mdns_lookup *l);

#endif
