/* light.c - shared state, fades and transitions of the light modules. */
#include "light.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"
#include "../svc/persist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cache_path(const struct light *l, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/%s", l->node && l->node->data_dir ? l->node->data_dir : ".",
             l->file);
}

void light_restore(struct light *l, struct node *node)
{
    l->node = node;
    l->task_id = -1;
    char path[512], buf[256];
    cache_path(l, path, sizeof path);
    if (hal_fs_read(path, buf, sizeof buf) <= 0)
        return;
    double v[LIGHT_CH_MAX + 1];
    char *p = buf;
    for (int i = 0; i <= l->nch; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || v[i] < 0 || v[i] > l->ch_max)
            return; /* bad cache: keep the defaults */
        p = *end == ',' ? end + 1 : end;
    }
    memcpy(l->val, v, sizeof(double) * (size_t)l->nch);
    l->state = v[l->nch] >= 1 ? 1 : 0;
}

void light_save(struct light *l)
{
    char path[512], buf[256];
    size_t n = 0;
    for (int i = 0; i < l->nch; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%g,", l->val[i]);
    snprintf(buf + n, sizeof buf - n, "%d", l->state);
    cache_path(l, path, sizeof path);
    int rc = persist_write(l->node ? l->node->persist : NULL, path, buf, strlen(buf));
    if (rc < 0)
        LOG_W("%s: cannot save %s: %s", l->module, path, err_str(rc));
}

static int write_out(struct light *l, const double *v)
{
    int rc = l->write(l, v);
    if (rc == 0)
        memcpy(l->out, v, sizeof(double) * (size_t)l->nch);
    return rc;
}

void light_cancel(struct light *l)
{
    if (l->is_fading && l->node && l->node->loop)
        ev_timer_stop(l->node->loop, &l->timer);
    l->is_fading = false;
    if (l->is_transition && l->node && l->node->tasks && l->task_id >= 0) {
        task_native_set_output(l->node->tasks, l->task_id, "Cancelled", 9);
        task_native_finish(l->node->tasks, l->task_id);
    }
    l->is_transition = false;
    l->task_id = -1;
}

int light_set_now(struct light *l, const double *v)
{
    light_cancel(l);
    return write_out(l, v);
}

static void interpolate(const double *from, const double *to, uint32_t k, uint32_t n, int nch,
                        double *v)
{
    for (int i = 0; i < nch; i++)
        v[i] = k >= n ? to[i] : round(from[i] + (to[i] - from[i]) * (double)k / (double)n);
}

static void transition_output(struct light *l, const char *what, const double *v)
{
    if (!l->node->tasks || l->task_id < 0)
        return;
    char out[160];
    size_t n = (size_t)snprintf(out, sizeof out, "%s:", what);
    for (int i = 0; i < l->nch && n < sizeof out; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, " %s:%g", l->keys[i], v[i]);
    task_native_set_output(l->node->tasks, l->task_id, out, strlen(out));
}

static int64_t fade_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct light *l = t->arg;
    double v[LIGHT_CH_MAX];
    l->step++;
    interpolate(l->from, l->to, l->step, l->steps, l->nch, v);
    if (!l->is_transition || l->state == 1 || l->is_wake)
        write_out(l, v);
    if (l->is_transition) {
        /* micrOS keeps the cached colour of a running transition above 5 (for toggle). */
        for (int i = 0; i < l->nch; i++)
            l->val[i] = v[i] > 5 ? v[i] : 5;
        transition_output(l, l->step >= l->steps ? "Dimming DONE" : "Dimming", v);
    }
    if (l->step < l->steps)
        return LIGHT_STEP_MS;
    l->is_fading = false;
    if (l->is_transition) {
        if (l->state == 1 || l->is_wake)
            light_commit(l, v);
        if (l->node->tasks && l->task_id >= 0)
            task_native_finish(l->node->tasks, l->task_id);
        l->is_transition = false;
        l->task_id = -1;
    }
    return EV_DONE;
}

static int fade_start(struct light *l, const double *from, const double *to, uint32_t ms)
{
    memcpy(l->from, from, sizeof l->from);
    memcpy(l->to, to, sizeof(double) * (size_t)l->nch);
    l->steps = ms / LIGHT_STEP_MS ? ms / LIGHT_STEP_MS : 1;
    l->step = 0;
    l->timer.arg = l;
    int rc = ev_timer_start(l->node->loop, &l->timer, LIGHT_STEP_MS, fade_tick);
    if (rc < 0)
        return rc;
    l->is_fading = true;
    return 0;
}

int light_fade_continue(struct lm_ctx *ctx, struct light *l)
{
    struct light_step *st = ctx->state;
    double v[LIGHT_CH_MAX];
    interpolate(st->from, st->to, ctx->step + 1, st->steps, l->nch, v);
    int rc = write_out(l, v);
    if (rc < 0)
        return rc;
    if (ctx->step + 1 < st->steps && lm_again(ctx, LIGHT_STEP_MS))
        return ERR_AGAIN;
    return 0;
}

