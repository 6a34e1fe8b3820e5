/* hal_gpio.c - Cortex-M port: pins as a RAM bank.
 *
 * This minimal port has no board support package: it keeps pin levels and PWM duties in RAM
 * (so modules run and their state reads back), and answers ERR_NOTSUP for the ADC, neopixel,
 * I2C and sensors. A real board replaces this file with one that drives its GPIO, timer (PWM),
 * ADC, RMT/PIO (neopixel) and I2C peripherals. */
#include "../../core/err.h"
#include "../../hal/hal_gpio.h"

#define PIN_COUNT 64

struct pin {
    enum hal_pin_mode mode;
    int level;
    uint32_t duty;
    bool is_used, is_pwm;
};

static struct pin s_pins[PIN_COUNT];

static struct pin *get(int pin)
{
    return pin >= 0 && pin < PIN_COUNT ? &s_pins[pin] : NULL;
}

int hal_gpio_init(struct ev_loop *loop, const char *backend)
{
    (void)loop;
    (void)backend;
    return 0;
}

void hal_gpio_deinit(void)
{
    for (int i = 0; i < PIN_COUNT; i++)
        s_pins[i] = (struct pin){0};
}

const char *hal_gpio_backend(void)
{
    return "ram";
}

int hal_gpio_setup(int pin, enum hal_pin_mode mode)
{
    struct pin *p = get(pin);
    if (!p)
        return ERR_RANGE;
    p->mode = mode;
    p->is_used = true;
    return 0;
}

int hal_gpio_write(int pin, int level)
{
    struct pin *p = get(pin);
    if (!p)
        return ERR_RANGE;
    p->level = level ? 1 : 0;
    return 0;
}

int hal_gpio_read(int pin)
{
    struct pin *p = get(pin);
    return p ? p->level : ERR_RANGE;
}

int hal_gpio_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg)
{
    (void)edge;
    (void)cb;
    (void)arg;
    return get(pin) ? ERR_NOTSUP : ERR_RANGE;
}

void hal_gpio_unwatch(int pin)
{
    (void)pin;
}

int hal_pwm_setup(int pin, uint32_t freq_hz)
{
    struct pin *p = get(pin);
    if (!p)
        return ERR_RANGE;
    (void)freq_hz;
    p->is_pwm = true;
    p->is_used = true;
    return 0;
}

int hal_pwm_set_duty(int pin, uint32_t duty)
{
    struct pin *p = get(pin);
    if (!p || !p->is_pwm)
        return p ? ERR_INVAL : ERR_RANGE;
    p->duty = duty > HAL_PWM_DUTY_MAX ? HAL_PWM_DUTY_MAX : duty;
    return 0;
}

int hal_pwm_get_duty(int pin, uint32_t *duty)
{
    struct pin *p = get(pin);
    if (!p || !p->is_pwm)
        return p ? ERR_INVAL : ERR_RANGE;
    *duty = p->duty;
    return 0;
}

void hal_pwm_stop(int pin)
{
    struct pin *p = get(pin);
    if (p)
        p->is_pwm = false;
}

int hal_adc_read(int pin, uint32_t *raw)
{
    (void)pin;
    (void)raw;
    return ERR_NOTSUP;
}

int hal_neopixel_write(int pin, const uint8_t *rgb, size_t n)
{
    (void)pin;
    (void)rgb;
    (void)n;
    return ERR_NOTSUP;
}

int hal_sensor_read(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct)
{
    (void)kind;
    (void)pin;
    (void)temp_c;
    (void)hum_pct;
    return ERR_NOTSUP;
}
