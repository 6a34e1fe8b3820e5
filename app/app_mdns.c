/* app_mdns.c - what the node announces over mDNS, re-checked every few seconds so a devfid
 * change (conf) or a new port is announced without a reboot. */
#include "app_mdns.h"

#include "../hal/hal_mdns.h"
#include "../hal/hal_resolve.h"
#include "../svc/val.h"

#include <stdio.h>
#include <string.h>

#define FOLLOW_MS 2000

static struct ev_timer s_follow;

static void current(struct app *app, struct hal_mdns_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->devfid, sizeof info->devfid, "%s", cfg_get_str(&app->cfg, CFG_K_devfid));
    snprintf(info->uid, sizeof info->uid, "%s", cfg_get_str(&app->cfg, CFG_K_hwuid));
    snprintf(info->version, sizeof info->version, "%s", app->node.version);
    snprintf(info->bind_addr, sizeof info->bind_addr, "%s", app->opt.bind_addr);
    info->shell_port = app->shell.port;
    info->web_port = app->http.port;
}

static int64_t on_follow(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct hal_mdns_info info;
    current(t->arg, &info);
    hal_mdns_announce(&info); /* no-op when nothing changed */
    return FOLLOW_MS;
}

/* `system mdns`: state, detail, host name and services. */
static void facts(struct node *node, struct arena *a, struct val *d)
{
    char detail[160];
    const char *state = hal_mdns_state(detail, sizeof detail);
    struct app *app = node->app;
    val_dict_set(a, d, "state", val_str(a, state));
    val_dict_set(a, d, "detail", val_str(a, detail));
    val_dict_set(a, d, "host", val_strf(a, "%s.local", cfg_get_str(node->cfg, CFG_K_devfid)));
    struct val *svc = val_list(a);
    val_append(svc, val_strf(a, "_micros._tcp:%u", (unsigned)app->shell.port));
    if (app->http.port)
        val_append(svc, val_strf(a, "_http._tcp:%u", (unsigned)app->http.port));
    val_dict_set(a, d, "services", svc);
}

void app_mdns_start(struct app *app)
{
    app->node.mdns_facts = facts;
    hal_resolve_set_dns(cfg_get_str(&app->cfg, CFG_K_dns));
    if (!cfg_get_bool(&app->cfg, CFG_K_mdns))
        return;
    if (hal_mdns_start(&app->loop) < 0)
        return;
    s_follow.arg = app;
    on_follow(&app->loop, &s_follow);
    ev_timer_start(&app->loop, &s_follow, FOLLOW_MS, on_follow);
}

void app_mdns_stop(struct app *app)
{
    ev_timer_stop(&app->loop, &s_follow);
    hal_mdns_stop();
}
