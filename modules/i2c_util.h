/* i2c_util.h - what every I2C Load Module does the same way: find the bus (the pin map's "i2c"
 * entry: 1 on a Raspberry Pi, 0 on the simulator and ESP32 maps), book the SDA/SCL pins as
 * micrOS does, and turn a failed transfer into a Core error that names the chip, its address
 * and the reason ("no ACK", "timed out"). */
#ifndef I2C_UTIL_H
#define I2C_UTIL_H

#include "../svc/lm.h"

#include <stddef.h>
#include <stdint.h>

/* Returns the I2C bus number modules use. */
int i2c_util_bus(void);
/* Books i2c_sda/i2c_scl (when the map has them) for the bus. Returns 0 or fails ctx. */
int i2c_util_bind(struct lm_ctx *ctx);
/* Write-then-read to chip (a name for errors) at addr. Returns 0 or fails ctx
 * ("bme280 at 0x76 on i2c bus 0: no ACK (nothing at this address)"). */
int i2c_util_xfer(struct lm_ctx *ctx, const char *chip, uint8_t addr, const uint8_t *wr, size_t wn,
                  uint8_t *rd, size_t rn);
/* Reads n bytes from register reg. */
int i2c_util_read_reg(struct lm_ctx *ctx, const char *chip, uint8_t addr, uint8_t reg, uint8_t *rd,
                      size_t n);
/* Writes one byte val to register reg. */
int i2c_util_write_reg(struct lm_ctx *ctx, const char *chip, uint8_t addr, uint8_t reg,
                       uint8_t val);

#endif
