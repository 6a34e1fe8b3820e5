/* irq.h - external event inputs irq1..irq4 (COMPAT §6).
 *
 * Input N is enabled when `irqN` is True and `irqN_cbf` is set. Its pin is the pin map name
 * `irqN`, looked up through struct irq_gpio's pin function (svc/pinmap); without one, a
 * `cstmpmap` override ("irq1:4", also inside "esp32;irq1:22;irq2:23") or the esp32 default
 * (irq1=4, irq2=18, irq3=5, irq4=13). The pin is an input with pull-down;
 * `irqN_trig` (trimmed, any case) selects the edge: "down" falling, "both" both, anything
 * else rising. An edge fires only when more than `irq_prell_ms` passed since the input last
 * fired (micrOS's debounce; the last time starts at 0). Firing calls the fire callback with
 * the input's command pipe from the event loop.
 *
 * GPIO is reached through struct irq_gpio (the hal_gpio.h functions in the node, a fake in
 * tests), so the service builds and is tested before a port provides pins. */
#ifndef IRQ_H
#define IRQ_H

#include "../core/ev.h"
#include "../hal/hal_gpio.h"

#include <stdbool.h>
#include <stdint.h>

#define IRQ_INPUTS 4

struct cfg;

/* The pin functions the service uses (hal_gpio_setup/watch/unwatch in the node), and the pin
 * map lookup (svc/pinmap's pinmap_get: "irq1" -> pin or < 0). pin NULL: irq_pin_of. */
struct irq_gpio {
    int (*setup)(int pin, enum hal_pin_mode mode);
    int (*watch)(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg);
    void (*unwatch)(int pin);
    int (*pin)(const char *name);
};

/* Runs input n's (1..4) command pipe. */
typedef void irq_fire_fn(void *arg, int n, const char *cbf);

struct irq;
struct irq_input {
    struct irq *owner;
    int n;   /* 1..4 */
    int pin; /* -1 when the input is off */
    enum hal_edge edge;
    uint64_t last_ms; /* monotonic time of the last firing, 0 at start */
    char cbf[512];    /* the command pipe, captured at start */
    uint32_t fired, bounced;
    bool is_on;
};

struct irq {
    struct ev_loop *loop;
    const struct irq_gpio *gpio;
    irq_fire_fn *fire;
    void *fire_arg;
    uint32_t prell_ms;
    struct irq_input in[IRQ_INPUTS];
};

/* Returns input n's (1..4) pin without a pin map service: the `irqN:<num>` entry of cstmpmap,
 * else the esp32 default. */
int irq_pin_of(const char *cstmpmap, int n);
/* Returns the edge for an irqN_trig value: "down" falling, "both" both, else rising. */
enum hal_edge irq_trig_parse(const char *trig);
/* Reads irq1..irq4, irqN_cbf, irqN_trig, irq_prell_ms and cstmpmap from cfg and watches the
 * enabled inputs (gpio NULL: none can be watched). Returns how many inputs were started; an
 * input whose pin cannot be set up is logged and skipped. */
int irq_start(struct irq *irq, struct ev_loop *loop, const struct irq_gpio *gpio,
              const struct cfg *cfg, irq_fire_fn *fire, void *arg);
/* Stops watching every input. */
void irq_stop(struct irq *irq);

#endif
