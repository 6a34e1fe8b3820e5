/* app.c - start-up and wiring of a node. */
#include "app.h"
#include "../svc/secret.h"

#include "../svc/luamod.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../hal/hal_bus.h"
#include "../hal/hal_gpio.h"
#include "../hal/hal_httpc.h"
#include "../hal/hal_sim.h"
#include "../hal/hal_sys.h"
#include "../modules/modules.h"
#include "../hal/hal_update.h"
#include "../svc/cfg_web.h"
#include "../net/conn.h"
#include "../svc/bundle.h"
#include "../svc/update.h"
#include "../net/http_webload.h"
#include "app_metrics.h"
#include "app_mdns.h"
#include "../net/intercon.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/luamod.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* micrOS clamps the task queue to what the heap can hold: 5..20 (COMPAT §4). */
#define AIOQUEUE_MIN 5
#define AIOQUEUE_MAX 20

static void on_push(struct node *node, const char *text)
{
    struct app *app = node->app;
    shell_push(&app->shell, text);
}

/* The built-in `server` task shows the admitted clients (micrOS: "S1.73:51234, ..."). */
static void show_clients(void *arg, struct buf *out)
{
    struct app *app = arg;
    admit_ids(&app->admit, out);
}

static int64_t on_reboot_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)t;
    ev_stop(loop);
    return EV_DONE;
}

/* Reboot once the reply ("Bye!") has had a moment to leave. */
/* log_filter_fn: masks appwd/stapwd in every console and syslog line. */
static void redact(char *line, size_t cap, void *arg)
{
    secret_redact(arg, line, cap);
}

static void on_reboot(struct node *node, bool hard)
{
    struct app *app = node->app;
    app->is_reboot_requested = true;
    app->is_reboot_hard = hard;
    ev_timer_start(&app->loop, &app->reboot_timer, 100, on_reboot_timer);
}

/* hwuid = "micr" + 12 hex digits + "OS", generated once and then kept in the config
 * (COMPAT §1.3). The digits hash the machine id with the data folder: two nodes on one
 * machine are two devices to micrOS's clients and the gateway, which key their caches by it. */
static void ensure_hwuid(struct app *app, const char *data_dir)
{
    const char *cur = cfg_get_str(&app->cfg, CFG_K_hwuid);
    if (strncmp(cur, "micr", 4) == 0)
        return;
    char hex[65];
    if (hal_sys_machine_id(hex, sizeof hex) < 0) {
        LOG_W("no machine id: hwuid stays %s", cur);
        return;
    }
    struct sha256 h;
    uint8_t digest[32];
    sha256_init(&h);
    sha256_update(&h, hex, strlen(hex));
    sha256_update(&h, "\n", 1);
    sha256_update(&h, data_dir, strlen(data_dir));
    sha256_final(&h, digest);
    sha256_hex(digest, hex);
    char uid[80];
    snprintf(uid, sizeof uid, "micr%.12sOS", hex);
    cfg_put_str(&app->cfg, CFG_K_hwuid, uid);
}

/* The effective task queue and client limit: configured value clamped, written back. */
static size_t clamp_aioqueue(struct app *app)
{
    int64_t q = cfg_get_int(&app->cfg, CFG_K_aioqueue);
    int64_t eff = q < AIOQUEUE_MIN ? q : q > AIOQUEUE_MAX ? AIOQUEUE_MAX : q;
    if (eff < 1)
        eff = 1;
    if (eff != q) {
        syslog_write(&app->log, "[WARN] aioqueue %lld clamped to %lld", (long long)q,
                     (long long)eff);
        cfg_put_int(&app->cfg, CFG_K_aioqueue, eff);
    }
    return (size_t)eff;
}

/* The port a server listens on: the command-line override, else the config key. Returns the
 * port, or ERR_RANGE (logged) when the value is not a TCP port. */
static int listen_port(int override, const struct cfg *cfg, enum cfg_key_id key)
{
    int64_t port = override >= 0 ? override : cfg_get_int(cfg, key);
    if (port < 0 || port > 65535) {
        LOG_E("%s %lld is not a TCP port", cfg_schema[key].name, (long long)port);
        return ERR_RANGE;
    }
    return (int)port;
}

