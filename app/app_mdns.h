/* app_mdns.h - announces the node over mDNS (hal_mdns) and follows devfid/port changes. */
#ifndef APP_MDNS_H
#define APP_MDNS_H

#include "app.h"

/* Starts the announcer when `mdns` is True and sets node->mdns_facts. */
void app_mdns_start(struct app *app);
/* Withdraws the announcement. */
void app_mdns_stop(struct app *app);

#endif
