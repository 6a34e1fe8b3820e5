/* lm_aht10.c - Load Module `aht10` (micrOS LM_aht10): temperature and humidity from an AHT10
 * at 0x38. A measurement is a trigger command (0xAC 0x33 0x00) and, 75 ms later on a real
 * chip, a 6-byte read. The node never sleeps: inside a task the read comes back 80 ms later
 * (lm_again); from a shell call the read follows at once and, should the chip still be busy,
 * the previous reading is returned (the first call then says to try again). */
#include "../core/err.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "i2c_util.h"

#include <math.h>

#define AHT10_ADDR 0x38

static struct {
    bool is_ready;
    bool has_last;
    double temp, hum;
} s_aht;

static int setup(struct lm_ctx *ctx)
{
    if (s_aht.is_ready)
        return 0;
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    static const uint8_t init[] = {0xe1, 0x08, 0x00};
    if (i2c_util_xfer(ctx, "aht10", AHT10_ADDR, init, sizeof init, NULL, 0) < 0)
        return ERR_INVAL;
    s_aht.is_ready = true;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    s_aht.is_ready = false;
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "AHT10 temp/hum sensor - loaded");
}

static int reply(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp [ºC]", val_float(ctx->arena, s_aht.temp));
    val_dict_set(ctx->arena, d, "hum [%]", val_float(ctx->arena, s_aht.hum));
    return 0;
}

static int fn_measure(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    if (ctx->step == 0) {
        static const uint8_t trig[] = {0xac, 0x33, 0x00};
        if (i2c_util_xfer(ctx, "aht10", AHT10_ADDR, trig, sizeof trig, NULL, 0) < 0)
            return ERR_INVAL;
    }
    uint8_t r[6];
    if (i2c_util_xfer(ctx, "aht10", AHT10_ADDR, NULL, 0, r, sizeof r) < 0)
        return ERR_INVAL;
    if (r[0] & 0x80) { /* busy */
        if (ctx->step < 5 && lm_again(ctx, 80))
            return ERR_AGAIN;
        if (!s_aht.has_last)
            return lm_error(ctx, "aht10 at 0x%02x: measurement not ready yet, try again",
                            AHT10_ADDR);
        return reply(ctx);
    }
    if (!(r[0] & 0x08))
        s_aht.is_ready = false; /* lost its calibration (power cut): init again next time */
    uint32_t rh = ((uint32_t)r[1] << 12) | ((uint32_t)r[2] << 4) | (r[3] >> 4);
    uint32_t rt = ((uint32_t)(r[3] & 0x0f) << 16) | ((uint32_t)r[4] << 8) | r[5];
    s_aht.hum = round(rh * 100.0 / 1048576.0 * 100) / 100;
    s_aht.temp = round((rt * 200.0 / 1048576.0 - 50.0) * 100) / 100;
    s_aht.has_last = true;
    return reply(ctx);
}

static int fn_reset(struct lm_ctx *ctx)
{
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    static const uint8_t rst[] = {0xba};
    if (i2c_util_xfer(ctx, "aht10", AHT10_ADDR, rst, sizeof rst, NULL, 0) < 0)
        return ERR_INVAL;
    s_aht.is_ready = false;
    return lm_ret_str(ctx, "AHT10 reset");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "measure",
     .fn = fn_measure,
     .widget = "GRAPH",
     .measures = LM_MEASURES({"temp [ºC]", "°C", "temperature"}, {"hum [%]", "%", "humidity"})},
    {.name = "reset", .fn = fn_reset},
    {.name = "load", .fn = fn_load},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_aht10 = {.name = "aht10", .funcs = s_funcs};
