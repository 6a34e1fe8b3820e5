/* lm_ds18.c - Load Module `ds18`: DS18B20 1-Wire temperature (micrOS LM_ds18: pin ds18; on
 * Linux through the kernel's w1 bus, simulated values on the sim backend). */
#include "../core/err.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"

#include <math.h>

static int s_pin = -1;

static int bind(struct lm_ctx *ctx)
{
    char err[128];
    if (s_pin >= 0)
        return 0;
    int pin = pinmap_bind("ds18", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    s_pin = pin;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "DS18 temp sensor module - loaded");
}

static int fn_measure(struct lm_ctx *ctx)
{
    if (bind(ctx) < 0)
        return ERR_INVAL;
    double t;
    int rc = hal_sensor_read(HAL_SENSOR_DS18, s_pin, &t, NULL);
    if (rc == ERR_NOENT)
        return lm_ret_str(ctx, "Sensor(s) was not found.");
    if (rc < 0)
        return lm_error(ctx, "ds18 read failed: %s", err_str(rc));
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp[C]", val_float(ctx->arena, round(t * 10000) / 10000));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "ds18"));
}

static const struct lm_func s_funcs[] = {
    {.name = "measure",
     .fn = fn_measure,
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"temp[C]", "°C", "temperature"})},
    {.name = "load", .fn = fn_load},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_ds18 = {.name = "ds18", .funcs = s_funcs};
