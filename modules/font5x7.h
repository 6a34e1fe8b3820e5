/* font5x7.h - a 5x7 pixel font for the OLED modules: printable ASCII (0x20..0x7e), each glyph
 * 5 columns, bit 0 = top row. Drawn in an 8x8 cell, as MicroPython's framebuf text, so x/y
 * positions from micrOS scripts land where they did. */
#ifndef FONT5X7_H
#define FONT5X7_H

#include <stdint.h>

#define FONT5X7_FIRST 0x20
#define FONT5X7_COUNT 95
#define FONT5X7_CELL  8 /* pixels per character, both ways */

extern const uint8_t font5x7[FONT5X7_COUNT][5];

#endif
