/* oled.c - OLED framebuffer drawing and the SSD1306 / SH1106 command sequences. */
#include "oled.h"

#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../svc/pinmap.h"
#include "font5x7.h"
#include "i2c_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oled_cmd(struct lm_ctx *ctx, struct oled *o, uint8_t c)
{
    uint8_t b[2] = {0x00, c};
    return i2c_util_xfer(ctx, o->chip, o->addr, b, 2, NULL, 0);
}

static int cmds(struct lm_ctx *ctx, struct oled *o, const uint8_t *c, size_t n)
{
    uint8_t b[32];
    b[0] = 0x00; /* control byte: a command stream follows */
    memcpy(b + 1, c, n);
    return i2c_util_xfer(ctx, o->chip, o->addr, b, n + 1, NULL, 0);
}

int oled_setup(struct lm_ctx *ctx, struct oled *o)
{
    if (o->is_ready)
        return 0;
    if (i2c_util_bind(ctx) < 0)
        return ERR_INVAL;
    uint8_t contrast = (uint8_t)(o->brightness * 255 / 100);
    bool flip = o->rotate == 180;
    if (o->is_sh1106) {
        const uint8_t init[] = {0xae,
                                0xd5,
                                0x80,
                                0xa8,
                                0x3f,
                                0xd3,
                                0x00,
                                0x40,
                                0xad,
                                0x8b,
                                flip ? 0xa0 : 0xa1,
                                flip ? 0xc0 : 0xc8,
                                0xda,
                                0x12,
                                0x81,
                                contrast,
                                0xd9,
                                0x22,
                                0xdb,
                                0x35,
                                0xa4,
                                0xa6,
                                0xaf};
        if (cmds(ctx, o, init, sizeof init) < 0)
            return ERR_INVAL;
    } else {
        const uint8_t init[] = {0xae,
                                0x20,
                                0x00,
                                0x40,
                                0xa1,
                                0xa8,
                                (uint8_t)(o->height - 1),
                                0xc8,
                                0xd3,
                                0x00,
                                0xda,
                                o->height == 64 ? 0x12 : 0x02,
                                0xd5,
                                0x80,
                                0xd9,
                                0xf1,
                                0xdb,
                                0x30,
                                0x81,
                                contrast,
                                0xa4,
                                0xa6,
                                0x8d,
                                0x14,
                                0xaf};
        if (cmds(ctx, o, init, sizeof init) < 0)
            return ERR_INVAL;
    }
    o->is_ready = true;
    o->is_on = true;
    o->is_inverted = false;
    memset(o->fb, 0, sizeof o->fb);
    return oled_show(ctx, o);
}

int oled_show(struct lm_ctx *ctx, struct oled *o)
{
    int pages = o->height / 8;
    if (o->is_sh1106) {
        uint8_t b[1 + OLED_W];
        b[0] = 0x40;
        for (int p = 0; p < pages; p++) {
            const uint8_t pos[] = {(uint8_t)(0xb0 | p), 0x02, 0x10};
            memcpy(b + 1, &o->fb[p * OLED_W], OLED_W);
            if (cmds(ctx, o, pos, sizeof pos) < 0 ||
                i2c_util_xfer(ctx, o->chip, o->addr, b, sizeof b, NULL, 0) < 0)
                return ERR_INVAL;
        }
        memcpy(o->shown, o->fb, sizeof o->shown);
        o->shows++;
        return 0;
    }
    const uint8_t win[] = {0x21, 0, (uint8_t)(o->width - 1), 0x22, 0, (uint8_t)(pages - 1)};
    static uint8_t b[1 + OLED_BYTES];
    b[0] = 0x40;
    size_t n = 0;
    for (int p = 0; p < pages; p++)
        for (int x = 0; x < o->width; x++)
            b[1 + n++] = o->fb[p * OLED_W + x];
    if (cmds(ctx, o, win, sizeof win) < 0 ||
        i2c_util_xfer(ctx, o->chip, o->addr, b, n + 1, NULL, 0) < 0)
        return ERR_INVAL;
    memcpy(o->shown, o->fb, sizeof o->shown);
    o->shows++;
    return 0;
}

void oled_pixel(struct oled *o, int x, int y, int c)
{
    if (x < 0 || y < 0 || x >= o->width || y >= o->height)
        return;
    uint8_t *p = &o->fb[(y / 8) * OLED_W + x];
    uint8_t bit = (uint8_t)(1u << (y % 8));
    *p = c ? (uint8_t)(*p | bit) : (uint8_t)(*p & ~bit);
}

void oled_fill(struct oled *o, int c)
{
    memset(o->fb, c ? 0xff : 0x00, sizeof o->fb);
}

