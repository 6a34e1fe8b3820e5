/* hal_gpio.c - hal_gpio.h on Linux: dispatches to the simulated bank or libgpiod. */
#include "gpio_priv.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "../../hal/hal_sim.h"

#include <stdio.h>
#include <string.h>

static const struct gpio_backend *s_be = &gpio_sim_backend;
static char s_name[64] = "sim";

int hal_gpio_init(struct ev_loop *loop, const char *backend)
{
    if (s_be)
        s_be->deinit();
    s_be = &gpio_sim_backend;
    snprintf(s_name, sizeof s_name, "sim");
    if (!backend || !*backend || strcmp(backend, "sim") == 0 || strcmp(backend, "n/a") == 0)
        return gpio_sim_backend.init(loop, NULL);
    const char *chip = backend;
    if (strncmp(chip, "gpiod:", 6) == 0)
        chip += 6;
    int rc = gpio_gpiod_backend.init(loop, chip);
    if (rc < 0) {
        /* Keep a working (simulated) bank so the node still runs; the caller logs why. */
        gpio_sim_backend.init(loop, NULL);
        return rc;
    }
    s_be = &gpio_gpiod_backend;
    snprintf(s_name, sizeof s_name, "gpiod:%s", chip);
    return 0;
}

void hal_gpio_deinit(void)
{
    s_be->deinit();
}

const char *hal_gpio_backend(void)
{
    return s_name;
}

int hal_gpio_setup(int pin, enum hal_pin_mode mode)
{
    return s_be->setup(pin, mode);
}

int hal_gpio_write(int pin, int level)
{
    return s_be->write(pin, level);
}

int hal_gpio_read(int pin)
{
    return s_be->read(pin);
}

int hal_gpio_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg)
{
    return s_be->watch(pin, edge, cb, arg);
}

void hal_gpio_unwatch(int pin)
{
    s_be->unwatch(pin);
}

int hal_pwm_setup(int pin, uint32_t freq_hz)
{
    return s_be->pwm_setup(pin, freq_hz);
}

int hal_pwm_set_duty(int pin, uint32_t duty)
{
    return s_be->pwm_set_duty(pin, duty);
}

int hal_pwm_get_duty(int pin, uint32_t *duty)
{
    return s_be->pwm_get_duty(pin, duty);
}

void hal_pwm_stop(int pin)
{
    s_be->pwm_stop(pin);
}

int hal_adc_read(int pin, uint32_t *raw)
{
    return s_be->adc_read(pin, raw);
}

int hal_neopixel_write(int pin, const uint8_t *rgb, size_t n)
{
    return s_be->neopixel_write(pin, rgb, n);
}

int hal_sensor_read(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct)
{
    return s_be->sensor_read(kind, pin, temp_c, hum_pct);
}

bool hal_sim_is_active(void)
{
    return s_be == &gpio_sim_backend;
}
