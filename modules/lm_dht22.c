/* lm_dht22.c - Load Module `dht22`: temperature and humidity (micrOS LM_dht22: pin dhtpin;
 * on Linux through the kernel's dht11 IIO driver, simulated values on the sim backend).
 * measure log=True appends the reading to data/dht22.dat; logger returns that log. */
#include "../svc/lm.h"
#include "dht.h"

static struct dht s_dht = {.kind = HAL_SENSOR_DHT22,
                           .name = "dht22",
                           .loaded = "DHT22 hum/temp sensor module - loaded",
                           .pin = -1};

DHT_MODULE_FUNCS(s_funcs, s_dht, "TEXTBOX");

const struct lm_module lm_dht22 = {.name = "dht22", .funcs = s_funcs};
