/* lm_qmi8658.c - Load Module `qmi8658` (micrOS LM_qmi8658): a QST QMI8658 6-axis IMU at 0x6b.
 * load checks the part id (0x05) and sets +-8 g and +-256 dps at 1 kHz with the low-pass
 * filter, as micrOS does; readings are g, degrees per second and degC. */
#include "../core/err.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "i2c_util.h"

#include <math.h>

#define QMI_ADDR    0x6b
#define QMI_ACC_LSB 4096.0 /* per g at +-8 g */
#define QMI_GYR_LSB 128.0  /* per dps at +-256 dps */

static bool s_ready;

static int setup(struct lm_ctx *ctx)
{
    if (s_ready)
        return 0;
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    uint8_t id = 0;
    if (i2c_util_read_reg(ctx, "qmi8658", QMI_ADDR, 0x00, &id, 1) < 0)
        return ERR_INVAL;
    if (id != 0x05)
        return lm_error(ctx, "qmi8658 at 0x%02x: wrong part id 0x%02x (a QMI8658 has 0x05)",
                        QMI_ADDR, id);
    static const uint8_t cfg[][2] = {
        {0x02, 0x60}, {0x03, 0x23}, {0x04, 0x43}, {0x06, 0x01}, {0x08, 0x03}};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
        if (i2c_util_write_reg(ctx, "qmi8658", QMI_ADDR, cfg[i][0], cfg[i][1]) < 0)
            return ERR_INVAL;
    s_ready = true;
    return 0;
}

static int read_xyz(struct lm_ctx *ctx, uint8_t reg, double lsb, struct val **out)
{
    uint8_t r[6];
    if (setup(ctx) < 0 || i2c_util_read_reg(ctx, "qmi8658", QMI_ADDR, reg, r, 6) < 0)
        return ERR_INVAL;
    struct val *t = val_tuple(ctx->arena);
    for (int i = 0; i < 3; i++) {
        int16_t v = (int16_t)(r[2 * i] | (r[2 * i + 1] << 8));
        val_append(t, val_float(ctx->arena, round(v / lsb * 1000) / 1000));
    }
    *out = t;
    return 0;
}

static int read_temp(struct lm_ctx *ctx, double *t)
{
    uint8_t r[2];
    if (setup(ctx) < 0 || i2c_util_read_reg(ctx, "qmi8658", QMI_ADDR, 0x33, r, 2) < 0)
        return ERR_INVAL;
    *t = round((int16_t)(r[0] | (r[1] << 8)) / 256.0 * 100) / 100;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    s_ready = false;
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "QMI8658 IMU - loaded");
}

static int fn_temperature(struct lm_ctx *ctx)
{
    double t;
    if (read_temp(ctx, &t) < 0)
        return ERR_INVAL;
    return lm_ret(ctx, val_float(ctx->arena, t));
}

static int fn_acceleration(struct lm_ctx *ctx)
{
    struct val *v;
    return read_xyz(ctx, 0x35, QMI_ACC_LSB, &v) < 0 ? ERR_INVAL : lm_ret(ctx, v);
}

static int fn_gyro(struct lm_ctx *ctx)
{
    struct val *v;
    return read_xyz(ctx, 0x3b, QMI_GYR_LSB, &v) < 0 ? ERR_INVAL : lm_ret(ctx, v);
}

static int fn_measure(struct lm_ctx *ctx)
{
    double t;
    struct val *acc, *gyr;
    if (read_temp(ctx, &t) < 0 || read_xyz(ctx, 0x35, QMI_ACC_LSB, &acc) < 0 ||
        read_xyz(ctx, 0x3b, QMI_GYR_LSB, &gyr) < 0)
        return ERR_INVAL;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "temp", val_float(ctx->arena, t));
    val_dict_set(ctx->arena, d, "accel", acc);
    val_dict_set(ctx->arena, d, "gyro", gyr);
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load},
    {.name = "temperature",
     .fn = fn_temperature,
     .measures = LM_MEASURES({"", "°C", "temperature"})},
    {.name = "acceleration", .fn = fn_acceleration},
    {.name = "gyro", .fn = fn_gyro},
    {.name = "measure",
     .fn = fn_measure,
     .widget = "TEXTBOX",
     .measures = LM_MEASURES({"temp", "°C", "temperature"})},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_qmi8658 = {.name = "qmi8658", .funcs = s_funcs};
