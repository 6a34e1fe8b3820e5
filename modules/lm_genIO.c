/* lm_genIO.c - Load Module `genIO`: generic pins by number (micrOS LM_genIO): PWM outputs,
 * digital outputs and inputs, ADC readings. Pins are booked as OUT<n>/IN<n>/PWM<n>/ADC<n>,
 * so a pin another module drives is refused. Logical names (e.g. "switch_1") are accepted
 * only after `genIO load allow_tags=True`, as on micrOS. */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <math.h>
#include <stdio.h>

static bool s_allow_tags;

/* Resolves the pin argument (number or, if allowed, name) and books it under prefix<n>.
 * Sets *is_new when the booking is new. Returns the pin or fails the call. */
static int bind(struct lm_ctx *ctx, const char *prefix, bool *is_new)
{
    struct val *v = lm_arg(ctx, "pin");
    char tag[PINMAP_TAG_MAX], err[128];
    int number;
    if (v && v->type == VAL_INT) {
        number = (int)v->u.i;
        if (number < 0 || number > 1023)
            return lm_error(ctx, "pin %d out of range", number);
        snprintf(tag, sizeof tag, "%s%d", prefix, number);
    } else if (v && v->type == VAL_STR) {
        if (!s_allow_tags)
            return lm_error(ctx, "pin must be integer not <class 'str'>: %s", v->u.s.p);
        snprintf(tag, sizeof tag, "%s", v->u.s.p);
        number = -1;
    } else {
        return lm_error(ctx, "pin must be integer");
    }
    const char *before = NULL;
    int known = number >= 0 ? number : pinmap_get(tag);
    if (known >= 0)
        before = pinmap_owner(known);
    int pin = pinmap_bind(tag, number, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    *is_new = before == NULL;
    return pin;
}

static struct val *pin_value(struct lm_ctx *ctx)
{
    struct val *v = lm_arg(ctx, "pin");
    return v && v->type == VAL_STR ? val_str(ctx->arena, v->u.s.p)
                                   : val_int(ctx->arena, lm_int(ctx, "pin"));
}

static int set_pwm(struct lm_ctx *ctx, int64_t duty, int64_t freq)
{
    bool is_new = false;
    if (duty < 0 || duty > HAL_PWM_DUTY_MAX || freq < 1 || freq > 40000000)
        return lm_error(ctx, "duty must be 0-%u and freq > 0", HAL_PWM_DUTY_MAX);
    int pin = bind(ctx, "PWM", &is_new);
    if (pin < 0)
        return pin;
    int rc = hal_pwm_setup(pin, (uint32_t)freq);
    if (rc == 0)
        rc = hal_pwm_set_duty(pin, (uint32_t)duty);
    if (rc < 0)
        return lm_error(ctx, "[io] PWM on pin %d: %s", pin, err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "pin", pin_value(ctx));
    val_dict_set(ctx->arena, d, "freq", val_int(ctx->arena, freq));
    val_dict_set(ctx->arena, d, "duty", val_int(ctx->arena, duty));
    return 0;
}

static int fn_set_pwm(struct lm_ctx *ctx)
{
    return set_pwm(ctx, lm_int(ctx, "duty"), lm_int(ctx, "freq"));
}

static uint32_t s_seed = 3141592653u;

static int fn_set_random_pwm(struct lm_ctx *ctx)
{
    int64_t lo = lm_int(ctx, "min_duty"), hi = lm_int(ctx, "max_duty");
    if (lo < 0 || hi < lo || hi > HAL_PWM_DUTY_MAX)
        return lm_error(ctx, "need 0 <= min_duty <= max_duty <= %u", HAL_PWM_DUTY_MAX);
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 17;
    s_seed ^= s_seed << 5;
    return set_pwm(ctx, lo + (int64_t)(s_seed % (uint32_t)(hi - lo + 1)), lm_int(ctx, "freq"));
}

static int fn_set_out(struct lm_ctx *ctx)
{
    bool is_new = false;
    int pin = bind(ctx, "OUT", &is_new);
    if (pin < 0)
        return pin;
    int rc = is_new ? hal_gpio_setup(pin, HAL_PIN_OUT) : 0;
    int state;
    if (lm_is_none(ctx, "state")) {
        int cur = rc < 0 ? rc : hal_gpio_read(pin);
        state = cur > 0 ? 0 : 1;
    } else {
        state = lm_bool(ctx, "state") ? 1 : 0;
    }
    if (rc == 0)
        rc = hal_gpio_write(pin, state);
    if (rc < 0)
        return lm_error(ctx, "[io] output on pin %d: %s", pin, err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "pin", pin_value(ctx));
    val_dict_set(ctx->arena, d, "state", val_bool(ctx->arena, state));
    return 0;
}

static int fn_get_in(struct lm_ctx *ctx)
{
    bool is_new = false;
    int pin = bind(ctx, "IN", &is_new);
    if (pin < 0)
        return pin;
    int rc = is_new ? hal_gpio_setup(pin, HAL_PIN_IN_PULLUP) : 0;
    int level = rc < 0 ? rc : hal_gpio_read(pin);
    if (level < 0)
        return lm_error(ctx, "[io] input on pin %d: %s", pin, err_str(level));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "pin", pin_value(ctx));
    val_dict_set(ctx->arena, d, "state", val_int(ctx->arena, level));
    return 0;
}

