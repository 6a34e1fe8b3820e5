/* lm_haptic.c - Load Module `haptic` (micrOS LM_haptic): a vibration motor on PWM pin
 * `haptic` (20480 Hz). The effects are duty sequences; micrOS sleeps between the steps, here
 * a loop timer plays them, so a call returns at once and a new effect replaces a running one.
 * Intensities: low = duty 700, high = 1000. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <string.h>

#define HAPTIC_LOW  700
#define HAPTIC_HIGH 1000
#define HAPTIC_SEQ  64 /* steps of one effect */

struct hstep {
    uint16_t duty;
    uint16_t ms;
};

static struct {
    int pin;
    bool is_high;
    struct ev_timer timer;
    struct ev_loop *loop;
    struct hstep seq[HAPTIC_SEQ];
    size_t n, next;
} s_hp = {.pin = -1};

static int setup(struct lm_ctx *ctx)
{
    if (s_hp.pin >= 0)
        return 0;
    char err[128];
    int pin = pinmap_bind("haptic", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    int rc = hal_pwm_setup(pin, 20480);
    if (rc == 0)
        rc = hal_pwm_set_duty(pin, 0);
    if (rc < 0) {
        pinmap_release("haptic");
        return lm_error(ctx, "[io] haptic:%d: %s", pin, err_str(rc));
    }
    s_hp.pin = pin;
    s_hp.loop = ctx->node->loop;
    return 0;
}

static int64_t play_cb(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (s_hp.pin < 0 || s_hp.next >= s_hp.n) {
        if (s_hp.pin >= 0)
            hal_pwm_set_duty(s_hp.pin, 0);
        return EV_DONE;
    }
    struct hstep st = s_hp.seq[s_hp.next++];
    hal_pwm_set_duty(s_hp.pin, st.duty);
    return st.ms;
}

/* Plays the n steps (then duty 0). */
static void play(const struct hstep *seq, size_t n)
{
    memcpy(s_hp.seq, seq, n * sizeof *seq);
    s_hp.n = n;
    s_hp.next = 0;
    ev_timer_start(s_hp.loop, &s_hp.timer, 0, play_cb);
}

static int fn_load(struct lm_ctx *ctx)
{
    const char *in = lm_str(ctx, "intensity");
    if (in && strcmp(in, "high") != 0 && strcmp(in, "low") != 0)
        return lm_error(ctx, "intensity must be low or high");
    if (in)
        s_hp.is_high = strcmp(in, "high") == 0;
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_strf(ctx, "Haptic loaded: %s", s_hp.is_high ? "high" : "low");
}

static int fn_tap(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    const struct hstep seq[] = {
        {.duty = s_hp.is_high ? HAPTIC_HIGH : HAPTIC_LOW, .ms = 150},
    };
    play(seq, 1);
    return lm_ret_str(ctx, s_hp.is_high ? "Tap: high" : "Tap: low");
}

static int fn_gen(struct lm_ctx *ctx)
{
    int64_t in = lm_int(ctx, "intensity"), wait = lm_int(ctx, "wait"),
            stop = lm_int(ctx, "stop_wait"), rep = lm_int(ctx, "repeat");
    if (in < 0 || in > HAL_PWM_DUTY_MAX || wait < 0 || wait > 10000 || stop < 0 || stop > 10000 ||
        rep < 1 || rep > HAPTIC_SEQ / 2)
        return lm_error(ctx, "intensity 0-1023, wait/stop_wait 0-10000 ms, repeat 1-%d",
                        HAPTIC_SEQ / 2);
    if (setup(ctx) < 0)
        return ERR_INVAL;
    struct hstep seq[HAPTIC_SEQ];
    size_t n = 0;
    for (int64_t i = 0; i < rep; i++) {
        seq[n++] = (struct hstep){.duty = (uint16_t)in, .ms = (uint16_t)wait};
        seq[n++] = (struct hstep){.duty = 0, .ms = (uint16_t)stop};
    }
    play(seq, n);
    return lm_ret_strf(ctx, "finished: %lldms:%lld:%lld:%lld", (long long)((wait + stop) * rep),
                       (long long)in, (long long)wait, (long long)rep);
}

static int fn_effect1(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    const struct hstep seq[] = {
        {.duty = HAPTIC_HIGH, .ms = 150},
        {.duty = HAPTIC_LOW, .ms = 100},
        {.duty = HAPTIC_HIGH, .ms = 100},
    };
    play(seq, 3);
    return lm_ret_str(ctx, "finished: 350ms");
}

static int fn_effect2(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    struct hstep seq[16];
    size_t n = 0;
    seq[n++] = (struct hstep){.duty = HAPTIC_HIGH, .ms = 150};
    for (int d = HAPTIC_HIGH; d > 300; d -= 100)
        seq[n++] = (struct hstep){.duty = (uint16_t)d, .ms = 50};
    play(seq, n);
    return lm_ret_str(ctx, "finished: 400ms");
}

static int fn_deinit(struct lm_ctx *ctx)
{
    if (s_hp.pin >= 0) {
        ev_timer_stop(s_hp.loop, &s_hp.timer);
        hal_pwm_stop(s_hp.pin);
        pinmap_release("haptic");
        s_hp.pin = -1;
    }
    return lm_ret_str(ctx, "Deinited");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "haptic"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"intensity", LM_STR, "None", "low,high"})},
    {.name = "tap", .fn = fn_tap, .widget = "BUTTON"},
    {.name = "gen",
     .fn = fn_gen,
     .params = LM_PARAMS({"intensity", LM_INT, "700", "600-1000"}, {"wait", LM_INT, "200", NULL},
                         {"stop_wait", LM_INT, "100", NULL}, {"repeat", LM_INT, "2", NULL})},
    {.name = "effect1", .fn = fn_effect1, .widget = "BUTTON"},
    {.name = "effect2", .fn = fn_effect2, .widget = "BUTTON"},
    {.name = "deinit", .fn = fn_deinit},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_haptic = {.name = "haptic", .funcs = s_funcs};
