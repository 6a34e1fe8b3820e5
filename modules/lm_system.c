/* lm_system.c - the built-in Load Module `system` (COMPAT §8): the node's memory, disk, CPU,
 * clock, network and alarms, with the real values of the machine it runs on.
 *
 * Local time comes from the node's clock (svc/clock: the `tz` rule, else UTC plus the `utc`
 * key in minutes, as on micrOS); `sun` from the NOAA sun engine and `geoloc`; `notifications` and
 * `notify` go to the node's Notify (svc/notify.h: Telegram, webhook, MQTT). */
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_sys.h"
#include "../hal/hal_time.h"
#include "../svc/bundle.h"
#include "../svc/cfg.h"
#include "../svc/clock.h"
#include "../svc/lm.h"
#include "../svc/sched.h"
#include "../svc/sun.h"
#include "../svc/pinmap.h"
#include "../svc/val.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALARMS_MAX_FILES 32          /* log files listed by alarms */
#define ALARMS_FILE_MAX  (16 * 1024) /* largest log file alarms reads */

/* The node's clock (svc/sched: `tz` or `utc`), or a fixed `utc` offset when the node runs
 * without the time services (unit tests). */
static const struct clock *node_clock(struct node *node, struct clock *tmp)
{
    if (node->sched)
        return &node->sched->clock;
    clock_init(tmp);
    clock_set_utc_minutes(tmp, node->cfg ? cfg_get_int(node->cfg, CFG_K_utc) : 0);
    return tmp;
}

static void local_now(struct node *node, struct clock_tm *t)
{
    struct clock tmp;
    const struct clock *c = node_clock(node, &tmp);
    clock_local(c, clock_now(c), t);
}

/* (Y, M, D, h, m, s, wd, yd): MicroPython's localtime() tuple. */
static struct val *time_tuple(struct arena *a, const struct clock_tm *t)
{
    struct val *tup = val_tuple(a);
    val_append(tup, val_int(a, t->year));
    val_append(tup, val_int(a, t->month));
    val_append(tup, val_int(a, t->mday));
    val_append(tup, val_int(a, t->hour));
    val_append(tup, val_int(a, t->minute));
    val_append(tup, val_int(a, t->sec));
    val_append(tup, val_int(a, t->wday));
    val_append(tup, val_int(a, t->yday));
    return tup;
}

/* --- measurements --- */

static double percent1(uint64_t part, uint64_t whole)
{
    return whole ? round((double)part * 1000.0 / (double)whole) / 10.0 : 0.0;
}

static int mem_usage(double *percent, uint64_t *used)
{
    uint64_t total = 0;
    int rc = hal_sys_mem(used, &total);
    if (rc < 0)
        return rc;
    *percent = percent1(*used, total);
    return 0;
}

static int disk_usage(struct node *node, double *percent, uint64_t *used)
{
    uint64_t total = 0;
    int rc = hal_fs_usage(node->data_dir, &total, used);
    if (rc < 0)
        return rc;
    *percent = percent1(*used, total);
    return 0;
}

/* Fills the three `top` items into d. */
static int top_items(struct lm_ctx *ctx, struct val *d)
{
    double mem = 0, fs = 0;
    uint64_t used = 0;
    int load = 0;
    int rc = mem_usage(&mem, &used);
    if (rc < 0)
        return lm_error(ctx, "memory usage: %s", err_str(rc));
    rc = disk_usage(ctx->node, &fs, &used);
    if (rc < 0)
        return lm_error(ctx, "disk usage: %s", err_str(rc));
    hal_sys_cpu_load(&load);
    val_dict_set(ctx->arena, d, "Mem usage [%]", val_float(ctx->arena, mem));
    val_dict_set(ctx->arena, d, "FS usage [%]", val_float(ctx->arena, fs));
    val_dict_set(ctx->arena, d, "CPU load [%]", val_int(ctx->arena, load));
    return 0;
}

/* --- functions, in micrOS's help order --- */

static int fn_info(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    if (top_items(ctx, d) < 0)
        return ERR_INVAL;
    struct arena *a = ctx->arena;
    int mhz = 0;
    hal_sys_cpu_mhz(&mhz);
    char version[256] = "n/a", machine[64] = "n/a";
    hal_sys_uname(version, sizeof version, machine, sizeof machine);
    uint64_t up = (hal_mono_ms() - ctx->node->boot_ms) / 1000;
    struct hal_ifinfo ifi = {0};
    hal_sys_ifconfig(&ifi);
    val_dict_set(a, d, "CPU clock [MHz]", val_int(a, mhz));
    val_dict_set(a, d, "upython", val_str(a, version));
    val_dict_set(a, d, "board", val_str(a, machine));
    val_dict_set(a, d, "uptime",
                 val_strf(a, "%llu %u:%u:%u", (unsigned long long)(up / 86400),
                          (unsigned)(up / 3600 % 24), (unsigned)(up / 60 % 60),
                          (unsigned)(up % 60)));
    val_dict_set(a, d, "mac", val_str(a, ifi.mac));
    return 0;
}

