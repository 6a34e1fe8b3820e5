/* lm_neopixel.c - Load Module `neopixel`: a WS2812 strip (micrOS LM_neopixel: channels 0-255,
 * pin neop, 24 LEDs, state in data/neopixel.cache) plus animated effects (rainbow, cycle) that
 * run as the native task `neopixel._effect` (stopped by `task kill neopixel._effect`, or by any
 * colour call). */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"
#include "light.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NEO_MAX        256 /* most LEDs per strip */
#define NEO_EFFECT_TAG "neopixel._effect"

static int neo_write(struct light *l, const double *v);
static int neo_ready(struct lm_ctx *ctx);
static void effect_stop(void);

static struct light s_neo = {
    .module = "neopixel",
    .file = "neopixel.cache",
    .keys = {"R", "G", "B", "S"},
    .nch = 3,
    .ch_max = 255,
    .write = neo_write,
    .args = {"r", "g", "b"},
    .seed = 88172645u,
    .init = neo_ready,
    .preempt = effect_stop,
    .pin = {-1, -1, -1},
    .val = {100, 100, 100},
};

static struct {
    int pin; /* -1 until bound */
    size_t n;
    uint8_t px[NEO_MAX * 3];
    /* effect task */
    struct ev_timer timer;
    int task_id;
    bool is_running;
    int kind; /* 0 rainbow, 1 cycle */
    uint32_t speed_ms;
    uint32_t frame;
    uint8_t color[3];
} s_strip = {.pin = -1, .n = 24, .task_id = -1};

static uint8_t clamp8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
}

static int neo_write(struct light *l, const double *v)
{
    (void)l;
    if (s_strip.pin < 0)
        return ERR_INVAL;
    for (size_t i = 0; i < s_strip.n; i++)
        for (int c = 0; c < 3; c++)
            s_strip.px[i * 3 + (size_t)c] = clamp8(v[c]);
    return hal_neopixel_write(s_strip.pin, s_strip.px, s_strip.n);
}

static void effect_stop(void)
{
    if (!s_strip.is_running)
        return;
    ev_timer_stop(s_neo.node->loop, &s_strip.timer);
    s_strip.is_running = false;
    if (s_neo.node->tasks && s_strip.task_id >= 0)
        task_native_finish(s_neo.node->tasks, s_strip.task_id);
    s_strip.task_id = -1;
}

static int neo_init(struct lm_ctx *ctx, int number, int64_t ledcnt)
{
    if (s_strip.pin >= 0 && number < 0)
        return 0;
    if (ledcnt < 1 || ledcnt > NEO_MAX)
        return lm_error(ctx, "ledcnt %lld out of range 1-%d", (long long)ledcnt, NEO_MAX);
    char err[128];
    int pin = pinmap_bind("neop", number, err, sizeof err);
    if (pin < 0) {
        lm_error(ctx, "%s", err);
        return pin;
    }
    s_strip.pin = pin;
    s_strip.n = (size_t)ledcnt;
    s_neo.is_ready = true;
    return 0;
}

static int neo_ready(struct lm_ctx *ctx)
{
    return neo_init(ctx, -1, (int64_t)s_strip.n);
}

static int load_hook(struct node *node)
{
    light_restore(&s_neo, node);
    if (s_neo.state == 1) {
        char err[128];
        int pin = pinmap_bind("neop", -1, err, sizeof err);
        if (pin >= 0) {
            s_strip.pin = pin;
            s_neo.is_ready = true;
            light_set_now(&s_neo, s_neo.val);
        }
    }
    return 0;
}

