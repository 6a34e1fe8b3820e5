/* lm_sim.c - Load Module `sim`: look at and drive the simulated hardware (hal/hal_sim.h):
 * what the node writes (levels, PWM duties, neopixel strips) and what it reads (inputs, ADC,
 * sensors). Works only while the simulated backend is active. */
#include "../core/err.h"
#include "../hal/hal_time.h"
#include "../hal/hal_gpio.h"
#include "../hal/hal_sim.h"
#include "../svc/endpoint.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <stdlib.h>

#define SIM_STRIP_SHOWN 64 /* pixels `sim strip` returns at most */

static const char *use_name(enum hal_sim_use u)
{
    switch (u) {
    case HAL_SIM_INPUT: return "in";
    case HAL_SIM_OUTPUT: return "out";
    case HAL_SIM_PWM: return "pwm";
    case HAL_SIM_ADC: return "adc";
    case HAL_SIM_NEOPIXEL: return "neopixel";
    case HAL_SIM_UNUSED: break;
    }
    return "unused";
}

static int need_sim(struct lm_ctx *ctx)
{
    if (hal_sim_is_active())
        return 0;
    return lm_error(ctx, "simulated pins are not active (gpio backend: %s)", hal_gpio_backend());
}

static struct val *pin_dict(struct lm_ctx *ctx, int pin, const struct hal_sim_pin *p)
{
    struct arena *a = ctx->arena;
    struct val *d = val_dict(a);
    val_dict_set(a, d, "use", val_str(a, use_name(p->use)));
    const char *tag = pinmap_owner(pin);
    val_dict_set(a, d, "tag", tag ? val_str(a, tag) : val_none(a));
    switch (p->use) {
    case HAL_SIM_PWM:
        val_dict_set(a, d, "duty", val_int(a, p->duty));
        val_dict_set(a, d, "freq", val_int(a, p->freq_hz));
        break;
    case HAL_SIM_ADC: val_dict_set(a, d, "raw", val_int(a, p->adc_raw)); break;
    case HAL_SIM_NEOPIXEL: val_dict_set(a, d, "pixels", val_int(a, (int64_t)p->npixels)); break;
    case HAL_SIM_INPUT:
        val_dict_set(a, d, "level", val_int(a, p->level));
        val_dict_set(a, d, "watched", val_bool(a, p->is_watched));
        break;
    case HAL_SIM_OUTPUT:
    case HAL_SIM_UNUSED: val_dict_set(a, d, "level", val_int(a, p->level)); break;
    }
    return d;
}

static int fn_pins(struct lm_ctx *ctx)
{
    if (need_sim(ctx) < 0)
        return ERR_INVAL;
    struct val *d = lm_ret_dict(ctx);
    for (int pin = 0; pin < HAL_SIM_PINS; pin++) {
        struct hal_sim_pin p;
        if (hal_sim_pin_get(pin, &p) < 0)
            continue;
        if (p.use == HAL_SIM_UNUSED && !pinmap_owner(pin))
            continue;
        val_dict_set_ikey(ctx->arena, d, pin, pin_dict(ctx, pin, &p));
    }
    return 0;
}

/* Checks the simulator is active and reads the `pin` argument's state into p. Returns the pin
 * or ERR_INVAL (call failed). */
static int get_pin(struct lm_ctx *ctx, struct hal_sim_pin *p)
{
    if (need_sim(ctx) < 0)
        return ERR_INVAL;
    int64_t pin = lm_int(ctx, "pin");
    if (hal_sim_pin_get((int)pin, p) < 0 || pin < 0 || pin >= HAL_SIM_PINS)
        return lm_error(ctx, "pin %lld out of range 0-%d", (long long)pin, HAL_SIM_PINS - 1);
    return (int)pin;
}

static int fn_pin(struct lm_ctx *ctx)
{
    struct hal_sim_pin p;
    int pin = get_pin(ctx, &p);
    if (pin < 0)
        return pin;
    return lm_ret(ctx, pin_dict(ctx, pin, &p));
}

static int fn_drive(struct lm_ctx *ctx)
{
    struct hal_sim_pin p;
    int pin = get_pin(ctx, &p);
    if (pin < 0)
        return pin;
    int rc = hal_sim_drive(pin, (int)lm_int(ctx, "level"));
    if (rc == ERR_BUSY)
        return lm_error(ctx, "pin %d is an output (%s): it cannot be driven", pin, use_name(p.use));
    hal_sim_pin_get(pin, &p);
    return lm_ret(ctx, pin_dict(ctx, pin, &p));
}

static int fn_adc(struct lm_ctx *ctx)
{
    struct hal_sim_pin p;
    int pin = get_pin(ctx, &p);
    if (pin < 0)
        return pin;
    int64_t raw = lm_int(ctx, "raw");
    if (raw < 0 || raw > HAL_ADC_MAX || hal_sim_adc_set(pin, (uint32_t)raw) < 0)
        return lm_error(ctx, "raw %lld out of range 0-%u", (long long)raw, HAL_ADC_MAX);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "pin", val_int(ctx->arena, pin));
    val_dict_set(ctx->arena, d, "raw", val_int(ctx->arena, raw));
    return 0;
}

