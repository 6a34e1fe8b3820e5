/* dht.c - the DHT11 / DHT22 modules' shared functions (dht.h). */
#include "dht.h"

#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../svc/pinmap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DHT_LOG_MAX (16 * 1024) /* the log is started over when it grows past this */

static int bind(struct lm_ctx *ctx, struct dht *d)
{
    char err[128];
    if (d->pin >= 0)
        return 0;
    int pin = pinmap_bind("dhtpin", -1, err, sizeof err);
    if (pin < 0)
        return lm_error(ctx, "%s", err);
    d->pin = pin;
    return 0;
}

static void log_path(struct lm_ctx *ctx, const struct dht *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/%s.dat", ctx->node->data_dir ? ctx->node->data_dir : ".", d->name);
}

int dht_fn_load(struct lm_ctx *ctx, struct dht *d)
{
    if (bind(ctx, d) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, d->loaded);
}

int dht_fn_measure(struct lm_ctx *ctx, struct dht *d)
{
    if (bind(ctx, d) < 0)
        return ERR_INVAL;
    double t, h;
    int rc = hal_sensor_read(d->kind, d->pin, &t, &h);
    if (rc < 0)
        return lm_error(ctx, "%s read failed: %s", d->name, err_str(rc));
    t = round(t * 100) / 100;
    h = round(h * 100) / 100;
    struct val *r = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, r, "temp[C]", val_float(ctx->arena, t));
    val_dict_set(ctx->arena, r, "hum[%]", val_float(ctx->arena, h));
    if (lm_bool(ctx, "log")) {
        char path[512], line[96];
        log_path(ctx, d, path, sizeof path);
        int n = snprintf(line, sizeof line, "{'temp[C]': %g, 'hum[%%]': %g}\n", t, h);
        char probe[2];
        if (hal_fs_read(path, probe, sizeof probe) == ERR_TOOBIG) {
            char big[DHT_LOG_MAX + 1];
            if (hal_fs_read(path, big, sizeof big) == ERR_TOOBIG)
                hal_fs_remove(path);
        }
        hal_fs_append(path, line, (size_t)n);
    }
    return 0;
}

int dht_fn_logger(struct lm_ctx *ctx, struct dht *d)
{
    char path[512];
    log_path(ctx, d, path, sizeof path);
    char *buf = arena_alloc(ctx->arena, DHT_LOG_MAX + 1);
    if (!buf)
        return lm_error(ctx, "memory allocation failed");
    long n = hal_fs_read(path, buf, DHT_LOG_MAX + 1);
    return lm_ret_str(ctx, n > 0 ? buf : "");
}

int dht_fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "dhtpin"));
}
