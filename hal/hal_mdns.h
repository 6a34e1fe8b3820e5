/* hal_mdns.h - announcing the node on the local network (mDNS / DNS-SD).
 *
 * The node is `<devfid>.local` with two services: `_micros._tcp` on the shell port (TXT: uid,
 * version, web port) and `_http._tcp` on the web port (when the web UI runs). On Linux an
 * Avahi client publishes them through the system's avahi-daemon (port/posix/mdns_avahi.c),
 * driven by the node's event loop; an MCU port brings its own responder behind the same calls.
 * Nothing here blocks; every state change is logged once. */
#ifndef HAL_MDNS_H
#define HAL_MDNS_H

#include "../core/ev.h"

#include <stdbool.h>
#include <stdint.h>

#define HAL_MDNS_NAME_MAX 64

/* What the node announces. */
struct hal_mdns_info {
    char devfid[HAL_MDNS_NAME_MAX]; /* host label and service instance name */
    char uid[HAL_MDNS_NAME_MAX];    /* hwuid, in the TXT record */
    char version[32];               /* release, in the TXT record */
    char bind_addr[48];             /* the listen address: "0.0.0.0" = every interface */
    uint16_t shell_port;            /* _micros._tcp */
    uint16_t web_port;              /* _http._tcp; 0 = no web UI */
};

/* Starts the announcer on loop. Returns 0 (the daemon may still be missing: see
 * hal_mdns_state) or ERR_NOTSUP when this build has no mDNS. */
int hal_mdns_start(struct ev_loop *loop);
/* Announces info, replacing what was announced before (devfid or port changes). */
void hal_mdns_announce(const struct hal_mdns_info *info);
/* Withdraws everything and stops. */
void hal_mdns_stop(void);
/* A short state for people: "announced", "registering", "no daemon", "collision", "off",
 * "not built"; detail (may be NULL) receives one line that explains it. */
const char *hal_mdns_state(char *detail, size_t cap);

#endif
