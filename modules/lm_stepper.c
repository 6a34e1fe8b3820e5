/* lm_stepper.c - Load Module `stepper` (micrOS LM_stepper): a 28BYJ-48 stepper on a ULN2003
 * driver (pins stppr_1..4). A step is one cycle of the coil pattern: 8 phases in HALF mode
 * (2 ms each by default), 4 in FULL mode (10 ms); 509 steps turn the shaft once. micrOS
 * sleeps between phases; here the phases run on the event loop: as a task (`stepper step 500
 * &`) each phase is a task iteration (lm_again), so `task kill` stops the motor where it is;
 * called directly, a loop timer runs the move, listed as the native task `stepper.move` (whose
 * kill also switches the coils off), and the call returns at once. The coils are
 * switched off after a move (the gearbox holds the shaft). */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"

#include <math.h>
#include <string.h>

#define STEPPER_FULL_ROTATION 509 /* steps per shaft turn (4075.77 / 8) */

static const uint8_t s_half[8][4] = {{0, 0, 0, 1}, {0, 0, 1, 1}, {0, 0, 1, 0}, {0, 1, 1, 0},
                                     {0, 1, 0, 0}, {1, 1, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 1}};
static const uint8_t s_full[4][4] = {{1, 0, 1, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}, {1, 0, 0, 1}};
static const char *const s_tags[4] = {"stppr_1", "stppr_2", "stppr_3", "stppr_4"};

static struct {
    bool is_loaded;
    bool is_half;
    int pin[4];
    int64_t speed_ms;
    int64_t position; /* steps from load, + = forward */
    /* a move driven by the loop timer (direct call) */
    struct ev_timer timer;
    struct ev_loop *loop;
    int64_t phases_left;
    int dir;
    unsigned phase;
    struct tasks *tasks;
    int task_id; /* native task "stepper.move" of a timer-driven move, or -1 */
} s_st = {.pin = {-1, -1, -1, -1}, .task_id = -1};

#define STEPPER_TASK_TAG "stepper.move"

static unsigned nphases(void)
{
    return s_st.is_half ? 8u : 4u;
}

static void coils(const uint8_t *bits)
{
    for (int i = 0; i < 4; i++)
        hal_gpio_write(s_st.pin[i], bits ? bits[i] : 0);
}

/* Drives the next phase in dir; counts a step at the end of each pattern cycle. */
static void phase_step(int dir)
{
    unsigned n = nphases();
    unsigned k = dir > 0 ? s_st.phase % n : (n - 1 - s_st.phase % n);
    coils(s_st.is_half ? s_half[k] : s_full[k]);
    s_st.phase++;
    if (s_st.phase % n == 0)
        s_st.position += dir;
}

static int setup(struct lm_ctx *ctx, bool is_half)
{
    if (s_st.is_loaded)
        return 0;
    char err[128];
    for (int i = 0; i < 4; i++) {
        int pin = pinmap_bind(s_tags[i], -1, err, sizeof err);
        int rc = pin < 0 ? pin : hal_gpio_setup(pin, HAL_PIN_OUT);
        if (rc < 0) {
            for (int j = 0; j <= i; j++)
                pinmap_release(s_tags[j]);
            return pin < 0 ? lm_error(ctx, "%s", err)
                           : lm_error(ctx, "[io] %s:%d: %s", s_tags[i], pin, err_str(rc));
        }
        s_st.pin[i] = pin;
    }
    s_st.is_half = is_half;
    s_st.speed_ms = is_half ? 2 : 10;
    s_st.loop = ctx->node->loop;
    s_st.is_loaded = true;
    coils(NULL);
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    const char *mode = lm_str(ctx, "mode");
    bool is_half = !mode || strcmp(mode, "FULL") != 0;
    if (mode && strcmp(mode, "HALF") != 0 && strcmp(mode, "FULL") != 0)
        return lm_error(ctx, "mode must be HALF or FULL");
    if (s_st.is_loaded) {
        s_st.is_half = is_half;
        s_st.speed_ms = is_half ? 2 : 10;
    }
    if (setup(ctx, is_half) < 0)
        return ERR_INVAL;
    return lm_ret_strf(ctx, "Stepper loaded: %s step", is_half ? "HALF" : "FULL");
}

static void set_speed(struct lm_ctx *ctx)
{
    if (lm_is_none(ctx, "speed"))
        return;
    int64_t ms = lm_int(ctx, "speed");
    int64_t min = s_st.is_half ? 1 : 10; /* what the motor can follow */
    s_st.speed_ms = ms < min ? min : ms > 1000 ? 1000 : ms;
}

