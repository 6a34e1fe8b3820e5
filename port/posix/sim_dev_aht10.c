/* sim_dev_aht10.c - an AHT10 at command level: 0xE1 0x08 0x00 calibrates, 0xAC 0x33 0x00
 * starts a measurement, 0xBA resets; a read returns the status byte (bit 7 busy, bit 3
 * calibrated) and 20-bit humidity and temperature: RH = raw / 2^20 * 100 %,
 * T = raw / 2^20 * 200 - 50 degC. A measurement is ready at once in the simulation. */
#include "../../core/err.h"
#include "sim_bus_priv.h"

#include <math.h>
#include <string.h>

static void aht_reset(struct sim_i2c_dev *d)
{
    memset(d->reg, 0, 8);
    d->is_calibrated = false;
    d->cmd = 0;
}

static int aht_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn)
{
    switch (wr[0]) {
    case 0xe1: d->is_calibrated = true; break;
    case 0xba: aht_reset(d); break;
    case 0xac: {
        if (wn < 3 || wr[1] != 0x33)
            return ERR_IO;
        double t, h;
        hal_sim_sensor_get(&t, &h);
        uint32_t rh = (uint32_t)lround(h / 100.0 * 1048576.0);
        uint32_t rt = (uint32_t)lround((t + 50.0) / 200.0 * 1048576.0);
        rh = rh > 0xfffff ? 0xfffff : rh;
        rt = rt > 0xfffff ? 0xfffff : rt;
        d->reg[1] = (uint8_t)(rh >> 12);
        d->reg[2] = (uint8_t)(rh >> 4);
        d->reg[3] = (uint8_t)(((rh & 0x0f) << 4) | (rt >> 16));
        d->reg[4] = (uint8_t)(rt >> 8);
        d->reg[5] = (uint8_t)rt;
        break;
    }
    default: return ERR_IO; /* unknown command: NAK */
    }
    d->cmd = wr[0];
    return 0;
}

static int aht_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    d->reg[0] = (uint8_t)(d->is_calibrated ? 0x08 : 0x00); /* never busy */
    for (size_t i = 0; i < rn; i++)
        rd[i] = i < 6 ? d->reg[i] : 0xff;
    return 0;
}

const struct sim_i2c_model sim_aht10_model = {
    .kind = HAL_SIM_AHT10,
    .name = "aht10",
    .reset = aht_reset,
    .write = aht_write,
    .read = aht_read,
};
