/* hal_sim.h - the simulated pin bank behind hal_gpio.h (the default backend on Linux).
 *
 * Tests and the `sim` Load Module use these calls to look at what the node drives (levels,
 * PWM duties, neopixel strips) and to drive what it reads (input levels, ADC values, sensor
 * values). Edges caused by hal_sim_drive reach hal_gpio_watch callbacks from the event loop
 * (a zero-delay timer), never from inside hal_sim_drive. Values are deterministic: an input
 * reads its pull level until driven, an ADC pin reads HAL_SIM_ADC_DEFAULT until set, sensors
 * read HAL_SIM_TEMP_DEFAULT / HAL_SIM_HUM_DEFAULT until set. */
#ifndef HAL_SIM_H
#define HAL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_SIM_PINS         64   /* pins 0..63 */
#define HAL_SIM_STRIPS       4    /* neopixel strips kept at once */
#define HAL_SIM_STRIP_MAX    256  /* pixels kept per strip */
#define HAL_SIM_ADC_DEFAULT  1638 /* 40 % of HAL_ADC_MAX: a dim room for light_sensor */
#define HAL_SIM_TEMP_DEFAULT 22.5 /* degrees C */
#define HAL_SIM_HUM_DEFAULT  45.0 /* percent */
#define HAL_SIM_EDGE_QUEUE   64   /* edges waiting for the loop; more are dropped and counted */

/* What a simulated pin is used as, last setup wins. */
enum hal_sim_use {
    HAL_SIM_UNUSED,
    HAL_SIM_INPUT,
    HAL_SIM_OUTPUT,
    HAL_SIM_PWM,
    HAL_SIM_ADC,
    HAL_SIM_NEOPIXEL
};

struct hal_sim_pin {
    enum hal_sim_use use;
    int mode;         /* enum hal_pin_mode of the last hal_gpio_setup */
    int level;        /* output level, or the input level */
    uint32_t duty;    /* PWM duty 0..HAL_PWM_DUTY_MAX */
    uint32_t freq_hz; /* PWM frequency */
    uint32_t adc_raw; /* ADC value 0..HAL_ADC_MAX */
    bool is_watched;  /* an edge callback is registered */
    uint32_t writes;  /* hal_gpio_write / hal_pwm_set_duty / strip writes so far */
    size_t npixels;   /* neopixel: pixels last written */
};

/* Copies pin's state into out. Returns 0 or ERR_RANGE. Works whatever the backend. */
int hal_sim_pin_get(int pin, struct hal_sim_pin *out);
/* Drives input pin to level (0/1); a watched pin gets its edge callback on the next loop
 * pass. Returns 0, ERR_RANGE, or ERR_BUSY when the node drives the pin as an output. */
int hal_sim_drive(int pin, int level);
/* Sets what hal_adc_read returns for pin (0..HAL_ADC_MAX). Returns 0 or ERR_RANGE. */
int hal_sim_adc_set(int pin, uint32_t raw);
/* Copies up to cap pixels (3 bytes each) of the strip on pin into rgb and their count into
 * *n. Returns 0, ERR_NOENT (no strip written on pin) or ERR_RANGE. */
int hal_sim_strip_get(int pin, uint8_t *rgb, size_t cap, size_t *n);
/* Sets the simulated temperature (degrees C) and humidity (percent) all sensors report. */
void hal_sim_sensor_set(double temp_c, double hum_pct);
/* Reads the simulated temperature and humidity. */
void hal_sim_sensor_get(double *temp_c, double *hum_pct);
/* Returns true when the simulated backend is the active one. */
bool hal_sim_is_active(void);
/* Number of edges dropped because the edge queue was full. */
uint64_t hal_sim_edges_dropped(void);
/* Forgets every pin, strip, I2C register and sensor value (tests). */
void hal_sim_reset(void);

#endif
