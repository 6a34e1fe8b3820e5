/* lm_rgb.c - Load Module `rgb`: a 3-channel PWM LED (micrOS LM_rgb: channels 0-1000, pins
 * redgb/rgreenb/rgbue, 20480 Hz, state in data/rgb.cache, dashboard COLOR/BUTTON/SLIDER). */
#include "../core/err.h"
#include "../svc/pinmap.h"
#include "light.h"

static int rgb_init(struct lm_ctx *ctx);

static struct light s_rgb = {
    .module = "rgb",
    .file = "rgb.cache",
    .keys = {"R", "G", "B", "S"},
    .nch = 3,
    .ch_max = 1000,
    .write = light_write_pwm,
    .args = {"r", "g", "b"},
    .tags = {"redgb", "rgreenb", "rgbue"},
    .pwm_hz = 20480,
    .seed = 2463534242u, /* deterministic pseudo-random colours, so runs repeat */
    .init = rgb_init,
    .pin = {-1, -1, -1},
    .val = {197, 35, 10}, /* micrOS's default colour, off */
};

static int rgb_init(struct lm_ctx *ctx)
{
    return light_init_pwm(ctx, &s_rgb, NULL);
}

static int load_hook(struct node *node)
{
    light_restore(&s_rgb, node);
    light_boot_pwm(&s_rgb); /* force ON at boot with the cached colour (micrOS), no fade */
    return 0;
}

static int fn_color(struct lm_ctx *ctx)
{
    double to[3];
    if (ctx->step > 0)
        return light_resume(ctx, &s_rgb);
    light_channel_args(ctx, &s_rgb, to);
    for (int i = 0; i < 3; i++)
        if (to[i] < 0 || to[i] > s_rgb.ch_max)
            return lm_error(ctx, "%s=%g out of range 0-1000", s_rgb.args[i], to[i]);
    return light_set(ctx, &s_rgb, to, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    return light_toggle(ctx, &s_rgb);
}

static int fn_load(struct lm_ctx *ctx)
{
    static const char *const names[3] = {"red_pin", "green_pin", "blue_pin"};
    int numbers[3];
    bool custom = false;
    for (int i = 0; i < 3; i++) {
        numbers[i] = lm_is_none(ctx, names[i]) ? -1 : (int)lm_int(ctx, names[i]);
        custom |= numbers[i] >= 0;
    }
    int rc = light_init_pwm(ctx, &s_rgb, custom ? numbers : NULL);
    if (rc < 0)
        return rc;
    return lm_ret_strf(ctx, "CACHE: %s", lm_bool(ctx, "cache") ? "True" : "False");
}

static int fn_brightness(struct lm_ctx *ctx)
{
    return light_brightness(ctx, &s_rgb, 0);
}

static int fn_transition(struct lm_ctx *ctx)
{
    int rc = rgb_init(ctx);
    if (rc < 0)
        return rc;
    double to[3];
    light_channel_args(ctx, &s_rgb, to);
    return light_transition_sec(ctx, &s_rgb, to, lm_float(ctx, "sec"));
}

static int fn_random(struct lm_ctx *ctx)
{
    return light_random(ctx, &s_rgb);
}

static int fn_status(struct lm_ctx *ctx)
{
    return lm_ret(ctx, light_status(ctx, &s_rgb));
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "redgb rgreenb rgbue"));
}

static const struct lm_func s_funcs[] = {
    LIGHT_FUNC_COLOR(fn_color, "0-1000-10"),
    LIGHT_FUNC_TOGGLE(fn_toggle),
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"red_pin", LM_INT, "None", NULL}, {"green_pin", LM_INT, "None", NULL},
                         {"blue_pin", LM_INT, "None", NULL}, {"cache", LM_BOOL, "True", NULL})},
    LIGHT_FUNC_BRIGHTNESS(fn_brightness),
    {.name = "transition",
     .fn = fn_transition,
     .params = LM_PARAMS({"r", LM_FLOAT, "None", NULL}, {"g", LM_FLOAT, "None", NULL},
                         {"b", LM_FLOAT, "None", NULL}, {"sec", LM_FLOAT, "1.0", NULL},
                         {"wake", LM_BOOL, "False", NULL})},
    LIGHT_FUNC_RANDOM(fn_random, "1000"),
    LIGHT_FUNC_STATUS(fn_status),
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_rgb = {.name = "rgb", .funcs = s_funcs, .load = load_hook};