int light_fade(struct lm_ctx *ctx, struct light *l, const double *to, uint32_t ms)
{
    if (ms == 0 || !l->node || !l->node->loop)
        return light_set_now(l, to);
    if (ctx && ctx->is_task && ctx->state && ctx->state_size >= sizeof(struct light_step)) {
        struct light_step *st = ctx->state;
        light_cancel(l);
        memcpy(st->from, l->out, sizeof st->from);
        memcpy(st->to, to, sizeof(double) * (size_t)l->nch);
        st->steps = ms / LIGHT_STEP_MS ? ms / LIGHT_STEP_MS : 1;
        return light_fade_continue(ctx, l);
    }
    light_cancel(l);
    return fade_start(l, l->out, to, ms);
}

static void transition_kill(void *arg)
{
    struct light *l = arg;
    if (l->is_fading)
        ev_timer_stop(l->node->loop, &l->timer);
    l->is_fading = false;
    l->is_transition = false;
    l->task_id = -1;
}

int light_transition(struct lm_ctx *ctx, struct light *l, const double *to, uint32_t ms, bool wake)
{
    if (!l->node->tasks)
        return lm_error(ctx, "task manager not running");
    snprintf(l->tag, sizeof l->tag, "%s._tran", l->module);
    if (l->is_transition) {
        lm_ret_str(ctx, "Transition already running");
        return 0;
    }
    light_cancel(l);
    int id = task_native_add(l->node->tasks, l->tag, NULL, transition_kill, l);
    if (id < 0) {
        struct exec_result res;
        memset(&res, 0, sizeof res);
        task_reply(l->node->tasks, l->tag, id, false, ctx->arena, &res);
        return lm_error(ctx, "%s", res.text ? res.text : err_str(id));
    }
    l->task_id = id;
    l->is_transition = true;
    l->is_wake = wake;
    /* From what the outputs show when on, else from the cached colour (micrOS). */
    int rc = fade_start(l, l->state == 1 ? l->out : l->val, to, ms);
    if (rc < 0) {
        task_native_remove(l->node->tasks, id);
        l->is_transition = false;
        l->task_id = -1;
        return lm_error(ctx, "cannot start transition: %s", err_str(rc));
    }
    transition_output(l, "Dimming", l->from);
    return lm_ret_str(ctx, "Starting transition");
}

void light_commit(struct light *l, const double *v)
{
    bool any = false;
    for (int i = 0; i < l->nch; i++)
        any |= v[i] > 0;
    if (any) {
        memcpy(l->val, v, sizeof(double) * (size_t)l->nch);
        l->state = 1;
    } else {
        l->state = 0;
    }
    light_save(l);
}

struct val *light_num(struct arena *a, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        return val_int(a, (int64_t)v);
    return val_float(a, v);
}

struct val *light_status(struct lm_ctx *ctx, const struct light *l)
{
    struct val *d = val_dict(ctx->arena);
    for (int i = 0; i < l->nch; i++)
        val_dict_set(ctx->arena, d, l->keys[i], light_num(ctx->arena, l->val[i]));
    val_dict_set(ctx->arena, d, l->keys[l->nch], val_int(ctx->arena, l->state));
    return d;
}

int light_bind_pwm(struct lm_ctx *ctx, const char *tag, int number, uint32_t freq)
{
    char err[128];
    int pin = pinmap_bind(tag, number, err, sizeof err);
    if (pin < 0) {
        lm_error(ctx, "%s", err);
        return pin;
    }
    int rc = hal_pwm_setup(pin, freq);
    if (rc < 0) {
        pinmap_release(tag);
        lm_error(ctx, "[io] PWM on pin %s:%d: %s", tag, pin, err_str(rc));
        return rc;
    }
    return pin;
}

int light_write_pwm(struct light *l, const double *v)
{
    for (int i = 0; i < l->nch; i++) {
        if (l->pin[i] < 0)
            return ERR_INVAL;
        double d = v[i] < 0 ? 0 : v[i] > HAL_PWM_DUTY_MAX ? HAL_PWM_DUTY_MAX : v[i];
        int rc = hal_pwm_set_duty(l->pin[i], (uint32_t)lround(d));
        if (rc < 0)
            return rc;
    }
    return 0;
}

int light_init_pwm(struct lm_ctx *ctx, struct light *l, const int *numbers)
{
    if (l->is_ready && !numbers)
        return 0;
    int pin[LIGHT_CH_MAX];
    for (int i = 0; i < l->nch; i++) {
        pin[i] = light_bind_pwm(ctx, l->tags[i], numbers ? numbers[i] : -1, l->pwm_hz);
        if (pin[i] < 0)
            return pin[i];
    }
    memcpy(l->pin, pin, sizeof(int) * (size_t)l->nch);
    l->is_ready = true;
    return 0;
}

void light_boot_pwm(struct light *l)
{
    if (l->state != 1)
        return;
    char err[128];
    int pin[LIGHT_CH_MAX];
    for (int i = 0; i < l->nch; i++) {
        pin[i] = pinmap_bind(l->tags[i], -1, err, sizeof err);
        if (pin[i] < 0 || hal_pwm_setup(pin[i], l->pwm_hz) != 0)
            return;
    }
    memcpy(l->pin, pin, sizeof(int) * (size_t)l->nch);
    l->is_ready = true;
    light_set_now(l, l->val);
}

