/* lm_dimmer.c - Load Module `dimmer`: one PWM channel (micrOS LM_dimmer: value 0-1000, pin
 * dim_1, state in data/dimmer.cache, status {'X': value, 'S': state, 'BR': percent}). */
#include "../core/err.h"
#include "../svc/pinmap.h"
#include "light.h"

#include <math.h>

static int dim_init(struct lm_ctx *ctx);
static struct val *status(struct lm_ctx *ctx);

static struct light s_dim = {
    .module = "dimmer",
    .file = "dimmer.cache",
    .keys = {"X", "S"},
    .nch = 1,
    .ch_max = 1000,
    .write = light_write_pwm,
    .tags = {"dim_1"},
    .pwm_hz = 20480,
    .min_on = 5, /* micrOS: toggle always turns something on */
    .init = dim_init,
    .status = status,
    .pin = {-1, -1, -1},
    .val = {500},
};

static int dim_init(struct lm_ctx *ctx)
{
    return light_init_pwm(ctx, &s_dim, NULL);
}

static struct val *status(struct lm_ctx *ctx)
{
    struct val *d = val_dict(ctx->arena);
    val_dict_set(ctx->arena, d, "X", light_num(ctx->arena, s_dim.val[0]));
    val_dict_set(ctx->arena, d, "S", val_int(ctx->arena, s_dim.state));
    int br = s_dim.state == 0 ? 0 : (int)(s_dim.val[0] * 100 / 1000 + 0.5);
    val_dict_set(ctx->arena, d, "BR", val_int(ctx->arena, br));
    return d;
}

static int load_hook(struct node *node)
{
    light_restore(&s_dim, node);
    light_boot_pwm(&s_dim);
    return 0;
}

static int fn_set_value(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return light_resume(ctx, &s_dim);
    double v = lm_is_none(ctx, "value") ? s_dim.val[0] : floor(lm_float(ctx, "value"));
    int rc = dim_init(ctx);
    if (rc < 0)
        return rc;
    if (v < 0 || v > 1000)
        return lm_ret_strf(ctx, "DIMMER ERROR, VALUE 0-1000 ONLY, GIVEN: %g", v);
    rc = light_apply(ctx, &s_dim, &v, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
    if (rc < 0)
        return rc;
    return light_reply(ctx, &s_dim);
}

static int fn_toggle(struct lm_ctx *ctx)
{
    return light_toggle(ctx, &s_dim);
}

static int fn_transition(struct lm_ctx *ctx)
{
    int rc = dim_init(ctx);
    if (rc < 0)
        return rc;
    double to = lm_float(ctx, "value"), sec = lm_float(ctx, "sec");
    if (to < 0 || to > 1000 || sec < 0 || sec > 3600)
        return lm_error(ctx, "value must be 0-1000 and sec 0-3600");
    return light_transition(ctx, &s_dim, &to, (uint32_t)(sec * 1000), lm_bool(ctx, "wake"));
}

static int fn_status(struct lm_ctx *ctx)
{
    return lm_ret(ctx, status(ctx));
}

static int fn_load(struct lm_ctx *ctx)
{
    int rc = dim_init(ctx);
    if (rc < 0)
        return rc;
    bool cache = lm_is_none(ctx, "cache") || lm_bool(ctx, "cache");
    return lm_ret_strf(ctx, "CACHE: %s", cache ? "True" : "False");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "dim_1"));
}

static const struct lm_func s_funcs[] = {
    {.name = "set_value",
     .fn = fn_set_value,
     .params = LM_PARAMS({"value", LM_FLOAT, "None", "0-1000"}, {"smooth", LM_BOOL, "True", NULL},
                         {"force", LM_BOOL, "True", NULL}),
     .widget = "SLIDER"},
    LIGHT_FUNC_TOGGLE(fn_toggle),
    {.name = "transition",
     .fn = fn_transition,
     .params = LM_PARAMS({"value", LM_FLOAT, NULL, "0-1000"}, {"sec", LM_FLOAT, "1.0", NULL},
                         {"wake", LM_BOOL, "False", NULL})},
    {.name = "status", .fn = fn_status, .widget = "STATUS"},
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"cache", LM_BOOL, "None", NULL})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_dimmer = {.name = "dimmer", .funcs = s_funcs, .load = load_hook};
