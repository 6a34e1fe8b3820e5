/* lm_oled.c - Load Module `oled` (micrOS LM_oled): a 128x64 SSD1306 OLED at 0x3c on the I2C bus.
 * Drawing calls change the framebuffer; show sends it to the display (as micrOS). */
#include "../svc/lm.h"
#include "../svc/pinmap.h"
#include "oled.h"

static struct oled s_oled = {.chip = "ssd1306",
                             .addr = 0x3c,
                             .is_sh1106 = false,
                             .width = OLED_W,
                             .height = OLED_H,
                             .brightness = 50,
                             .rotate = 0};

static int fn_load(struct lm_ctx *ctx)
{
    return oled_fn_load(ctx, &s_oled);
}

static int fn_text(struct lm_ctx *ctx)
{
    return oled_fn_text(ctx, &s_oled);
}

static int fn_invert(struct lm_ctx *ctx)
{
    return oled_fn_invert(ctx, &s_oled);
}

static int fn_clean(struct lm_ctx *ctx)
{
    return oled_fn_clean(ctx, &s_oled);
}

static int fn_line(struct lm_ctx *ctx)
{
    return oled_fn_line(ctx, &s_oled);
}

static int fn_rect(struct lm_ctx *ctx)
{
    return oled_fn_rect(ctx, &s_oled);
}

static int fn_pixel(struct lm_ctx *ctx)
{
    return oled_fn_pixel(ctx, &s_oled, "color");
}

static int fn_bitmap(struct lm_ctx *ctx)
{
    return oled_fn_bitmap(ctx, &s_oled);
}

static int fn_image(struct lm_ctx *ctx)
{
    return oled_fn_image(ctx, &s_oled);
}

static int fn_show(struct lm_ctx *ctx)
{
    return oled_fn_show(ctx, &s_oled);
}

static int fn_poweron(struct lm_ctx *ctx)
{
    return oled_fn_power(ctx, &s_oled, true);
}

static int fn_framebuffer(struct lm_ctx *ctx)
{
    return oled_fn_framebuffer(ctx, &s_oled);
}

static int fn_poweroff(struct lm_ctx *ctx)
{
    return oled_fn_power(ctx, &s_oled, false);
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}

static const struct lm_func s_funcs[] = {
    {.name = "load",
     .fn = fn_load,
     .params = LM_PARAMS({"width", LM_INT, "128", NULL}, {"height", LM_INT, "64", NULL},
                         {"brightness", LM_INT, "50", "0-100"}, {"addr", LM_INT, "0x3c", NULL})},
    {.name = "text",
     .fn = fn_text,
     .params = LM_PARAMS({"string", LM_STR, "'text'", NULL}, {"x", LM_INT, "0", "0-127"},
                         {"y", LM_INT, "0", "0-63"})},
    {.name = "invert", .fn = fn_invert, .widget = "BUTTON"},
    {.name = "clean", .fn = fn_clean, .params = LM_PARAMS({"state", LM_INT, "0", "0,1"})},
    {.name = "line",
     .fn = fn_line,
     .params = LM_PARAMS({"sx", LM_INT, NULL, NULL}, {"sy", LM_INT, NULL, NULL},
                         {"ex", LM_INT, NULL, NULL}, {"ey", LM_INT, NULL, NULL},
                         {"state", LM_INT, "1", "0,1"})},
    {.name = "rect",
     .fn = fn_rect,
     .params = LM_PARAMS({"x", LM_INT, NULL, NULL}, {"y", LM_INT, NULL, NULL},
                         {"w", LM_INT, NULL, NULL}, {"h", LM_INT, NULL, NULL},
                         {"state", LM_INT, "1", "0,1"}, {"fill", LM_BOOL, "False", NULL})},
    {.name = "pixel",
     .fn = fn_pixel,
     .params = LM_PARAMS({"x", LM_INT, NULL, NULL}, {"y", LM_INT, NULL, NULL},
                         {"color", LM_INT, "1", "0,1"})},
    {.name = "bitmap",
     .fn = fn_bitmap,
     .params = LM_PARAMS({"bmp", LM_ANY, "None", NULL}, {"x", LM_INT, "0", NULL},
                         {"y", LM_INT, "0", NULL})},
    {.name = "image",
     .fn = fn_image,
     .params = LM_PARAMS({"pbm_img", LM_STR, NULL, NULL}, {"x", LM_INT, "0", NULL},
                         {"y", LM_INT, "0", NULL})},
    {.name = "show", .fn = fn_show},
    {.name = "poweron", .fn = fn_poweron, .widget = "BUTTON"},
    {.name = "poweroff", .fn = fn_poweroff, .widget = "BUTTON"},
    {.name = "framebuffer", .fn = fn_framebuffer},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_oled = {"oled", s_funcs, NULL};
