/* sim_bus.c - the simulated bus bank: I2C buses carrying device models (sim_dev_*.c), an SPI
 * loopback on bus 0 / cs 0, UART ports carrying an ld2410 radar, and the environment the
 * sensors measure. Used by hal_bus.c when the "sim" backend is active. */
#include "sim_bus_priv.h"

#include "../../core/err.h"
#include "../../hal/hal_bus.h"

#include <string.h>

static struct {
    struct sim_i2c_dev dev[HAL_SIM_I2C_DEVS];
    struct hal_sim_env env;
    uint64_t frames;
    bool is_ready;
} s_bus;

static const struct sim_i2c_model *model_of(enum hal_sim_dev kind)
{
    switch (kind) {
    case HAL_SIM_BME280: return &sim_bme280_model;
    case HAL_SIM_AHT10: return &sim_aht10_model;
    case HAL_SIM_VEML7700: return &sim_veml7700_model;
    case HAL_SIM_SSD1306: return &sim_ssd1306_model;
    case HAL_SIM_SH1106: return &sim_sh1106_model;
    case HAL_SIM_QMI8658: return &sim_qmi8658_model;
    }
    return NULL;
}

void sim_bus_reset(void)
{
    memset(&s_bus, 0, sizeof s_bus);
    s_bus.env.pressure_hpa = HAL_SIM_PRESSURE;
    s_bus.env.lux = HAL_SIM_LUX;
    s_bus.env.accel_g[2] = 1.0;
    s_bus.is_ready = true;
    hal_sim_i2c_plug(HAL_SIM_SSD1306, 0, 0x3c);
    hal_sim_i2c_plug(HAL_SIM_BME280, 0, 0x76);
}

static void ensure_ready(void)
{
    if (!s_bus.is_ready)
        sim_bus_reset();
}

static struct sim_i2c_dev *dev_find(int bus, uint8_t addr)
{
    ensure_ready();
    for (int i = 0; i < HAL_SIM_I2C_DEVS; i++)
        if (s_bus.dev[i].m && s_bus.dev[i].bus == bus && s_bus.dev[i].addr == addr)
            return &s_bus.dev[i];
    return NULL;
}

int hal_sim_i2c_plug(enum hal_sim_dev kind, int bus, uint8_t addr)
{
    ensure_ready();
    const struct sim_i2c_model *m = model_of(kind);
    if (!m || addr > 0x7f || bus < 0)
        return ERR_RANGE;
    if (dev_find(bus, addr))
        return ERR_EXIST;
    for (int i = 0; i < HAL_SIM_I2C_DEVS; i++) {
        struct sim_i2c_dev *d = &s_bus.dev[i];
        if (d->m)
            continue;
        memset(d, 0, sizeof *d);
        d->m = m;
        d->bus = bus;
        d->addr = addr;
        m->reset(d);
        return 0;
    }
    return ERR_FULL;
}

int hal_sim_i2c_unplug(int bus, uint8_t addr)
{
    struct sim_i2c_dev *d = dev_find(bus, addr);
    if (!d)
        return ERR_NOENT;
    d->m = NULL;
    return 0;
}

void hal_sim_plug_kit(void)
{
    ensure_ready();
    hal_sim_i2c_plug(HAL_SIM_SSD1306, 0, 0x3c);
    hal_sim_i2c_plug(HAL_SIM_SH1106, 0, 0x3d);
    hal_sim_i2c_plug(HAL_SIM_BME280, 0, 0x76);
    hal_sim_i2c_plug(HAL_SIM_AHT10, 0, 0x38);
    hal_sim_i2c_plug(HAL_SIM_VEML7700, 0, 0x10);
    hal_sim_i2c_plug(HAL_SIM_QMI8658, 0, 0x6b);
}

const char *hal_sim_i2c_model(int bus, uint8_t addr)
{
    struct sim_i2c_dev *d = dev_find(bus, addr);
    return d ? d->m->name : NULL;
}

int hal_sim_display_get(int bus, uint8_t addr, uint8_t *fb, size_t cap, bool *is_on,
                        bool *is_inverted, uint32_t *writes)
{
    struct sim_i2c_dev *d = dev_find(bus, addr);
    if (!d || (d->m->kind != HAL_SIM_SSD1306 && d->m->kind != HAL_SIM_SH1106))
        return ERR_NOENT;
    memcpy(fb, d->fb, cap < SIM_FB_BYTES ? cap : SIM_FB_BYTES);
    if (is_on)
        *is_on = d->is_on;
    if (is_inverted)
        *is_inverted = d->is_inverted;
    if (writes)
        *writes = d->fb_writes;
    return 0;
}

const struct hal_sim_env *sim_env(void)
{
    ensure_ready();
    return &s_bus.env;
}

void hal_sim_env_get(struct hal_sim_env *out)
{
    *out = *sim_env();
}

void hal_sim_env_set(const struct hal_sim_env *env)
{
    ensure_ready();
    s_bus.env = *env;
}

int sim_reg_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn)
{
    d->ptr = wr[0];
    for (size_t i = 1; i < wn; i++)
        d->reg[d->ptr++] = wr[i];
    return 0;
}

int sim_reg_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    for (size_t i = 0; i < rn; i++)
        rd[i] = d->reg[d->ptr++];
    return 0;
}

/* --- the "sim" backend of hal_bus.c --- */

int sim_i2c_scan(int bus, uint8_t *addrs, size_t cap)
{
    size_t n = 0;
    for (int a = 0x08; a <= 0x77 && n < cap; a++)
        if (dev_find(bus, (uint8_t)a))
            addrs[n++] = (uint8_t)a;
    return (int)n;
}

int sim_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn)
{
    struct sim_i2c_dev *d = dev_find(bus, addr);
    if (!d)
        return ERR_NOENT; /* nobody ACKs the address */
    if (wn > 0) {
        int rc = d->m->write(d, wr, wn);
        if (rc < 0)
            return rc;
    }
    return rn > 0 ? d->m->read(d, rd, rn) : 0;
}

int sim_spi_xfer(int bus, int cs, const uint8_t *tx, uint8_t *rx, size_t n)
{
    if (bus != 0 || cs != 0)
        return ERR_NOENT;
    if (rx) {
        if (tx)
            memmove(rx, tx, n); /* MISO wired to MOSI */
        else
            memset(rx, 0, n);
    }
    return 0;
}

size_t sim_uart_frame(uint8_t *out, size_t cap)
{
    s_bus.frames++;
    return sim_ld2410_frame(sim_env(), out, cap);
}

uint64_t hal_sim_uart_frames(void)
{
    return s_bus.frames;
}
