/* test_irq.c - irq1..irq4 inputs (COMPAT §6) on a fake GPIO bank and a fake config: pins from
 * cstmpmap or the esp32 defaults, trigger modes, debounce, callback pipes, pin errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/ev.h"
#include "svc/cfg.h"
#include "svc/irq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fake config (svc/cfg.c is not linked) ---- */

struct kv {
    const char *key, *value;
};
static struct kv s_cfg[32];
static size_t s_ncfg;

static void cfg_put(const char *key, const char *value)
{
    s_cfg[s_ncfg++] = (struct kv){key, value};
}

static const char *lookup(enum cfg_key_id id)
{
    const char *key = cfg_schema[id].name;
    for (size_t i = s_ncfg; i-- > 0;)
        if (strcmp(s_cfg[i].key, key) == 0)
            return s_cfg[i].value;
    return NULL;
}

bool cfg_get_bool(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    const char *v = lookup(key);
    return v && strcmp(v, "True") == 0;
}

int64_t cfg_get_int(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    const char *v = lookup(key);
    if (v)
        return (int64_t)atoll(v);
    return key == CFG_K_irq_prell_ms ? 300 : 0;
}

const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    const char *v = lookup(key);
    return v ? v : "n/a";
}

/* ---- fake GPIO bank ---- */

#define PINS 64
static struct {
    enum hal_pin_mode mode;
    bool is_setup;
    enum hal_edge edge;
    hal_gpio_edge_fn *cb;
    void *arg;
    int level;
} s_pin[PINS];
static int s_busy_pin = -1;

static int fake_setup(int pin, enum hal_pin_mode mode)
{
    if (pin < 0 || pin >= PINS)
        return ERR_RANGE;
    if (pin == s_busy_pin)
        return ERR_BUSY;
    s_pin[pin].mode = mode;
    s_pin[pin].is_setup = true;
    return 0;
}

static int fake_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg)
{
    s_pin[pin].edge = edge;
    s_pin[pin].cb = cb;
    s_pin[pin].arg = arg;
    return 0;
}

static void fake_unwatch(int pin)
{
    s_pin[pin].cb = NULL;
}

static const struct irq_gpio s_gpio = {fake_setup, fake_watch, fake_unwatch, NULL};

/* A pin map service: irq1 is on pin 40, irq2 is unknown. */
static int fake_pinmap(const char *name)
{
    return strcmp(name, "irq1") == 0 ? 40 : ERR_NOENT;
}
static const struct irq_gpio s_gpio_map = {fake_setup, fake_watch, fake_unwatch, fake_pinmap};

/* Drives an input to level; calls the watcher when the edge is one it asked for. */
static void drive(int pin, int level)
{
    int old = s_pin[pin].level;
    s_pin[pin].level = level;
    if (old == level || !s_pin[pin].cb)
        return;
    enum hal_edge e = level ? HAL_EDGE_RISING : HAL_EDGE_FALLING;
    if (s_pin[pin].edge & e)
        s_pin[pin].cb(pin, level, s_pin[pin].arg);
}

/* ---- fixture ---- */

static uint64_t s_now;
static struct ev_loop s_loop;
static struct irq s_irq;
static char s_fired[16][64];
static size_t s_nfired;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return s_now;
}

static void on_fire(void *arg, int n, const char *cbf)
{
    (void)arg;
    if (s_nfired < 16)
        snprintf(s_fired[s_nfired++], sizeof s_fired[0], "%d %s", n, cbf);
}

static void at(uint64_t ms)
{
    s_now = ms;
    ev_update_now(&s_loop);
}

static int setup(void **state)
{
    (void)state;
    memset(s_pin, 0, sizeof s_pin);
    s_ncfg = 0;
    s_nfired = 0;
    s_busy_pin = -1;
    s_now = 100000;
    if (ev_init(&s_loop, 4, 4) != 0)
        return -1;
    ev_set_clock(&s_loop, fake_clock, NULL);
    ev_update_now(&s_loop);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    irq_stop(&s_irq);
    ev_deinit(&s_loop);
    return 0;
}

static const struct cfg *no_cfg(void)
{
    return NULL;
}

/* ---- tests ---- */

static void pins_should_come_from_cstmpmap_or_esp32_defaults(void **state)
{
    (void)state;
    assert_int_equal(irq_pin_of("n/a", 1), 4);
    assert_int_equal(irq_pin_of("n/a", 2), 18);
    assert_int_equal(irq_pin_of("n/a", 3), 5);
    assert_int_equal(irq_pin_of("n/a", 4), 13);
    assert_int_equal(irq_pin_of("irq1:22", 1), 22);
    assert_int_equal(irq_pin_of("esp32;irq1:22;irq2 : 23", 2), 23);
    assert_int_equal(irq_pin_of("esp32;irq1:22", 3), 5);
    assert_int_equal(irq_pin_of("irq10:7", 1), 4); /* irq10 is not irq1 */
    assert_int_equal(irq_pin_of("irq1:x", 1), 4);
    assert_int_equal(irq_pin_of("n/a", 5), ERR_RANGE);
}

static void trig_should_follow_micros_rules(void **state)
{
    (void)state;
    assert_int_equal(irq_trig_parse("down"), HAL_EDGE_FALLING);
    assert_int_equal(irq_trig_parse(" DOWN "), HAL_EDGE_FALLING);
    assert_int_equal(irq_trig_parse("Both"), HAL_EDGE_BOTH);
    assert_int_equal(irq_trig_parse("up"), HAL_EDGE_RISING);
    assert_int_equal(irq_trig_parse("n/a"), HAL_EDGE_RISING);
    assert_int_equal(irq_trig_parse("sideways"), HAL_EDGE_RISING);
}

