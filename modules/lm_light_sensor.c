/* lm_light_sensor.c - Load Module `light_sensor`: TEMT6000 ambient light on an ADC pin
 * (micrOS LM_light_sensor: pin temp6000, 20-sample averages). subscribe_intercon sends an
 * on/off command to another node when the light crosses a threshold, as the native task
 * `light_sensor.intercon`. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LS_SAMPLES 20
#define LS_TAG     "light_sensor.intercon"
#define LS_CMD_MAX 256

static struct {
    struct node *node;
    int pin; /* -1 until bound */
    struct ev_timer timer;
    int task_id;
    char on[LS_CMD_MAX], off[LS_CMD_MAX];
    int threshold, tolerance;
    int last; /* 0 none, 1 on sent, 2 off sent */
    uint32_t period_ms;
} s_ls = {.pin = -1, .task_id = -1, .threshold = 4, .tolerance = 2, .period_ms = 60000};

static int load_hook(struct node *node)
{
    s_ls.node = node;
    return 0;
}

static int bind(struct lm_ctx *ctx)
{
    char err[128];
    if (s_ls.pin >= 0)
        return 0;
    int pin = pinmap_bind("temp6000", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    s_ls.pin = pin;
    return 0;
}

/* Average of LS_SAMPLES raw readings, or ERR_*. */
static int sample(double *raw)
{
    double sum = 0;
    for (int i = 0; i < LS_SAMPLES; i++) {
        uint32_t r;
        int rc = hal_adc_read(s_ls.pin, &r);
        if (rc < 0)
            return rc;
        sum += r;
    }
    *raw = sum / LS_SAMPLES;
    return 0;
}

/* Binds the sensor and takes one averaged sample into raw. Returns 0 or ERR_* (call failed). */
static int read_raw(struct lm_ctx *ctx, double *raw)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    int rc = sample(raw);
    if (rc < 0)
        return lm_error(ctx, "ADC read failed: %s", err_str(rc));
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "TEMPT6000 light sensor module - loaded");
}

static int fn_intensity(struct lm_ctx *ctx)
{
    double raw = 0;
    int rc = read_raw(ctx, &raw);
    if (rc < 0)
        return rc;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "light intensity [%]",
                 val_float(ctx->arena, round(raw * 1000 / HAL_ADC_MAX) / 10));
    return 0;
}

static int fn_illuminance(struct lm_ctx *ctx)
{
    double raw = 0;
    int rc = read_raw(ctx, &raw);
    if (rc < 0)
        return rc;
    /* volts across the 10 kOhm divider -> microamps -> 2 lux per microamp (TEMT6000) */
    double volts = round(raw * 3.3 / HAL_ADC_MAX * 10) / 10;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "illuminance [lux]",
                 val_strf(ctx->arena, "%.2f", volts / 10000.0 * 1e6 * 2.0));
    return 0;
}

/* Sends "host cmd..." as "cmd... >>host" through the executor. */
static void send(const char *hostcmd)
{
    char line[LS_CMD_MAX + 80];
    const char *sp = strchr(hostcmd, ' ');
    if (!sp)
        return;
    snprintf(line, sizeof line, "%s >>%.*s", sp + 1, (int)(sp - hostcmd), hostcmd);
    exec_pipe(s_ls.node, str_c(line), EXEC_TASK, NULL, NULL);
}

static int64_t watch_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    double raw;
    if (sample(&raw) < 0)
        return s_ls.period_ms;
    int pct = (int)(raw * 100 / HAL_ADC_MAX);
    char out[128];
    out[0] = '\0';
    if (pct <= s_ls.threshold && s_ls.last != 1) {
        send(s_ls.on);
        s_ls.last = 1;
        snprintf(out, sizeof out, "%d%% <= threshold: %d%% - ON", pct, s_ls.threshold);
    } else if (pct > s_ls.threshold + s_ls.tolerance && s_ls.last != 2) {
        send(s_ls.off);
        s_ls.last = 2;
        snprintf(out, sizeof out, "%d%% > threshold: %d%% - OFF", pct,
                 s_ls.threshold + s_ls.tolerance);
    }
    if (out[0] && s_ls.node->tasks && s_ls.task_id >= 0)
        task_native_set_output(s_ls.node->tasks, s_ls.task_id, out, strlen(out));
    return s_ls.period_ms;
}

static void watch_kill(void *arg)
{
    (void)arg;
    ev_timer_stop(s_ls.node->loop, &s_ls.timer);
    s_ls.task_id = -1;
}

static int fn_subscribe_intercon(struct lm_ctx *ctx)
{
    const char *on = lm_str(ctx, "on"), *off = lm_str(ctx, "off");
    int64_t sec = lm_int(ctx, "sample_sec");
    if (!on || !off || !strchr(on, ' ') || !strchr(off, ' '))
        return lm_error(ctx, "on and off must be \"host cmd ...\"");
    if (strlen(on) >= LS_CMD_MAX || strlen(off) >= LS_CMD_MAX)
        return lm_error(ctx, "on/off command longer than %d", LS_CMD_MAX - 1);
    if (bind(ctx) < 0)
        return ERR_INVAL;
    if (!ctx->node->tasks)
        return lm_error(ctx, "task manager not running");
    struct exec_result res;
    memset(&res, 0, sizeof res);
    int id = task_native_add(ctx->node->tasks, LS_TAG, NULL, watch_kill, NULL);
    task_reply(ctx->node->tasks, LS_TAG, id, false, ctx->arena, &res);
    if (id < 0)
        return id == ERR_EXIST ? lm_ret_str(ctx, res.text) : lm_error(ctx, "%s", res.text);
    snprintf(s_ls.on, sizeof s_ls.on, "%s", on);
    snprintf(s_ls.off, sizeof s_ls.off, "%s", off);
    s_ls.threshold = (int)lm_int(ctx, "threshold");
    s_ls.tolerance = (int)lm_int(ctx, "tolerance");
    s_ls.period_ms = (uint32_t)(sec < 5 ? 5000 : sec > 86400 ? 86400000 : sec * 1000);
    s_ls.last = 0;
    s_ls.task_id = id;
    char out[64];
    int n = snprintf(out, sizeof out, "threshold: %d - starting", s_ls.threshold);
    task_native_set_output(ctx->node->tasks, id, out, (size_t)n);
    ev_timer_start(ctx->node->loop, &s_ls.timer, 0, watch_tick);
    return lm_ret_str(ctx, res.text);
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "temp6000"));
}

static const struct lm_func s_funcs[] = {
    {.name = "intensity",
     .fn = fn_intensity,
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"light intensity [%]", "%", NULL})},
    {.name = "illuminance",
     .fn = fn_illuminance,
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"illuminance [lux]", "lx", "illuminance"})},
    {.name = "subscribe_intercon",
     .fn = fn_subscribe_intercon,
     .params = LM_PARAMS({"on", LM_STR, NULL, NULL}, {"off", LM_STR, NULL, NULL},
                         {"threshold", LM_INT, "1", NULL}, {"tolerance", LM_INT, "2", NULL},
                         {"sample_sec", LM_INT, "60", NULL}),
     .flags = LM_SUDO}, /* sets up InterCon calls: needs pwd= (docs/web.md) */
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = "load", .fn = fn_load},
    {.name = NULL},
};

const struct lm_module lm_light_sensor = {
    .name = "light_sensor", .funcs = s_funcs, .load = load_hook};
