/* ld2410_frame.c - LD2410 report frame parsing (see ld2410_frame.h). */
#include "ld2410_frame.h"

#include <string.h>

static const uint8_t s_head[4] = {0xf4, 0xf3, 0xf2, 0xf1};
static const uint8_t s_end[4] = {0xf8, 0xf7, 0xf6, 0xf5};

bool ld2410_decode(const uint8_t *f, size_t n, struct ld2410_report *out)
{
    if (n < 23 || memcmp(f, s_head, 4) != 0)
        return false;
    size_t len = (size_t)(f[4] | (f[5] << 8));
    if ((len != 0x0d && len != 0x23) || n != len + 10 || memcmp(f + n - 4, s_end, 4) != 0)
        return false;
    if ((f[6] != 0x02 && f[6] != 0x01) || f[7] != 0xaa)
        return false;
    out->state = f[8] & 3;
    out->moving_distance = f[9] | (f[10] << 8);
    out->moving_energy = f[11];
    out->stationary_distance = f[12] | (f[13] << 8);
    out->stationary_energy = f[14];
    out->detection_distance = f[15] | (f[16] << 8);
    return true;
}

void ld2410_feed(struct ld2410_parser *p, const uint8_t *data, size_t n,
                 void (*on_report)(const struct ld2410_report *r, void *arg), void *arg)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = data[i];
        if (p->len < 4) { /* hunting for the header */
            if (b == s_head[p->len])
                p->buf[p->len++] = b;
            else
                p->len = b == s_head[0] ? 1 : 0;
            continue;
        }
        p->buf[p->len++] = b;
        if (p->len == 6) {
            size_t len = (size_t)(p->buf[4] | (p->buf[5] << 8));
            if (len + 10 > LD2410_FRAME_MAX) { /* not a report: start over */
                p->bad_frames++;
                p->len = 0;
            }
            continue;
        }
        if (p->len > 6 && p->len == (size_t)(p->buf[4] | (p->buf[5] << 8)) + 10) {
            struct ld2410_report r;
            if (ld2410_decode(p->buf, p->len, &r)) {
                p->frames++;
                on_report(&r, arg);
            } else {
                p->bad_frames++;
            }
            p->len = 0;
        }
    }
}