static int fn_color(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return light_resume(ctx, &s_neo);
    double to[3];
    light_channel_args(ctx, &s_neo, to);
    for (int i = 0; i < 3; i++)
        if (to[i] < 0 || to[i] > 255)
            return lm_error(ctx, "colour values must be 0-255");
    return light_set(ctx, &s_neo, to, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    return light_toggle(ctx, &s_neo);
}

static int fn_load(struct lm_ctx *ctx)
{
    int number = lm_is_none(ctx, "pin") ? -1 : (int)lm_int(ctx, "pin");
    int64_t n = lm_int(ctx, "ledcnt");
    if (s_strip.pin >= 0 && number < 0 && n >= 1 && n <= NEO_MAX)
        s_strip.n = (size_t)n;
    int rc = neo_init(ctx, number, n);
    if (rc < 0)
        return rc;
    return lm_ret_strf(ctx, "CACHE: %s, LED CNT: %zu", lm_bool(ctx, "cache") ? "True" : "False",
                       s_strip.n);
}

static int fn_brightness(struct lm_ctx *ctx)
{
    return light_brightness(ctx, &s_neo, LIGHT_BR_WHOLE_OFF);
}

static int fn_segment(struct lm_ctx *ctx)
{
    int rc = neo_init(ctx, -1, (int64_t)s_strip.n);
    if (rc < 0)
        return rc;
    double v[3];
    light_channel_args(ctx, &s_neo, v);
    int64_t s = lm_int(ctx, "s");
    if (s < 0 || (size_t)s >= s_strip.n)
        return lm_ret_strf(ctx, "NEOPIXEL index error: %lld > %zu", (long long)s, s_strip.n);
    effect_stop();
    for (int c = 0; c < 3; c++)
        s_strip.px[(size_t)s * 3 + (size_t)c] = clamp8(v[c]);
    if (lm_bool(ctx, "write") && (rc = hal_neopixel_write(s_strip.pin, s_strip.px, s_strip.n)) < 0)
        return lm_error(ctx, "neopixel output: %s", err_str(rc));
    if (lm_bool(ctx, "cache"))
        light_commit(&s_neo, v);
    return lm_ret(ctx, light_status(ctx, &s_neo));
}

static int fn_transition(struct lm_ctx *ctx)
{
    int rc = neo_ready(ctx);
    if (rc < 0)
        return rc;
    double to[3];
    light_channel_args(ctx, &s_neo, to);
    return light_transition_sec(ctx, &s_neo, to, lm_float(ctx, "sec"));
}

static int fn_random(struct lm_ctx *ctx)
{
    return light_random(ctx, &s_neo);
}

/* --- effects: one frame per speed_ms on a loop timer, listed as a native task --- */

/* Colour wheel 0..255 -> r,g,b (red, green, blue, back to red). */
static void wheel(uint32_t pos, uint8_t *rgb)
{
    pos %= 255;
    if (pos < 85) {
        rgb[0] = (uint8_t)(255 - pos * 3), rgb[1] = (uint8_t)(pos * 3), rgb[2] = 0;
    } else if (pos < 170) {
        pos -= 85;
        rgb[0] = 0, rgb[1] = (uint8_t)(255 - pos * 3), rgb[2] = (uint8_t)(pos * 3);
    } else {
        pos -= 170;
        rgb[0] = (uint8_t)(pos * 3), rgb[1] = 0, rgb[2] = (uint8_t)(255 - pos * 3);
    }
}

static int64_t effect_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    uint32_t f = s_strip.frame++;
    for (size_t i = 0; i < s_strip.n; i++) {
        uint8_t *p = &s_strip.px[i * 3];
        if (s_strip.kind == 0) {
            wheel((uint32_t)(i * 256 / s_strip.n) + f * 4, p);
        } else {
            bool on = i == f % s_strip.n;
            for (int c = 0; c < 3; c++)
                p[c] = on ? s_strip.color[c] : (uint8_t)(s_strip.color[c] / 10);
        }
    }
    hal_neopixel_write(s_strip.pin, s_strip.px, s_strip.n);
    if (s_neo.node->tasks && s_strip.task_id >= 0) {
        char out[64];
        int n = snprintf(out, sizeof out, "%s frame %u", s_strip.kind ? "cycle" : "rainbow",
                         (unsigned)f + 1);
        task_native_set_output(s_neo.node->tasks, s_strip.task_id, out, (size_t)n);
    }
    return s_strip.speed_ms;
}

static void effect_kill(void *arg)
{
    (void)arg;
    ev_timer_stop(s_neo.node->loop, &s_strip.timer);
    s_strip.is_running = false;
    s_strip.task_id = -1;
}

