/* lm_dht22.c - Load Module `dht22`: temperature and humidity (micrOS LM_dht22: pin dhtpin;
 * on Linux through the kernel's dht11 IIO driver, simulated values on the sim backend).
 * measure log=True appends the reading to data/dht22.dat; logger returns that log. */
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DHT_LOG_MAX (16 * 1024) /* the log is started over when it grows past this */

static int s_pin = -1;

static int bind(struct lm_ctx *ctx)
{
    char err[128];
    if (s_pin >= 0)
        return 0;
    int pin = pinmap_bind("dhtpin", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    s_pin = pin;
    return 0;
}

static void log_path(struct lm_ctx *ctx, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/dht22.dat", ctx->node->data_dir ? ctx->node->data_dir : ".");
}

static int fn_load(struct lm_ctx *ctx)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "DHT22 hum/temp sensor module - loaded");
}

static int fn_measure(struct lm_ctx *ctx)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    double t, h;
    int rc = hal_sensor_read(HAL_SENSOR_DHT22, s_pin, &t, &h);
    if (rc < 0)
        return lm_error(ctx, "dht22 read failed: %s", err_str(rc));
    t = round(t * 100) / 100;
    h = round(h * 100) / 100;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp[C]", val_float(ctx->arena, t));
    val_dict_set(ctx->arena, d, "hum[%]", val_float(ctx->arena, h));
    if (lm_bool(ctx, "log")) {
        char path[512], line[96];
        log_path(ctx, path, sizeof path);
        int n = snprintf(line, sizeof line, "{'temp[C]': %g, 'hum[%%]': %g}\n", t, h);
        char probe[2];
        if (hal_fs_read(path, probe, sizeof probe) == ERR_TOOBIG) {
            char big[DHT_LOG_MAX + 1];
            if (hal_fs_read(path, big, sizeof big) == ERR_TOOBIG)
                hal_fs_remove(path);
        }
        hal_fs_append(path, line, (size_t)n);
    }
    return 0;
}

static int fn_logger(struct lm_ctx *ctx)
{
    char path[512];
    log_path(ctx, path, sizeof path);
    char *buf = arena_alloc(ctx->arena, DHT_LOG_MAX + 1);
    if (!buf)
        return lm_error(ctx, "memory allocation failed");
    long n = hal_fs_read(path, buf, DHT_LOG_MAX + 1);
    return lm_ret_str(ctx, n > 0 ? buf : "");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "dhtpin"));
}

static const struct lm_func s_funcs[] = {
    {.name = "measure",
     .fn = fn_measure,
     .params = LM_PARAMS({"log", LM_BOOL, "False", NULL}),
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"temp[C]", "°C", "temperature"}, {"hum[%]", "%", "humidity"})},
    {.name = "logger", .fn = fn_logger},
    {.name = "load", .fn = fn_load},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_dht22 = {"dht22", s_funcs, NULL};
