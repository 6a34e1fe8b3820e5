/* oled.h - a 128x64 monochrome OLED's framebuffer and drawing (text, lines, rectangles,
 * bitmaps, PBM images), flushed to an SSD1306 or SH1106 over I2C. Shared by the `oled` and
 * `oled_sh1106` modules; drawing changes the framebuffer only, show() sends it (as micrOS). */
#ifndef OLED_MODULE_H
#define OLED_MODULE_H

#include "../svc/lm.h"

#include <stdbool.h>
#include <stdint.h>

#define OLED_W     128
#define OLED_H     64
#define OLED_PAGES (OLED_H / 8)
#define OLED_BYTES (OLED_W * OLED_PAGES)

struct oled {
    const char *chip; /* "ssd1306" / "sh1106", for errors */
    uint8_t addr;
    bool is_sh1106;
    bool is_ready;
    bool is_inverted;
    bool is_on;
    int width, height;
    int brightness;            /* percent */
    int rotate;                /* 0 or 180 */
    uint8_t fb[OLED_BYTES];    /* 8 pages x 128 columns, bit 0 = top row of the page */
    uint8_t shown[OLED_BYTES]; /* what the last show sent: what the glass shows */
    uint32_t shows;            /* successful show calls */
};

/* Initialises the controller (once, or again after load). Returns 0 or fails ctx. */
int oled_setup(struct lm_ctx *ctx, struct oled *o);
/* Sends the framebuffer. Returns 0 or fails ctx. */
int oled_show(struct lm_ctx *ctx, struct oled *o);
/* Sends one command byte. */
int oled_cmd(struct lm_ctx *ctx, struct oled *o, uint8_t c);

void oled_pixel(struct oled *o, int x, int y, int c);
void oled_fill(struct oled *o, int c);
void oled_line(struct oled *o, int x0, int y0, int x1, int y1, int c);
void oled_rect(struct oled *o, int x, int y, int w, int h, int c, bool fill);
/* Draws s with the 5x7 font in 8x8 cells from (x, y) (top left). */
void oled_text(struct oled *o, const char *s, int x, int y, int c);
/* Draws a PBM image (P1 text or P4 binary) at (x, y). Returns 0 or ERR_SYNTAX. */
int oled_pbm(struct oled *o, const char *data, size_t n, int x, int y);

/* The module table functions both OLED modules share (their own .c files hold the tables). */
int oled_fn_load(struct lm_ctx *ctx, struct oled *o);
int oled_fn_text(struct lm_ctx *ctx, struct oled *o);
int oled_fn_invert(struct lm_ctx *ctx, struct oled *o);
int oled_fn_clean(struct lm_ctx *ctx, struct oled *o);
int oled_fn_line(struct lm_ctx *ctx, struct oled *o);
int oled_fn_rect(struct lm_ctx *ctx, struct oled *o);
int oled_fn_pixel(struct lm_ctx *ctx, struct oled *o, const char *color_param);
int oled_fn_bitmap(struct lm_ctx *ctx, struct oled *o);
int oled_fn_image(struct lm_ctx *ctx, struct oled *o);
int oled_fn_show(struct lm_ctx *ctx, struct oled *o);
int oled_fn_power(struct lm_ctx *ctx, struct oled *o, bool on);
/* {model, addr, w, h, on, inverted, writes, fb: hex of what the glass shows} - the shape of
 * `sim display`, so the web dashboard draws a real display the same way. */
int oled_fn_framebuffer(struct lm_ctx *ctx, struct oled *o);

/* Expands to nothing: the empty load_extra / extra argument of OLED_MODULE_FUNCS. */
#define OLED_NONE

/* Defines static handler `name` returning `call` (OLED_MODULE_FUNCS' wrappers). */
#define OLED_FN(name, call)                                                                        \
    static int name(struct lm_ctx *ctx)                                                            \
    {                                                                                              \
        return call;                                                                               \
    }

/* Defines the handlers of an OLED module on the `struct oled` variable `o` and its function
 * table `funcs` (help and widgets: load, text, invert, clean, line, rect, pixel, bitmap, image,
 * show, poweron, poweroff, then `extra`, then framebuffer and pinmap). pixel_param names pixel's
 * colour parameter; load_extra holds parameter entries listed between brightness and addr.
 * load_extra and extra are macro names (OLED_NONE for none) whose entries each end in a comma,
 * so commas pass through. */
