/* sim_gpio.c - the simulated pin bank: outputs keep their state, inputs and ADC values are
 * driven from outside (tests, the `sim` module), edges are delivered from the event loop. */
#include "gpio_priv.h"

#include "../../core/err.h"
#include "../../core/ev.h"
#include "../../hal/hal_sim.h"
#include "sim_bus_priv.h"

#include <math.h>
#include <string.h>

struct sim_watch {
    hal_gpio_edge_fn *cb;
    void *arg;
    enum hal_edge edge;
};

struct sim_strip {
    int pin; /* -1 = free */
    size_t n;
    uint8_t rgb[HAL_SIM_STRIP_MAX * 3];
};

struct sim_edge {
    int pin;
    int level;
};

static struct {
    struct ev_loop *loop;
    struct hal_sim_pin pin[HAL_SIM_PINS];
    struct sim_watch watch[HAL_SIM_PINS];
    struct sim_strip strip[HAL_SIM_STRIPS];
    struct sim_edge queue[HAL_SIM_EDGE_QUEUE];
    size_t qhead, qlen;
    uint64_t dropped;
    struct ev_timer edge_timer;
    double temp_c, hum_pct;
    bool is_ready;
} s_sim;

static bool pin_ok(int pin)
{
    return pin >= 0 && pin < HAL_SIM_PINS;
}

static void sim_defaults(void)
{
    memset(s_sim.pin, 0, sizeof s_sim.pin);
    memset(s_sim.watch, 0, sizeof s_sim.watch);
    for (int i = 0; i < HAL_SIM_PINS; i++)
        s_sim.pin[i].adc_raw = HAL_SIM_ADC_DEFAULT;
    for (int i = 0; i < HAL_SIM_STRIPS; i++) {
        s_sim.strip[i].pin = -1;
        s_sim.strip[i].n = 0;
    }
    s_sim.qhead = s_sim.qlen = 0;
    s_sim.dropped = 0;
    s_sim.temp_c = HAL_SIM_TEMP_DEFAULT;
    s_sim.hum_pct = HAL_SIM_HUM_DEFAULT;
    s_sim.is_ready = true;
}

static void ensure_ready(void)
{
    if (!s_sim.is_ready)
        sim_defaults();
}

static int sim_init(struct ev_loop *loop, const char *arg)
{
    (void)arg;
    ensure_ready();
    s_sim.loop = loop;
    return 0;
}

static void sim_deinit(void)
{
    if (s_sim.loop)
        ev_timer_stop(s_sim.loop, &s_sim.edge_timer);
    s_sim.loop = NULL;
}

static int sim_setup(int pin, enum hal_pin_mode mode)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    struct hal_sim_pin *p = &s_sim.pin[pin];
    p->mode = (int)mode;
    if (mode == HAL_PIN_OUT) {
        p->use = HAL_SIM_OUTPUT;
    } else {
        p->use = HAL_SIM_INPUT;
        p->level = mode == HAL_PIN_IN_PULLUP ? 1 : 0;
    }
    return 0;
}

static int sim_write(int pin, int level)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    struct hal_sim_pin *p = &s_sim.pin[pin];
    if (p->use != HAL_SIM_OUTPUT)
        return ERR_INVAL;
    p->level = level ? 1 : 0;
    p->writes++;
    return 0;
}

static int sim_read(int pin)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    return s_sim.pin[pin].level;
}

static int sim_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    if (!cb || !s_sim.loop)
        return ERR_INVAL;
    if (s_sim.pin[pin].use != HAL_SIM_INPUT)
        return ERR_INVAL;
    s_sim.watch[pin] = (struct sim_watch){cb, arg, edge};
    s_sim.pin[pin].is_watched = true;
    return 0;
}

static void sim_unwatch(int pin)
{
    if (!pin_ok(pin))
        return;
    s_sim.watch[pin].cb = NULL;
    s_sim.pin[pin].is_watched = false;
}

static int sim_pwm_setup(int pin, uint32_t freq_hz)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    if (freq_hz == 0)
        return ERR_INVAL;
    struct hal_sim_pin *p = &s_sim.pin[pin];
    if (p->use != HAL_SIM_PWM)
        p->duty = 0;
    p->use = HAL_SIM_PWM;
    p->freq_hz = freq_hz;
    return 0;
}

static int sim_pwm_set_duty(int pin, uint32_t duty)
{
    if (!pin_ok(pin))
        return ERR_RANGE;
    struct hal_sim_pin *p = &s_sim.pin[pin];
    if (p->use != HAL_SIM_PWM)
        return ERR_INVAL;
    p->duty = duty > HAL_PWM_DUTY_MAX ? HAL_PWM_DUTY_MAX : duty;
    p->writes++;
    return 0;
}

static int sim_pwm_get_duty(int pin, uint32_t *duty)
{
    if (!pin_ok(pin))
        return ERR_RANGE;
    if (s_sim.pin[pin].use != HAL_SIM_PWM)
        return ERR_INVAL;
    *duty = s_sim.pin[pin].duty;
    return 0;
}

static void sim_pwm_stop(int pin)
{
    if (pin_ok(pin) && s_sim.pin[pin].use == HAL_SIM_PWM) {
        s_sim.pin[pin].use = HAL_SIM_UNUSED;
        s_sim.pin[pin].duty = 0;
    }
}

