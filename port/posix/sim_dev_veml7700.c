/* sim_dev_veml7700.c - a VEML7700 at register level: 16-bit little-endian registers selected
 * by a command code (0x00 ALS_CONF, 0x04 ALS, 0x05 WHITE, 0x07 ID). The ALS count is the
 * simulated lux divided by the resolution of the configured gain and integration time:
 * 0.0036 lx/count at gain 2 and 800 ms, scaled by 800/IT and 2/gain (datasheet app note).
 * Shut down (ALS_SD) it keeps its last count. */
#include "../../core/err.h"
#include "sim_bus_priv.h"

#include <math.h>

/* Resolution in lx per count for an ALS_CONF value, or 0 for a reserved setting. */
double sim_veml7700_resolution(uint16_t conf);

double sim_veml7700_resolution(uint16_t conf)
{
    static const double gains[4] = {1.0, 2.0, 0.125, 0.25};
    double gain = gains[(conf >> 11) & 3];
    int it;
    switch ((conf >> 6) & 0x0f) {
    case 0x0c: it = 25; break;
    case 0x08: it = 50; break;
    case 0x00: it = 100; break;
    case 0x01: it = 200; break;
    case 0x02: it = 400; break;
    case 0x03: it = 800; break;
    default: return 0;
    }
    return 0.0036 * (800.0 / it) * (2.0 / gain);
}

static void veml_reset(struct sim_i2c_dev *d)
{
    for (int i = 0; i < 16; i++)
        d->reg16[i] = 0;
    d->reg16[0] = 0x0001; /* shut down until configured */
    d->reg16[7] = 0xc481;
}

static void veml_sample(struct sim_i2c_dev *d)
{
    if (d->reg16[0] & 1)
        return;
    double res = sim_veml7700_resolution(d->reg16[0]);
    if (res <= 0)
        return;
    double n = round(sim_env()->lux / res);
    d->reg16[4] = (uint16_t)(n > 65535 ? 65535 : n < 0 ? 0 : n);
    d->reg16[5] = d->reg16[4];
}

static int veml_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn)
{
    if (wr[0] > 7)
        return ERR_IO;
    d->ptr = wr[0];
    if (wn >= 3 && wr[0] <= 3)
        d->reg16[wr[0]] = (uint16_t)(wr[1] | (wr[2] << 8));
    return 0;
}

static int veml_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    veml_sample(d);
    uint16_t v = d->reg16[d->ptr & 0x0f];
    for (size_t i = 0; i < rn; i++)
        rd[i] = (uint8_t)(i == 0 ? v & 0xff : i == 1 ? v >> 8 : 0);
    return 0;
}

const struct sim_i2c_model sim_veml7700_model = {
    .kind = HAL_SIM_VEML7700,
    .name = "veml7700",
    .reset = veml_reset,
    .write = veml_write,
    .read = veml_read,
};