void oled_line(struct oled *o, int x0, int y0, int x1, int y1, int c)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (int guard = 0; guard < 4 * (OLED_W + OLED_H) + 4; guard++) {
        oled_pixel(o, x0, y0, c);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

void oled_rect(struct oled *o, int x, int y, int w, int h, int c, bool fill)
{
    if (w <= 0 || h <= 0)
        return;
    if (fill) {
        for (int j = y; j < y + h && j < OLED_H; j++)
            for (int i = x; i < x + w && i < OLED_W; i++)
                oled_pixel(o, i, j, c);
        return;
    }
    oled_line(o, x, y, x + w - 1, y, c);
    oled_line(o, x, y + h - 1, x + w - 1, y + h - 1, c);
    oled_line(o, x, y, x, y + h - 1, c);
    oled_line(o, x + w - 1, y, x + w - 1, y + h - 1, c);
}

void oled_text(struct oled *o, const char *s, int x, int y, int c)
{
    for (; *s && x < o->width; s++, x += FONT5X7_CELL) {
        unsigned ch = (unsigned char)*s;
        if (ch < FONT5X7_FIRST || ch >= FONT5X7_FIRST + FONT5X7_COUNT)
            ch = '?';
        const uint8_t *g = font5x7[ch - FONT5X7_FIRST];
        for (int col = 0; col < 5; col++)
            for (int row = 0; row < 7; row++)
                if (g[col] & (1u << row))
                    oled_pixel(o, x + col, y + row, c);
    }
}

/* Skips whitespace and '#' comments in a PBM header; returns the next number or -1. */
static long pbm_num(const char *d, size_t n, size_t *i)
{
    while (*i < n) {
        if (d[*i] == '#')
            while (*i < n && d[*i] != '\n')
                (*i)++;
        else if (d[*i] == ' ' || d[*i] == '\t' || d[*i] == '\r' || d[*i] == '\n')
            (*i)++;
        else
            break;
    }
    long v = -1;
    while (*i < n && d[*i] >= '0' && d[*i] <= '9') {
        v = (v < 0 ? 0 : v * 10) + (d[*i] - '0');
        if (v > 100000)
            return -1;
        (*i)++;
    }
    return v;
}

int oled_pbm(struct oled *o, const char *d, size_t n, int x, int y)
{
    if (n < 2 || d[0] != 'P' || (d[1] != '1' && d[1] != '4'))
        return ERR_SYNTAX;
    size_t i = 2;
    long w = pbm_num(d, n, &i), h = pbm_num(d, n, &i);
    if (w <= 0 || h <= 0 || w > 4096 || h > 4096)
        return ERR_SYNTAX;
    if (d[1] == '4') {
        i++; /* the single whitespace after the height */
        size_t row = (size_t)(w + 7) / 8;
        if (i + row * (size_t)h > n)
            return ERR_SYNTAX;
        for (long r = 0; r < h; r++)
            for (long c = 0; c < w; c++) {
                uint8_t byte = (uint8_t)d[i + (size_t)r * row + (size_t)c / 8];
                oled_pixel(o, x + (int)c, y + (int)r, (byte >> (7 - c % 8)) & 1);
            }
        return 0;
    }
    for (long k = 0; k < w * h; k++) {
        while (i < n && d[i] != '0' && d[i] != '1')
            i++;
        if (i >= n)
            return ERR_SYNTAX;
        oled_pixel(o, x + (int)(k % w), y + (int)(k / w), d[i++] == '1');
    }
    return 0;
}

/* --- module functions --- */

int oled_fn_load(struct lm_ctx *ctx, struct oled *o)
{
    int64_t w = lm_int(ctx, "width"), h = lm_int(ctx, "height"), b = lm_int(ctx, "brightness");
    if (w < 8 || w > OLED_W || (h != 32 && h != 64) || b < 0 || b > 100)
        return lm_error(ctx, "width must be 8-128, height 32 or 64, brightness 0-100");
    int64_t addr = lm_int(ctx, "addr");
    if (addr < 0x08 || addr > 0x77)
        return lm_error(ctx, "addr must be an I2C address 0x08-0x77 (0x3c or 0x3d)");
    o->addr = (uint8_t)addr;
    o->width = (int)w;
    o->height = (int)h;
    o->brightness = (int)b;
    if (o->is_sh1106) {
        int64_t r = lm_int(ctx, "rotate");
        if (r != 0 && r != 180)
            return lm_error(ctx, "rotate must be 0 or 180");
        o->rotate = (int)r;
    }
    o->is_ready = false;
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    return lm_ret_strf(ctx, "%s %dx%d loaded", o->chip, o->width, o->height);
}

int oled_fn_text(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    const char *s = lm_str(ctx, "string");
    oled_text(o, s ? s : "None", (int)lm_int(ctx, "x"), (int)lm_int(ctx, "y"), 1);
    return lm_ret_bool(ctx, true);
}

int oled_fn_invert(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    if (oled_cmd(ctx, o, o->is_inverted ? 0xa6 : 0xa7) < 0)
        return ERR_INVAL;
    o->is_inverted = !o->is_inverted;
    return lm_ret_bool(ctx, true);
}

int oled_fn_clean(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    oled_fill(o, (int)lm_int(ctx, "state"));
    return lm_ret_bool(ctx, true);
}

int oled_fn_line(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    oled_line(o, (int)lm_int(ctx, "sx"), (int)lm_int(ctx, "sy"), (int)lm_int(ctx, "ex"),
              (int)lm_int(ctx, "ey"), (int)lm_int(ctx, "state"));
    return lm_ret_bool(ctx, true);
}

int oled_fn_rect(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    oled_rect(o, (int)lm_int(ctx, "x"), (int)lm_int(ctx, "y"), (int)lm_int(ctx, "w"),
              (int)lm_int(ctx, "h"), (int)lm_int(ctx, "state"), lm_bool(ctx, "fill"));
    return lm_ret_bool(ctx, true);
}

int oled_fn_pixel(struct lm_ctx *ctx, struct oled *o, const char *color_param)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    oled_pixel(o, (int)lm_int(ctx, "x"), (int)lm_int(ctx, "y"), (int)lm_int(ctx, color_param));
    return lm_ret_bool(ctx, true);
}

