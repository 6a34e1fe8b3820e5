/* lm_veml7700.c - Load Module `veml7700` (micrOS LM_veml7700): ambient light in lux from a
 * Vishay VEML7700 at 0x10. Configured as micrOS does (gain 1/8, 25 ms integration: the widest
 * range, 1.8432 lx per count); lux = count * resolution, where the resolution is 0.0036 lx at
 * gain 2 / 800 ms scaled by 800/IT and 2/gain (Vishay's application note). */
#include "../core/err.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "i2c_util.h"

#include <math.h>

#define VEML_ADDR 0x10
#define VEML_CONF 0x1300 /* ALS_GAIN 10 (x1/8), ALS_IT 1100 (25 ms), powered on */

static bool s_ready;

/* Lux per count for an ALS_CONF value (0 for reserved settings). */
double veml7700_resolution(uint16_t conf);

double veml7700_resolution(uint16_t conf)
{
    static const double gains[4] = {1.0, 2.0, 0.125, 0.25};
    static const struct {
        uint8_t bits;
        int ms;
    } its[] = {
        {.bits = 0x0c, .ms = 25},  {.bits = 0x08, .ms = 50},  {.bits = 0x00, .ms = 100},
        {.bits = 0x01, .ms = 200}, {.bits = 0x02, .ms = 400}, {.bits = 0x03, .ms = 800},
    };
    for (size_t i = 0; i < sizeof its / sizeof its[0]; i++)
        if (its[i].bits == ((conf >> 6) & 0x0f))
            return 0.0036 * (800.0 / its[i].ms) * (2.0 / gains[(conf >> 11) & 3]);
    return 0;
}

static int setup(struct lm_ctx *ctx)
{
    if (s_ready)
        return 0;
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    const uint8_t conf[] = {0x00, VEML_CONF & 0xff, VEML_CONF >> 8};
    const uint8_t psm[] = {0x03, 0x00, 0x00};
    if (i2c_util_xfer(ctx, "veml7700", VEML_ADDR, conf, sizeof conf, NULL, 0) < 0 ||
        i2c_util_xfer(ctx, "veml7700", VEML_ADDR, psm, sizeof psm, NULL, 0) < 0)
        return ERR_INVAL;
    s_ready = true;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    s_ready = false;
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "VEML7700 light sensor - loaded");
}

static int fn_read_lux(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    uint8_t r[2];
    if (i2c_util_read_reg(ctx, "veml7700", VEML_ADDR, 0x04, r, 2) < 0) {
        s_ready = false;
        return ERR_INVAL;
    }
    double lux = (r[0] | (r[1] << 8)) * veml7700_resolution(VEML_CONF);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "LUX", val_int(ctx->arena, (int64_t)lround(lux)));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load},
    {.name = "read_lux",
     .fn = fn_read_lux,
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"LUX", "lx", "illuminance"})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_veml7700 = {.name = "veml7700", .funcs = s_funcs};
