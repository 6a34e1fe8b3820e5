/* gpio_priv.h - the two GPIO backends of the Linux port, behind hal_gpio.h.
 * Both coexist in one binary and the config chooses at run time, hence a vtable. */
#ifndef GPIO_PRIV_H
#define GPIO_PRIV_H

#include "../../hal/hal_gpio.h"

struct gpio_backend {
    const char *name;
    int (*init)(struct ev_loop *loop, const char *arg);
    void (*deinit)(void);
    int (*setup)(int pin, enum hal_pin_mode mode);
    int (*write)(int pin, int level);
    int (*read)(int pin);
    int (*watch)(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg);
    void (*unwatch)(int pin);
    int (*pwm_setup)(int pin, uint32_t freq_hz);
    int (*pwm_set_duty)(int pin, uint32_t duty);
    int (*pwm_get_duty)(int pin, uint32_t *duty);
    void (*pwm_stop)(int pin);
    int (*adc_read)(int pin, uint32_t *raw);
    int (*neopixel_write)(int pin, const uint8_t *rgb, size_t n);
    int (*sensor_read)(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct);
};

/* The simulated pin bank (sim_gpio.c). */
extern const struct gpio_backend gpio_sim_backend;
/* libgpiod v1 (gpio_gpiod.c); NULL members are never called: built without libgpiod the
 * table has only init, which returns ERR_NOTSUP. */
extern const struct gpio_backend gpio_gpiod_backend;

#endif
