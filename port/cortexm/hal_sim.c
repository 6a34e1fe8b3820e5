/* hal_sim.c - Cortex-M port: there is no simulated pin bank on a real board.
 *
 * hal_sim_is_active() is false, so the `sim` module answers that the node runs on real
 * hardware; every other call reports ERR_NOTSUP. */
#include "../../core/err.h"
#include "../../hal/hal_sim.h"

int hal_sim_pin_get(int pin, struct hal_sim_pin *out)
{
    (void)pin;
    (void)out;
    return ERR_NOTSUP;
}

int hal_sim_drive(int pin, int level)
{
    (void)pin;
    (void)level;
    return ERR_NOTSUP;
}

int hal_sim_adc_set(int pin, uint32_t raw)
{
    (void)pin;
    (void)raw;
    return ERR_NOTSUP;
}

int hal_sim_strip_get(int pin, uint8_t *rgb, size_t cap, size_t *n)
{
    (void)pin;
    (void)rgb;
    (void)cap;
    *n = 0;
    return ERR_NOTSUP;
}

void hal_sim_sensor_set(double temp_c, double hum_pct)
{
    (void)temp_c;
    (void)hum_pct;
}

void hal_sim_sensor_get(double *temp_c, double *hum_pct)
{
    *temp_c = 0;
    *hum_pct = 0;
}

bool hal_sim_is_active(void)
{
    return false;
}

uint64_t hal_sim_edges_dropped(void)
{
    return 0;
}

void hal_sim_reset(void) {}

int hal_sim_i2c_plug(enum hal_sim_dev kind, int bus, uint8_t addr)
{
    (void)kind;
    (void)bus;
    (void)addr;
    return ERR_NOTSUP;
}

int hal_sim_i2c_unplug(int bus, uint8_t addr)
{
    (void)bus;
    (void)addr;
    return ERR_NOTSUP;
}

void hal_sim_plug_kit(void) {}

const char *hal_sim_i2c_model(int bus, uint8_t addr)
{
    (void)bus;
    (void)addr;
    return NULL;
}

int hal_sim_display_get(int bus, uint8_t addr, uint8_t *fb, size_t cap, bool *is_on,
                        bool *is_inverted, uint32_t *writes)
{
    (void)bus;
    (void)addr;
    (void)fb;
    (void)cap;
    (void)is_on;
    (void)is_inverted;
    (void)writes;
    return ERR_NOTSUP;
}

void hal_sim_env_get(struct hal_sim_env *out)
{
    *out = (struct hal_sim_env){0};
}

void hal_sim_env_set(const struct hal_sim_env *env)
{
    (void)env;
}

uint64_t hal_sim_uart_frames(void)
{
    return 0;
}
