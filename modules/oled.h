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

#endif
