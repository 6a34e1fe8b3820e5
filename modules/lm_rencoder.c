/* lm_rencoder.c - Load Module `rencoder` (micrOS LM_rencoder): a rotary encoder on two edge
 * inputs (rot_dt, rot_clk, pulled down), decoded as a quadrature state machine: each valid
 * transition counts +1/-1, invalid ones (both lines at once) count 0, and one detent is
 * counted only when the lines are back at rest (both high) with three or more of the four
 * steps in one direction, so contact bounce (a step forth and back) cancels out and settling
 * from power-up (two steps) counts nothing. The position runs min_val..max_val and
 * wraps around, as micrOS. An optional push button on rot_sw (falling edge, 50 ms debounce)
 * is counted; read_button reports it. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#define ROT_BUTTON_DEBOUNCE_MS 50

static struct {
    struct node *node;
    bool is_loaded;
    int pin_dt, pin_clk, pin_sw;
    unsigned state; /* (dt << 1) | clk */
    int acc;        /* steps since the last detent */
    int64_t val, min_val, max_val;
    bool has_event;
    uint32_t presses;
    uint64_t last_press_ms;
    uint64_t steps_ignored; /* invalid transitions seen (bounce, missed edges) */
} s_rot = {.pin_dt = -1, .pin_clk = -1, .pin_sw = -1, .max_val = 20};

/* +1 for a clockwise step (11 -> 10 -> 00 -> 01 -> 11), -1 for the reverse, 0 otherwise. */
static int step_of(unsigned from, unsigned to)
{
    static const int8_t table[16] = {/* from 00: to 00, 01, 10, 11 */ 0,
                                     +1,
                                     -1,
                                     0,
                                     /* from 01 */ -1,
                                     0,
                                     0,
                                     +1,
                                     /* from 10 */ +1,
                                     0,
                                     0,
                                     -1,
                                     /* from 11 */ 0,
                                     -1,
                                     +1,
                                     0};
    return table[((from & 3) << 2) | (to & 3)];
}

static void turned(int dir)
{
    s_rot.has_event = true;
    s_rot.val += dir;
    if (s_rot.val > s_rot.max_val)
        s_rot.val = s_rot.min_val;
    if (s_rot.val < s_rot.min_val)
        s_rot.val = s_rot.max_val;
}

static void on_edge(int pin, int level, void *arg)
{
    (void)arg;
    unsigned bit = pin == s_rot.pin_dt ? 2u : 1u;
    unsigned next = level ? (s_rot.state | bit) : (s_rot.state & ~bit);
    if (next == s_rot.state)
        return;
    int d = step_of(s_rot.state, next);
    if (d == 0)
        s_rot.steps_ignored++;
    s_rot.acc += d;
    s_rot.state = next;
    if (next == 3) { /* at rest: a detent */
        if (s_rot.acc >= 3)
            turned(+1);
        else if (s_rot.acc <= -3)
            turned(-1);
        s_rot.acc = 0;
    }
}

static void on_button(int pin, int level, void *arg)
{
    (void)pin;
    (void)arg;
    uint64_t now = s_rot.node ? ev_now(s_rot.node->loop) : 0;
    if (level || (s_rot.presses && now - s_rot.last_press_ms < ROT_BUTTON_DEBOUNCE_MS))
        return;
    s_rot.last_press_ms = now;
    s_rot.presses++;
    s_rot.has_event = true;
}

static int bind_input(struct lm_ctx *ctx, const char *tag, hal_gpio_edge_fn *cb, enum hal_edge e,
                      enum hal_pin_mode mode, int *out)
{
    char err[128];
    int pin = pinmap_bind(tag, -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    int rc = hal_gpio_setup(pin, mode);
    if (rc == 0)
        rc = hal_gpio_watch(pin, e, cb, NULL);
    if (rc < 0) {
        pinmap_release(tag);
        return lm_error(ctx, "[io] %s:%d edge input: %s", tag, pin, err_str(rc));
    }
    *out = pin;
    return 0;
}

static int setup(struct lm_ctx *ctx)
{
    if (s_rot.is_loaded)
        return 0;
    s_rot.node = ctx->node;
    if (bind_input(ctx, "rot_dt", on_edge, HAL_EDGE_BOTH, HAL_PIN_IN_PULLDOWN, &s_rot.pin_dt) < 0)
        return ERR_INVAL;
    if (bind_input(ctx, "rot_clk", on_edge, HAL_EDGE_BOTH, HAL_PIN_IN_PULLDOWN, &s_rot.pin_clk) <
        0) {
        hal_gpio_unwatch(s_rot.pin_dt);
        pinmap_release("rot_dt");
        return ERR_INVAL;
    }
    if (pinmap_get("rot_sw") >= 0) {
        struct lm_ctx quiet = *ctx; /* a button error must not fail the encoder */
        if (bind_input(&quiet, "rot_sw", on_button, HAL_EDGE_FALLING, HAL_PIN_IN_PULLUP,
                       &s_rot.pin_sw) < 0)
            s_rot.pin_sw = -1; /* the encoder works without its button */
    }
    s_rot.state = (unsigned)((hal_gpio_read(s_rot.pin_dt) > 0 ? 2 : 0) |
                             (hal_gpio_read(s_rot.pin_clk) > 0 ? 1 : 0));
    s_rot.acc = 0;
    s_rot.is_loaded = true;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    int64_t lo = lm_int(ctx, "min_val"), hi = lm_int(ctx, "max_val");
    if (lo >= hi)
        return lm_error(ctx, "min_val must be below max_val");
    if (!s_rot.is_loaded) {
        s_rot.min_val = lo;
        s_rot.max_val = hi;
        s_rot.val = lo;
    }
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "Init RotaryEncoder with IRQs.");
}

static int fn_read_state(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    s_rot.has_event = false;
    return lm_ret_strf(ctx, "RotaryState: %lld", (long long)s_rot.val);
}

static int fn_reset_state(struct lm_ctx *ctx)
{
    int64_t old = s_rot.val;
    s_rot.val = s_rot.min_val;
    return lm_ret_strf(ctx, "Reset state %lld -> 0", (long long)old);
}

static int fn_read_button(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    if (s_rot.pin_sw < 0)
        return lm_error(ctx, "no push button: map rot_sw in cstmpmap (e.g. rot_sw:14)");
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "pressed", val_bool(ctx->arena, hal_gpio_read(s_rot.pin_sw) == 0));
    val_dict_set(ctx->arena, d, "presses", val_int(ctx->arena, s_rot.presses));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "rot_clk rot_dt rot_sw"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"min_val", LM_INT, "0", NULL}, {"max_val", LM_INT, "20", NULL})},
    {.name = "read_state", .fn = fn_read_state, .widget = "TEXTBOX"},
    {.name = "reset_state", .fn = fn_reset_state},
    {.name = "read_button", .fn = fn_read_button},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_rencoder = {.name = "rencoder", .funcs = s_funcs};
