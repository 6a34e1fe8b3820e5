/* drv_bme280.c - BME280 compensation formulas (datasheet section 4.2.3, 32/64-bit integer
 * variant), written from the formulas' description. */
#include "drv_bme280.h"

static uint16_t u16le(const uint8_t *b)
{
    return (uint16_t)(b[0] | (b[1] << 8));
}

void bme280_calib_parse(struct bme280_calib *c, const uint8_t b1[26], const uint8_t b2[7])
{
    c->t1 = u16le(b1 + 0);
    c->t2 = (int16_t)u16le(b1 + 2);
    c->t3 = (int16_t)u16le(b1 + 4);
    c->p1 = u16le(b1 + 6);
    int16_t *p[] = {&c->p2, &c->p3, &c->p4, &c->p5, &c->p6, &c->p7, &c->p8, &c->p9};
    for (int i = 0; i < 8; i++)
        *p[i] = (int16_t)u16le(b1 + 8 + 2 * i);
    c->h1 = b1[25];
    c->h2 = (int16_t)u16le(b2 + 0);
    c->h3 = b2[2];
    c->h4 = (int16_t)((int16_t)(int8_t)b2[3] * 16 | (b2[4] & 0x0f));
    c->h5 = (int16_t)((int16_t)(int8_t)b2[5] * 16 | (b2[4] >> 4));
    c->h6 = (int8_t)b2[6];
}

int32_t bme280_temp(const struct bme280_calib *c, int32_t adc_t, int32_t *t_fine)
{
    int32_t v1 = (((adc_t >> 3) - ((int32_t)c->t1 << 1)) * (int32_t)c->t2) >> 11;
    int32_t d = (adc_t >> 4) - (int32_t)c->t1;
    int32_t v2 = (((d * d) >> 12) * (int32_t)c->t3) >> 14;
    *t_fine = v1 + v2;
    return (*t_fine * 5 + 128) >> 8;
}

/* Right shifts of negative numbers are arithmetic on every compiler we build with (as the
 * datasheet's code assumes); left shifts are written as multiplications. */
uint32_t bme280_press(const struct bme280_calib *c, int32_t adc_p, int32_t t_fine)
{
    int64_t v1 = (int64_t)t_fine - 128000;
    int64_t v2 = v1 * v1 * c->p6;
    v2 += (v1 * c->p5) * 131072;
    v2 += (int64_t)c->p4 * 34359738368LL;
    v1 = ((v1 * v1 * c->p3) >> 8) + ((v1 * c->p2) * 4096);
    v1 = ((140737488355328LL + v1) * c->p1) >> 33;
    if (v1 == 0)
        return 0;
    int64_t p = 1048576 - adc_p;
    p = (((p * 2147483648LL) - v2) * 3125) / v1;
    v1 = ((int64_t)c->p9 * (p >> 13) * (p >> 13)) >> 25;
    v2 = ((int64_t)c->p8 * p) >> 19;
    p = ((p + v1 + v2) >> 8) + ((int64_t)c->p7 * 16);
    return (uint32_t)p;
}

uint32_t bme280_hum(const struct bme280_calib *c, int32_t adc_h, int32_t t_fine)
{
    int32_t v = t_fine - 76800;
    int32_t a = ((adc_h * 16384) - ((int32_t)c->h4 * 1048576) - ((int32_t)c->h5 * v) + 16384) >> 15;
    int32_t b = ((((((v * (int32_t)c->h6) >> 10) * (((v * (int32_t)c->h3) >> 11) + 32768)) >> 10) +
                  2097152) *
                     (int32_t)c->h2 +
                 8192) >>
                14;
    v = a * b;
    v = v - (((((v >> 15) * (v >> 15)) >> 7) * (int32_t)c->h1) >> 4);
    v = v < 0 ? 0 : v;
    v = v > 419430400 ? 419430400 : v;
    return (uint32_t)(v >> 12);
}
