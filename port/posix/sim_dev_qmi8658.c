/* sim_dev_qmi8658.c - a QMI8658 6-axis IMU at register level: part id 0x05 at 0x00, CTRL2
 * (accelerometer full scale in bits 6:4: 2/4/8/16 g = 16384/8192/4096/2048 LSB per g),
 * CTRL3 (gyroscope 16..2048 dps = 2048..16 LSB per dps), CTRL7 enables them; TEMP_L/H at
 * 0x33/0x34 (degC = H + L/256), AX_L..AZ_H at 0x35, GX_L..GZ_H at 0x3b, little endian. */
#include "sim_bus_priv.h"

#include <math.h>
#include <string.h>

static void qmi_reset(struct sim_i2c_dev *d)
{
    memset(d->reg, 0, sizeof d->reg);
    d->reg[0x00] = 0x05;
    d->reg[0x01] = 0x7c;
}

static void put_s16(uint8_t *r, double v)
{
    long n = lround(v);
    n = n > 32767 ? 32767 : n < -32768 ? -32768 : n;
    uint16_t u = (uint16_t)(int16_t)n;
    r[0] = (uint8_t)(u & 0xff);
    r[1] = (uint8_t)(u >> 8);
}

static void qmi_sample(struct sim_i2c_dev *d)
{
    const struct hal_sim_env *e = sim_env();
    double t, h;
    hal_sim_sensor_get(&t, &h);
    put_s16(&d->reg[0x33], t * 256.0);
    double acc_lsb = 16384.0 / (1 << ((d->reg[0x03] >> 4) & 3));
    double gyr_lsb = 2048.0 / (1 << ((d->reg[0x04] >> 4) & 7));
    for (int i = 0; i < 3; i++) {
        put_s16(&d->reg[0x35 + 2 * i], (d->reg[0x08] & 1) ? e->accel_g[i] * acc_lsb : 0);
        put_s16(&d->reg[0x3b + 2 * i], (d->reg[0x08] & 2) ? e->gyro_dps[i] * gyr_lsb : 0);
    }
}

static int qmi_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    qmi_sample(d);
    return sim_reg_read(d, rd, rn);
}

const struct sim_i2c_model sim_qmi8658_model = {
    .kind = HAL_SIM_QMI8658,
    .name = "qmi8658",
    .reset = qmi_reset,
    .write = sim_reg_write,
    .read = qmi_read,
};
