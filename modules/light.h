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

#endif