static int fn_get_adc(struct lm_ctx *ctx)
{
    bool is_new = false;
    int pin = bind(ctx, "ADC", &is_new);
    if (pin < 0)
        return pin;
    uint32_t raw;
    int rc = hal_adc_read(pin, &raw);
    if (rc < 0)
        return lm_error(ctx, "[io] ADC on pin %d: %s", pin, err_str(rc));
    /* micrOS's SmartADC: 12 bit over 0..3.3 V (11 dB attenuation). */
    struct arena *a = ctx->arena;
    struct val *d = val_dict(a);
    val_dict_set(a, d, "raw", val_int(a, raw));
    val_dict_set(a, d, "percent", val_float(a, round(raw * 1000.0 / HAL_ADC_MAX) / 10));
    val_dict_set(a, d, "volt", val_float(a, round(raw * 330.0 / HAL_ADC_MAX) / 100));
    val_dict_set(a, d, "pin", val_int(a, pin));
    const char *key = lm_str(ctx, "key");
    if (!key)
        return lm_ret(ctx, d);
    struct val *v = val_dict_get(d, key);
    return lm_ret(ctx, v ? v : val_none(a));
}

static int fn_load(struct lm_ctx *ctx)
{
    s_allow_tags = lm_bool(ctx, "allow_tags");
    return lm_ret_str(ctx, s_allow_tags
                               ? "[WARNING] allow_tag=True can be dangerous, use it consciously!!!"
                               : "Loaded");
}

static const struct lm_func s_funcs[] = {
    {.name = "set_pwm",
     .fn = fn_set_pwm,
     .params = LM_PARAMS({"pin", LM_ANY, NULL, NULL}, {"duty", LM_INT, "500", "0-1000"},
                         {"freq", LM_INT, "20480", NULL})},
    {.name = "set_random_pwm",
     .fn = fn_set_random_pwm,
     .params = LM_PARAMS({"pin", LM_ANY, NULL, NULL}, {"min_duty", LM_INT, NULL, NULL},
                         {"max_duty", LM_INT, NULL, NULL}, {"freq", LM_INT, "20480", NULL})},
    {.name = "set_out",
     .fn = fn_set_out,
     .params =
         LM_PARAMS({"pin", LM_ANY, NULL, NULL}, {"state", LM_BOOL, "None", "None,True,False"})},
    {.name = "get_adc",
     .fn = fn_get_adc,
     .params = LM_PARAMS({"pin", LM_ANY, NULL, NULL}, {"key", LM_STR, "None", NULL})},
    {.name = "get_in", .fn = fn_get_in, .params = LM_PARAMS({"pin", LM_ANY, NULL, NULL})},
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"allow_tags", LM_BOOL, "False", NULL})},
    {.name = NULL},
};

const struct lm_module lm_genIO = {.name = "genIO", .funcs = s_funcs};
