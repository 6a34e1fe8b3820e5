/* irq.c - external event inputs irq1..irq4. */
#include "irq.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* esp32 pin map defaults of irq1..irq4 (micrOS IO_esp32), used only when the node gives no
 * pin map lookup (struct irq_gpio.pin: svc/pinmap, which knows every board). */
static const int s_default_pins[IRQ_INPUTS] = {4, 18, 5, 13};

/* The config keys of each input: irq<n>, irq<n>_cbf, irq<n>_trig. */
struct irq_keys {
    enum cfg_key_id on, cbf, trig;
};
static const struct irq_keys s_keys[IRQ_INPUTS] = {
    {.on = CFG_K_irq1, .cbf = CFG_K_irq1_cbf, .trig = CFG_K_irq1_trig},
    {.on = CFG_K_irq2, .cbf = CFG_K_irq2_cbf, .trig = CFG_K_irq2_trig},
    {.on = CFG_K_irq3, .cbf = CFG_K_irq3_cbf, .trig = CFG_K_irq3_trig},
    {.on = CFG_K_irq4, .cbf = CFG_K_irq4_cbf, .trig = CFG_K_irq4_trig},
};

int irq_pin_of(const char *cstmpmap, int n)
{
    if (n < 1 || n > IRQ_INPUTS)
        return ERR_RANGE;
    char name[8];
    snprintf(name, sizeof name, "irq%d", n);
    struct str rest = str_c(cstmpmap);
    while (rest.len) {
        const char *semi = memchr(rest.p, ';', rest.len);
        size_t len = semi ? (size_t)(semi - rest.p) : rest.len;
        struct str item = str_trim((struct str){rest.p, len});
        rest = str_from(rest, len + (semi ? 1 : 0));
        const char *colon = item.len ? memchr(item.p, ':', item.len) : NULL;
        if (!colon ||
            !str_eq(str_trim((struct str){item.p, (size_t)(colon - item.p)}), str_c(name)))
            continue;
        struct str num = str_trim(str_from(item, (size_t)(colon - item.p) + 1));
        int64_t pin;
        if (str_to_int(num, false, 99999, &pin))
            return (int)pin;
    }
    return s_default_pins[n - 1];
}

enum hal_edge irq_trig_parse(const char *trig)
{
    struct str t = str_trim(str_c(trig));
    if (str_eqc_nocase(t, "down"))
        return HAL_EDGE_FALLING;
    if (str_eqc_nocase(t, "both"))
        return HAL_EDGE_BOTH;
    return HAL_EDGE_RISING;
}

static void on_edge(int pin, int level, void *arg)
{
    (void)pin;
    (void)level;
    struct irq_input *in = arg;
    struct irq *irq = in->owner;
    uint64_t now = ev_now(irq->loop);
    uint64_t since = now > in->last_ms ? now - in->last_ms : in->last_ms - now;
    if (since <= irq->prell_ms) {
        in->bounced++;
        return;
    }
    in->last_ms = now;
    in->fired++;
    if (irq->fire)
        irq->fire(irq->fire_arg, in->n, in->cbf);
}

int irq_start(struct irq *irq, struct ev_loop *loop, const struct irq_gpio *gpio,
              const struct cfg *cfg, irq_fire_fn *fire, void *arg)
{
    memset(irq, 0, sizeof *irq);
    irq->loop = loop;
    irq->gpio = gpio;
    irq->fire = fire;
    irq->fire_arg = arg;
    int64_t prell = cfg_get_int(cfg, CFG_K_irq_prell_ms);
    irq->prell_ms = prell < 0 ? 0 : prell > UINT32_MAX ? UINT32_MAX : (uint32_t)prell;
    const char *map = cfg_get_str(cfg, CFG_K_cstmpmap);
    int started = 0;
    for (int n = 1; n <= IRQ_INPUTS; n++) {
        struct irq_input *in = &irq->in[n - 1];
        in->owner = irq;
        in->n = n;
        in->pin = -1;
        const struct irq_keys *keys = &s_keys[n - 1];
        if (!cfg_get_bool(cfg, keys->on))
            continue;
        const char *cbf = cfg_get_str(cfg, keys->cbf);
        if (strcmp(cbf, "n/a") == 0)
            continue;
        if (strlen(cbf) >= sizeof in->cbf) {
            LOG_W("irq%d: callback longer than %zu bytes, input off", n, sizeof in->cbf - 1);
            continue;
        }
        snprintf(in->cbf, sizeof in->cbf, "%s", cbf);
        in->edge = irq_trig_parse(cfg_get_str(cfg, keys->trig));
        if (!gpio) {
            LOG_W("irq%d: this build has no GPIO backend, input off", n);
            continue;
        }
        int pin = gpio->pin ? gpio->pin(cfg_schema[keys->on].name) : irq_pin_of(map, n);
        if (pin < 0) {
            LOG_W("irq%d: the pin map has no irq%d pin, input off", n, n);
            continue;
        }
        int rc = gpio->setup(pin, HAL_PIN_IN_PULLDOWN);
        if (rc == 0)
            rc = gpio->watch(pin, in->edge, on_edge, in);
        if (rc < 0) {
            LOG_W("irq%d: pin %d: %s, input off", n, pin, err_str(rc));
            continue;
        }
        in->pin = pin;
        in->is_on = true;
        started++;
    }
    return started;
}

void irq_stop(struct irq *irq)
{
    for (int n = 0; n < IRQ_INPUTS; n++) {
        struct irq_input *in = &irq->in[n];
        if (in->is_on && irq->gpio)
            irq->gpio->unwatch(in->pin);
        in->is_on = false;
    }
}
