/* lm_L298N.c - Load Module `L298N` (micrOS LM_L298N): two DC motors on an L298N H-bridge.
 * Per motor an enable pin takes the PWM speed (0-1023, 50 Hz unless load sets pwm_freq) and
 * two inputs the direction: (1,0) forward, (0,1) backward, (0,0) coast, (1,1) brake. Pins
 * l298n_ENA/INA/INB (motor 1) and l298n_ENB/INC/IND (motor 2) from the pin map, else
 * micrOS's defaults 10/12/11 and 3/9/40. */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <string.h>

static const struct {
    const char *tag;
    int def;
} s_pins[6] = {
    {.tag = "l298n_ENA", .def = 10}, {.tag = "l298n_INA", .def = 12},
    {.tag = "l298n_INB", .def = 11}, {.tag = "l298n_ENB", .def = 3},
    {.tag = "l298n_INC", .def = 9},  {.tag = "l298n_IND", .def = 40},
};

static struct {
    bool is_loaded;
    int pin[6];
    int64_t speed[2];
    int in[2][2];
    uint32_t freq;
} s_m = {.freq = 50};

static int setup(struct lm_ctx *ctx)
{
    if (s_m.is_loaded)
        return 0;
    char err[128];
    for (int i = 0; i < 6; i++) {
        int pin = pinmap_get(s_pins[i].tag) >= 0
                      ? pinmap_bind(s_pins[i].tag, -1, err, sizeof err)
                      : pinmap_bind(s_pins[i].tag, s_pins[i].def, err, sizeof err);
        int rc = pin;
        if (pin >= 0)
            rc = i % 3 == 0 ? hal_pwm_setup(pin, s_m.freq) : hal_gpio_setup(pin, HAL_PIN_OUT);
        if (rc >= 0 && i % 3 == 0)
            rc = hal_pwm_set_duty(pin, 0);
        else if (rc >= 0)
            rc = hal_gpio_write(pin, 0);
        if (rc < 0) {
            for (int j = 0; j <= i; j++)
                pinmap_release(s_pins[j].tag);
            return pin < 0 ? lm_error(ctx, "%s", err)
                           : lm_error(ctx, "[io] %s:%d: %s", s_pins[i].tag, pin, err_str(rc));
        }
        s_m.pin[i] = pin;
    }
    memset(s_m.in, 0, sizeof s_m.in);
    s_m.is_loaded = true;
    return 0;
}

static const char *state_name(int m)
{
    static const char *const names[2][2] = {{"coast", "backward"}, {"forward", "brake"}};
    return names[s_m.in[m][0]][s_m.in[m][1]];
}

static struct val *motor_dict(struct lm_ctx *ctx, int m)
{
    struct val *d = val_dict(ctx->arena);
    val_dict_set(ctx->arena, d, "speed", val_int(ctx->arena, s_m.speed[m]));
    val_dict_set(ctx->arena, d, "state", val_str(ctx->arena, state_name(m)));
    return d;
}

static int reply_state(struct lm_ctx *ctx, int64_t motor)
{
    struct val *d = lm_ret_dict(ctx);
    if (motor != 2)
        val_dict_set(ctx->arena, d, "motor1", motor_dict(ctx, 0));
    if (motor != 1)
        val_dict_set(ctx->arena, d, "motor2", motor_dict(ctx, 1));
    return 0;
}

/* Checks `motor` (1 or 2) and loads; returns the index 0/1 or fails ctx. */
static int motor_arg(struct lm_ctx *ctx)
{
    int64_t m = lm_int(ctx, "motor");
    if (m != 1 && m != 2)
        return lm_error(ctx, "motor must be 1 or 2");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return (int)m - 1;
}

static int drive(struct lm_ctx *ctx, int a, int b)
{
    int m = motor_arg(ctx);
    if (m < 0)
        return m;
    if (hal_gpio_write(s_m.pin[m * 3 + 1], a) < 0 || hal_gpio_write(s_m.pin[m * 3 + 2], b) < 0)
        return lm_error(ctx, "[io] direction pins of motor %d", m + 1);
    s_m.in[m][0] = a;
    s_m.in[m][1] = b;
    return reply_state(ctx, m + 1);
}

static int fn_load(struct lm_ctx *ctx)
{
    if (!lm_is_none(ctx, "pwm_freq")) {
        int64_t f = lm_int(ctx, "pwm_freq");
        if (f < 1 || f > 40000)
            return lm_error(ctx, "pwm_freq must be 1-40000 Hz");
        s_m.freq = (uint32_t)f;
        if (s_m.is_loaded) {
            hal_pwm_setup(s_m.pin[0], s_m.freq);
            hal_pwm_setup(s_m.pin[3], s_m.freq);
        }
    }
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "Motor driver loaded successfully.");
}

static int fn_state(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return reply_state(ctx, lm_int(ctx, "motor"));
}

static int fn_speed(struct lm_ctx *ctx)
{
    int m = motor_arg(ctx);
    if (m < 0)
        return m;
    int64_t sp = lm_int(ctx, "speed");
    if (sp < 0 || sp > 1023) {
        struct val *d = lm_ret_dict(ctx);
        val_dict_set(ctx->arena, d, "speed", val_str(ctx->arena, "value range error"));
        return 0;
    }
    int rc = hal_pwm_set_duty(s_m.pin[m * 3], (uint32_t)sp);
    if (rc < 0)
        return lm_error(ctx, "[io] speed of motor %d: %s", m + 1, err_str(rc));
    s_m.speed[m] = sp;
    return reply_state(ctx, m + 1);
}

static int fn_direction(struct lm_ctx *ctx)
{
    bool fwd = lm_bool(ctx, "forward");
    return drive(ctx, fwd ? 1 : 0, fwd ? 0 : 1);
}

static int fn_coast(struct lm_ctx *ctx)
{
    return drive(ctx, 0, 0);
}

static int fn_brake(struct lm_ctx *ctx)
{
    return drive(ctx, 1, 1);
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "l298n_ENA l298n_INA l298n_INB l298n_ENB "
                                                 "l298n_INC l298n_IND"));
}

static const struct lm_func s_funcs[] = {
    {.name = "speed",
     .fn = fn_speed,
     .params = LM_PARAMS({"motor", LM_INT, NULL, "1,2"}, {"speed", LM_INT, "1023", "0-1023-10"})},
    {.name = "direction",
     .fn = fn_direction,
     .params = LM_PARAMS({"motor", LM_INT, NULL, "1,2"}, {"forward", LM_BOOL, "True", NULL}),
     .widget = "BUTTON"},
    {.name = "coast",
     .fn = fn_coast,
     .params = LM_PARAMS({"motor", LM_INT, NULL, "1,2"}),
     .widget = "BUTTON"},
    {.name = "brake",
     .fn = fn_brake,
     .params = LM_PARAMS({"motor", LM_INT, NULL, "1,2"}),
     .widget = "BUTTON"},
    {.name = "state", .fn = fn_state, .params = LM_PARAMS({"motor", LM_INT, "0", "0,1,2"})},
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"pwm_freq", LM_INT, "None", NULL})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_L298N = {.name = "L298N", .funcs = s_funcs};
/* micrOS's older name for the same driver (LM_L298N_DCmotor), so configs, cron entries and
 * apps written for it keep working: the same functions on the same motors and pins. */
const struct lm_module lm_L298N_DCmotor = {.name = "L298N_DCmotor", .funcs = s_funcs};
