/* hal_names.c - the Cortex-M port's mDNS, name lookup and process figures: not there yet.
 *
 * A board with a network stack brings its own mDNS responder and DNS client behind
 * hal/hal_mdns.h and hal/hal_resolve.h; until then the node runs without announcing itself,
 * InterCon names resolve through the cache and IP literals only, and /metrics leaves out the
 * process figures. */
#include "../../core/err.h"
#include "../../hal/hal_mdns.h"
#include "../../hal/hal_proc.h"
#include "../../hal/hal_resolve.h"

#include <stdio.h>

int hal_mdns_start(struct ev_loop *loop)
{
    (void)loop;
    return ERR_NOTSUP;
}

void hal_mdns_announce(const struct hal_mdns_info *info)
{
    (void)info;
}

void hal_mdns_stop(void) {}

const char *hal_mdns_state(char *detail, size_t cap)
{
    if (detail && cap)
        snprintf(detail, cap, "this port has no mDNS responder");
    return "not built";
}

int hal_resolve_start(struct ev_loop *loop, const char *name, uint32_t timeout_ms,
                      hal_resolve_fn *cb, void *arg, struct hal_resolve **out)
{
    (void)loop;
    (void)name;
    (void)timeout_ms;
    (void)cb;
    (void)arg;
    *out = NULL;
    return ERR_NOTSUP; /* the caller reports NoHost at once */
}

void hal_resolve_set_dns(const char *servers)
{
    (void)servers;
}

void hal_resolve_cancel(struct hal_resolve *r)
{
    (void)r;
}

int hal_proc_rss(uint64_t *bytes)
{
    (void)bytes;
    return ERR_NOTSUP;
}

int hal_proc_cpu_ms(uint64_t *ms)
{
    (void)ms;
    return ERR_NOTSUP;
}

int hal_proc_fds(uint64_t *n)
{
    (void)n;
    return ERR_NOTSUP;
}
