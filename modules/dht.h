/* dht.h - what the `dht11` and `dht22` modules share: the sensor on pin map key dhtpin (on
 * Linux through the kernel's dht11 IIO driver, simulated values on the sim backend), measure
 * with an optional log in data/<name>.dat, logger, load and pinmap. Each module keeps its own
 * struct dht (its own bound pin) and declares its table with DHT_MODULE_FUNCS. */
#ifndef DHT_MODULE_H
#define DHT_MODULE_H

#include "../hal/hal_gpio.h"
#include "../svc/lm.h"

struct dht {
    enum hal_sensor kind; /* HAL_SENSOR_DHT11 / HAL_SENSOR_DHT22 */
    const char *name;     /* "dht22": log file data/<name>.dat and read error prefix */
    const char *loaded;   /* load's reply */
    int pin;              /* -1 until bound */
};

/* load: binds dhtpin, replies d->loaded. */
int dht_fn_load(struct lm_ctx *ctx, struct dht *d);
/* measure(log=False): {temp[C], hum[%]} rounded to 2 decimals; log=True appends the reading
 * to data/<name>.dat (started over past 16 KiB). */
int dht_fn_measure(struct lm_ctx *ctx, struct dht *d);
/* logger: the log file's text ("" when there is none). */
int dht_fn_logger(struct lm_ctx *ctx, struct dht *d);
/* pinmap: the dhtpin entry of the pin map. */
int dht_fn_pinmap(struct lm_ctx *ctx);

/* Defines static handler `name` returning `call` (DHT_MODULE_FUNCS' wrappers). */
#define DHT_FN(name, call)                                                                         \
    static int name(struct lm_ctx *ctx)                                                            \
    {                                                                                              \
        return call;                                                                               \
    }

/* Defines the handlers of a DHT module on the `struct dht` variable `d` and its function table
 * `funcs` (measure with the dashboard widget `measure_widget`, logger, load, pinmap). */
#define DHT_MODULE_FUNCS(funcs, d, measure_widget)                                                 \
    DHT_FN(fn_measure, dht_fn_measure(ctx, &(d)))                                                  \
    DHT_FN(fn_logger, dht_fn_logger(ctx, &(d)))                                                    \
    DHT_FN(fn_load, dht_fn_load(ctx, &(d)))                                                        \
    static const struct lm_func funcs[] = {                                                        \
        {.name = "measure",                                                                        \
         .fn = fn_measure,                                                                         \
         .params = LM_PARAMS({"log", LM_BOOL, "False", NULL}),                                     \
         .widget = measure_widget,                                                                 \
         .measures = LM_MEASURES({"temp[C]", "°C", "temperature"}, {"hum[%]", "%", "humidity"})},  \
        {.name = "logger", .fn = fn_logger},                                                       \
        {.name = "load", .fn = fn_load},                                                           \
        {.name = "pinmap", .fn = dht_fn_pinmap},                                                   \
        {.name = NULL},                                                                            \
    }

#endif
