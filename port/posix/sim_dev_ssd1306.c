/* sim_dev_ssd1306.c - SSD1306 and SH1106 OLED controllers at command level, keeping the
 * 128x64 framebuffer the node draws. A write starts with a control byte: bit 6 chooses data
 * (framebuffer bytes) or commands, bit 7 (Co) says one byte follows before the next control
 * byte. SSD1306: horizontal/page addressing with the 0x21/0x22 column and page windows.
 * SH1106: page addressing only, 132 columns of which 2..129 are on the glass. */
#include "../../core/err.h"
#include "sim_bus_priv.h"

#include <string.h>

#define R_PENDING 0  /* command waiting for arguments */
#define R_NEED    1  /* arguments still missing */
#define R_ARGS    2  /* collected arguments (up to 6) */
#define R_MODE    10 /* addressing mode: 0 horizontal, 1 vertical, 2 page */
#define R_NARGS   11

static void oled_reset(struct sim_i2c_dev *d)
{
    memset(d->reg, 0, sizeof d->reg);
    memset(d->fb, 0, sizeof d->fb);
    d->reg[R_MODE] = 2;
    d->page = d->col = 0;
    d->col_start = d->page_start = 0;
    d->col_end = 127;
    d->page_end = 7;
    d->is_on = false;
    d->is_inverted = false;
    d->contrast = 0x7f;
}

static int nargs(uint8_t cmd)
{
    switch (cmd) {
    case 0x81:
    case 0x20:
    case 0x8d:
    case 0xa8:
    case 0xd3:
    case 0xda:
    case 0xd5:
    case 0xd9:
    case 0xdb:
    case 0xad: return 1;
    case 0x21:
    case 0x22:
    case 0xa3: return 2;
    case 0x29:
    case 0x2a: return 5;
    case 0x26:
    case 0x27: return 6;
    default: return 0;
    }
}

static void run_cmd(struct sim_i2c_dev *d, uint8_t cmd, const uint8_t *a)
{
    bool is_sh = d->m->kind == HAL_SIM_SH1106;
    if (cmd == 0xae || cmd == 0xaf)
        d->is_on = cmd == 0xaf;
    else if (cmd == 0xa6 || cmd == 0xa7)
        d->is_inverted = cmd == 0xa7;
    else if (cmd == 0x81)
        d->contrast = a[0];
    else if (cmd == 0x20 && !is_sh)
        d->reg[R_MODE] = a[0] & 3;
    else if (cmd == 0x21 && !is_sh) {
        d->col_start = d->col = a[0] & 0x7f;
        d->col_end = a[1] & 0x7f;
    } else if (cmd == 0x22 && !is_sh) {
        d->page_start = d->page = a[0] & 7;
        d->page_end = a[1] & 7;
    } else if (cmd >= 0xb0 && cmd <= 0xb7)
        d->page = cmd & 7;
    else if (cmd <= 0x0f)
        d->col = (uint8_t)((d->col & 0xf0) | cmd);
    else if (cmd >= 0x10 && cmd <= 0x1f)
        d->col = (uint8_t)((d->col & 0x0f) | ((cmd & 0x0f) << 4));
}

static void command_byte(struct sim_i2c_dev *d, uint8_t b)
{
    if (d->reg[R_NEED] > 0) {
        d->reg[R_ARGS + d->reg[R_NARGS]++] = b;
        if (--d->reg[R_NEED] == 0)
            run_cmd(d, d->reg[R_PENDING], &d->reg[R_ARGS]);
        return;
    }
    int n = nargs(b);
    if (n == 0) {
        run_cmd(d, b, NULL);
        return;
    }
    d->reg[R_PENDING] = b;
    d->reg[R_NEED] = (uint8_t)n;
    d->reg[R_NARGS] = 0;
}

static void data_byte(struct sim_i2c_dev *d, uint8_t b)
{
    if (d->m->kind == HAL_SIM_SH1106) {
        if (d->col >= 2 && d->col < 130)
            d->fb[d->page * 128 + d->col - 2] = b;
        if (d->col < 131)
            d->col++;
        d->fb_writes++;
        return;
    }
    d->fb[(d->page & 7) * 128 + (d->col & 0x7f)] = b;
    d->fb_writes++;
    if (d->reg[R_MODE] == 2) { /* page mode: the column runs to the end of the row */
        if (d->col < 127)
            d->col++;
        return;
    }
    if (d->col < d->col_end) {
        d->col++;
        return;
    }
    d->col = d->col_start;
    d->page = d->page < d->page_end ? (uint8_t)(d->page + 1) : d->page_start;
}

static int oled_write(struct sim_i2c_dev *d, const uint8_t *wr, size_t wn)
{
    size_t i = 0;
    while (i < wn) {
        uint8_t ctrl = wr[i++];
        bool is_data = (ctrl & 0x40) != 0;
        if (ctrl & 0x80) { /* Co: one byte, then another control byte */
            if (i < wn) {
                if (is_data)
                    data_byte(d, wr[i]);
                else
                    command_byte(d, wr[i]);
                i++;
            }
            continue;
        }
        for (; i < wn; i++) {
            if (is_data)
                data_byte(d, wr[i]);
            else
                command_byte(d, wr[i]);
        }
    }
    return 0;
}

static int oled_read(struct sim_i2c_dev *d, uint8_t *rd, size_t rn)
{
    /* Status byte: bit 6 = display off. */
    for (size_t i = 0; i < rn; i++)
        rd[i] = (uint8_t)(d->is_on ? 0x00 : 0x40);
    return 0;
}

const struct sim_i2c_model sim_ssd1306_model = {
    .kind = HAL_SIM_SSD1306,
    .name = "ssd1306",
    .reset = oled_reset,
    .write = oled_write,
    .read = oled_read,
};

const struct sim_i2c_model sim_sh1106_model = {
    .kind = HAL_SIM_SH1106,
    .name = "sh1106",
    .reset = oled_reset,
    .write = oled_write,
    .read = oled_read,
};
