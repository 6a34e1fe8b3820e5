/* lm_oled.c - Load Module `oled` (micrOS LM_oled): a 128x64 SSD1306 OLED at 0x3c on the I2C bus.
 * Drawing calls change the framebuffer; show sends it to the display (as micrOS). */
#include "../svc/lm.h"
#include "oled.h"

static struct oled s_oled = {.chip = "ssd1306",
                             .addr = 0x3c,
                             .is_sh1106 = false,
                             .width = OLED_W,
                             .height = OLED_H,
                             .brightness = 50,
                             .rotate = 0};

OLED_MODULE_FUNCS(s_funcs, s_oled, "color", OLED_NONE, OLED_NONE);

const struct lm_module lm_oled = {.name = "oled", .funcs = s_funcs};