int oled_fn_bitmap(struct lm_ctx *ctx, struct oled *o)
{
    /* micrOS's default: a 14x14 space invader */
    static const char *const invader[] = {
        "00001100110000", "00001100110000", "11111111111111", "11111111111111", "11110000001111",
        "11110000001111", "00110011001100", "00110011001100", "11110000001111", "11110000001111",
        "11111111111111", "11111111111111", "00001100110000", "00001100110000"};
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    int x = (int)lm_int(ctx, "x"), y = (int)lm_int(ctx, "y");
    struct val *bmp = lm_arg(ctx, "bmp");
    if (!bmp || bmp->type == VAL_NONE) {
        for (int r = 0; r < 14; r++)
            for (int c = 0; c < 14; c++)
                oled_pixel(o, x + c, y + r, invader[r][c] == '1');
        return lm_ret_bool(ctx, true);
    }
    if (bmp->type != VAL_LIST && bmp->type != VAL_TUPLE)
        return lm_error(ctx, "bmp must be a tuple/list of '0101' strings");
    int r = 0;
    for (struct val *row = bmp->u.c.head; row; row = row->next, r++) {
        if (row->type != VAL_STR)
            return lm_error(ctx, "bmp row %d is not a string", r);
        for (size_t c = 0; c < row->u.s.len; c++)
            oled_pixel(o, x + (int)c, y + r, row->u.s.p[c] == '1');
    }
    return lm_ret_bool(ctx, true);
}

int oled_fn_image(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0)
        return ERR_INVAL;
    const char *name = lm_str(ctx, "pbm_img");
    if (!name || !*name || strstr(name, ".."))
        return lm_error(ctx, "pbm_img: a .pbm file in the data folder");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", ctx->node->data_dir ? ctx->node->data_dir : ".", name);
    enum { PBM_MAX = 16 * 1024 };
    char *buf = arena_alloc(ctx->arena, PBM_MAX);
    if (!buf)
        return lm_error(ctx, "memory allocation failed");
    long n = hal_fs_read(path, buf, PBM_MAX);
    if (n < 0)
        return lm_error(ctx, "%s: %s", name, err_str((int)n));
    if (oled_pbm(o, buf, (size_t)n, (int)lm_int(ctx, "x"), (int)lm_int(ctx, "y")) < 0)
        return lm_error(ctx, "%s: not a PBM image (P1 or P4)", name);
    return lm_ret_bool(ctx, true);
}

int oled_fn_show(struct lm_ctx *ctx, struct oled *o)
{
    if (oled_setup(ctx, o) < 0 || oled_show(ctx, o) < 0)
        return ERR_INVAL;
    return lm_ret_bool(ctx, true);
}

int oled_fn_power(struct lm_ctx *ctx, struct oled *o, bool on)
{
    if (oled_setup(ctx, o) < 0 || oled_cmd(ctx, o, on ? 0xaf : 0xae) < 0)
        return ERR_INVAL;
    o->is_on = on;
    return lm_ret_bool(ctx, true);
}

int oled_fn_framebuffer(struct lm_ctx *ctx, struct oled *o)
{
    char *hex = arena_alloc(ctx->arena, OLED_BYTES * 2 + 1);
    if (!hex)
        return lm_error(ctx, "memory allocation failed");
    for (size_t i = 0; i < OLED_BYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", o->shown[i]);
    struct arena *a = ctx->arena;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(a, d, "model", val_str(a, o->chip));
    val_dict_set(a, d, "addr", val_strf(a, "0x%02x", o->addr));
    val_dict_set(a, d, "w", val_int(a, o->width));
    val_dict_set(a, d, "h", val_int(a, o->height));
    val_dict_set(a, d, "on", val_bool(a, o->is_ready && o->is_on));
    val_dict_set(a, d, "inverted", val_bool(a, o->is_inverted));
    val_dict_set(a, d, "writes", val_int(a, o->shows));
    val_dict_set(a, d, "fb", val_str(a, hex));
    return 0;
}

int oled_fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "i2c_scl i2c_sda"));
}