/* Logs how starting the server called name on port went (rc from its start function, bound =
 * the port it got) to the console, and a failure to the syslog too. Returns rc. */
static int report_listen(struct app *app, const char *name, int port, int rc, uint16_t bound)
{
    if (rc < 0) {
        LOG_E("%s: cannot listen on %s:%d: %s", name, app->opt.bind_addr, port, err_str(rc));
        syslog_write(&app->log, "[ERR] %s: cannot listen on port %d: %s", name, port, err_str(rc));
        return rc;
    }
    LOG_I("%s listening on %s:%u", name, app->opt.bind_addr, (unsigned)bound);
    return 0;
}

/* node->web_load: `web load` / `fileserver load` register their routes on the server. */
static int app_web_load(struct node *node, unsigned what, struct buf *out)
{
    struct app *app = node->app;
    return http_web_load(&app->endpoints, node, what, out);
}

/* WebCli (when webui is True): the config endpoints (and the file server when config
 * fileserver is True), then the HTTP server on webport. */
static int app_start_web(struct app *app)
{
    endpoints_init(&app->endpoints);
    app->node.endpoints = &app->endpoints;
    if (app_metrics_start(app) < 0)
        LOG_W("metrics: cannot register /metrics");
    if (!cfg_get_bool(&app->cfg, CFG_K_webui))
        return 0;
    cfg_web_register(&app->endpoints, &app->node);
    update_register(&app->endpoints, &app->node);
    bundle_register(&app->endpoints, &app->node);
    app->node.web_load = app_web_load;
    if (cfg_get_bool(&app->cfg, CFG_K_fileserver)) {
        struct buf lines;
        buf_init(&lines, 1024);
        int frc = http_web_load(&app->endpoints, &app->node, NODE_WEB_FILESERVER | NODE_WEB_MOUNTS,
                                &lines);
        if (frc < 0)
            LOG_W("fileserver: %s", err_str(frc));
        buf_free(&lines);
    }
    int port = listen_port(app->opt.webport, &app->cfg, CFG_K_webport);
    if (port < 0)
        return port;
    int64_t max_con = cfg_get_int(&app->cfg, CFG_K_webui_max_con);
    int rc = http_start(&app->http, &app->node, &app->admit, &app->endpoints, app->opt.bind_addr,
                        (uint16_t)port, max_con > 0 ? (size_t)max_con : 1);
    return report_listen(app, "http", port, rc, app->http.port);
}

/* Pins: the backend from `gpiochip` (a missing chip keeps the simulated bank running), the
 * pin map from `boardmap`/`cstmpmap`, and the built-in LED booked as on micrOS. */
static void start_gpio(struct app *app)
{
    const char *chip = cfg_get_str(&app->cfg, CFG_K_gpiochip);
    int rc = hal_gpio_init(&app->loop, chip);
    if (rc < 0)
        syslog_write(&app->log, "[ERR] gpio: backend %s: %s, using simulated pins", chip,
                     err_str(rc));
    rc = pinmap_init(cfg_get_str(&app->cfg, CFG_K_boardmap), cfg_get_str(&app->cfg, CFG_K_cstmpmap),
                     hal_sim_is_active() ? "esp32" : "rpi");
    if (rc < 0)
        syslog_write(&app->log, "[WARN] pinmap: %s in boardmap/cstmpmap, map %s", err_str(rc),
                     pinmap_name());
    /* Buses: simulated devices (the whole kit plugged in) or the kernel's /dev nodes. */
    const char *bus = cfg_get_str(&app->cfg, CFG_K_busdev);
    if (!bus || strcmp(bus, "auto") == 0 || strcmp(bus, "n/a") == 0)
        bus = hal_sim_is_active() ? "sim" : "linux";
    if (hal_bus_init(&app->loop, bus) < 0) {
        syslog_write(&app->log, "[ERR] busdev: unknown backend '%s', using simulated devices", bus);
        hal_bus_init(&app->loop, "sim");
    }
    if (strcmp(hal_bus_backend(), "sim") == 0)
        hal_sim_plug_kit();
    char err[128];
    if (pinmap_get("builtin") >= 0 && pinmap_bind("builtin", -1, err, sizeof err) >= 0)
        hal_gpio_setup(pinmap_get("builtin"), HAL_PIN_OUT);
    LOG_I("gpio: %s, buses: %s, pin map %s", hal_gpio_backend(), hal_bus_backend(), pinmap_name());
}

