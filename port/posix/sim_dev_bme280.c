/* sim_dev_bme280.c - a BME280 at register level: chip id 0x60, the factory calibration words
 * (temperature and pressure: the datasheet's worked example; humidity: typical values), and
 * raw ADC readings that the datasheet's floating-point compensation turns back into the
 * simulated temperature, pressure and humidity (found by bisection, the formulas being
 * monotonic). The driver side uses the integer variant, so each checks the other. */
#include "sim_bus_priv.h"

#include <string.h>

/* dig_T1..T3, dig_P1..P9, dig_H1..H6 */
static const int32_t T1 = 27504, T2 = 26435, T3 = -1000;
static const int32_t P1 = 36477, P2 = -10685, P3 = 3024, P4 = 2855, P5 = 140, P6 = -7, P7 = 15500,
                     P8 = -14600, P9 = 6000;
static const int32_t H1 = 75, H2 = 362, H3 = 0, H4 = 324, H5 = 0, H6 = 30;

static double temp_of(double adc, double *t_fine)
{
    double v1 = (adc / 16384.0 - T1 / 1024.0) * T2;
    double d = adc / 131072.0 - T1 / 8192.0;
    double v2 = d * d * T3;
    *t_fine = v1 + v2;
    return (v1 + v2) / 5120.0;
}

static double press_of(double adc, double t_fine)
{
    double v1 = t_fine / 2.0 - 64000.0;
    double v2 = v1 * v1 * P6 / 32768.0;
    v2 = v2 + v1 * P5 * 2.0;
    v2 = v2 / 4.0 + P4 * 65536.0;
    v1 = (P3 * v1 * v1 / 524288.0 + P2 * v1) / 524288.0;
    v1 = (1.0 + v1 / 32768.0) * P1;
    double p = 1048576.0 - adc;
    p = (p - v2 / 4096.0) * 6250.0 / v1;
    v1 = P9 * p * p / 2147483648.0;
    v2 = p * P8 / 32768.0;
    return p + (v1 + v2 + P7) / 16.0;
}

static double hum_of(double adc, double t_fine)
{
    double h = t_fine - 76800.0;
    h = (adc - (H4 * 64.0 + H5 / 16384.0 * h)) *
        (H2 / 65536.0 * (1.0 + H6 / 67108864.0 * h * (1.0 + H3 / 67108864.0 * h)));
    h = h * (1.0 - H1 * h / 524288.0);
    return h < 0 ? 0 : h > 100 ? 100 : h;
}

/* The raw value in [0, max] for which f(raw) is closest to want; f rises with raw when
 * is_rising, else falls. */
static int32_t bisect(double (*f)(double, double), double arg, double want, int32_t max,
                      bool is_rising)
{
    int32_t lo = 0, hi = max;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        bool is_below = f((double)mid, arg) < want;
        if (is_below == is_rising)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double temp_f(double adc, double unused)
{
    (void)unused;
    double t_fine;
    return temp_of(adc, &t_fine);
}

static void put16(uint8_t *r, int32_t v)
{
    r[0] = (uint8_t)(v & 0xff);
    r[1] = (uint8_t)((v >> 8) & 0xff);
}

static void bme_reset(struct sim_i2c_dev *d)
{
    memset(d->reg, 0, sizeof d->reg);
    d->reg[0xd0] = 0x60;
    const int32_t tp[] = {T1, T2, T3, P1, P2, P3, P4, P5, P6, P7, P8, P9};
    for (int i = 0; i < 12; i++)
        put16(&d->reg[0x88 + 2 * i], tp[i]);
    d->reg[0xa1] = (uint8_t)H1;
    put16(&d->reg[0xe1], H2);
    d->reg[0xe3] = (uint8_t)H3;
    d->reg[0xe4] = (uint8_t)(H4 >> 4);
    d->reg[0xe5] = (uint8_t)((H4 & 0x0f) | ((H5 & 0x0f) << 4));
    d->reg[0xe6] = (uint8_t)(H5 >> 4);
    d->reg[0xe7] = (uint8_t)H6;
}

/* Fills 0xf7..0xfe with the raw readings of the simulated climate. */
static void bme_sample(struct sim_i2c_dev *d)
{
    double t, h, t_fine;
    hal_sim_sensor_get(&t, &h);
    int32_t adc_t = bisect(temp_f, 0, t, 0xfffff, true);
    temp_of(adc_t, &t_fine);
    int32_t adc_p = bisect(press_of, t_fine, sim_env()->pressure_hpa * 100.0, 0xfffff, false);
    int32_t adc_h = bisect(hum_of, t_fine, h, 0xffff, true);
    uint8_t *r = &d->reg[0xf7];
    r[0] = (uint8_t)(adc_p >> 12);
    r[1] = (uint8_t)(adc_p >> 4);
    r[2] = (uint8_t)((adc_p & 0x0f) << 4);
    r[3] = (uint8_t)(adc_t >> 12);
    r[4] = (uint8_t)(adc_t >> 4);
    r[5] = (uint8_t)((adc_t & 0x0f) << 4);
    r[6] = (uint8_t)(adc_h >> 8);
    r[7] = (uint8_t)(adc_h & 0xff);
}

static int bme_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn)
{
    if (wr[0] == 0xe0 && wn >= 2 && wr[1] == 0xb6) {
        bme_reset(d); /* soft reset */
        return 0;
    }
    /* Burst writes on the BME280 are register/value pairs. */
    d->ptr = wr[0];
    if (wn >= 2)
        d->reg[wr[0]] = wr[1];
    for (size_t i = 2; i + 1 < wn; i += 2)
        d->reg[wr[i]] = wr[i + 1];
    return 0;
}

static int bme_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    if (d->ptr <= 0xfe && d->ptr + rn > 0xf7)
        bme_sample(d);
    return sim_reg_read(d, rd, rn);
}

const struct sim_i2c_model sim_bme280_model = {
    .kind = HAL_SIM_BME280,
    .name = "bme280",
    .reset = bme_reset,
    .write = bme_write,
    .read = bme_read,
};
