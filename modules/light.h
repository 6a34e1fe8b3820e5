/* light.h - what the light modules (rgb, cct, dimmer, neopixel) share: channel values with an
 * on/off state kept in data/<file>, smooth fades that never block, and transition tasks.
 *
 * A fade runs in one of two ways (docs/modules.md "Long-running work"):
 *  - inside a task (`rgb color r=10 &`), the handler steps the fade itself with lm_again and
 *    its state blob, every LIGHT_STEP_MS;
 *  - outside a task (shell, REST), the call returns at once with the target state and a
 *    private loop timer walks the outputs to it in the background (micrOS blocks instead).
 * `transition` runs as a native task `<module>._tran` that `task show/kill` see. */
#ifndef LIGHT_H
#define LIGHT_H

#include "../core/ev.h"
#include "../svc/lm.h"

#include <stdbool.h>
#include <stdint.h>

#define LIGHT_CH_MAX    3
#define LIGHT_STEP_MS   20  /* fade step: the task manager's minimum period */
#define LIGHT_SMOOTH_MS 200 /* smooth=True fade length (micrOS: 0.2 s) */

struct light;
/* Writes channel values v[0..nch-1] to the hardware. Returns 0 or ERR_*. */
typedef int light_write_fn(struct light *l, const double *v);

struct light {
    const char *module;                 /* module name: task tag "<module>._tran" */
    const char *file;                   /* cache file name in data/ ("rgb.cache") */
    const char *keys[LIGHT_CH_MAX + 1]; /* status keys of the channels, then of the state */
    int nch;
    double ch_max; /* channel maximum (1000, or 255 for neopixel) */
    light_write_fn *write;
    const char *args[LIGHT_CH_MAX]; /* parameter names of the channels ("r", "g", "b") */
    const char *tags[LIGHT_CH_MAX]; /* pin map tags of the PWM channels */
    uint32_t pwm_hz;                /* PWM frequency (light_init_pwm) */
    uint32_t seed;                  /* xorshift state of `random`, so runs repeat */
    double min_on;                  /* while on, light_apply keeps the cache at least this */
    /* Binds the outputs unless bound; fails the call with micrOS's text. Returns 0 or ERR_*. */
    int (*init)(struct lm_ctx *ctx);
    /* Optional: stops the module's own effects when a forced colour or transition takes over. */
    void (*preempt)(void);
    /* Optional: the status reply, instead of light_status. */
    struct val *(*status)(struct lm_ctx *ctx);
    int pin[LIGHT_CH_MAX]; /* PWM pins (light_write_pwm), -1 until bound */
    struct node *node;
    double val[LIGHT_CH_MAX]; /* cached colour (the last "on" target) */
    int state;                /* S: 1 on, 0 off */
    double out[LIGHT_CH_MAX]; /* what the hardware shows now */
    bool is_ready;            /* pins bound */
    /* background fade */
    struct ev_timer timer;
    double from[LIGHT_CH_MAX], to[LIGHT_CH_MAX];
    uint32_t steps, step;
    bool is_fading;
    bool is_transition; /* the fade is the `transition` native task */
    bool is_wake;       /* transition: write the outputs even when off */
    int task_id;
    char tag[40];
};

/* State kept across lm_again calls of a fade inside a task (fits TASK_STATE_SIZE). */
struct light_step {
    double from[LIGHT_CH_MAX], to[LIGHT_CH_MAX];
    uint32_t steps;
};

/* Restores val/state from data/<file> (missing or bad file: defaults stay). */
void light_restore(struct light *l, struct node *node);
/* Saves val/state to data/<file> (errors are logged, not returned). */
void light_save(struct light *l);
/* Writes v at once, stopping any background fade. Returns 0 or ERR_*. */
int light_set_now(struct light *l, const double *v);
/* Moves the outputs to `to`: at once (ms 0), in lm_again steps inside a task, else in the
 * background. Returns 0 or ERR_*; ERR_AGAIN means lm_again was asked (task continues). */
int light_fade(struct lm_ctx *ctx, struct light *l, const double *to, uint32_t ms);
/* Inside a task, takes the next step of the fade light_fade started (call it when
 * ctx->step > 0, before anything else). Returns 0 (done), ERR_AGAIN (more steps) or ERR_*. */
int light_fade_continue(struct lm_ctx *ctx, struct light *l);
/* Starts `transition` to `to` over ms as the native task <module>._tran and fills the reply
 * ("Starting transition" / "Transition already running" / queue full). Returns 0 or ERR_*. */
int light_transition(struct lm_ctx *ctx, struct light *l, const double *to, uint32_t ms, bool wake);
/* Stops a background fade or transition (user input wins, micrOS's soft kill). */
void light_cancel(struct light *l);
/* Sets the state machine after a colour change: any channel > 0 stores it as the colour and
 * turns the state on; all zero turns the state off. Saves the cache. */
