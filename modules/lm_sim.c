/* lm_sim.c - Load Module `sim`: look at and drive the simulated hardware (hal/hal_sim.h):
 * what the node writes (levels, PWM duties, neopixel strips) and what it reads (inputs, ADC,
 * sensors). Works only while the simulated backend is active. */
#include "../core/err.h"
#include "../hal/hal_bus.h"
#include "../hal/hal_time.h"
#include "../hal/hal_gpio.h"
#include "../hal/hal_sim.h"
#include "../svc/endpoint.h"
#include "../svc/lm.h"
#include "../svc/notify.h"
#include "../svc/pinmap.h"

#include <stdio.h>
#include <string.h>
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

static int need_sim_bus(struct lm_ctx *ctx)
{
    if (strcmp(hal_bus_backend(), "sim") == 0)
        return 0;
    return lm_error(ctx, "simulated buses are not active (bus backend: %s)", hal_bus_backend());
}

static const struct {
    const char *name;
    enum hal_sim_dev kind;
} s_models[] = {
    {.name = "bme280", .kind = HAL_SIM_BME280},     {.name = "aht10", .kind = HAL_SIM_AHT10},
    {.name = "veml7700", .kind = HAL_SIM_VEML7700}, {.name = "ssd1306", .kind = HAL_SIM_SSD1306},
    {.name = "sh1106", .kind = HAL_SIM_SH1106},     {.name = "qmi8658", .kind = HAL_SIM_QMI8658},
};

static int fn_devices(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    int bus = (int)lm_int(ctx, "bus");
    struct val *d = lm_ret_dict(ctx);
    for (int a = 0; a < 128; a++) {
        const char *m = hal_sim_i2c_model(bus, (uint8_t)a);
        if (m) {
            char key[8];
            snprintf(key, sizeof key, "0x%02x", a);
            val_dict_set(ctx->arena, d, key, val_str(ctx->arena, m));
        }
    }
    return 0;
}

static int fn_plug(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    const char *model = lm_str(ctx, "model");
    int64_t addr = lm_int(ctx, "addr"), bus = lm_int(ctx, "bus");
    for (size_t i = 0; model && i < sizeof s_models / sizeof s_models[0]; i++) {
        if (strcmp(model, s_models[i].name) != 0)
            continue;
        if (addr < 0 || addr > 0x7f || bus < 0)
            return lm_error(ctx, "addr must be 0-0x7f");
        int rc = hal_sim_i2c_plug(s_models[i].kind, (int)bus, (uint8_t)addr);
        if (rc < 0)
            return lm_error(ctx, "plug %s at 0x%02x: %s", model, (unsigned)addr, err_str(rc));
        return lm_ret_strf(ctx, "%s plugged at 0x%02x on bus %d", model, (unsigned)addr, (int)bus);
    }
    return lm_error(ctx, "unknown model (bme280, aht10, veml7700, ssd1306, sh1106, qmi8658)");
}

static int fn_unplug(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    int64_t addr = lm_int(ctx, "addr"), bus = lm_int(ctx, "bus");
    if (addr < 0 || addr > 0x7f || hal_sim_i2c_unplug((int)bus, (uint8_t)addr) < 0)
        return lm_error(ctx, "no simulated device at 0x%02x on bus %d", (unsigned)(addr & 0xff),
                        (int)bus);
    return lm_ret_strf(ctx, "unplugged 0x%02x", (unsigned)addr);
}

/* Sets the numeric arguments that are not None into *v. */
static void set_if(struct lm_ctx *ctx, const char *name, double *v)
{
    if (!lm_is_none(ctx, name))
        *v = lm_float(ctx, name);
}

static struct val *env_dict(struct lm_ctx *ctx, const struct hal_sim_env *e)
{
    struct arena *a = ctx->arena;
    struct val *d = val_dict(a);
    val_dict_set(a, d, "pressure[hPa]", val_float(a, e->pressure_hpa));
    val_dict_set(a, d, "lux", val_float(a, e->lux));
    struct val *acc = val_tuple(a), *gyr = val_tuple(a);
    for (int i = 0; i < 3; i++) {
        val_append(acc, val_float(a, e->accel_g[i]));
        val_append(gyr, val_float(a, e->gyro_dps[i]));
    }
    val_dict_set(a, d, "accel[g]", acc);
    val_dict_set(a, d, "gyro[dps]", gyr);
    struct val *r = val_dict(a);
    val_dict_set(a, r, "state", val_int(a, e->radar_state));
    val_dict_set(a, r, "moving_distance", val_int(a, e->radar_move_cm));
    val_dict_set(a, r, "moving_energy", val_int(a, e->radar_move_energy));
    val_dict_set(a, r, "stationary_distance", val_int(a, e->radar_static_cm));
    val_dict_set(a, r, "stationary_energy", val_int(a, e->radar_static_energy));
    val_dict_set(a, r, "detection_distance", val_int(a, e->radar_detect_cm));
    val_dict_set(a, d, "radar", r);
    return d;
}

static int fn_env(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    set_if(ctx, "pressure", &e.pressure_hpa);
    set_if(ctx, "lux", &e.lux);
    if (e.pressure_hpa < 300 || e.pressure_hpa > 1100 || e.lux < 0 || e.lux > 120000)
        return lm_error(ctx, "pressure must be 300..1100 hPa and lux 0..120000");
    hal_sim_env_set(&e);
    return lm_ret(ctx, env_dict(ctx, &e));
}

