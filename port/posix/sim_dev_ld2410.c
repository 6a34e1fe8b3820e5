/* sim_dev_ld2410.c - an HLK-LD2410 mmWave radar's basic-mode report frame (23 bytes):
 * header F4 F3 F2 F1, length 0x000D (LE), type 0x02, head 0xAA, target state, moving
 * distance (cm, LE), moving energy, static distance (cm, LE), static energy, detection
 * distance (cm, LE), tail 0x55, check 0x00, end F8 F7 F6 F5. */
#include "sim_bus_priv.h"

static uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 100 ? 100 : v);
}

static void le16(uint8_t *p, int v)
{
    v = v < 0 ? 0 : v > 0xffff ? 0xffff : v;
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)(v >> 8);
}

size_t sim_ld2410_frame(const struct hal_sim_env *e, uint8_t *out, size_t cap)
{
    if (cap < HAL_SIM_LD2410_FRAME)
        return 0;
    static const uint8_t head[] = {0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa};
    for (int i = 0; i < 8; i++)
        out[i] = head[i];
    out[8] = (uint8_t)(e->radar_state & 3);
    le16(&out[9], e->radar_move_cm);
    out[11] = clamp8(e->radar_move_energy);
    le16(&out[12], e->radar_static_cm);
    out[14] = clamp8(e->radar_static_energy);
    le16(&out[15], e->radar_detect_cm);
    out[17] = 0x55;
    out[18] = 0x00;
    out[19] = 0xf8;
    out[20] = 0xf7;
    out[21] = 0xf6;
    out[22] = 0xf5;
    return HAL_SIM_LD2410_FRAME;
}