void light_commit(struct light *l, const double *v);
/* Returns {key: value, ..., 'S': state}. */
struct val *light_status(struct lm_ctx *ctx, const struct light *l);
/* A value as micrOS shows it: an int when whole, else a float. */
struct val *light_num(struct arena *a, double v);
/* light_write_fn for PWM channels on l->pin[]: duty = value (0..1000 of 0..1023, as micrOS). */
int light_write_pwm(struct light *l, const double *v);
/* Binds tag (number < 0: from the pin map) and starts PWM on it at freq; on failure fails the
 * call with micrOS's text. Returns the pin or ERR_*. */
int light_bind_pwm(struct lm_ctx *ctx, const char *tag, int number, uint32_t freq);

/* Binds tags[] (custom pin numbers when numbers is set) and starts PWM at pwm_hz, unless bound
 * already and numbers is NULL. Fails the call with micrOS's text. Returns 0 or ERR_*. */
int light_init_pwm(struct lm_ctx *ctx, struct light *l, const int *numbers);
/* Load hook part: when the restored state is on, binds tags[] at pwm_hz and shows the cached
 * colour at once (micrOS forces the light on at boot); failures leave it unbound. */
void light_boot_pwm(struct light *l);
/* Fills to[] from the channel arguments args[]; None keeps the cached value. */
void light_channel_args(struct lm_ctx *ctx, const struct light *l, double *to);
/* Replies with the status (l->status, else light_status). Returns 0. */
int light_reply(struct lm_ctx *ctx, const struct light *l);
/* Changes the colour: force stops fades (and preempts effects), an off light fades from black,
 * then commits to (min_on kept). Fails the call with "<module> output: ..." on a write error.
 * Returns 0 or ERR_*. */
int light_apply(struct lm_ctx *ctx, struct light *l, const double *to, bool smooth, bool force);
/* init, light_apply, then the status reply. Returns 0 or ERR_*. */
int light_set(struct lm_ctx *ctx, struct light *l, const double *to, bool smooth, bool force);
/* Handler part for ctx->step > 0: the next fade step, then the status reply. */
int light_resume(struct lm_ctx *ctx, struct light *l);
/* `toggle(state=None, smooth=True)`: on to the cached colour, off to black. */
int light_toggle(struct lm_ctx *ctx, struct light *l);
#define LIGHT_BR_FLOOR     1u /* brightness: scale channels with floor (cct), not to 1/1000 */
#define LIGHT_BR_WHOLE_OFF 2u /* brightness: while off, cache whole numbers (neopixel) */
/* `brightness(percent=None, smooth=True, wake=True)` with LIGHT_BR_* flags. */
int light_brightness(struct lm_ctx *ctx, struct light *l, unsigned flags);
/* `random(smooth=True, max_val)`: a pseudo-random colour, channels 0..max_val. */
int light_random(struct lm_ctx *ctx, struct light *l);
/* Checks sec (0-3600), preempts effects, then light_transition with the `wake` argument. */
int light_transition_sec(struct lm_ctx *ctx, struct light *l, const double *to, double sec);

/* The lm_func declarations of the functions served by the helpers above (same in every module):
 * toggle (light_toggle), brightness (light_brightness), random (light_random; max_def is the
 * default of max_val) and status (light_reply). */
#define LIGHT_FUNC_TOGGLE(handler)                                                                 \
    {                                                                                              \
        .name = "toggle", .fn = handler,                                                           \
        .params = LM_PARAMS({"state", LM_BOOL, "None", "True,False"},                              \
                            {"smooth", LM_BOOL, "True", NULL}),                                    \
        .widget = "BUTTON"                                                                         \
    }
#define LIGHT_FUNC_BRIGHTNESS(handler)                                                             \
    {                                                                                              \
        .name = "brightness", .fn = handler,                                                       \
        .params = LM_PARAMS({"percent", LM_FLOAT, "None", "0-100"},                                \
                            {"smooth", LM_BOOL, "True", NULL}, {"wake", LM_BOOL, "True", NULL}),   \
        .widget = "SLIDER"                                                                         \
    }
#define LIGHT_FUNC_RANDOM(handler, max_def)                                                        \
    {                                                                                              \
        .name = "random", .fn = handler,                                                           \
        .params =                                                                                  \
            LM_PARAMS({"smooth", LM_BOOL, "True", NULL}, {"max_val", LM_INT, max_def, NULL}),      \
        .widget = "BUTTON"                                                                         \
    }
/* `color(r, g, b, smooth=True, force=True)` of the RGB modules; ch is the channel range. */
#define LIGHT_FUNC_COLOR(handler, ch)                                                              \
    {                                                                                              \
        .name = "color", .fn = handler,                                                            \
        .params = LM_PARAMS({"r", LM_FLOAT, "None", ch}, {"g", LM_FLOAT, "None", ch},              \
                            {"b", LM_FLOAT, "None", ch}, {"smooth", LM_BOOL, "True", NULL},        \
                            {"force", LM_BOOL, "True", NULL}),                                     \
        .widget = "COLOR"                                                                          \
    }
#define LIGHT_FUNC_STATUS(handler)                                                                 \
    {                                                                                              \
        .name = "status", .fn = handler, .params = LM_PARAMS({"lmf", LM_STR, "None", NULL}),       \
        .widget = "STATUS"                                                                         \
    }

#endif