/* The HTTP(S) client for webhooks, Telegram and downloads, with the test overrides. */
static void start_httpc(struct app *app)
{
    int rc = hal_httpc_init(&app->loop, HTTPC_MAX_INFLIGHT);
    if (rc < 0) {
        LOG_W("http client: %s", err_str(rc));
        return;
    }
    const char *ca = cfg_get_str(&app->cfg, CFG_K_httpc_ca);
    hal_httpc_set_ca(strcmp(ca, "n/a") == 0 ? NULL : ca);
    const char *base = cfg_get_str(&app->cfg, CFG_K_httpc_base);
    hal_httpc_set_base(strcmp(base, "n/a") == 0 ? NULL : base);
}

int app_init(struct app *app, const struct app_options *opt)
{
    memset(app, 0, sizeof *app);
    app->opt = *opt;
    if (!app->opt.bind_addr)
        app->opt.bind_addr = "0.0.0.0";
    int rc = ev_init(&app->loop, EV_MAX_FDS, EV_MAX_TIMERS);
    if (rc < 0) {
        LOG_E("event loop: %s", err_str(rc));
        return rc;
    }
    rc = cfg_init(&app->cfg, opt->data_dir);
    if (rc < 0) {
        LOG_E("data folder %s: %s", opt->data_dir, err_str(rc));
        return rc;
    }
    log_set_filter(redact, &app->cfg);
    syslog_init(&app->log, opt->data_dir);
    if (cfg_problem(&app->cfg)) /* reported in system alarms, greeting and web UI */
        syslog_write(&app->log, "[ERR] config: %s", cfg_problem(&app->cfg));
    app->log.utc_offset_s = cfg_get_int(&app->cfg, CFG_K_utc) * 60;
    int64_t netbuf_kb = cfg_get_int(&app->cfg, CFG_K_netbuf_kb);
    conn_set_out_cap(netbuf_kb > 0 ? (size_t)netbuf_kb * 1024u : 0);
    int64_t persist_ms = cfg_get_int(&app->cfg, CFG_K_persist_ms);
    persist_init(&app->persist, &app->loop, &app->log, persist_ms > 0 ? (uint64_t)persist_ms : 0);
    ensure_hwuid(app, opt->data_dir);
    cfg_put_str(&app->cfg, CFG_K_version, MICROS_VERSION);

    struct node *node = &app->node;
    node->loop = &app->loop;
    node->cfg = &app->cfg;
    node->log = &app->log;
    auth_init(&app->auth, &app->log);
    node->auth = &app->auth;
    node->data_dir = opt->data_dir;
    node->version = MICROS_VERSION;
    node->is_release = MICROS_RELEASE;
    node->boot_ms = ev_update_now(&app->loop);
    node->push = on_push;
    node->reboot = on_reboot;
    node->app = app;
    node->modules = modules_builtin;
    node->is_loaded = app->is_loaded;
    node->persist = &app->persist;
    if (modules_builtin_count > sizeof app->is_loaded / sizeof app->is_loaded[0]) {
        LOG_E("too many built-in modules");
        return ERR_FULL;
    }
    app->luamods = luamods_new(node);
    if (!app->luamods)
        return ERR_NOMEM;
    syslog_write(&app->log, "[BOOT] info: micrOS-C %s started, data %s", MICROS_VERSION,
                 opt->data_dir);

    start_gpio(app);
    start_httpc(app);

    size_t limit = clamp_aioqueue(app);
    /* --maxconn raises the client table for big deployments; the task queue keeps aioqueue. */
    size_t clients = opt->maxconn > 0 && opt->maxconn <= CLIENT_MAX ? (size_t)opt->maxconn : limit;
    /* A logged-in owner is kept soctout seconds idle (micrOS; at least 5). */
    int64_t soctout = cfg_get_int(&app->cfg, CFG_K_soctout);
    rc = admit_init(&app->admit, clients, CLIENT_IDLE_GRACE_MS,
                    (uint64_t)(soctout < 5 ? 5 : soctout) * 1000u);
    if (rc < 0)
        return rc;
    app->tasks = calloc(1, sizeof *app->tasks);
    if (!app->tasks)
        return ERR_NOMEM;
    rc = task_init(app->tasks, node, (int)limit, cfg_get_bool(&app->cfg, CFG_K_ha));
    if (rc < 0) {
        LOG_E("task manager: %s", err_str(rc));
        return rc;
    }
    node->tasks = app->tasks;
    task_server_set(app->tasks, show_clients, app);

    int port = listen_port(opt->port, &app->cfg, CFG_K_socport);
    if (port < 0)
        return port;
    rc = shell_start(&app->shell, node, &app->admit, app->opt.bind_addr, (uint16_t)port);
    if (report_listen(app, "shell", port, rc, app->shell.port) < 0)
        return rc;

    /* A web port in use must not take the shell down with it: the node runs without HTTP. */
    if (app_start_web(app) < 0)
        LOG_E("web UI and REST API are off for this run; the shell keeps serving");
    /* InterCon calls peers on our own shell port unless >>host:port says otherwise. */
    app->intercon = calloc(1, sizeof *app->intercon);
    if (!app->intercon)
        return ERR_NOMEM;
    intercon_init(app->intercon, node, app->shell.port);
    node->intercon_arg = app->intercon;
    node->intercon = intercon_run;
    node->hosts = intercon_hosts;

    /* Time services and the irq1-4 inputs on the node's pins (started above). */
    static const struct irq_gpio gpio = {hal_gpio_setup, hal_gpio_watch, hal_gpio_unwatch,
                                         pinmap_get};
    rc = sched_init(&app->sched, node, &gpio);
    if (rc < 0)
        return rc;
    node->sched = &app->sched;
    /* Notifications and the MQTT client (before boothook, so its commands can notify). */
    app->notify = calloc(1, sizeof *app->notify);
    app->mqtt = calloc(1, sizeof *app->mqtt);
    if (!app->notify || !app->mqtt)
        return ERR_NOMEM;
    notify_init(app->notify, node);
    if (mqtt_init(app->mqtt, node) < 0)
        return ERR_NOMEM;
    node->mqtt = app->mqtt;
    sched_boothook(&app->sched);
    /* A self-update on trial confirms only when every configured service listens. */
    bool web_ok = !cfg_get_bool(&app->cfg, CFG_K_webui) || app->http.node != NULL;
    update_started(node, hal_update_is_trial() && web_ok);
    app_mdns_start(app);
    return 0;
}

