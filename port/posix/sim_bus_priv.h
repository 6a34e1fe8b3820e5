/* sim_bus_priv.h - the simulated bus bank's device models (sim_dev_*.c) and their shared
 * register-file shape. A model sees whole transactions: a write (register pointer or command
 * first, then data) and a read (from the pointer on), like the chip on the wire. */
#ifndef SIM_BUS_PRIV_H
#define SIM_BUS_PRIV_H

#include "../../hal/hal_sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_FB_BYTES 1024 /* 128 x 64 / 8 */

struct sim_i2c_dev;

struct sim_i2c_model {
    enum hal_sim_dev kind;
    const char *name;
    void (*reset)(struct sim_i2c_dev *d);
    /* A write transaction of wn >= 1 bytes. Returns 0 or ERR_IO (the chip NAKs a byte). */
    int (*write)(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn);
    /* A read transaction of rn bytes. */
    int (*read)(struct sim_i2c_dev *d, uint8_t *rd, size_t rn);
};

struct sim_i2c_dev {
    const struct sim_i2c_model *m; /* NULL = free slot */
    int bus;
    uint8_t addr;
    uint8_t ptr;      /* register pointer */
    uint8_t reg[256]; /* register file (8-bit registers) */
    uint16_t reg16[16];
    /* displays */
    uint8_t fb[SIM_FB_BYTES]; /* 8 pages x 128 columns, bit 0 = top row of the page */
    uint8_t page, col, col_start, col_end, page_start, page_end;
    bool is_on, is_inverted;
    uint8_t contrast;
    uint32_t fb_writes;
    /* commands in flight (aht10): last command byte */
    uint8_t cmd;
    bool is_calibrated;
};

/* Simulated environment the sensors read (sim_bus.c). */
const struct hal_sim_env *sim_env(void);

extern const struct sim_i2c_model sim_bme280_model;
extern const struct sim_i2c_model sim_aht10_model;
extern const struct sim_i2c_model sim_veml7700_model;
extern const struct sim_i2c_model sim_ssd1306_model;
extern const struct sim_i2c_model sim_sh1106_model;
extern const struct sim_i2c_model sim_qmi8658_model;

/* Default register behaviour: the first written byte sets the pointer, the rest are stored;
 * reads go on from the pointer. */
int sim_reg_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn);
int sim_reg_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn);

/* The ld2410 model: builds the basic-mode report frame for the environment's radar target
 * into out (cap >= HAL_SIM_LD2410_FRAME). Returns its length. */
size_t sim_ld2410_frame(const struct hal_sim_env *e, uint8_t *out, size_t cap);

/* Resets the bus bank (hal_sim_reset). */
void sim_bus_reset(void);

/* The "sim" backend of hal_bus.c: same contracts as hal_i2c_scan, hal_i2c_xfer, hal_spi_xfer. */
int sim_i2c_scan(int bus, uint8_t *addrs, size_t cap);
int sim_i2c_xfer(int bus, uint8_t addr, const uint8_t *wr, size_t wn, uint8_t *rd, size_t rn);
int sim_spi_xfer(int bus, int cs, const uint8_t *tx, uint8_t *rx, size_t n);
/* The next radar report frame a simulated UART sends; returns its length. */
size_t sim_uart_frame(uint8_t *out, size_t cap);

#endif
