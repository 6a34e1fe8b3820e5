/* lm_cct.c - Load Module `cct`: cold/warm white LED on two PWM channels (micrOS LM_cct:
 * channels 0-1000, pins cwhite/wwhite, state in data/cwww.cache, WHITE/BUTTON/SLIDER). */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "light.h"

#include <math.h>

#define CCT_FREQ 20480

static struct light s_cct = {
    .module = "cct",
    .file = "cwww.cache",
    .keys = {"CW", "WW", "S"},
    .nch = 2,
    .ch_max = 1000,
    .write = light_write_pwm,
    .pin = {-1, -1, -1},
    .val = {500, 500},
};

static int cct_init(struct lm_ctx *ctx, int cold, int warm)
{
    if (s_cct.is_ready && cold < 0 && warm < 0)
        return 0;
    int pc = light_bind_pwm(ctx, "cwhite", cold, CCT_FREQ);
    if (pc < 0)
        return pc;
    int pw = light_bind_pwm(ctx, "wwhite", warm, CCT_FREQ);
    if (pw < 0)
        return pw;
    s_cct.pin[0] = pc;
    s_cct.pin[1] = pw;
    s_cct.is_ready = true;
    return 0;
}

static int resume(struct lm_ctx *ctx)
{
    int rc = light_fade_continue(ctx, &s_cct);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "cct output: %s", err_str(rc));
    return lm_ret(ctx, light_status(ctx, &s_cct));
}

static int cct_white(struct lm_ctx *ctx, const double *to, bool smooth, bool force)
{
    int rc = cct_init(ctx, -1, -1);
    if (rc < 0)
        return rc;
    if (force)
        light_cancel(&s_cct);
    if (s_cct.state == 0)
        light_set_now(&s_cct, (const double[2]){0, 0});
    rc = light_fade(ctx, &s_cct, to, smooth ? LIGHT_SMOOTH_MS : 0);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "cct output: %s", err_str(rc));
    light_commit(&s_cct, to);
    return lm_ret(ctx, light_status(ctx, &s_cct));
}

static int load_hook(struct node *node)
{
    light_restore(&s_cct, node);
    if (s_cct.state == 1) {
        char err[128];
        int pc = pinmap_bind("cwhite", -1, err, sizeof err);
        int pw = pinmap_bind("wwhite", -1, err, sizeof err);
        if (pc >= 0 && pw >= 0 && hal_pwm_setup(pc, CCT_FREQ) == 0 &&
            hal_pwm_setup(pw, CCT_FREQ) == 0) {
            s_cct.pin[0] = pc;
            s_cct.pin[1] = pw;
            s_cct.is_ready = true;
            light_set_now(&s_cct, s_cct.val);
        }
    }
    return 0;
}

static void channel_args(struct lm_ctx *ctx, double *to)
{
    to[0] = lm_is_none(ctx, "cw") ? s_cct.val[0] : lm_float(ctx, "cw");
    to[1] = lm_is_none(ctx, "ww") ? s_cct.val[1] : lm_float(ctx, "ww");
}

