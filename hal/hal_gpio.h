/* hal_gpio.h - pins: digital in/out with edge events, PWM, ADC, neopixel strips.
 *
 * Pins are numbers from the board's pin map (svc/pinmap). On Linux the port
 * implements this twice: a simulated pin bank (default; outputs keep their
 * state and can be read back, inputs and ADC values can be driven by tests
 * and by the `sim` module) and libgpiod for real GPIO chips, chosen with
 * hal_gpio_init. Edge callbacks always run from the event loop, never from a
 * signal or another thread. */
#ifndef HAL_GPIO_H
#define HAL_GPIO_H

#include "hal_bus.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;

enum hal_pin_mode { HAL_PIN_IN, HAL_PIN_IN_PULLUP, HAL_PIN_IN_PULLDOWN, HAL_PIN_OUT };
enum hal_edge { HAL_EDGE_RISING = 1, HAL_EDGE_FALLING = 2, HAL_EDGE_BOTH = 3 };

#define HAL_PWM_DUTY_MAX 1023u /* duty range 0..1023, as MicroPython's duty() */
#define HAL_ADC_MAX      4095u /* ADC range 0..4095 (12 bit) */

/* Selects the backend: "sim" (default) or "gpiod:<chip>" (e.g. "gpiod:gpiochip0"); loop is
 * where edge events are delivered. Returns 0, or ERR_NOENT (chip missing), ERR_NOTSUP (built
 * without libgpiod), ERR_* with a logged reason. */
int hal_gpio_init(struct ev_loop *loop, const char *backend);
/* Releases every line. */
void hal_gpio_deinit(void);
/* Returns the backend's name ("sim" or "gpiod:<chip>"). */
const char *hal_gpio_backend(void);

/* Configures pin. Returns 0, ERR_RANGE (no such line), ERR_BUSY (line used elsewhere). */
int hal_gpio_setup(int pin, enum hal_pin_mode mode);
/* Drives an output pin to level 0 or 1. */
int hal_gpio_write(int pin, int level);
/* Reads a pin: returns 0 or 1, or ERR_*. */
int hal_gpio_read(int pin);

/* Called from the event loop for an edge on a watched input; level is the new level. */
typedef void hal_gpio_edge_fn(int pin, int level, void *arg);
/* Watches pin (an input) for edges. Returns 0 or ERR_*; a failing call never calls cb. */
int hal_gpio_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg);
/* Stops watching pin. */
void hal_gpio_unwatch(int pin);

/* Starts PWM on pin at freq_hz. */
int hal_pwm_setup(int pin, uint32_t freq_hz);
/* Sets the duty (0..HAL_PWM_DUTY_MAX). */
int hal_pwm_set_duty(int pin, uint32_t duty);
/* Reads back the duty (simulated pins and kernel pwmchip both keep it). */
int hal_pwm_get_duty(int pin, uint32_t *duty);
/* Stops PWM on pin. */
void hal_pwm_stop(int pin);

/* Reads an ADC input: raw 0..HAL_ADC_MAX. */
int hal_adc_read(int pin, uint32_t *raw);

/* Writes n RGB pixels (3 bytes each, r,g,b) to a neopixel strip on pin. */
int hal_neopixel_write(int pin, const uint8_t *rgb, size_t n);

/* I2C, SPI and UART are in hal_bus.h (included here for the I2C calls' old callers). */

/* Sensors that Linux drives through kernel drivers (1-Wire, IIO) and the simulator fakes. */
enum hal_sensor { HAL_SENSOR_DHT22, HAL_SENSOR_DS18, HAL_SENSOR_DHT11 };
/* Reads the sensor on pin: temperature in degrees C into *temp_c and, for a DHT22, relative
 * humidity in percent into *hum_pct (may be NULL); a DHT11 reads whole degrees and percent. Returns
 * 0, ERR_NOENT (no sensor found), ERR_NOTSUP or ERR_IO. May take a few ms on real hardware. */
int hal_sensor_read(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct);

#endif
