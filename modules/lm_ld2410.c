/* lm_ld2410.c - Load Module `ld2410` (micrOS LM_ld2410): presence from an HLK-LD2410 mmWave
 * radar on a UART at 256000 baud. The radar reports about ten frames a second by itself; the
 * UART is read on the event loop and every valid frame updates the last report, so `read`
 * answers at once (micrOS reads the serial port there, waiting up to a frame). The port is the
 * `uartdev` config key (a path such as /dev/ttyUSB0) or, with "auto", the pin map's `uart`
 * number (/dev/ttyAMA<n> on Linux, the simulated radar on the sim backend). */
#include "../core/err.h"
#include "../hal/hal_bus.h"
#include "../svc/cfg.h"
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "ld2410_frame.h"

#include <string.h>

#define LD2410_BAUD 256000

static struct {
    int uart; /* -1 = closed */
    struct ld2410_parser parser;
    struct ld2410_report last;
    bool has_report;
} s_ld = {.uart = -1};

static void on_report(const struct ld2410_report *r, void *arg)
{
    (void)arg;
    s_ld.last = *r;
    s_ld.has_report = true;
}

static void on_rx(int uart, const uint8_t *data, size_t n, void *arg)
{
    (void)uart;
    ld2410_feed(&s_ld.parser, data, n, on_report, arg);
}

static int setup(struct lm_ctx *ctx)
{
    if (s_ld.uart >= 0)
        return 0;
    char err[128];
    static const char *const tags[] = {"tx", "rx"};
    for (int i = 0; i < 2; i++)
        if (pinmap_get(tags[i]) >= 0 && pinmap_bind(tags[i], -1, err, sizeof err) < 0)
            return lm_error(ctx, "%s", err);
    const char *dev = ctx->node->cfg ? cfg_get_str(ctx->node->cfg, CFG_K_uartdev) : NULL;
    if (dev && (strcmp(dev, "auto") == 0 || strcmp(dev, "n/a") == 0))
        dev = NULL;
    int port = pinmap_get("uart");
    int h = hal_uart_open(port < 0 ? 0 : port, dev, LD2410_BAUD, on_rx, NULL);
    if (h < 0)
        return lm_error(ctx, "ld2410 uart %s: %s", dev ? dev : "(pin map uart)", err_str(h));
    memset(&s_ld.parser, 0, sizeof s_ld.parser);
    s_ld.uart = h;
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    return lm_ret_str(ctx, "LD2410 radar - loaded");
}

static int fn_read(struct lm_ctx *ctx)
{
    if (setup(ctx) < 0)
        return ERR_INVAL;
    static const char *const names[4] = {"n/a", "moving", "static", "combined"};
    const struct ld2410_report *r = &s_ld.last;
    struct arena *a = ctx->arena;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(a, d, "state", val_str(a, s_ld.has_report ? names[r->state & 3] : "n/a"));
    struct val *m = val_dict(a);
    val_dict_set(a, m, "state", val_int(a, r->state));
    val_dict_set(a, m, "moving_distance", val_int(a, r->moving_distance));
    val_dict_set(a, m, "moving_energy", val_int(a, r->moving_energy));
    val_dict_set(a, m, "stationary_distance", val_int(a, r->stationary_distance));
    val_dict_set(a, m, "stationary_energy", val_int(a, r->stationary_energy));
    val_dict_set(a, m, "detection_distance", val_int(a, r->detection_distance));
    val_dict_set(a, d, "measure", m);
    return 0;
}

static int fn_stats(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "frames", val_int(ctx->arena, (int64_t)s_ld.parser.frames));
    val_dict_set(ctx->arena, d, "bad_frames", val_int(ctx->arena, (int64_t)s_ld.parser.bad_frames));
    val_dict_set(ctx->arena, d, "rx_bytes",
                 val_int(ctx->arena, (int64_t)hal_uart_rx_bytes(s_ld.uart)));
    return 0;
}

static int fn_deinit(struct lm_ctx *ctx)
{
    if (s_ld.uart >= 0)
        hal_uart_close(s_ld.uart);
    s_ld.uart = -1;
    s_ld.has_report = false;
    return lm_ret_str(ctx, "LD2410 closed");
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "tx rx uart"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load},
    {.name = "read", .fn = fn_read, .widget = "TEXTBOX{\"refresh\": 1000}"},
    {.name = "stats", .fn = fn_stats},
    {.name = "deinit", .fn = fn_deinit},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_ld2410 = {.name = "ld2410", .funcs = s_funcs};
