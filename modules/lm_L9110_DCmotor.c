/* lm_L9110_DCmotor.c - Load Module `L9110_DCmotor` (micrOS LM_L9110_DCmotor): one DC motor on
 * an L9110 driver, PWM (1024 Hz) on both inputs (pins l9110dir_1, l9110dir_2): forward drives
 * input 1 with the speed and holds input 2 low, backward the other way round; speed 0 with
 * both low lets it coast, brake drives both high. */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

static const char *const s_tags[2] = {"l9110dir_1", "l9110dir_2"};

static struct {
    bool is_loaded;
    int pin[2];
} s_l9;

static int setup(struct lm_ctx *ctx)
{
    if (s_l9.is_loaded)
        return 0;
    char err[128];
    for (int i = 0; i < 2; i++) {
        int pin = pinmap_bind(s_tags[i], -1, err, sizeof err);
        int rc = pin < 0 ? pin : hal_pwm_setup(pin, 1024);
        if (rc >= 0)
            rc = hal_pwm_set_duty(pin, 0);
        if (rc < 0) {
            for (int j = 0; j <= i; j++)
                pinmap_release(s_tags[j]);
            return pin < 0 ? lm_error(ctx, "%s", err)
                           : lm_error(ctx, "[io] %s:%d: %s", s_tags[i], pin, err_str(rc));
        }
        s_l9.pin[i] = pin;
    }
    s_l9.is_loaded = true;
    return 0;
}

static int fn_motor_control(struct lm_ctx *ctx)
{
    if (lm_is_none(ctx, "direc") || lm_is_none(ctx, "speed"))
        return lm_ret_str(ctx, "invalid parameters");
    int64_t direc = lm_int(ctx, "direc"), speed = lm_int(ctx, "speed");
    if (speed < 0 || speed > 1000 || (direc != 0 && direc != 1))
        return lm_ret_str(ctx, "invalid parameters");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    int on = direc == 0 ? 0 : 1;
    if (hal_pwm_set_duty(s_l9.pin[1 - on], 0) < 0 ||
        hal_pwm_set_duty(s_l9.pin[on], (uint32_t)speed) < 0)
        return lm_error(ctx, "[io] L9110 inputs");
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "speed", val_int(ctx->arena, speed));
    val_dict_set(ctx->arena, d, "direc", val_str(ctx->arena, direc == 0 ? "forward" : "backward"));
    return 0;
}

static int fn_brake(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    hal_pwm_set_duty(s_l9.pin[0], HAL_PWM_DUTY_MAX);
    hal_pwm_set_duty(s_l9.pin[1], HAL_PWM_DUTY_MAX);
    return lm_ret_str(ctx, "brake");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "l9110dir_1 l9110dir_2"));
}

static const struct lm_func s_funcs[] = {
    {.name = "motor_control",
     .fn = fn_motor_control,
     .params = LM_PARAMS({"direc", LM_INT, "None", "0,1"}, {"speed", LM_INT, "None", "0-1000-10"})},
    {.name = "brake", .fn = fn_brake, .widget = "BUTTON"},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_L9110_DCmotor = {.name = "L9110_DCmotor", .funcs = s_funcs};
