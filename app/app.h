/* app.h - wires loop, config, services, servers and modules into a node. */
#ifndef APP_H
#define APP_H

#include "../core/ev.h"
#include "../net/admit.h"
#include "../svc/persist.h"
#include "../net/http.h"
#include "../net/shell.h"
#include "../svc/cfg.h"
#include "../svc/endpoint.h"
#include "../svc/mqtt.h"
#include "../svc/notify.h"
#include "../svc/node.h"
#include "../svc/sched.h"
#include "../svc/syslog.h"

#include <stdbool.h>
#include <stdint.h>

struct app_options {
    const char *data_dir;  /* the node's data folder */
    const char *bind_addr; /* listen address, "0.0.0.0" by default */
    int port;              /* shell port override, -1 = socport from config */
    int webport;           /* HTTP port override, -1 = webport from config */
    int maxconn;           /* client table size override (1..CLIENT_MAX), 0 = aioqueue's */
};

enum app_exit { APP_EXIT = 0, APP_REBOOT = 1, APP_FAILED = 2 };

struct app {
    struct app_options opt;
    struct ev_loop loop;
    struct cfg cfg;
    struct syslog log;
    struct node node;
    struct admit admit;
    struct shell shell;
    struct tasks *tasks;
    struct intercon *intercon; /* InterCon client (>>host) */
    struct sched sched;        /* clock, cron, timirq, irq inputs, boothook */
    bool is_loaded[64];
    bool is_reboot_requested;
    bool is_reboot_hard;
    struct ev_timer reboot_timer;
    struct endpoints endpoints; /* module HTTP endpoints */
    struct luamods *luamods;    /* Lua Load Modules (data/modules/LM_*.lua) */
    struct http_server http;    /* started when webui is True */
    struct persist persist;     /* write-behind for module state files */
    struct mqtt *mqtt;          /* MQTT client (svc/mqtt.h) */
    struct notify *notify;      /* notifications (svc/notify.h) */
};

/* Loads the config from opt->data_dir and starts every service. Returns 0, or ERR_* after
 * logging a clear reason (e.g. the shell port is in use). */
int app_init(struct app *app, const struct app_options *opt);
/* Runs the node until it is stopped (APP_EXIT) or asked to reboot (APP_REBOOT). */
enum app_exit app_run(struct app *app);
/* Closes every socket and frees everything app_init made. */
void app_deinit(struct app *app);

#endif
