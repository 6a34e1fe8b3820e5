/* lm_dimmer.c - Load Module `dimmer`: one PWM channel (micrOS LM_dimmer: value 0-1000, pin
 * dim_1, state in data/dimmer.cache, status {'X': value, 'S': state, 'BR': percent}). */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "light.h"

#include <math.h>

#define DIM_FREQ 20480

static struct light s_dim = {
    .module = "dimmer",
    .file = "dimmer.cache",
    .keys = {"X", "S"},
    .nch = 1,
    .ch_max = 1000,
    .write = light_write_pwm,
    .pin = {-1, -1, -1},
    .val = {500},
};

static int dim_init(struct lm_ctx *ctx)
{
    if (s_dim.is_ready)
        return 0;
    int pin = light_bind_pwm(ctx, "dim_1", -1, DIM_FREQ);
    if (pin < 0)
        return pin;
    s_dim.pin[0] = pin;
    s_dim.is_ready = true;
    return 0;
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

static int resume(struct lm_ctx *ctx)
{
    int rc = light_fade_continue(ctx, &s_dim);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "dimmer output: %s", err_str(rc));
    return lm_ret(ctx, status(ctx));
}

/* micrOS keeps a cached value of at least 5, so toggle always turns something on. */
static void commit(double v)
{
    light_commit(&s_dim, &v);
    if (s_dim.state == 1 && s_dim.val[0] < 5)
        s_dim.val[0] = 5;
}

static int load_hook(struct node *node)
{
    light_restore(&s_dim, node);
    if (s_dim.state == 1) {
        char err[128];
        int pin = pinmap_bind("dim_1", -1, err, sizeof err);
        if (pin >= 0 && hal_pwm_setup(pin, DIM_FREQ) == 0) {
            s_dim.pin[0] = pin;
            s_dim.is_ready = true;
            light_set_now(&s_dim, s_dim.val);
        }
    }
    return 0;
}

static int set_value(struct lm_ctx *ctx, double value, bool smooth, bool force)
{
    int rc = dim_init(ctx);
    if (rc < 0)
        return rc;
    if (value < 0 || value > 1000)
        return lm_ret_strf(ctx, "DIMMER ERROR, VALUE 0-1000 ONLY, GIVEN: %g", value);
    if (force)
        light_cancel(&s_dim);
    if (s_dim.state == 0)
        light_set_now(&s_dim, (const double[1]){0});
    rc = light_fade(ctx, &s_dim, &value, smooth ? LIGHT_SMOOTH_MS : 0);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "dimmer output: %s", err_str(rc));
    commit(value);
    return lm_ret(ctx, status(ctx));
}

static int fn_set_value(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    double v = lm_is_none(ctx, "value") ? s_dim.val[0] : floor(lm_float(ctx, "value"));
    return set_value(ctx, v, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    if (!lm_is_none(ctx, "state") && lm_bool(ctx, "state") == (s_dim.state == 1))
        return lm_ret(ctx, status(ctx));
    bool smooth = lm_bool(ctx, "smooth");
    return set_value(ctx, s_dim.state == 1 ? 0 : s_dim.val[0], smooth, false);
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
    {"set_value", fn_set_value,
     LM_PARAMS({"value", LM_FLOAT, "None", "0-1000"}, {"smooth", LM_BOOL, "True", NULL},
               {"force", LM_BOOL, "True", NULL}),
     "SLIDER", 0},
    {"toggle", fn_toggle,
     LM_PARAMS({"state", LM_BOOL, "None", "True,False"}, {"smooth", LM_BOOL, "True", NULL}),
     "BUTTON", 0},
    {"transition", fn_transition,
     LM_PARAMS({"value", LM_FLOAT, NULL, "0-1000"}, {"sec", LM_FLOAT, "1.0", NULL},
               {"wake", LM_BOOL, "False", NULL}),
     NULL, 0},
    {"status", fn_status, NULL, "STATUS", 0},
    {"load", fn_load, LM_PARAMS({"cache", LM_BOOL, "None", NULL}), NULL, 0},
    {"pinmap", fn_pinmap, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const struct lm_module lm_dimmer = {"dimmer", s_funcs, load_hook};
