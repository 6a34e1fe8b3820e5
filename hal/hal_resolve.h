/* hal_resolve.h - asynchronous host name lookup for InterCon.
 *
 * `<name>.local` goes to mDNS (on Linux Avahi's resolver through avahi-daemon), other names to
 * the system's DNS (on Linux c-ares on the node's event loop, reading /etc/resolv.conf and
 * /etc/hosts); a plain name that DNS does not know is tried as `<name>.local` too. The result
 * always arrives later through the callback, never inside hal_resolve_start, and at the
 * latest after timeout_ms. IPv4 answers only (micrOS nodes are IPv4). */
#ifndef HAL_RESOLVE_H
#define HAL_RESOLVE_H

#include "../core/ev.h"

#include <stdint.h>

struct hal_resolve;

/* Result: rc 0 and the dotted address, or ERR_NOHOST (detail says why) / ERR_TIMEOUT. */
typedef void hal_resolve_fn(void *arg, int rc, const char *ip, const char *detail);

/* Starts resolving name. On success *out is the handle (valid until the callback ran or
 * hal_resolve_cancel). Returns 0, ERR_INVAL (bad name) or ERR_NOMEM; cb is then never called. */
int hal_resolve_start(struct ev_loop *loop, const char *name, uint32_t timeout_ms,
                      hal_resolve_fn *cb, void *arg, struct hal_resolve **out);
/* Sets the DNS servers: "system" (/etc/resolv.conf), "off", or "ip[:port],..." (the `dns`
 * key; $MICROS_DNS wins). Takes effect before the first lookup. */
void hal_resolve_set_dns(const char *servers);
/* Stops a lookup: its callback is never called. */
void hal_resolve_cancel(struct hal_resolve *r);

#endif