static int fn_top(struct lm_ctx *ctx)
{
    return top_items(ctx, lm_ret_dict(ctx));
}

static int fn_gclean(struct lm_ctx *ctx)
{
    uint64_t avail = 0;
    int rc = hal_sys_mem_avail(&avail);
    if (rc < 0)
        return lm_error(ctx, "free memory: %s", err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "GC MemFree[byte]", val_int(ctx->arena, (int64_t)avail));
    return 0;
}

static int fn_heartbeat(struct lm_ctx *ctx)
{
    return lm_ret_str(ctx, "<3 heartbeat <3");
}

static int fn_clock(struct lm_ctx *ctx)
{
    struct clock_tm t;
    local_now(ctx->node, &t);
    return lm_ret_strf(ctx, "%lld.%d.%d  %d:%d:%d\nWD: %d YD: %d", (long long)t.year, t.month,
                       t.mday, t.hour, t.minute, t.sec, t.wday, t.yday);
}

static int fn_setclock(struct lm_ctx *ctx)
{
    int64_t year = lm_int(ctx, "year"), month = lm_int(ctx, "month"), mday = lm_int(ctx, "mday");
    int64_t hour = lm_int(ctx, "hour"), minute = lm_int(ctx, "minute"), sec = lm_int(ctx, "sec");
    if (year < 1970 || year > 9999)
        return lm_error(ctx, "year out of range (1970-9999): %lld", (long long)year);
    if (month < 1 || month > 12)
        return lm_error(ctx, "month out of range (1-12): %lld", (long long)month);
    if (mday < 1 || mday > clock_month_days(year, (int)month))
        return lm_error(ctx, "mday out of range (1-%d): %lld", clock_month_days(year, (int)month),
                        (long long)mday);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59)
        return lm_error(ctx, "time out of range: %lld:%lld:%lld", (long long)hour,
                        (long long)minute, (long long)sec);
    int64_t local = clock_days_from_civil(year, (int)month, (int)mday) * 86400 + hour * 3600 +
                    minute * 60 + sec;
    struct clock tmp;
    int64_t utc = 0;
    clock_to_utc(node_clock(ctx->node, &tmp), local, &utc);
    int rc = hal_wall_set(utc);
    if (rc == ERR_PERM)
        return lm_error(ctx, "not permitted: the node may not set the system clock "
                             "(run as root or grant CAP_SYS_TIME)");
    if (rc < 0)
        return lm_error(ctx, "cannot set the clock: %s", err_str(rc));
    struct clock_tm t;
    local_now(ctx->node, &t);
    return lm_ret(ctx, time_tuple(ctx->arena, &t));
}

static int fn_ntp(struct lm_ctx *ctx)
{
    struct clock_tm t;
    local_now(ctx->node, &t);
    struct val *tup = val_tuple(ctx->arena);
    val_append(tup, val_bool(ctx->arena, hal_wall_synced()));
    val_append(tup, time_tuple(ctx->arena, &t));
    return lm_ret(ctx, tup);
}

static int fn_rssi(struct lm_ctx *ctx)
{
    int dbm = 0;
    struct val *d = lm_ret_dict(ctx);
    if (hal_sys_wifi_rssi(&dbm) < 0) {
        val_dict_set(ctx->arena, d, "Unavailable", val_int(ctx->arena, -90));
        return 0;
    }
    const char *word = dbm > -67   ? "Amazing"
                       : dbm > -70 ? "VeryGood"
                       : dbm > -80 ? "Okay"
                       : dbm > -90 ? "NotGood"
                                   : "Unusable";
    val_dict_set(ctx->arena, d, word, val_int(ctx->arena, dbm));
    return 0;
}

static int fn_list_stations(struct lm_ctx *ctx)
{
    /* The node is never a Wi-Fi access point on Linux. */
    struct val *station = val_tuple(ctx->arena);
    val_append(station, val_str(ctx->arena, "NoAP"));
    val_append(station, val_str(ctx->arena, ""));
    return lm_ret(ctx, val_append(val_list(ctx->arena), station));
}

