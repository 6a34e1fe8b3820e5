/* lm_i2c.c - Load Module `i2c` (micrOS LM_i2c): scan lists the answering addresses as hex
 * strings; discover names the ones micrOS knows. */
#include "../core/err.h"
#include "../hal/hal_bus.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "i2c_util.h"

#include <stdio.h>

static int scan(struct lm_ctx *ctx, uint8_t *addrs, size_t cap)
{
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    int n = hal_i2c_scan(i2c_util_bus(), addrs, cap);
    if (n < 0)
        return lm_error(ctx, "i2c bus %d scan: %s", i2c_util_bus(), err_str(n));
    return n;
}

static int fn_scan(struct lm_ctx *ctx)
{
    uint8_t addrs[128];
    int n = scan(ctx, addrs, sizeof addrs);
    if (n < 0)
        return n;
    struct val *l = val_list(ctx->arena);
    for (int i = 0; i < n; i++)
        val_append(l, val_strf(ctx->arena, "0x%x", addrs[i]));
    return lm_ret(ctx, l);
}

static int fn_discover(struct lm_ctx *ctx)
{
    static const struct {
        uint8_t addr;
        const char *name;
    } known[] = {
        {.addr = 0x0a, .name = "TRACKBALL"}, {.addr = 0x3c, .name = "OLED"},
        {.addr = 0x76, .name = "BME280"},    {.addr = 0x10, .name = "VEML7700"},
        {.addr = 0x6b, .name = "QMI8658"},   {.addr = 0x29, .name = "TCS3472"},
    };
    uint8_t addrs[128];
    int n = scan(ctx, addrs, sizeof addrs);
    if (n < 0)
        return n;
    struct val *d = lm_ret_dict(ctx);
    struct val *unknown = val_list(ctx->arena);
    val_dict_set(ctx->arena, d, "unknown", unknown);
    for (int i = 0; i < n; i++) {
        const char *name = NULL;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (known[k].addr == addrs[i])
                name = known[k].name;
        struct val *hex = val_strf(ctx->arena, "0x%x", addrs[i]);
        if (name)
            val_dict_set(ctx->arena, d, name, hex);
        else
            val_append(unknown, hex);
    }
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "scan", .fn = fn_scan},
    {.name = "discover", .fn = fn_discover},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_i2c = {.name = "i2c", .funcs = s_funcs};