static int sim_adc_read(int pin, uint32_t *raw)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    if (s_sim.pin[pin].use == HAL_SIM_UNUSED)
        s_sim.pin[pin].use = HAL_SIM_ADC;
    *raw = s_sim.pin[pin].adc_raw;
    return 0;
}

static struct sim_strip *strip_find(int pin, bool create)
{
    for (int i = 0; i < HAL_SIM_STRIPS; i++)
        if (s_sim.strip[i].pin == pin)
            return &s_sim.strip[i];
    if (!create)
        return NULL;
    for (int i = 0; i < HAL_SIM_STRIPS; i++)
        if (s_sim.strip[i].pin < 0) {
            s_sim.strip[i].pin = pin;
            return &s_sim.strip[i];
        }
    return NULL;
}

static int sim_neopixel_write(int pin, const uint8_t *rgb, size_t n)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    if (n > HAL_SIM_STRIP_MAX)
        return ERR_TOOBIG;
    struct sim_strip *st = strip_find(pin, true);
    if (!st)
        return ERR_FULL;
    memcpy(st->rgb, rgb, n * 3);
    st->n = n;
    s_sim.pin[pin].use = HAL_SIM_NEOPIXEL;
    s_sim.pin[pin].npixels = n;
    s_sim.pin[pin].writes++;
    return 0;
}

static int sim_sensor_read(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    *temp_c = s_sim.temp_c;
    if (hum_pct)
        *hum_pct = kind == HAL_SENSOR_DS18 ? 0 : s_sim.hum_pct;
    if (kind == HAL_SENSOR_DHT11) { /* 1 degC / 1 % resolution */
        *temp_c = round(*temp_c);
        if (hum_pct)
            *hum_pct = round(*hum_pct);
    }
    return 0;
}

const struct gpio_backend gpio_sim_backend = {
    "sim",         sim_init,           sim_deinit,       sim_setup,
    sim_write,     sim_read,           sim_watch,        sim_unwatch,
    sim_pwm_setup, sim_pwm_set_duty,   sim_pwm_get_duty, sim_pwm_stop,
    sim_adc_read,  sim_neopixel_write, sim_sensor_read,
};

/* --- edges: queued by hal_sim_drive, delivered from the loop --- */

static int64_t deliver_edges(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    /* Deliver only what is queued now; edges a callback causes wait for the next pass. */
    size_t n = s_sim.qlen;
    while (n-- > 0 && s_sim.qlen > 0) {
        struct sim_edge e = s_sim.queue[s_sim.qhead];
        s_sim.qhead = (s_sim.qhead + 1) % HAL_SIM_EDGE_QUEUE;
        s_sim.qlen--;
        struct sim_watch *w = &s_sim.watch[e.pin];
        if (w->cb)
            w->cb(e.pin, e.level, w->arg);
    }
    return s_sim.qlen > 0 ? 0 : EV_DONE;
}

int hal_sim_drive(int pin, int level)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    struct hal_sim_pin *p = &s_sim.pin[pin];
    if (p->use == HAL_SIM_OUTPUT || p->use == HAL_SIM_PWM || p->use == HAL_SIM_NEOPIXEL)
        return ERR_BUSY;
    level = level ? 1 : 0;
    int old = p->level;
    p->level = level;
    if (old == level || !s_sim.watch[pin].cb)
        return 0;
    enum hal_edge want = s_sim.watch[pin].edge;
    if (!((level && (want & HAL_EDGE_RISING)) || (!level && (want & HAL_EDGE_FALLING))))
        return 0;
    if (s_sim.qlen == HAL_SIM_EDGE_QUEUE) {
        s_sim.dropped++;
        return 0;
    }
    s_sim.queue[(s_sim.qhead + s_sim.qlen) % HAL_SIM_EDGE_QUEUE] = (struct sim_edge){pin, level};
    s_sim.qlen++;
    if (s_sim.loop && !s_sim.edge_timer.is_active)
        ev_timer_start(s_sim.loop, &s_sim.edge_timer, 0, deliver_edges);
    return 0;
}

int hal_sim_pin_get(int pin, struct hal_sim_pin *out)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    *out = s_sim.pin[pin];
    return 0;
}

int hal_sim_adc_set(int pin, uint32_t raw)
{
    ensure_ready();
    if (!pin_ok(pin) || raw > HAL_ADC_MAX)
        return ERR_RANGE;
    s_sim.pin[pin].adc_raw = raw;
    return 0;
}

int hal_sim_strip_get(int pin, uint8_t *rgb, size_t cap, size_t *n)
{
    ensure_ready();
    if (!pin_ok(pin))
        return ERR_RANGE;
    struct sim_strip *st = strip_find(pin, false);
    if (!st)
        return ERR_NOENT;
    size_t k = st->n < cap ? st->n : cap;
    memcpy(rgb, st->rgb, k * 3);
    *n = st->n;
    return 0;
}

void hal_sim_sensor_set(double temp_c, double hum_pct)
{
    ensure_ready();
    s_sim.temp_c = temp_c;
    s_sim.hum_pct = hum_pct;
}

void hal_sim_sensor_get(double *temp_c, double *hum_pct)
{
    ensure_ready();
    *temp_c = s_sim.temp_c;
    *hum_pct = s_sim.hum_pct;
}

uint64_t hal_sim_edges_dropped(void)
{
    return s_sim.dropped;
}

void hal_sim_reset(void)
{
    if (s_sim.loop)
        ev_timer_stop(s_sim.loop, &s_sim.edge_timer);
    sim_defaults();
    sim_bus_reset();
}