static int effect_start(struct lm_ctx *ctx, int kind)
{
    int rc = neo_init(ctx, -1, (int64_t)s_strip.n);
    if (rc < 0)
        return rc;
    int64_t ms = lm_int(ctx, "speed_ms");
    if (ms < LIGHT_STEP_MS || ms > 60000)
        return lm_error(ctx, "speed_ms must be %d-60000", LIGHT_STEP_MS);
    if (!ctx->node->tasks)
        return lm_error(ctx, "task manager not running");
    light_cancel(&s_neo);
    effect_stop();
    int id = task_native_add(ctx->node->tasks, NEO_EFFECT_TAG, NULL, effect_kill, NULL);
    struct exec_result res;
    memset(&res, 0, sizeof res);
    task_reply(ctx->node->tasks, NEO_EFFECT_TAG, id, false, ctx->arena, &res);
    if (id < 0)
        return lm_error(ctx, "%s", res.text ? res.text : err_str(id));
    s_strip.task_id = id;
    s_strip.kind = kind;
    s_strip.speed_ms = (uint32_t)ms;
    s_strip.frame = 0;
    s_strip.is_running = true;
    rc = ev_timer_start(ctx->node->loop, &s_strip.timer, 0, effect_tick);
    if (rc < 0) {
        task_native_remove(ctx->node->tasks, id);
        s_strip.is_running = false;
        s_strip.task_id = -1;
        return lm_error(ctx, "cannot start effect: %s", err_str(rc));
    }
    return lm_ret_str(ctx, res.text ? res.text : "Starting");
}

static int fn_rainbow(struct lm_ctx *ctx)
{
    return effect_start(ctx, 0);
}

static int fn_cycle(struct lm_ctx *ctx)
{
    double v[3];
    light_channel_args(ctx, &s_neo, v);
    for (int c = 0; c < 3; c++)
        s_strip.color[c] = clamp8(v[c]);
    return effect_start(ctx, 1);
}

static int fn_status(struct lm_ctx *ctx)
{
    return lm_ret(ctx, light_status(ctx, &s_neo));
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "neop"));
}

static const struct lm_func s_funcs[] = {
    LIGHT_FUNC_COLOR(fn_color, "0-255-5"),
    LIGHT_FUNC_TOGGLE(fn_toggle),
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"ledcnt", LM_INT, "24", NULL}, {"pin", LM_INT, "None", NULL},
                         {"cache", LM_BOOL, "True", NULL})},
    LIGHT_FUNC_BRIGHTNESS(fn_brightness),
    {.name = "segment",
     .fn = fn_segment,
     .params = LM_PARAMS({"r", LM_FLOAT, "None", NULL}, {"g", LM_FLOAT, "None", NULL},
                         {"b", LM_FLOAT, "None", NULL}, {"s", LM_INT, "0", NULL},
                         {"cache", LM_BOOL, "False", NULL}, {"write", LM_BOOL, "True", NULL})},
    {.name = "transition",
     .fn = fn_transition,
     .params = LM_PARAMS({"r", LM_FLOAT, "None", NULL}, {"g", LM_FLOAT, "None", NULL},
                         {"b", LM_FLOAT, "None", NULL}, {"sec", LM_FLOAT, "1.0", NULL},
                         {"wake", LM_BOOL, "False", NULL})},
    LIGHT_FUNC_RANDOM(fn_random, "254"),
    {.name = "rainbow",
     .fn = fn_rainbow,
     .params = LM_PARAMS({"speed_ms", LM_INT, "50", NULL}),
     .widget = "BUTTON"},
    {.name = "cycle",
     .fn = fn_cycle,
     .params = LM_PARAMS({"r", LM_FLOAT, "None", NULL}, {"g", LM_FLOAT, "None", NULL},
                         {"b", LM_FLOAT, "None", NULL}, {"speed_ms", LM_INT, "60", NULL})},
    LIGHT_FUNC_STATUS(fn_status),
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_neopixel = {.name = "neopixel", .funcs = s_funcs, .load = load_hook};
