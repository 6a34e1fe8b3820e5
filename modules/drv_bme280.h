/* drv_bme280.h - the BME280's compensation (Bosch datasheet, integer variant): turns the raw
 * ADC readings into 0.01 degC, Pa and %RH using the chip's factory calibration words. Pure
 * arithmetic, shared by the `bme280` module and its unit test. */
#ifndef DRV_BME280_H
#define DRV_BME280_H

#include <stdint.h>

#define BME280_CHIP_ID       0x60
#define BME280_REG_ID        0xd0
#define BME280_REG_CALIB1    0x88 /* 26 bytes: dig_T1..dig_P9, (0xa0 unused), dig_H1 at 0xa1 */
#define BME280_REG_CALIB2    0xe1 /* 7 bytes: dig_H2..dig_H6 */
#define BME280_REG_CTRL_HUM  0xf2
#define BME280_REG_CTRL_MEAS 0xf4
#define BME280_REG_DATA      0xf7 /* 8 bytes: press[3], temp[3], hum[2] */

struct bme280_calib {
    uint16_t t1;
    int16_t t2, t3;
    uint16_t p1;
    int16_t p2, p3, p4, p5, p6, p7, p8, p9;
    uint8_t h1, h3;
    int16_t h2, h4, h5;
    int8_t h6;
};

/* Decodes the calibration words from the two register blocks (26 bytes from 0x88, 7 from
 * 0xe1). */
void bme280_calib_parse(struct bme280_calib *c, const uint8_t b1[26], const uint8_t b2[7]);
/* Temperature in 0.01 degC from adc_T; sets *t_fine for the other two. */
int32_t bme280_temp(const struct bme280_calib *c, int32_t adc_t, int32_t *t_fine);
/* Pressure in Pa * 256 (Q24.8) from adc_P, or 0 when the calibration would divide by zero. */
uint32_t bme280_press(const struct bme280_calib *c, int32_t adc_p, int32_t t_fine);
/* Humidity in %RH * 1024 (Q22.10) from adc_H. */
uint32_t bme280_hum(const struct bme280_calib *c, int32_t adc_h, int32_t t_fine);

#endif
