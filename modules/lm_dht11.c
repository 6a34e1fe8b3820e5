/* lm_dht11.c - Load Module `dht11`: temperature and humidity (micrOS LM_dht11: pin dhtpin;
 * on Linux through the kernel's dht11 IIO driver, simulated values on the sim backend).
 * measure log=True appends the reading to data/dht11.dat; logger returns that log. */
#include "../svc/lm.h"
#include "dht.h"

static struct dht s_dht = {.kind = HAL_SENSOR_DHT11,
                           .name = "dht11",
                           .loaded = "DHT11 hum/temp sensor module - loaded",
                           .pin = -1};

DHT_MODULE_FUNCS(s_funcs, s_dht, "GRAPH");

const struct lm_module lm_dht11 = {.name = "dht11", .funcs = s_funcs};
