/* lm_servo.c - Load Module `servo`: two hobby servos on 50 Hz PWM (micrOS LM_servo: pins
 * servo_1/servo_2, duty 40-115). sdemo moves servo 1 40 -> 115 -> 75 a second apart on a
 * loop timer instead of sleeping. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <string.h>

#define SERVO_FREQ 50

static struct {
    struct node *node;
    int pin[2]; /* -1 until bound */
    int64_t duty[2];
    struct ev_timer demo;
    int demo_step;
} s_servo = {.pin = {-1, -1}, .duty = {75, 75}};

static const char *const s_tags[2] = {"servo_1", "servo_2"};

static int load_hook(struct node *node)
{
    s_servo.node = node;
    return 0;
}

static int servo_set(struct lm_ctx *ctx, int i, int64_t duty)
{
    char err[128];
    if (s_servo.pin[i] < 0) {
        int pin = pinmap_bind(s_tags[i], -1, err, sizeof err);
        if (pin < 0)
            return lm_error(ctx, "%s", err);
        int rc = hal_pwm_setup(pin, SERVO_FREQ);
        if (rc < 0) {
            pinmap_release(s_tags[i]);
            return lm_error(ctx, "[io] PWM on pin %s:%d: %s", s_tags[i], pin, err_str(rc));
        }
        s_servo.pin[i] = pin;
    }
    duty = duty > 115 ? 115 : duty < 40 ? 40 : duty;
    int rc = hal_pwm_set_duty(s_servo.pin[i], (uint32_t)duty);
    if (rc < 0)
        return lm_error(ctx, "%s", err_str(rc));
    s_servo.duty[i] = duty;
    return lm_ret_strf(ctx, "SET SERVO%d: duty: %lld", i + 1, (long long)duty);
}

static int fn_sduty(struct lm_ctx *ctx)
{
    return servo_set(ctx, 0, lm_int(ctx, "duty"));
}

static int fn_s2duty(struct lm_ctx *ctx)
{
    return servo_set(ctx, 1, lm_int(ctx, "duty"));
}

static int64_t demo_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    static const uint32_t seq[] = {115, 75};
    if (s_servo.pin[0] < 0 || s_servo.demo_step >= 2)
        return EV_DONE;
    hal_pwm_set_duty(s_servo.pin[0], seq[s_servo.demo_step]);
    s_servo.duty[0] = seq[s_servo.demo_step++];
    return s_servo.demo_step < 2 ? 1000 : EV_DONE;
}

static int fn_sdemo(struct lm_ctx *ctx)
{
    int rc = servo_set(ctx, 0, 40);
    if (rc < 0 || ctx->is_error)
        return rc;
    s_servo.demo_step = 0;
    ev_timer_start(ctx->node->loop, &s_servo.demo, 1000, demo_tick);
    return lm_ret_str(ctx, "sduty DEMO");
}

static int fn_deinit(struct lm_ctx *ctx)
{
    ev_timer_stop(ctx->node->loop, &s_servo.demo);
    for (int i = 0; i < 2; i++)
        if (s_servo.pin[i] >= 0) {
            hal_pwm_stop(s_servo.pin[i]);
            pinmap_release(s_tags[i]);
            s_servo.pin[i] = -1;
        }
    return lm_ret_str(ctx, "Deinit servo 1 and 2");
}

static int fn_status(struct lm_ctx *ctx)
{
    const char *lmf = lm_str(ctx, "lmf");
    struct val *d = lm_ret_dict(ctx);
    if (!lmf) {
        val_dict_set(ctx->arena, d, "S1", val_int(ctx->arena, s_servo.duty[0]));
        val_dict_set(ctx->arena, d, "S2", val_int(ctx->arena, s_servo.duty[1]));
    } else {
        val_dict_set(ctx->arena, d, "X",
                     val_int(ctx->arena, s_servo.duty[strstr(lmf, "s2duty") ? 1 : 0]));
    }
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "servo_1 servo_2"));
}

static const struct lm_func s_funcs[] = {
    {.name = "sduty", .fn = fn_sduty, .params = LM_PARAMS({"duty", LM_INT, "75", "40-115"})},
    {.name = "sdemo", .fn = fn_sdemo},
    {.name = "s2duty", .fn = fn_s2duty, .params = LM_PARAMS({"duty", LM_INT, "75", "40-115"})},
    {.name = "deinit", .fn = fn_deinit},
    {.name = "status",
     .fn = fn_status,
     .params = LM_PARAMS({"lmf", LM_STR, "None", NULL}),
     .widget = "STATUS"},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_servo = {.name = "servo", .funcs = s_funcs, .load = load_hook};