/* The log files of alarms: names under logs/, sorted so the listing is stable. */
struct log_names {
    struct arena *arena;
    const char *suffix;
    char *names[ALARMS_MAX_FILES];
    size_t n;
};

static void collect_log(const char *name, bool is_dir, void *arg)
{
    struct log_names *ln = arg;
    size_t len = strlen(name), slen = strlen(ln->suffix);
    if (is_dir || len <= slen || strcmp(name + len - slen, ln->suffix) != 0 ||
        ln->n >= ALARMS_MAX_FILES)
        return;
    char *copy = arena_strndup(ln->arena, name, len);
    if (copy)
        ln->names[ln->n++] = copy;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_logs(struct lm_ctx *ctx, const char *dir, const char *suffix, struct log_names *ln)
{
    ln->arena = ctx->arena;
    ln->suffix = suffix;
    ln->n = 0;
    hal_fs_list(dir, collect_log, ln);
    qsort(ln->names, ln->n, sizeof ln->names[0], cmp_names);
}

/* Streams one log file as "\t<line>" pushes; returns how many lines hold [ERR]. */
static int64_t stream_log(struct lm_ctx *ctx, const char *path, char *text)
{
    long len = hal_fs_read(path, text, ALARMS_FILE_MAX);
    if (len == ERR_TOOBIG) {
        lm_push(ctx, "\t(file larger than %d bytes, not shown)", ALARMS_FILE_MAX);
        return 0;
    }
    if (len < 0)
        return 0;
    int64_t nerr = 0;
    for (const char *line = text; line < text + len;) {
        const char *end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end)
            end = text + len;
        struct str s = str_trim((struct str){line, (size_t)(end - line)});
        if (s.len) {
            if (str_contains(s, "[ERR]"))
                nerr++;
            lm_push(ctx, "\t%.*s", STR_FMT(s));
        }
        line = end + 1;
    }
    return nerr;
}

static int fn_alarms(struct lm_ctx *ctx)
{
    char dir[600], path[700];
    struct log_names ln;
    snprintf(dir, sizeof dir, "%s/logs", ctx->node->data_dir);
    if (lm_bool(ctx, "clean")) {
        list_logs(ctx, dir, ".log", &ln);
        for (size_t i = 0; i < ln.n; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, ln.names[i]);
            lm_push(ctx, " Delete: /logs/%s", ln.names[i]);
            hal_fs_remove(path);
        }
    }
    char *text = arena_alloc(ctx->arena, ALARMS_FILE_MAX);
    if (!text)
        return lm_error(ctx, "memory allocation failed");
    list_logs(ctx, dir, ".sys.log", &ln);
    int64_t nerr = 0;
    for (size_t i = 0; i < ln.n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, ln.names[i]);
        lm_push(ctx, "/logs/%s", ln.names[i]);
        nerr += stream_log(ctx, path, text);
    }
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, nerr > 0 ? "NOK alarm" : "OK alarm", val_int(ctx->arena, nerr));
    return 0;
}

/* One sun event of today (local) as micrOS's (h, m, s) tuple, or the polar state. */
static struct val *sun_item(struct lm_ctx *ctx, const struct clock *c, double lat, double lon,
                            enum sun_event ev, int64_t from)
{
    int64_t at = 0;
    enum sun_state st = sun_next(lat, lon, ev, from, &at);
    if (st != SUN_OK)
        return val_str(ctx->arena, sun_state_str(st));
    struct clock_tm t;
    clock_local(c, at, &t);
    struct val *tup = val_tuple(ctx->arena);
    val_append(tup, val_int(ctx->arena, t.hour));
    val_append(tup, val_int(ctx->arena, t.minute));
    val_append(tup, val_int(ctx->arena, t.sec));
    return tup;
}

/* Today's sunrise and sunset in local time, computed on the node (no network: refresh has
 * nothing to fetch and is accepted for compatibility). */
static int fn_sun(struct lm_ctx *ctx)
{
    const char *geo = ctx->node->cfg ? cfg_get_str(ctx->node->cfg, CFG_K_geoloc) : "n/a";
    double lat = 0, lon = 0;
    if (!sun_parse_geoloc(geo, &lat, &lon))
        return lm_error(ctx, "geoloc is not set: conf, then geoloc \"<lat>,<lon>\" "
                             "(e.g. 47.4979,19.0402)");
    struct clock tmp;
    const struct clock *c = node_clock(ctx->node, &tmp);
    struct clock_tm t;
    clock_local(c, clock_now(c), &t);
    t.hour = t.minute = t.sec = 0;
    int64_t midnight = 0;
    clock_to_utc(c, clock_epoch_from_tm(&t), &midnight);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "sunrise", sun_item(ctx, c, lat, lon, SUN_RISE, midnight));
    val_dict_set(ctx->arena, d, "sunset", sun_item(ctx, c, lat, lon, SUN_SET, midnight));
    return 0;
}

