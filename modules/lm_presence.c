/* lm_presence.c - Load Module `presence` (micrOS LM_presence, ADC microphone / motion level):
 * motion_trig samples the ADC pin `mic` every sample_ms on a loop timer and keeps the last
 * buff_size levels (0-100 % of full scale); when their average reaches `threshold` the
 * presence turns ON and an OFF timer of `timer` seconds starts, restarted by every new trigger;
 * when it runs out the presence turns OFF. ON/OFF changes are pushed to shell clients
 * (enable_notify) and shown by status and get_samples. */
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <string.h>

#define PRES_BUF_MAX 64

static struct {
    struct node *node;
    int pin;
    int64_t threshold; /* percent */
    int64_t timer_s;
    bool notify;
    bool is_on;
    uint64_t off_at_ms;
    int sample_ms;
    size_t buff_size, n, head;
    uint8_t level[PRES_BUF_MAX];
    uint64_t at_ms[PRES_BUF_MAX];
    uint64_t triggers;
    struct ev_timer timer;
} s_pr = {.pin = -1, .threshold = 3, .timer_s = 120, .sample_ms = 15, .buff_size = 10};

static int setup(struct lm_ctx *ctx)
{
    s_pr.node = ctx->node;
    if (s_pr.pin >= 0)
        return 0;
    char err[128];
    int pin = pinmap_bind("mic", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    s_pr.pin = pin;
    return 0;
}

static void set_state(bool on)
{
    if (s_pr.is_on == on)
        return;
    s_pr.is_on = on;
    if (s_pr.notify && s_pr.node && s_pr.node->push) {
        /* lm_push needs a ctx; the node's push hook takes the line directly */
        s_pr.node->push(s_pr.node, on ? "presence: ON" : "presence: OFF");
    }
}

static int64_t sample_cb(struct ev_loop *loop, struct ev_timer *t)
{
    (void)t;
    uint32_t raw = 0;
    if (hal_adc_read(s_pr.pin, &raw) < 0)
        return s_pr.sample_ms;
    uint64_t now = ev_now(loop);
    size_t i = (s_pr.head + s_pr.n) % s_pr.buff_size;
    if (s_pr.n == s_pr.buff_size)
        s_pr.head = (s_pr.head + 1) % s_pr.buff_size;
    else
        s_pr.n++;
    s_pr.level[i] = (uint8_t)(raw * 100u / HAL_ADC_MAX);
    s_pr.at_ms[i] = now;
    unsigned sum = 0;
    for (size_t k = 0; k < s_pr.n; k++)
        sum += s_pr.level[k];
    if (s_pr.n == s_pr.buff_size && (int64_t)(sum / s_pr.n) >= s_pr.threshold) {
        s_pr.triggers++;
        s_pr.off_at_ms = now + (uint64_t)s_pr.timer_s * 1000u;
        set_state(true);
    } else if (s_pr.is_on && now >= s_pr.off_at_ms) {
        set_state(false);
    }
    return s_pr.sample_ms;
}

static int fn_load(struct lm_ctx *ctx)
{
    int64_t th = lm_int(ctx, "threshold"), tm = lm_int(ctx, "timer");
    if (th < 0 || th > 100 || tm < 1 || tm > 86400)
        return lm_error(ctx, "threshold must be 0-100 (%% of full scale), timer 1-86400 s");
    const char *mic = lm_str(ctx, "mic");
    if (mic && strcmp(mic, "ADC") != 0 && strcmp(mic, "NONE") != 0)
        return lm_error(ctx, "mic must be ADC or NONE (no I2S microphone on this port)");
    if (setup(ctx) < 0)
        return ERR_INVAL;
    s_pr.threshold = th;
    s_pr.timer_s = tm;
    s_pr.notify = lm_bool(ctx, "enable_notify");
    return lm_ret_strf(ctx, "Presence: threshold %lld%%, timer %llds", (long long)th,
                       (long long)tm);
}

static int fn_motion_trig(struct lm_ctx *ctx)
{
    int64_t ms = lm_int(ctx, "sample_ms"), n = lm_int(ctx, "buff_size");
    if (ms < 5 || ms > 10000 || n < 1 || n > PRES_BUF_MAX)
        return lm_error(ctx, "sample_ms must be 5-10000 and buff_size 1-%d", PRES_BUF_MAX);
    if (setup(ctx) < 0)
        return ERR_INVAL;
    s_pr.sample_ms = (int)ms;
    s_pr.buff_size = (size_t)n;
    s_pr.n = s_pr.head = 0;
    ev_timer_start(ctx->node->loop, &s_pr.timer, 0, sample_cb);
    return lm_ret_strf(ctx, "Motion trigger: %lld samples every %lld ms", (long long)n,
                       (long long)ms);
}

static int fn_get_samples(struct lm_ctx *ctx)
{
    struct val *l = val_list(ctx->arena);
    for (size_t k = 0; k < s_pr.n; k++) {
        size_t i = (s_pr.head + k) % s_pr.buff_size;
        struct val *t = val_list(ctx->arena);
        val_append(t, val_int(ctx->arena, (int64_t)s_pr.at_ms[i]));
        val_append(t, val_int(ctx->arena, s_pr.level[i]));
        val_append(t, val_int(ctx->arena, s_pr.level[i] >= s_pr.threshold));
        val_append(l, t);
    }
    return lm_ret(ctx, l);
}

static int fn_status(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    uint64_t now = ctx->node->loop ? ev_now(ctx->node->loop) : 0;
    val_dict_set(ctx->arena, d, "S", val_int(ctx->arena, s_pr.is_on));
    val_dict_set(ctx->arena, d, "timer",
                 val_int(ctx->arena, s_pr.is_on && s_pr.off_at_ms > now
                                         ? (int64_t)((s_pr.off_at_ms - now + 999) / 1000)
                                         : 0));
    val_dict_set(ctx->arena, d, "triggers", val_int(ctx->arena, (int64_t)s_pr.triggers));
    val_dict_set(ctx->arena, d, "sampling", val_bool(ctx->arena, s_pr.timer.is_active));
    return 0;
}

static int fn_stop(struct lm_ctx *ctx)
{
    if (ctx->node->loop)
        ev_timer_stop(ctx->node->loop, &s_pr.timer);
    set_state(false);
    return lm_ret_str(ctx, "Motion trigger stopped");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "mic"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"threshold", LM_INT, "3", NULL}, {"timer", LM_INT, "120", NULL},
                         {"mic", LM_STR, "'ADC'", "ADC,NONE"},
                         {"enable_notify", LM_BOOL, "False", NULL})},
    {.name = "motion_trig",
     .fn = fn_motion_trig,
     .params = LM_PARAMS({"sample_ms", LM_INT, "15", NULL}, {"buff_size", LM_INT, "10", NULL}),
     .widget = "BUTTON"},
    {.name = "get_samples", .fn = fn_get_samples},
    {.name = "status", .fn = fn_status, .widget = "STATUS"},
    {.name = "stop", .fn = fn_stop, .widget = "BUTTON"},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_presence = {.name = "presence", .funcs = s_funcs};
