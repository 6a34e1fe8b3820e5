/* lm_bme280.c - Load Module `bme280` (micrOS LM_bme280): temperature, humidity and pressure
 * from a Bosch BME280 at 0x76 on the I2C bus. load checks the chip id (0x60), reads the
 * factory calibration once and starts normal mode (x1 oversampling, 0.5 ms standby), so
 * measure is one 8-byte burst read plus the datasheet's integer compensation (drv_bme280). */
#include "../core/err.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "drv_bme280.h"
#include "i2c_util.h"

#include <math.h>

#define BME280_ADDR 0x76

static struct {
    bool is_ready;
    struct bme280_calib cal;
} s_bme;

static int setup(struct lm_ctx *ctx)
{
    if (s_bme.is_ready)
        return 0;
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    uint8_t id = 0;
    if (i2c_util_read_reg(ctx, "bme280", BME280_ADDR, BME280_REG_ID, &id, 1) < 0)
        return ERR_INVAL;
    if (id != BME280_CHIP_ID)
        return lm_error(ctx, "bme280 at 0x%02x: wrong chip id 0x%02x (a BME280 has 0x%02x)",
                        BME280_ADDR, id, BME280_CHIP_ID);
    uint8_t b1[26], b2[7];
    if (i2c_util_read_reg(ctx, "bme280", BME280_ADDR, BME280_REG_CALIB1, b1, sizeof b1) < 0 ||
        i2c_util_read_reg(ctx, "bme280", BME280_ADDR, BME280_REG_CALIB2, b2, sizeof b2) < 0)
        return ERR_INVAL;
    bme280_calib_parse(&s_bme.cal, b1, b2);
    /* ctrl_hum before ctrl_meas (the datasheet: ctrl_hum takes effect on a ctrl_meas write) */
    if (i2c_util_write_reg(ctx, "bme280", BME280_ADDR, BME280_REG_CTRL_HUM, 0x01) < 0 ||
        i2c_util_write_reg(ctx, "bme280", BME280_ADDR, BME280_REG_CTRL_MEAS, 0x27) < 0)
        return ERR_INVAL;
    s_bme.is_ready = true;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    s_bme.is_ready = false;
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "BME280 temp/hum/pressure sensor - loaded");
}

static int fn_measure(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    uint8_t r[8];
    if (i2c_util_read_reg(ctx, "bme280", BME280_ADDR, BME280_REG_DATA, r, sizeof r) < 0) {
        s_bme.is_ready = false; /* the chip may have been swapped: check it again next time */
        return ERR_INVAL;
    }
    int32_t adc_p = (int32_t)((r[0] << 12) | (r[1] << 4) | (r[2] >> 4));
    int32_t adc_t = (int32_t)((r[3] << 12) | (r[4] << 4) | (r[5] >> 4));
    int32_t adc_h = (int32_t)((r[6] << 8) | r[7]);
    int32_t t_fine;
    int32_t t = bme280_temp(&s_bme.cal, adc_t, &t_fine);
    uint32_t p = bme280_press(&s_bme.cal, adc_p, t_fine);
    uint32_t h = bme280_hum(&s_bme.cal, adc_h, t_fine);
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp[C]", val_float(ctx->arena, t / 100.0));
    val_dict_set(ctx->arena, d, "hum[%]", val_float(ctx->arena, round(h / 10.24) / 100.0));
    val_dict_set(ctx->arena, d, "pressure[hPa]", val_float(ctx->arena, round(p / 256.0) / 100.0));
    if (lm_bool(ctx, "ntfy"))
        lm_push(ctx, "temp[C]: %.2f hum[%%]: %.2f pressure[hPa]: %.2f", t / 100.0,
                round(h / 10.24) / 100.0, round(p / 256.0) / 100.0);
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load},
    {.name = "measure",
     .fn = fn_measure,
     .params = LM_PARAMS({"ntfy", LM_BOOL, "False", NULL}),
     .widget = "GRAPH{\"refresh\": 2000}",
     .measures = LM_MEASURES({"temp[C]", "°C", "temperature"}, {"hum[%]", "%", "humidity"},
                             {"pressure[hPa]", "hPa", "pressure"})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_bme280 = {.name = "bme280", .funcs = s_funcs};
