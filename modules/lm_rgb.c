/* lm_rgb.c - Load Module `rgb`: a 3-channel PWM LED (micrOS LM_rgb: channels 0-1000, pins
 * redgb/rgreenb/rgbue, 20480 Hz, state in data/rgb.cache, dashboard COLOR/BUTTON/SLIDER). */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "light.h"

#include <math.h>
#include <stdlib.h>

#define RGB_FREQ 20480

static struct light s_rgb = {
    .module = "rgb",
    .file = "rgb.cache",
    .keys = {"R", "G", "B", "S"},
    .nch = 3,
    .ch_max = 1000,
    .write = light_write_pwm,
    .pin = {-1, -1, -1},
    .val = {197, 35, 10}, /* micrOS's default colour, off */
};

static const char *const s_tags[3] = {"redgb", "rgreenb", "rgbue"};

/* Binds the three pins (custom numbers when >= 0). Fails the call with micrOS's text. */
static int rgb_init(struct lm_ctx *ctx, const int *numbers)
{
    if (s_rgb.is_ready && !numbers)
        return 0;
    for (int i = 0; i < 3; i++) {
        int pin = light_bind_pwm(ctx, s_tags[i], numbers ? numbers[i] : -1, RGB_FREQ);
        if (pin < 0)
            return pin;
        s_rgb.pin[i] = pin;
    }
    s_rgb.is_ready = true;
    return 0;
}

/* Sets the colour: the fade (if smooth) starts from black when the light is off. */
static int rgb_color(struct lm_ctx *ctx, const double *to, bool smooth, bool force)
{
    int rc = rgb_init(ctx, NULL);
    if (rc < 0)
        return rc;
    if (force)
        light_cancel(&s_rgb);
    if (s_rgb.state == 0)
        light_set_now(&s_rgb, (const double[3]){0, 0, 0});
    rc = light_fade(ctx, &s_rgb, to, smooth ? LIGHT_SMOOTH_MS : 0);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "rgb output: %s", err_str(rc));
    light_commit(&s_rgb, to);
    return lm_ret(ctx, light_status(ctx, &s_rgb));
}

/* A fade inside a task: the next step (the call's arguments were used on step 0). */
static int resume(struct lm_ctx *ctx)
{
    int rc = light_fade_continue(ctx, &s_rgb);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "rgb output: %s", err_str(rc));
    return lm_ret(ctx, light_status(ctx, &s_rgb));
}

static int load_hook(struct node *node)
{
    light_restore(&s_rgb, node);
    if (s_rgb.state == 1) {
        /* Force ON at boot with the cached colour (micrOS), without a fade. */
        char err[128];
        bool ok = true;
        for (int i = 0; i < 3 && ok; i++) {
            int pin = pinmap_bind(s_tags[i], -1, err, sizeof err);
            ok = pin >= 0 && hal_pwm_setup(pin, RGB_FREQ) == 0;
            s_rgb.pin[i] = pin;
        }
        s_rgb.is_ready = ok;
        if (ok)
            light_set_now(&s_rgb, s_rgb.val);
    }
    return 0;
}

static void channel_args(struct lm_ctx *ctx, const char *const *names, double *to)
{
    for (int i = 0; i < 3; i++)
        to[i] = lm_is_none(ctx, names[i]) ? s_rgb.val[i] : lm_float(ctx, names[i]);
}

static int fn_color(struct lm_ctx *ctx)
{
    static const char *const names[3] = {"r", "g", "b"};
    double to[3];
    if (ctx->step > 0)
        return resume(ctx);
    channel_args(ctx, names, to);
    for (int i = 0; i < 3; i++)
        if (to[i] < 0 || to[i] > s_rgb.ch_max)
            return lm_error(ctx, "%s=%g out of range 0-1000", names[i], to[i]);
    return rgb_color(ctx, to, lm_bool(ctx, "smooth"), lm_bool(ctx, "force"));
}

static int fn_toggle(struct lm_ctx *ctx)
{
    bool smooth = lm_bool(ctx, "smooth");
    if (ctx->step > 0)
        return resume(ctx);
    if (!lm_is_none(ctx, "state") && lm_bool(ctx, "state") == (s_rgb.state == 1))
        return lm_ret(ctx, light_status(ctx, &s_rgb));
    if (s_rgb.state == 1)
        return rgb_color(ctx, (const double[3]){0, 0, 0}, smooth, false);
    double to[3] = {s_rgb.val[0], s_rgb.val[1], s_rgb.val[2]};
    return rgb_color(ctx, to, smooth, false);
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
    int rc = rgb_init(ctx, custom ? numbers : NULL);
    if (rc < 0)
        return rc;
    return lm_ret_strf(ctx, "CACHE: %s", lm_bool(ctx, "cache") ? "True" : "False");
}