#define OLED_MODULE_FUNCS(funcs, o, pixel_param, load_extra, extra)                                \
    OLED_FN(fn_load, oled_fn_load(ctx, &(o)))                                                      \
    OLED_FN(fn_text, oled_fn_text(ctx, &(o)))                                                      \
    OLED_FN(fn_invert, oled_fn_invert(ctx, &(o)))                                                  \
    OLED_FN(fn_clean, oled_fn_clean(ctx, &(o)))                                                    \
    OLED_FN(fn_line, oled_fn_line(ctx, &(o)))                                                      \
    OLED_FN(fn_rect, oled_fn_rect(ctx, &(o)))                                                      \
    OLED_FN(fn_pixel, oled_fn_pixel(ctx, &(o), pixel_param))                                       \
    OLED_FN(fn_bitmap, oled_fn_bitmap(ctx, &(o)))                                                  \
    OLED_FN(fn_image, oled_fn_image(ctx, &(o)))                                                    \
    OLED_FN(fn_show, oled_fn_show(ctx, &(o)))                                                      \
    OLED_FN(fn_poweron, oled_fn_power(ctx, &(o), true))                                            \
    OLED_FN(fn_poweroff, oled_fn_power(ctx, &(o), false))                                          \
    OLED_FN(fn_framebuffer, oled_fn_framebuffer(ctx, &(o)))                                        \
    static const struct lm_func funcs[] = {                                                        \
        {.name = "load",                                                                           \
         .fn = fn_load,                                                                            \
         .params = LM_PARAMS({"width", LM_INT, "128", NULL}, {"height", LM_INT, "64", NULL},       \
                             {"brightness", LM_INT, "50", "0-100"},                                \
                             load_extra{"addr", LM_INT, "0x3c", NULL})},                           \
        {.name = "text",                                                                           \
         .fn = fn_text,                                                                            \
         .params = LM_PARAMS({"string", LM_STR, "'text'", NULL}, {"x", LM_INT, "0", "0-127"},      \
                             {"y", LM_INT, "0", "0-63"})},                                         \
        {.name = "invert", .fn = fn_invert, .widget = "BUTTON"},                                   \
        {.name = "clean", .fn = fn_clean, .params = LM_PARAMS({"state", LM_INT, "0", "0,1"})},     \
        {.name = "line",                                                                           \
         .fn = fn_line,                                                                            \
         .params = LM_PARAMS({"sx", LM_INT, NULL, NULL}, {"sy", LM_INT, NULL, NULL},               \
                             {"ex", LM_INT, NULL, NULL}, {"ey", LM_INT, NULL, NULL},               \
                             {"state", LM_INT, "1", "0,1"})},                                      \
        {.name = "rect",                                                                           \
         .fn = fn_rect,                                                                            \
         .params = LM_PARAMS({"x", LM_INT, NULL, NULL}, {"y", LM_INT, NULL, NULL},                 \
                             {"w", LM_INT, NULL, NULL}, {"h", LM_INT, NULL, NULL},                 \
                             {"state", LM_INT, "1", "0,1"}, {"fill", LM_BOOL, "False", NULL})},    \
        {.name = "pixel",                                                                          \
         .fn = fn_pixel,                                                                           \
         .params = LM_PARAMS({"x", LM_INT, NULL, NULL}, {"y", LM_INT, NULL, NULL},                 \
                             {pixel_param, LM_INT, "1", "0,1"})},                                  \
        {.name = "bitmap",                                                                         \
         .fn = fn_bitmap,                                                                          \
         .params = LM_PARAMS({"bmp", LM_ANY, "None", NULL}, {"x", LM_INT, "0", NULL},              \
                             {"y", LM_INT, "0", NULL})},                                           \
        {.name = "image",                                                                          \
         .fn = fn_image,                                                                           \
         .params = LM_PARAMS({"pbm_img", LM_STR, NULL, NULL}, {"x", LM_INT, "0", NULL},            \
                             {"y", LM_INT, "0", NULL})},                                           \
        {.name = "show", .fn = fn_show},                                                           \
        {.name = "poweron", .fn = fn_poweron, .widget = "BUTTON"},                                 \
        {.name = "poweroff", .fn = fn_poweroff, .widget = "BUTTON"},                               \
        extra{.name = "framebuffer", .fn = fn_framebuffer},                                        \
        {.name = "pinmap", .fn = oled_fn_pinmap},                                                  \
        {.name = NULL},                                                                            \
    }

/* pinmap: the pin map entries of the I2C bus (i2c_scl i2c_sda). */
int oled_fn_pinmap(struct lm_ctx *ctx);

#endif