static int fn_sensor(struct lm_ctx *ctx)
{
    if (need_sim(ctx) < 0)
        return ERR_INVAL;
    double t, h;
    hal_sim_sensor_get(&t, &h);
    if (!lm_is_none(ctx, "temp"))
        t = lm_float(ctx, "temp");
    if (!lm_is_none(ctx, "hum"))
        h = lm_float(ctx, "hum");
    if (t < -55 || t > 125 || h < 0 || h > 100)
        return lm_error(ctx, "temp must be -55..125 C and hum 0..100 %%");
    hal_sim_sensor_set(t, h);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp[C]", val_float(ctx->arena, t));
    val_dict_set(ctx->arena, d, "hum[%]", val_float(ctx->arena, h));
    return 0;
}

static int fn_strip(struct lm_ctx *ctx)
{
    struct hal_sim_pin p;
    int pin = get_pin(ctx, &p);
    if (pin < 0)
        return pin;
    uint8_t rgb[SIM_STRIP_SHOWN * 3];
    size_t n = 0;
    if (hal_sim_strip_get(pin, rgb, SIM_STRIP_SHOWN, &n) < 0)
        return lm_error(ctx, "no neopixel strip written on pin %d", pin);
    struct val *l = val_list(ctx->arena);
    for (size_t i = 0; i < n && i < SIM_STRIP_SHOWN; i++) {
        struct val *t = val_tuple(ctx->arena);
        for (int c = 0; c < 3; c++)
            val_append(t, val_int(ctx->arena, rgb[i * 3 + (size_t)c]));
        val_append(l, t);
    }
    return lm_ret(ctx, l);
}

static int fn_i2c(struct lm_ctx *ctx)
{
    uint8_t addrs[128];
    int n = hal_i2c_scan((int)lm_int(ctx, "bus"), addrs, sizeof addrs);
    if (n < 0)
        return lm_error(ctx, "i2c scan: %s", err_str(n));
    struct val *l = val_list(ctx->arena);
    for (int i = 0; i < n; i++)
        val_append(l, val_int(ctx->arena, addrs[i]));
    return lm_ret(ctx, l);
}

static int fn_backend(struct lm_ctx *ctx)
{
    return lm_ret_str(ctx, hal_gpio_backend());
}

/* --- GET /sim/stream: the simulated pins as a live multipart/x-mixed-replace stream, one
 *     text frame every SIM_FRAME_MS (?frames=N ends it after N frames) --- */

#define SIM_FRAME_MS 500

struct sim_stream {
    uint32_t frame, frames; /* frames sent; the limit (0 = none) */
    bool is_waiting;        /* a frame was sent: wait SIM_FRAME_MS before the next */
};

static int stream_next(void *state, struct buf *out, size_t want, uint32_t *again_ms)
{
    (void)want;
    struct sim_stream *st = state;
    if (st->frames && st->frame >= st->frames)
        return -1;
    if (st->is_waiting) {
        st->is_waiting = false;
        *again_ms = SIM_FRAME_MS;
        return 0;
    }
    st->frame++;
    st->is_waiting = true;
    buf_printf(out, "--frame\r\nContent-Type: text/plain\r\n\r\nframe %u at %llu ms\n",
               (unsigned)st->frame, (unsigned long long)hal_mono_ms());
    for (int pin = 0; pin < HAL_SIM_PINS; pin++) {
        struct hal_sim_pin p;
        if (hal_sim_pin_get(pin, &p) < 0 || p.use == HAL_SIM_UNUSED)
            continue;
        buf_printf(out, "pin %d %s level %d duty %d\n", pin, use_name(p.use), p.level, (int)p.duty);
    }
    buf_puts(out, "\r\n");
    return 1;
}

static void stream_close(void *state)
{
    free(state);
}

static const struct endpoint_stream_ops s_stream_ops = {stream_next, stream_close};

static int on_stream(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                     void *arg)
{
    (void)node;
    (void)arg;
    struct sim_stream *st = calloc(1, sizeof *st);
    if (!st)
        return ERR_NOMEM;
    if (str_starts(req->query, "frames="))
        st->frames = (uint32_t)strtoul(req->query.p + 7, NULL, 10);
    rep->content_type = "multipart/x-mixed-replace; boundary=frame";
    rep->headers = "cache-control: no-cache\r\n";
    rep->stream = &s_stream_ops;
    rep->stream_state = st;
    rep->stream_len = -1;
    return 0;
}

/* Registers GET /sim/stream when the module loads. */
static int sim_load(struct node *node)
{
    if (node->endpoints)
        endpoint_add(node->endpoints, "sim/stream", EP_GET, 0, on_stream, NULL);
    return 0;
}

static const struct lm_func s_funcs[] = {
    {.name = "pins", .fn = fn_pins},
    {.name = "pin", .fn = fn_pin, .params = LM_PARAMS({"pin", LM_INT, NULL, NULL})},
    {.name = "drive",
     .fn = fn_drive,
     .params = LM_PARAMS({"pin", LM_INT, NULL, NULL}, {"level", LM_INT, NULL, "0,1"})},
    {.name = "adc",
     .fn = fn_adc,
     .params = LM_PARAMS({"pin", LM_INT, NULL, NULL}, {"raw", LM_INT, NULL, "0-4095"})},
    {.name = "sensor",
     .fn = fn_sensor,
     .params = LM_PARAMS({"temp", LM_FLOAT, "None", NULL}, {"hum", LM_FLOAT, "None", NULL})},
    {.name = "strip", .fn = fn_strip, .params = LM_PARAMS({"pin", LM_INT, NULL, NULL})},
    {.name = "i2c", .fn = fn_i2c, .params = LM_PARAMS({"bus", LM_INT, "0", NULL})},
    {.name = "backend", .fn = fn_backend},
    {.name = NULL},
};

const struct lm_module lm_sim = {"sim", s_funcs, sim_load};
