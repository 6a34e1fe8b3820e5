/* pinmap.h - microIO: board pin maps as data, custom overrides and pin booking.
 *
 * A pin map gives logical names (redgb, switch_1, irq1, ...) their pin numbers on one board:
 * esp32, esp32s3, tinypico, rp2 (Pico W) and rpi (Raspberry Pi header, BCM numbers), from
 * micrOS's IO_<board>.py facts (COMPAT §8). The `cstmpmap` config key, "[mapname;]name:num;...",
 * picks another map and overrides single names. A module books ("binds") the pins it drives
 * under a tag; a second tag asking for a booked pin is refused with micrOS's error text, so two
 * modules never drive one pin.
 *
 * The pins are one physical resource per process, like the hal_gpio bank behind them, so the
 * pin map is one process-wide table too (no handle): every caller (modules, irq inputs,
 * `system pinmap`) sees the same bookings. */
#ifndef PINMAP_H
#define PINMAP_H

#include "../core/arena.h"
#include "val.h"

#include <stdbool.h>
#include <stddef.h>

#define PINMAP_BOOK_MAX   64 /* booked pins */
#define PINMAP_CUSTOM_MAX 32 /* cstmpmap overrides */
#define PINMAP_TAG_MAX    24 /* longest tag + 1 */

/* Selects the map: the map name in cstmpmap if it has one, else boardmap ("auto" or "n/a":
 * fallback, e.g. "esp32" on the simulator, "rpi" with libgpiod), and reads cstmpmap's
 * overrides. Forgets every booking. Returns 0, or ERR_NOENT when a named map is unknown
 * (fallback is used) or ERR_SYNTAX when an override is malformed (the rest are kept). */
int pinmap_init(const char *boardmap, const char *cstmpmap, const char *fallback);
/* Returns the selected map's name ("esp32", ...). */
const char *pinmap_name(void);
/* Returns the pin number of a logical name (custom override first, then the map), or
 * ERR_NOENT. Books nothing. */
int pinmap_get(const char *name);
/* Books a pin for tag: number < 0 looks tag up in the map, else number is used (and
 * remembered as a custom pin, as micrOS's register_pin). Rebinding the same tag is fine.
 * Returns the pin, ERR_NOENT (unknown name) or ERR_BUSY (booked by another tag); on failure
 * writes micrOS's error text ("[io] Pin switch_2 is busy: redgb:14") to err. */
int pinmap_bind(const char *tag, int number, char *err, size_t errcap);
/* Frees every pin booked under tag. */
void pinmap_release(const char *tag);
/* Returns the tag that booked pin, or NULL. */
const char *pinmap_owner(int pin);
/* Builds {'map': .., 'booked': {pin: tag}, 'custom': {name: pin}, 'known_maps': [..]}. */
struct val *pinmap_info(struct arena *a);
/* Builds {name: pin or None} for the names in keys (separated by spaces or commas). */
struct val *pinmap_search(struct arena *a, const char *keys);
/* Returns the known map names, NULL-terminated. */
const char *const *pinmap_known(void);

#endif