static void enabled_inputs_should_watch_their_pins_with_pulldown(void **state)
{
    (void)state;
    cfg_put("irq1", "True");
    cfg_put("irq1_cbf", "system heartbeat");
    cfg_put("irq2", "True"); /* no callback: stays off */
    cfg_put("irq3", "False");
    cfg_put("irq3_cbf", "a b");
    cfg_put("irq4", "True");
    cfg_put("irq4_cbf", "c d;e f");
    cfg_put("irq4_trig", "both");
    cfg_put("cstmpmap", "irq4:33");
    assert_int_equal(irq_start(&s_irq, &s_loop, &s_gpio, no_cfg(), on_fire, NULL), 2);
    assert_true(s_pin[4].is_setup);
    assert_int_equal(s_pin[4].mode, HAL_PIN_IN_PULLDOWN);
    assert_int_equal(s_pin[4].edge, HAL_EDGE_RISING);
    assert_false(s_pin[18].is_setup);
    assert_false(s_pin[5].is_setup);
    assert_int_equal(s_pin[33].edge, HAL_EDGE_BOTH);
    drive(4, 1);
    drive(33, 1);
    assert_int_equal(s_nfired, 2);
    assert_string_equal(s_fired[0], "1 system heartbeat");
    assert_string_equal(s_fired[1], "4 c d;e f");
    irq_stop(&s_irq);
    assert_null(s_pin[4].cb);
    assert_null(s_pin[33].cb);
}

static void edges_should_follow_the_trigger_mode(void **state)
{
    (void)state;
    cfg_put("irq1", "True");
    cfg_put("irq1_cbf", "up");
    cfg_put("irq2", "True");
    cfg_put("irq2_cbf", "down");
    cfg_put("irq2_trig", "down");
    cfg_put("irq3", "True");
    cfg_put("irq3_cbf", "both");
    cfg_put("irq3_trig", "both");
    cfg_put("irq_prell_ms", "0");
    irq_start(&s_irq, &s_loop, &s_gpio, no_cfg(), on_fire, NULL);
    size_t counts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        at(s_now + 10);
        drive(4, 1);
        drive(18, 1);
        drive(5, 1);
        at(s_now + 10);
        drive(4, 0);
        drive(18, 0);
        drive(5, 0);
    }
    for (size_t i = 0; i < s_nfired; i++)
        counts[s_fired[i][0] - '1']++;
    assert_int_equal(counts[0], 3); /* rising only */
    assert_int_equal(counts[1], 3); /* falling only */
    assert_int_equal(counts[2], 6); /* both */
}

static void debounce_should_drop_edges_within_prell_ms(void **state)
{
    (void)state;
    cfg_put("irq1", "True");
    cfg_put("irq1_cbf", "x");
    cfg_put("irq1_trig", "both");
    cfg_put("irq_prell_ms", "300");
    irq_start(&s_irq, &s_loop, &s_gpio, no_cfg(), on_fire, NULL);
    drive(4, 1); /* fires: last starts at 0 */
    at(s_now + 5);
    drive(4, 0); /* bounce */
    at(s_now + 100);
    drive(4, 1); /* bounce */
    at(s_now + 195);
    drive(4, 0); /* 300 ms after the firing: not more than prell, dropped */
    at(s_now + 1);
    drive(4, 1); /* 301 ms: fires */
    assert_int_equal(s_nfired, 2);
    assert_int_equal(s_irq.in[0].bounced, 3);
    assert_int_equal(s_irq.in[0].fired, 2);
}

static void pin_errors_and_missing_gpio_should_leave_the_input_off(void **state)
{
    (void)state;
    cfg_put("irq1", "True");
    cfg_put("irq1_cbf", "x");
    cfg_put("irq2", "True");
    cfg_put("irq2_cbf", "y");
    s_busy_pin = 4;
    assert_int_equal(irq_start(&s_irq, &s_loop, &s_gpio, no_cfg(), on_fire, NULL), 1);
    assert_false(s_irq.in[0].is_on);
    assert_true(s_irq.in[1].is_on);
    irq_stop(&s_irq);
    assert_int_equal(irq_start(&s_irq, &s_loop, NULL, no_cfg(), on_fire, NULL), 0);
}

static void pins_should_come_from_the_pin_map_service_when_given(void **state)
{
    (void)state;
    cfg_put("irq1", "True");
    cfg_put("irq1_cbf", "x");
    cfg_put("irq2", "True");
    cfg_put("irq2_cbf", "y");
    cfg_put("cstmpmap", "irq1:22"); /* the service has applied it already: not read here */
    assert_int_equal(irq_start(&s_irq, &s_loop, &s_gpio_map, no_cfg(), on_fire, NULL), 1);
    assert_true(s_pin[40].is_setup);
    assert_false(s_pin[22].is_setup);
    assert_false(s_irq.in[1].is_on);
    drive(40, 1);
    assert_int_equal(s_nfired, 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(pins_should_come_from_cstmpmap_or_esp32_defaults),
        T(trig_should_follow_micros_rules),
        T(enabled_inputs_should_watch_their_pins_with_pulldown),
        T(edges_should_follow_the_trigger_mode),
        T(debounce_should_drop_edges_within_prell_ms),
        T(pin_errors_and_missing_gpio_should_leave_the_input_off),
        T(pins_should_come_from_the_pin_map_service_when_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