static int fn_ifconfig(struct lm_ctx *ctx)
{
    struct hal_ifinfo ifi = {0};
    struct arena *a = ctx->arena;
    bool is_up = hal_sys_ifconfig(&ifi) == 0;
    struct val *addr = val_tuple(a);
    val_append(addr, val_str(a, ifi.ip));
    val_append(addr, val_str(a, ifi.mask));
    val_append(addr, val_str(a, ifi.gw));
    val_append(addr, val_str(a, ifi.dns));
    struct val *tup = val_tuple(a);
    val_append(tup, val_str(a, is_up ? "STA" : "n/a"));
    val_append(tup, addr);
    return lm_ret(ctx, tup);
}

static int fn_memory_usage(struct lm_ctx *ctx)
{
    double percent = 0;
    uint64_t used = 0;
    int rc = mem_usage(&percent, &used);
    if (rc < 0)
        return lm_error(ctx, "memory usage: %s", err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "percent", val_float(ctx->arena, percent));
    val_dict_set(ctx->arena, d, "mem_used", val_int(ctx->arena, (int64_t)used));
    return 0;
}

static int fn_disk_usage(struct lm_ctx *ctx)
{
    double percent = 0;
    uint64_t used = 0;
    int rc = disk_usage(ctx->node, &percent, &used);
    if (rc < 0)
        return lm_error(ctx, "disk usage: %s", err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "percent", val_float(ctx->arena, percent));
    val_dict_set(ctx->arena, d, "fs_used", val_int(ctx->arena, (int64_t)used));
    return 0;
}

static int fn_hosts(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    struct val *cache = val_dict(ctx->arena);
    if (ctx->node && ctx->node->hosts)
        ctx->node->hosts(ctx->node, ctx->arena, cache);
    val_dict_set(ctx->arena, d, "intercon", cache);
    return 0;
}

/* mdns: the node's mDNS announcement (host name, services, daemon state). */
static int fn_mdns(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    if (ctx->node && ctx->node->mdns_facts)
        ctx->node->mdns_facts(ctx->node, ctx->arena, d);
    else
        val_dict_set(ctx->arena, d, "state", val_str(ctx->arena, "off"));
    return 0;
}

/* metrics: the Prometheus exposition text of GET /metrics (for gateways on the shell). */
static int fn_metrics(struct lm_ctx *ctx)
{
    if (!ctx->node || !ctx->node->metrics_text)
        return lm_error(ctx, "metrics are not available");
    struct buf b;
    buf_init(&b, 256 * 1024);
    int rc = ctx->node->metrics_text(ctx->node, &b);
    if (rc < 0) {
        buf_free(&b);
        return lm_error(ctx, "metrics: %s", err_str(rc));
    }
    struct val *v = val_strn(ctx->arena, b.p ? b.p : "", b.len);
    buf_free(&b);
    return v ? lm_ret(ctx, v) : lm_error(ctx, "metrics: out of memory");
}

/* Takes the first CPU sample, so that the first `top` already reports the load since load. */
static int system_load(struct node *node)
{
    int load;
    (void)node;
    hal_sys_cpu_load(&load);
    return 0;
}

/* pinmap keys=None: the map, booked and custom pins; with keys ("builtin irq1"), those pins. */
static int fn_pinmap(struct lm_ctx *ctx)
{
    const char *keys = lm_str(ctx, "keys");
    return lm_ret(ctx, keys ? pinmap_search(ctx->arena, keys) : pinmap_info(ctx->arena));
}

/* notifications enable=None: micrOS's global switch, "Notifications[<channels>]: enabled". */
static int fn_notifications(struct lm_ctx *ctx)
{
    if (!ctx->node->notify)
        return lm_ret_str(ctx, "Notifications[]: disabled");
    enum node_notify_op op = lm_is_none(ctx, "enable") ? NODE_NOTIFY_QUERY
                             : lm_bool(ctx, "enable")  ? NODE_NOTIFY_ON
                                                       : NODE_NOTIFY_OFF;
    char out[300];
    ctx->node->notify(ctx->node, op, NULL, out, sizeof out);
    return lm_ret_str(ctx, out);
}