enum app_exit app_run(struct app *app)
{
    ev_run(&app->loop);
    return app->is_reboot_requested ? APP_REBOOT : APP_EXIT;
}

void app_deinit(struct app *app)
{
    if (app->mqtt) {
        mqtt_deinit(app->mqtt);
        free(app->mqtt);
        app->mqtt = NULL;
        app->node.mqtt = NULL;
    }
    if (app->notify) {
        notify_deinit(app->notify);
        free(app->notify);
        app->notify = NULL;
    }
    app_mdns_stop(app);
    http_stop(&app->http);
    shell_stop(&app->shell);
    sched_deinit(&app->sched);
    app->node.sched = NULL;
    if (app->intercon) {
        intercon_deinit(app->intercon);
        free(app->intercon);
        app->intercon = NULL;
        app->node.intercon = NULL;
    }
    if (app->tasks) {
        task_deinit(app->tasks);
        free(app->tasks);
        app->tasks = NULL;
        app->node.tasks = NULL;
    }
    luamods_free(app->luamods);
    app->luamods = NULL;
    admit_deinit(&app->admit);
    persist_deinit(&app->persist); /* unsaved module state reaches the disk before exit/reboot */
    app->node.persist = NULL;
    hal_httpc_deinit();
    hal_bus_deinit();
    hal_gpio_deinit();
    cfg_deinit(&app->cfg);
    ev_deinit(&app->loop);
}
