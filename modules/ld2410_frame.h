/* ld2410_frame.h - the HLK-LD2410 radar's report frames, parsed from a byte stream.
 *
 * A basic-mode report is 23 bytes: F4 F3 F2 F1, length 0x000D (LE), type 0x02 (0x01 in
 * engineering mode, length 0x0023), head 0xAA, target state, moving distance (cm, LE),
 * moving energy, static distance (cm, LE), static energy, detection distance (cm, LE), tail
 * 0x55, check 0x00, F8 F7 F6 F5. The parser resynchronises on the header after any garbage. */
#ifndef LD2410_FRAME_H
#define LD2410_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LD2410_FRAME_MAX 64

struct ld2410_report {
    int state; /* 0 none, 1 moving, 2 static, 3 both */
    int moving_distance, moving_energy;
    int stationary_distance, stationary_energy;
    int detection_distance;
};

struct ld2410_parser {
    uint8_t buf[LD2410_FRAME_MAX];
    size_t len;
    uint64_t frames, bad_frames;
};

/* Feeds n bytes; calls on_report for every complete, valid report frame. */
void ld2410_feed(struct ld2410_parser *p, const uint8_t *data, size_t n,
                 void (*on_report)(const struct ld2410_report *r, void *arg), void *arg);
/* Decodes one whole frame (header to end). Returns true when it is a valid report. */
bool ld2410_decode(const uint8_t *f, size_t n, struct ld2410_report *out);

#endif
