/* lm_cct.c - Load Module `cct`: cold/warm white LED on two PWM channels (micrOS LM_cct:
 * channels 0-1000, pins cwhite/wwhite, state in data/cwww.cache, WHITE/BUTTON/SLIDER). */
#include "../core/err.h"
#include "../svc/pinmap.h"
#include "light.h"

#include <math.h>

static int cct_init(struct lm_ctx *ctx);

static struct light s_cct = {
    .module = "cct",
    .file = "cwww.cache",
    .keys = {"CW", "WW", "S"},
    .nch = 2,
    .ch_max = 1000,
    .write = light_write_pwm,
    .args = {"cw", "ww"},
    .tags = {"cwhite", "wwhite"},
    .pwm_hz = 20480,
    .seed = 521288629u,
    .init = cct_init,
    .pin = {-1, -1, -1},
    .val = {500, 500},
};

static int cct_init(struct lm_ctx *ctx)
{
    return light_init_pwm(ctx, &s_cct, NULL);
}

static int load_hook(struct node *node)
{
    light_restore(&s_cct, node);
    light_boot_pwm(&s_cct);
    return 0;
}

static int fn_white(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return light_resume(ctx, &s_cct);
    double to[2];
    light_channel_args(ctx, &s_cct, to);
    if (to[0] < 0 || to[0] > 1000 || to[1] < 0 || to[1] > 1000)
        return lm_error(ctx, "cw and ww must be 0-1000");
    return light_set(ctx, &s_cct, to, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    return light_toggle(ctx, &s_cct);
}

static int fn_load(struct lm_ctx *ctx)
{
    int warm = lm_is_none(ctx, "pin_warm") ? -1 : (int)lm_int(ctx, "pin_warm");
    int cold = lm_is_none(ctx, "pin_cold") ? -1 : (int)lm_int(ctx, "pin_cold");
    int rc = light_init_pwm(ctx, &s_cct, cold < 0 && warm < 0 ? NULL : (const int[2]){cold, warm});
    if (rc < 0)
        return rc;
    return lm_ret_strf(ctx, "CACHE: %s", lm_bool(ctx, "cache") ? "True" : "False");
}

static int fn_brightness(struct lm_ctx *ctx)
{
    return light_brightness(ctx, &s_cct, LIGHT_BR_FLOOR);
}

static int start_transition(struct lm_ctx *ctx, const double *to, double sec)
{
    int rc = cct_init(ctx);
    if (rc < 0)
        return rc;
    return light_transition_sec(ctx, &s_cct, to, sec);
}

static int fn_transition(struct lm_ctx *ctx)
{
    double to[2];
    light_channel_args(ctx, &s_cct, to);
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

static int fn_random(struct lm_ctx *ctx)
{
    return light_random(ctx, &s_cct);
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
    {.name = "white",
     .fn = fn_white,
     .params = LM_PARAMS({"cw", LM_FLOAT, "None", CH}, {"ww", LM_FLOAT, "None", CH},
                         {"smooth", LM_BOOL, "True", NULL}, {"force", LM_BOOL, "True", NULL}),
     .widget = "WHITE"},
    LIGHT_FUNC_TOGGLE(fn_toggle),
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"pin_warm", LM_INT, "None", NULL}, {"pin_cold", LM_INT, "None", NULL},
                         {"cache", LM_BOOL, "True", NULL})},
    LIGHT_FUNC_BRIGHTNESS(fn_brightness),
    {.name = "transition",
     .fn = fn_transition,
     .params = LM_PARAMS({"cw", LM_FLOAT, "None", NULL}, {"ww", LM_FLOAT, "None", NULL},
                         {"sec", LM_FLOAT, "1.0", NULL}, {"wake", LM_BOOL, "False", NULL})},
    {.name = "hue_transition",
     .fn = fn_hue_transition,
     .params = LM_PARAMS({"percent", LM_FLOAT, NULL, "0-100"}, {"sec", LM_FLOAT, "1.0", NULL},
                         {"wake", LM_BOOL, "False", NULL})},
    LIGHT_FUNC_RANDOM(fn_random, "1000"),
    LIGHT_FUNC_STATUS(fn_status),
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_cct = {.name = "cct", .funcs = s_funcs, .load = load_hook};
