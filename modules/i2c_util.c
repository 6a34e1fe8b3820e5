/* i2c_util.c - the I2C modules' shared bus lookup, pin booking and error texts. */
#include "i2c_util.h"

#include "../core/err.h"
#include "../hal/hal_bus.h"
#include "../svc/pinmap.h"

int i2c_util_bus(void)
{
    int bus = pinmap_get("i2c");
    return bus < 0 ? 0 : bus;
}

int i2c_util_bind(struct lm_ctx *ctx)
{
    static const char *const tags[] = {"i2c_sda", "i2c_scl"};
    char err[128];
    for (int i = 0; i < 2; i++)
        if (pinmap_get(tags[i]) >= 0 && pinmap_bind(tags[i], -1, err, sizeof err) < 0)
            return lm_error(ctx, "%s", err);
    return 0;
}

static const char *why(int rc)
{
    switch (rc) {
    case ERR_NOENT: return "no ACK (nothing at this address, or no such bus)";
    case ERR_TIMEOUT: return "timed out (a device holds the bus)";
    case ERR_IO: return "transfer failed (NAK during the transfer)";
    case ERR_PERM: return "permission denied (add the user to the i2c group)";
    default: return err_str(rc);
    }
}

int i2c_util_xfer(struct lm_ctx *ctx, const char *chip, uint8_t addr, const uint8_t *wr, size_t wn,
                  uint8_t *rd, size_t rn)
{
    int bus = i2c_util_bus();
    int rc = hal_i2c_xfer(bus, addr, wr, wn, rd, rn);
    if (rc < 0)
        return lm_error(ctx, "%s at 0x%02x on i2c bus %d: %s", chip, addr, bus, why(rc));
    return 0;
}

int i2c_util_read_reg(struct lm_ctx *ctx, const char *chip, uint8_t addr, uint8_t reg, uint8_t *rd,
                      size_t n)
{
    return i2c_util_xfer(ctx, chip, addr, &reg, 1, rd, n);
}

int i2c_util_write_reg(struct lm_ctx *ctx, const char *chip, uint8_t addr, uint8_t reg, uint8_t val)
{
    uint8_t b[2] = {reg, val};
    return i2c_util_xfer(ctx, chip, addr, b, 2, NULL, 0);
}