void light_channel_args(struct lm_ctx *ctx, const struct light *l, double *to)
{
    for (int i = 0; i < l->nch; i++)
        to[i] = lm_is_none(ctx, l->args[i]) ? l->val[i] : lm_float(ctx, l->args[i]);
}

int light_reply(struct lm_ctx *ctx, const struct light *l)
{
    return lm_ret(ctx, l->status ? l->status(ctx) : light_status(ctx, l));
}

int light_apply(struct lm_ctx *ctx, struct light *l, const double *to, bool smooth, bool force)
{
    if (force) {
        light_cancel(l);
        if (l->preempt)
            l->preempt();
    }
    if (l->state == 0)
        light_set_now(l, (const double[LIGHT_CH_MAX]){0});
    int rc = light_fade(ctx, l, to, smooth ? LIGHT_SMOOTH_MS : 0);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "%s output: %s", l->module, err_str(rc));
    light_commit(l, to);
    for (int i = 0; i < l->nch && l->state == 1; i++)
        l->val[i] = l->val[i] < l->min_on ? l->min_on : l->val[i];
    return 0;
}

int light_set(struct lm_ctx *ctx, struct light *l, const double *to, bool smooth, bool force)
{
    int rc = l->init(ctx);
    if (rc < 0)
        return rc;
    rc = light_apply(ctx, l, to, smooth, force);
    if (rc < 0)
        return rc;
    return light_reply(ctx, l);
}

int light_resume(struct lm_ctx *ctx, struct light *l)
{
    int rc = light_fade_continue(ctx, l);
    if (rc < 0 && rc != ERR_AGAIN)
        return lm_error(ctx, "%s output: %s", l->module, err_str(rc));
    return light_reply(ctx, l);
}

int light_toggle(struct lm_ctx *ctx, struct light *l)
{
    if (ctx->step > 0)
        return light_resume(ctx, l);
    if (!lm_is_none(ctx, "state") && lm_bool(ctx, "state") == (l->state == 1))
        return light_reply(ctx, l);
    double to[LIGHT_CH_MAX] = {0};
    if (l->state != 1)
        memcpy(to, l->val, sizeof(double) * (size_t)l->nch);
    return light_set(ctx, l, to, lm_bool(ctx, "smooth"), false);
}

int light_brightness(struct lm_ctx *ctx, struct light *l, unsigned flags)
{
    if (ctx->step > 0)
        return light_resume(ctx, l);
    double ch_max = l->val[0];
    for (int i = 1; i < l->nch; i++)
        ch_max = fmax(ch_max, l->val[i]);
    double actual = ch_max / l->ch_max * 100;
    if (lm_is_none(ctx, "percent"))
        return l->state == 0 ? lm_ret_str(ctx, "0 %") : lm_ret_strf(ctx, "%g %%", actual);
    double pct = lm_float(ctx, "percent");
    if (pct < 0 || pct > 100)
        return lm_ret_str(ctx, "Percent is out of range: 0-100");
    if (pct == actual && l->state == 1)
        return light_reply(ctx, l);
    double target = l->ch_max * pct / 100, to[LIGHT_CH_MAX];
    for (int i = 0; i < l->nch; i++) {
        if (ch_max <= 0)
            to[i] = target;
        else if (flags & LIGHT_BR_FLOOR)
            to[i] = floor(target * l->val[i] / ch_max);
        else
            to[i] = round(target * l->val[i] / ch_max * 1000) / 1000;
    }
    if (l->state == 1 || lm_bool(ctx, "wake"))
        return light_set(ctx, l, to, lm_bool(ctx, "smooth"), true);
    for (int i = 0; i < l->nch; i++)
        l->val[i] = flags & LIGHT_BR_WHOLE_OFF ? (int)to[i] : to[i];
    light_save(l);
    return light_reply(ctx, l);
}

static uint32_t next_rand(struct light *l)
{
    l->seed ^= l->seed << 13;
    l->seed ^= l->seed >> 17;
    l->seed ^= l->seed << 5;
    return l->seed;
}

int light_random(struct lm_ctx *ctx, struct light *l)
{
    if (ctx->step > 0)
        return light_resume(ctx, l);
    int64_t max = lm_int(ctx, "max_val");
    if (max < 0 || max > (int64_t)l->ch_max)
        return lm_error(ctx, "max_val=%lld out of range 0-%d", (long long)max, (int)l->ch_max);
    double to[LIGHT_CH_MAX];
    for (int i = 0; i < l->nch; i++)
        to[i] = (double)(next_rand(l) % (uint32_t)(max + 1));
    return light_set(ctx, l, to, lm_bool(ctx, "smooth"), true);
}

int light_transition_sec(struct lm_ctx *ctx, struct light *l, const double *to, double sec)
{
    if (sec < 0 || sec > 3600)
        return lm_error(ctx, "sec=%g out of range 0-3600", sec);
    if (l->preempt)
        l->preempt();
    return light_transition(ctx, l, to, (uint32_t)(sec * 1000), lm_bool(ctx, "wake"));
}