static int fn_imu(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    static const char *const acc[] = {"ax", "ay", "az"}, *const gyr[] = {"gx", "gy", "gz"};
    for (int i = 0; i < 3; i++) {
        set_if(ctx, acc[i], &e.accel_g[i]);
        set_if(ctx, gyr[i], &e.gyro_dps[i]);
        if (e.accel_g[i] < -8 || e.accel_g[i] > 8 || e.gyro_dps[i] < -256 || e.gyro_dps[i] > 256)
            return lm_error(ctx, "acceleration must be -8..8 g and rotation -256..256 dps");
    }
    hal_sim_env_set(&e);
    return lm_ret(ctx, env_dict(ctx, &e));
}

static int fn_radar(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    int64_t v[6] = {lm_int(ctx, "state"),         lm_int(ctx, "moving"),
                    lm_int(ctx, "moving_energy"), lm_int(ctx, "static"),
                    lm_int(ctx, "static_energy"), lm_int(ctx, "detect")};
    if (v[0] < 0 || v[0] > 3)
        return lm_error(ctx, "state: 0 none, 1 moving, 2 static, 3 both");
    for (int i = 1; i < 6; i++)
        if (v[i] < 0 || v[i] > 65535)
            return lm_error(ctx, "distances and energies must be 0..65535");
    e.radar_state = (int)v[0];
    e.radar_move_cm = (int)v[1];
    e.radar_move_energy = (int)v[2];
    e.radar_static_cm = (int)v[3];
    e.radar_static_energy = (int)v[4];
    e.radar_detect_cm = (int)v[5];
    hal_sim_env_set(&e);
    return lm_ret(ctx, env_dict(ctx, &e));
}

static int fn_display(struct lm_ctx *ctx)
{
    if (need_sim_bus(ctx) < 0)
        return ERR_INVAL;
    int64_t addr = lm_int(ctx, "addr"), bus = lm_int(ctx, "bus");
    uint8_t fb[1024];
    bool is_on = false, is_inv = false;
    uint32_t writes = 0;
    if (addr < 0 || addr > 0x7f ||
        hal_sim_display_get((int)bus, (uint8_t)addr, fb, sizeof fb, &is_on, &is_inv, &writes) < 0)
        return lm_error(ctx, "no simulated display at 0x%02x on bus %d", (unsigned)(addr & 0xff),
                        (int)bus);
    char *hex = arena_alloc(ctx->arena, sizeof fb * 2 + 1);
    if (!hex)
        return lm_error(ctx, "memory allocation failed");
    for (size_t i = 0; i < sizeof fb; i++)
        snprintf(hex + 2 * i, 3, "%02x", fb[i]);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "model",
                 val_str(ctx->arena, hal_sim_i2c_model((int)bus, (uint8_t)addr)));
    val_dict_set(ctx->arena, d, "w", val_int(ctx->arena, 128));
    val_dict_set(ctx->arena, d, "h", val_int(ctx->arena, 64));
    val_dict_set(ctx->arena, d, "on", val_bool(ctx->arena, is_on));
    val_dict_set(ctx->arena, d, "inverted", val_bool(ctx->arena, is_inv));
    val_dict_set(ctx->arena, d, "writes", val_int(ctx->arena, writes));
    val_dict_set(ctx->arena, d, "fb", val_str(ctx->arena, hex));
    return 0;
}

static int fn_backend(struct lm_ctx *ctx)
{
    return lm_ret_str(ctx, hal_gpio_backend());
}

/* sim notify "text": a module's notify() call (svc/notify.h), as a sensor module would make. */
static int fn_notify(struct lm_ctx *ctx)
{
    notify(ctx->node, lm_str(ctx, "text"));
    return lm_ret_str(ctx, "notified");
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
    {.name = "notify", .fn = fn_notify, .params = LM_PARAMS({"text", LM_STR, NULL, NULL})},
    {.name = "devices", .fn = fn_devices, .params = LM_PARAMS({"bus", LM_INT, "0", NULL})},
    {.name = "plug",
     .fn = fn_plug,
     .params = LM_PARAMS({"model", LM_STR, NULL, NULL}, {"addr", LM_INT, NULL, NULL},
                         {"bus", LM_INT, "0", NULL})},
    {.name = "unplug",
     .fn = fn_unplug,
     .params = LM_PARAMS({"addr", LM_INT, NULL, NULL}, {"bus", LM_INT, "0", NULL})},
    {.name = "env",
     .fn = fn_env,
     .params = LM_PARAMS({"pressure", LM_FLOAT, "None", NULL}, {"lux", LM_FLOAT, "None", NULL})},
    {.name = "imu",
     .fn = fn_imu,
     .params = LM_PARAMS({"ax", LM_FLOAT, "None", NULL}, {"ay", LM_FLOAT, "None", NULL},
                         {"az", LM_FLOAT, "None", NULL}, {"gx", LM_FLOAT, "None", NULL},
                         {"gy", LM_FLOAT, "None", NULL}, {"gz", LM_FLOAT, "None", NULL})},
    {.name = "radar",
     .fn = fn_radar,
     .params = LM_PARAMS({"state", LM_INT, "1", "0,1,2,3"}, {"moving", LM_INT, "100", NULL},
                         {"moving_energy", LM_INT, "50", NULL}, {"static", LM_INT, "0", NULL},
                         {"static_energy", LM_INT, "0", NULL}, {"detect", LM_INT, "100", NULL})},
    {.name = "display",
     .fn = fn_display,
     .params = LM_PARAMS({"addr", LM_INT, "0x3c", NULL}, {"bus", LM_INT, "0", NULL})},
    {.name = NULL},
};

const struct lm_module lm_sim = {.name = "sim", .funcs = s_funcs, .load = sim_load};