/* notify "msg": fans the text out to every enabled channel; never waits for them. */
static int fn_notify(struct lm_ctx *ctx)
{
    if (!ctx->node->notify)
        return lm_ret_str(ctx, "Notifications disabled");
    const char *text = lm_str(ctx, "text");
    char out[300];
    ctx->node->notify(ctx->node, NODE_NOTIFY_SEND, text ? text : "None", out, sizeof out);
    return lm_ret_str(ctx, out);
}

/* `system update`: the self-update state (svc/update.h writes <data>/update/state). */
static int fn_update(struct lm_ctx *ctx)
{
    struct arena *a = ctx->arena;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(a, d, "version", val_str(a, ctx->node->version));
    char path[1100], text[1024];
    snprintf(path, sizeof path, "%s/update/state", ctx->node->data_dir);
    char bphase[32], bresult[400];
    bundle_status(ctx->node->data_dir, bphase, sizeof bphase, bresult, sizeof bresult);
    if (bphase[0]) { /* the last update bundle (modules + web files), svc/bundle.h */
        val_dict_set(a, d, "bundle", val_str(a, bphase));
        val_dict_set(a, d, "bundle_result", val_str(a, bresult));
    }
    long n = hal_fs_read(path, text, sizeof text);
    if (n <= 0) {
        val_dict_set(a, d, "state", val_str(a, "never updated"));
        return 0;
    }
    static const char *const keys[][2] = {
        {"phase", "state"}, {"from", "previous"}, {"to", "updated_to"}, {"result", "last_result"}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        size_t kl = strlen(keys[k][0]);
        for (char *line = text; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            if (len > kl && strncmp(line, keys[k][0], kl) == 0 && line[kl] == '=')
                val_dict_set(a, d, keys[k][1], val_strn(a, line + kl + 1, len - kl - 1));
            line = nl ? nl + 1 : NULL;
        }
    }
    return 0;
}

static const struct lm_func s_funcs[] = {
    {.name = "info",
     .fn = fn_info,
     .measures = LM_MEASURES({"Mem usage [%]", "%", NULL}, {"FS usage [%]", "%", NULL},
                             {"CPU load [%]", "%", NULL}, {"CPU clock [MHz]", "MHz", "frequency"})},
    {.name = "top", .fn = fn_top, .widget = "GRAPH{\"refresh\": 5000}"},
    {.name = "gclean", .fn = fn_gclean},
    {.name = "heartbeat", .fn = fn_heartbeat},
    {.name = "clock", .fn = fn_clock},
    {.name = "setclock",
     .fn = fn_setclock,
     .params = LM_PARAMS({"year", LM_INT, NULL, NULL}, {"month", LM_INT, NULL, NULL},
                         {"mday", LM_INT, NULL, NULL}, {"hour", LM_INT, NULL, NULL},
                         {"minute", LM_INT, NULL, NULL}, {"sec", LM_INT, NULL, NULL}),
     .flags = LM_SUDO}, /* sets the host's clock: needs pwd= (docs/web.md) */
    {.name = "ntp", .fn = fn_ntp},
    {.name = "rssi", .fn = fn_rssi},
    {.name = "list_stations", .fn = fn_list_stations},
    {.name = "pinmap", .fn = fn_pinmap, .params = LM_PARAMS({"keys", LM_STR, "None", NULL})},
    {.name = "alarms",
     .fn = fn_alarms,
     .params = LM_PARAMS({"clean", LM_BOOL, "False", NULL}),
     .flags = LM_SUDO_IF_FIRST}, /* clean=True deletes the logs: needs pwd= */
    {.name = "notifications",
     .fn = fn_notifications,
     .params = LM_PARAMS({"enable", LM_BOOL, "None", "None,True,False"})},
    {.name = "notify", .fn = fn_notify, .params = LM_PARAMS({"text", LM_STR, NULL, NULL})},
    {.name = "sun", .fn = fn_sun, .params = LM_PARAMS({"refresh", LM_BOOL, "False", NULL})},
    {.name = "ifconfig", .fn = fn_ifconfig},
    {.name = "memory_usage", .fn = fn_memory_usage},
    {.name = "disk_usage", .fn = fn_disk_usage},
    {.name = "hosts", .fn = fn_hosts},
    {.name = "mdns", .fn = fn_mdns},
    {.name = "metrics", .fn = fn_metrics},
    {.name = "update", .fn = fn_update},
    {.name = NULL},
};

const struct lm_module lm_system = {.name = "system", .funcs = s_funcs, .load = system_load};
