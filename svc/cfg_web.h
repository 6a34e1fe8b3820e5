/* cfg_web.h - the config endpoints of the web UI (COMPAT §3.4, micrOS's `web load`).
 *
 *   GET  /config         (sudo) every key but the CFG_NOWEB ones, as one JSON object;
 *                        secrets as CFG_SECRET_SHOWN (written back, they stay as they are)
 *   POST /config         (sudo) a JSON object of keys to set, with cfg_set's rules;
 *                        empty strings become "n/a", an empty devfid is refused
 *   POST /config/reboot  (sudo) {"state": true, "result": "Soft reboot scheduled"}, then
 *                        node->reboot
 *
 * micrOS registers them when `web load` runs; we register them at start when webui is
 * on (docs/web.md). */
#ifndef CFG_WEB_H
#define CFG_WEB_H

#include "endpoint.h"
#include "node.h"

/* Registers the three config endpoints on eps. Returns 0 or ERR_FULL. */
int cfg_web_register(struct endpoints *eps, struct node *node);

#endif
