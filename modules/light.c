/* light.c - shared state, fades and transitions of the light modules. */
#include "light.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/pinmap.h"
#include "../svc/task.h"

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
    int rc = hal_fs_write_atomic(path, buf, strlen(buf));
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