static int fn_white(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    double to[2];
    channel_args(ctx, to);
    if (to[0] < 0 || to[0] > 1000 || to[1] < 0 || to[1] > 1000)
        return lm_error(ctx, "cw and ww must be 0-1000");
    return cct_white(ctx, to, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    if (!lm_is_none(ctx, "state") && lm_bool(ctx, "state") == (s_cct.state == 1))
        return lm_ret(ctx, light_status(ctx, &s_cct));
    bool smooth = lm_bool(ctx, "smooth");
    if (s_cct.state == 1)
        return cct_white(ctx, (const double[2]){0, 0}, smooth, false);
    double to[2] = {s_cct.val[0], s_cct.val[1]};
    return cct_white(ctx, to, smooth, false);
}

static int fn_load(struct lm_ctx *ctx)
{
    int warm = lm_is_none(ctx, "pin_warm") ? -1 : (int)lm_int(ctx, "pin_warm");
    int cold = lm_is_none(ctx, "pin_cold") ? -1 : (int)lm_int(ctx, "pin_cold");
    int rc = cct_init(ctx, cold, warm);
    if (rc < 0)
        return rc;
    return lm_ret_strf(ctx, "CACHE: %s", lm_bool(ctx, "cache") ? "True" : "False");
}

static int fn_brightness(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    double ch_max = fmax(s_cct.val[0], s_cct.val[1]);
    double actual = ch_max / 1000 * 100;
    if (lm_is_none(ctx, "percent"))
        return s_cct.state == 0 ? lm_ret_str(ctx, "0 %") : lm_ret_strf(ctx, "%g %%", actual);
    double pct = lm_float(ctx, "percent");
    if (pct < 0 || pct > 100)
        return lm_ret_str(ctx, "Percent is out of range: 0-100");
    if (pct == actual && s_cct.state == 1)
        return lm_ret(ctx, light_status(ctx, &s_cct));
    double target = 1000 * pct / 100, to[2];
    for (int i = 0; i < 2; i++)
        to[i] = ch_max > 0 ? floor(target * s_cct.val[i] / ch_max) : target;
    if (s_cct.state == 1 || lm_bool(ctx, "wake"))
        return cct_white(ctx, to, lm_bool(ctx, "smooth"), true);
    s_cct.val[0] = to[0];
    s_cct.val[1] = to[1];
    light_save(&s_cct);
    return lm_ret(ctx, light_status(ctx, &s_cct));
}

static int start_transition(struct lm_ctx *ctx, const double *to, double sec)
{
    int rc = cct_init(ctx, -1, -1);
    if (rc < 0)
        return rc;
    if (sec < 0 || sec > 3600)
        return lm_error(ctx, "sec=%g out of range 0-3600", sec);
    return light_transition(ctx, &s_cct, to, (uint32_t)(sec * 1000), lm_bool(ctx, "wake"));
}

static int fn_transition(struct lm_ctx *ctx)
{
    double to[2];
    channel_args(ctx, to);
    return start_transition(ctx, to, lm_float(ctx, "sec"));
}

/* hue_transition: the warm share in percent, total brightness kept (micrOS). */
static int fn_hue_transition(struct lm_ctx *ctx)
{
    double pct = lm_float(ctx, "percent");
    if (pct < 0 || pct > 100)
        return lm_ret_str(ctx, "Invalid range, percent=<0-100>");
    double total = s_cct.val[0] + s_cct.val[1];
    double to[2] = {floor(total * (100 - pct) / 100), floor(total * pct / 100)};
    for (int i = 0; i < 2; i++)
        to[i] = to[i] > 1000 ? 1000 : to[i];
    return start_transition(ctx, to, lm_float(ctx, "sec"));
}

static uint32_t s_seed = 521288629u;
static uint32_t next_rand(void)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 17;
    s_seed ^= s_seed << 5;
    return s_seed;
}

static int fn_random(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    int64_t max = lm_int(ctx, "max_val");
    if (max < 0 || max > 1000)
        return lm_error(ctx, "max_val=%lld out of range 0-1000", (long long)max);
    double to[2] = {(double)(next_rand() % (uint32_t)(max + 1)),
                    (double)(next_rand() % (uint32_t)(max + 1))};
    return cct_white(ctx, to, lm_bool(ctx, "smooth"), true);
}

static int fn_status(struct lm_ctx *ctx)
{
    return lm_ret(ctx, light_status(ctx, &s_cct));
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "cwhite wwhite"));
}

#define CH "0-1000-5"
static const struct lm_func s_funcs[] = {
    {"white", fn_white,
     LM_PARAMS({"cw", LM_FLOAT, "None", CH}, {"ww", LM_FLOAT, "None", CH},
               {"smooth", LM_BOOL, "True", NULL}, {"force", LM_BOOL, "True", NULL}),
     "WHITE", 0},
    {"toggle", fn_toggle,
     LM_PARAMS({"state", LM_BOOL, "None", "True,False"}, {"smooth", LM_BOOL, "True", NULL}),
     "BUTTON", 0},
    {"load", fn_load,
     LM_PARAMS({"pin_warm", LM_INT, "None", NULL}, {"pin_cold", LM_INT, "None", NULL},
               {"cache", LM_BOOL, "True", NULL}),
     NULL, 0},
    {"brightness", fn_brightness,
     LM_PARAMS({"percent", LM_FLOAT, "None", "0-100"}, {"smooth", LM_BOOL, "True", NULL},
               {"wake", LM_BOOL, "True", NULL}),
     "SLIDER", 0},
    {"transition", fn_transition,
     LM_PARAMS({"cw", LM_FLOAT, "None", NULL}, {"ww", LM_FLOAT, "None", NULL},
               {"sec", LM_FLOAT, "1.0", NULL}, {"wake", LM_BOOL, "False", NULL}),
     NULL, 0},
    {"hue_transition", fn_hue_transition,
     LM_PARAMS({"percent", LM_FLOAT, NULL, "0-100"}, {"sec", LM_FLOAT, "1.0", NULL},
               {"wake", LM_BOOL, "False", NULL}),
     NULL, 0},
    {"random", fn_random,
     LM_PARAMS({"smooth", LM_BOOL, "True", NULL}, {"max_val", LM_INT, "1000", NULL}), "BUTTON", 0},
    {"status", fn_status, LM_PARAMS({"lmf", LM_STR, "None", NULL}), "STATUS", 0},
    {"pinmap", fn_pinmap, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const struct lm_module lm_cct = {"cct", s_funcs, load_hook};