static int fn_brightness(struct lm_ctx *ctx)
{
    if (ctx->step > 0)
        return resume(ctx);
    double ch_max = fmax(s_rgb.val[0], fmax(s_rgb.val[1], s_rgb.val[2]));
    double actual = ch_max / s_rgb.ch_max * 100;
    if (lm_is_none(ctx, "percent")) {
        if (s_rgb.state == 0)
            return lm_ret_str(ctx, "0 %");
        return lm_ret_strf(ctx, "%g %%", actual);
    }
    double pct = lm_float(ctx, "percent");
    if (pct < 0 || pct > 100)
        return lm_ret_str(ctx, "Percent is out of range: 0-100");
    if (pct == actual && s_rgb.state == 1)
        return lm_ret(ctx, light_status(ctx, &s_rgb));
    double target = s_rgb.ch_max * pct / 100, to[3];
    for (int i = 0; i < 3; i++)
        to[i] = ch_max > 0 ? round(target * s_rgb.val[i] / ch_max * 1000) / 1000 : target;
    if (s_rgb.state == 1 || lm_bool(ctx, "wake"))
        return rgb_color(ctx, to, lm_bool(ctx, "smooth"), true);
    for (int i = 0; i < 3; i++)
        s_rgb.val[i] = to[i];
    light_save(&s_rgb);
    return lm_ret(ctx, light_status(ctx, &s_rgb));
}

static int fn_transition(struct lm_ctx *ctx)
{
    static const char *const names[3] = {"r", "g", "b"};
    int rc = rgb_init(ctx, NULL);
    if (rc < 0)
        return rc;
    double to[3], sec = lm_float(ctx, "sec");
    channel_args(ctx, names, to);
    if (sec < 0 || sec > 3600)
        return lm_error(ctx, "sec=%g out of range 0-3600", sec);
    return light_transition(ctx, &s_rgb, to, (uint32_t)(sec * 1000), lm_bool(ctx, "wake"));
}

/* Deterministic pseudo-random colours (xorshift), so runs repeat. */
static uint32_t s_seed = 2463534242u;
static uint32_t next_rand(void)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 17;
    s_seed ^= s_seed << 5;
    return s_seed;
}

static int fn_random(struct lm_ctx *ctx)
{
    int64_t max = lm_int(ctx, "max_val");
    if (max < 0 || max > 1000)
        return lm_error(ctx, "max_val=%lld out of range 0-1000", (long long)max);
    double to[3];
    if (ctx->step > 0)
        return resume(ctx);
    for (int i = 0; i < 3; i++)
        to[i] = (double)(next_rand() % (uint32_t)(max + 1));
    return rgb_color(ctx, to, lm_bool(ctx, "smooth"), true);
}

static int fn_status(struct lm_ctx *ctx)
{
    return lm_ret(ctx, light_status(ctx, &s_rgb));
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "redgb rgreenb rgbue"));
}

#define CH "0-1000-10"
static const struct lm_func s_funcs[] = {
    {"color", fn_color,
     LM_PARAMS({"r", LM_FLOAT, "None", CH}, {"g", LM_FLOAT, "None", CH},
               {"b", LM_FLOAT, "None", CH}, {"smooth", LM_BOOL, "True", NULL},
               {"force", LM_BOOL, "True", NULL}),
     "COLOR", 0},
    {"toggle", fn_toggle,
     LM_PARAMS({"state", LM_BOOL, "None", "True,False"}, {"smooth", LM_BOOL, "True", NULL}),
     "BUTTON", 0},
    {"load", fn_load,
     LM_PARAMS({"red_pin", LM_INT, "None", NULL}, {"green_pin", LM_INT, "None", NULL},
               {"blue_pin", LM_INT, "None", NULL}, {"cache", LM_BOOL, "True", NULL}),
     NULL, 0},
    {"brightness", fn_brightness,
     LM_PARAMS({"percent", LM_FLOAT, "None", "0-100"}, {"smooth", LM_BOOL, "True", NULL},
               {"wake", LM_BOOL, "True", NULL}),
     "SLIDER", 0},
    {"transition", fn_transition,
     LM_PARAMS({"r", LM_FLOAT, "None", NULL}, {"g", LM_FLOAT, "None", NULL},
               {"b", LM_FLOAT, "None", NULL}, {"sec", LM_FLOAT, "1.0", NULL},
               {"wake", LM_BOOL, "False", NULL}),
     NULL, 0},
    {"random", fn_random,
     LM_PARAMS({"smooth", LM_BOOL, "True", NULL}, {"max_val", LM_INT, "1000", NULL}), "BUTTON", 0},
    {"status", fn_status, LM_PARAMS({"lmf", LM_STR, "None", NULL}), "STATUS", 0},
    {"pinmap", fn_pinmap, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const struct lm_module lm_rgb = {"rgb", s_funcs, load_hook};
