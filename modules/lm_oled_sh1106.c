/* lm_oled_sh1106.c - Load Module `oled_sh1106` (micrOS LM_oled_sh1106): a 128x64 SH1106 OLED
 * at 0x3c on the I2C bus (load addr=0x3d for the other address). Drawing calls change the
 * framebuffer; show sends it to the display (as micrOS). */
#include "../svc/lm.h"
#include "oled.h"

static struct oled s_oled = {.chip = "sh1106",
                             .addr = 0x3c,
                             .is_sh1106 = true,
                             .width = OLED_W,
                             .height = OLED_H,
                             .brightness = 50,
                             .rotate = 180};

/* flip: turns the picture upside down (rotate 0 <-> 180) and resends it. */
static int fn_flip(struct lm_ctx *ctx)
{
    if (oled_setup(ctx, &s_oled) < 0)
        return -1;
    s_oled.rotate = s_oled.rotate == 180 ? 0 : 180;
    bool flip = s_oled.rotate == 180;
    if (oled_cmd(ctx, &s_oled, flip ? 0xa0 : 0xa1) < 0 ||
        oled_cmd(ctx, &s_oled, flip ? 0xc0 : 0xc8) < 0 || oled_show(ctx, &s_oled) < 0)
        return -1;
    return lm_ret_bool(ctx, true);
}

/* load's rotate parameter and the flip button, which only the SH1106 module has. */
#define SH1106_LOAD_EXTRA {"rotate", LM_INT, "180", "0,180"},
#define SH1106_EXTRA      {.name = "flip", .fn = fn_flip, .widget = "BUTTON"},

OLED_MODULE_FUNCS(s_funcs, s_oled, "state", SH1106_LOAD_EXTRA, SH1106_EXTRA);

const struct lm_module lm_oled_sh1106 = {.name = "oled_sh1106", .funcs = s_funcs};