/* Ends the timer-driven move's native task (finished or replaced). */
static void move_task_end(void)
{
    if (s_st.task_id >= 0 && s_st.tasks)
        task_native_finish(s_st.tasks, s_st.task_id);
    s_st.task_id = -1;
}

/* `task kill stepper.move`: stop where the motor is and switch the coils off. */
static void move_kill(void *arg)
{
    (void)arg;
    ev_timer_stop(s_st.loop, &s_st.timer);
    coils(NULL);
    s_st.task_id = -1;
}

static int64_t timer_cb(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (s_st.phases_left <= 0) {
        coils(NULL);
        move_task_end();
        return EV_DONE;
    }
    phase_step(s_st.dir);
    s_st.phases_left--;
    return s_st.speed_ms;
}

/* Task state: phases still to drive and the direction. */
struct move_state {
    int64_t phases_left;
    int dir;
};

static int move(struct lm_ctx *ctx, int64_t steps, const char *what, int64_t shown)
{
    struct move_state *ms = ctx->is_task && ctx->state_size >= sizeof(struct move_state)
                                ? (struct move_state *)ctx->state
                                : NULL;
    if (ms) {
        if (ctx->step == 0) {
            ev_timer_stop(s_st.loop, &s_st.timer);
            ms->dir = steps < 0 ? -1 : 1;
            ms->phases_left = (steps < 0 ? -steps : steps) * (int64_t)nphases();
            s_st.phase = 0;
        }
        if (ms->phases_left > 0) {
            phase_step(ms->dir);
            ms->phases_left--;
        }
        if (ms->phases_left > 0 && lm_again(ctx, (uint32_t)s_st.speed_ms))
            return ERR_AGAIN;
        coils(NULL);
    } else {
        s_st.dir = steps < 0 ? -1 : 1;
        s_st.phases_left = (steps < 0 ? -steps : steps) * (int64_t)nphases();
        s_st.phase = 0;
        move_task_end();
        s_st.tasks = ctx->node->tasks;
        if (s_st.tasks) /* listed while it runs, so `task kill stepper.move` stops it */
            s_st.task_id = task_native_add(s_st.tasks, STEPPER_TASK_TAG, NULL, move_kill, NULL);
        ev_timer_start(s_st.loop, &s_st.timer, 0, timer_cb);
    }
    return lm_ret_strf(ctx, "Move %lld %s (%lld ms)", (long long)shown, what,
                       (long long)s_st.speed_ms);
}

static int fn_angle(struct lm_ctx *ctx)
{
    if (setup(ctx, true) < 0)
        return ERR_INVAL;
    set_speed(ctx);
    int64_t dg = lm_int(ctx, "dg");
    int64_t steps = (int64_t)llround(STEPPER_FULL_ROTATION * (double)dg / 360.0);
    return move(ctx, steps, "degree", dg);
}

static int fn_step(struct lm_ctx *ctx)
{
    if (setup(ctx, true) < 0)
        return ERR_INVAL;
    set_speed(ctx);
    int64_t st = lm_int(ctx, "st");
    if (st > 100000 || st < -100000)
        return lm_error(ctx, "st must be -100000..100000");
    return move(ctx, st, "step", st);
}

static int fn_standby(struct lm_ctx *ctx)
{
    if (s_st.is_loaded) {
        ev_timer_stop(s_st.loop, &s_st.timer);
        coils(NULL);
        move_task_end();
    }
    return lm_ret_str(ctx, "Standby");
}

static int fn_status(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "position", val_int(ctx->arena, s_st.position));
    val_dict_set(ctx->arena, d, "mode", val_str(ctx->arena, s_st.is_half ? "HALF" : "FULL"));
    val_dict_set(ctx->arena, d, "speed_ms", val_int(ctx->arena, s_st.speed_ms));
    val_dict_set(ctx->arena, d, "moving", val_bool(ctx->arena, s_st.timer.is_active));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "stppr_1 stppr_2 stppr_3 stppr_4"));
}

static const struct lm_func s_funcs[] = {
    {.name = "angle",
     .fn = fn_angle,
     .params = LM_PARAMS({"dg", LM_INT, NULL, "-360-360"}, {"speed", LM_INT, "None", NULL})},
    {.name = "step",
     .fn = fn_step,
     .params = LM_PARAMS({"st", LM_INT, NULL, NULL}, {"speed", LM_INT, "None", NULL})},
    {.name = "standby", .fn = fn_standby, .widget = "BUTTON"},
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"mode", LM_STR, "'HALF'", "HALF,FULL"})},
    {.name = "status", .fn = fn_status},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_stepper = {.name = "stepper", .funcs = s_funcs};
