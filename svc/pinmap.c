/* pinmap.c - microIO pin maps (facts from micrOS's IO_<board>.py; rp2 and rpi extended with
 * our own choices, see docs/modules.md), cstmpmap overrides and pin booking. */
#include "pinmap.h"

#include "../core/err.h"
#include "../core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pin_def {
    const char *name;
    int pin;
};

/* One entry of a pin map table, designated. */
#define PIN(n, p)                                                                                  \
    {                                                                                              \
        .name = (n), .pin = (p)                                                                    \
    }

struct board_map {
    const char *name;
    const struct pin_def *pins; /* terminated by {NULL} */
};

static const struct pin_def s_esp32[] = {
    PIN("builtin", 2),    PIN("redgb", 14),      PIN("rgreenb", 12),    PIN("rgbue", 15),
    PIN("wwhite", 27),    PIN("cwhite", 26),     PIN("neop", 15),       PIN("servo_1", 27),
    PIN("servo_2", 12),   PIN("switch_1", 26),   PIN("switch_2", 14),   PIN("switch_3", 27),
    PIN("switch_4", 25),  PIN("dim_1", 33),      PIN("l298speed", 32),  PIN("l298dir_1", 33),
    PIN("l298dir_2", 25), PIN("l9110dir_1", 33), PIN("l9110dir_2", 25), PIN("buzzer", 33),
    PIN("stppr_1", 33),   PIN("stppr_2", 25),    PIN("stppr_3", 26),    PIN("stppr_4", 27),
    PIN("i2c_sda", 21),   PIN("i2c_scl", 22),    PIN("i2s_sck", 26),    PIN("i2s_ws", 25),
    PIN("i2s_sd", 33),    PIN("irq1", 4),        PIN("irq2", 18),       PIN("irq3", 5),
    PIN("irq4", 13),      PIN("oleduibttn", 34), PIN("touch_0", 13),    PIN("hcsrtrig", 32),
    PIN("hcsrecho", 35),  PIN("dhtpin", 32),     PIN("co2", 35),        PIN("temp6000", 36),
    PIN("ph", 39),        PIN("ds18", 19),       PIN("mic", 39),        PIN("rot_dt", 13),
    PIN("rot_clk", 12),   PIN("i2c", 0),         PIN("spi", 1),         PIN("uart", 1),
    PIN(NULL, 0),
};

static const struct pin_def s_esp32s3[] = {
    PIN("builtin", 38),  PIN("redgb", 37),      PIN("rgreenb", 36),   PIN("rgbue", 35),
    PIN("wwhite", 40),   PIN("cwhite", 39),     PIN("neop", 6),       PIN("servo_1", 4),
    PIN("servo_2", 5),   PIN("switch_1", 6),    PIN("switch_2", 7),   PIN("switch_3", 15),
    PIN("switch_4", 16), PIN("dim_1", 17),      PIN("l298speed", 18), PIN("l298dir_1", 8),
    PIN("l298dir_2", 3), PIN("l9110dir_1", 46), PIN("l9110dir_2", 9), PIN("buzzer", 2),
    PIN("stppr_1", 43),  PIN("stppr_2", 44),    PIN("stppr_3", 1),    PIN("stppr_4", 2),
    PIN("i2c_sda", 42),  PIN("i2c_scl", 41),    PIN("i2s_sck", 42),   PIN("i2s_ws", 41),
    PIN("i2s_sd", 21),   PIN("irq1", 45),       PIN("irq2", 48),      PIN("irq3", 47),
    PIN("irq4", 21),     PIN("js_right", 45),   PIN("js_left", 48),   PIN("js_up", 47),
    PIN("js_down", 21),  PIN("js_press", 20),   PIN("touch_0", 0),    PIN("hcsrtrig", 1),
    PIN("hcsrecho", 2),  PIN("dhtpin", 20),     PIN("co2", 14),       PIN("temp6000", 13),
    PIN("ph", 12),       PIN("ds18", 35),       PIN("mic", 5),        PIN("i2c", 0),
    PIN("spi", 1),       PIN("uart", 1),        PIN(NULL, 0),
};

static const struct pin_def s_tinypico[] = {
    PIN("redgb", 25),     PIN("rgreenb", 26),   PIN("rgbue", 27),      PIN("wwhite", 15),
    PIN("cwhite", 14),    PIN("neop", 26),      PIN("servo_1", 14),    PIN("servo_2", 4),
    PIN("switch_1", 18),  PIN("switch_2", 19),  PIN("dim_1", 4),       PIN("l298speed", 5),
    PIN("l298dir_1", 18), PIN("l298dir_2", 19), PIN("l9110dir_1", 18), PIN("l9110dir_2", 19),
    PIN("buzzer", 18),    PIN("i2c_sda", 21),   PIN("i2c_scl", 22),    PIN("trackball_int", 25),
    PIN("irq1", 5),       PIN("irq2", 18),      PIN("irq3", 19),       PIN("irq4", 23),
    PIN("js_right", 23),  PIN("js_left", 5),    PIN("js_up", 18),      PIN("js_down", 19),
    PIN("js_press", 32),  PIN("touch_0", 32),   PIN("hcsrtrig", 25),   PIN("hcsrecho", 26),
    PIN("dhtpin", 32),    PIN("co2", 33),       PIN("temp6000", 32),   PIN("ph", 32),
    PIN("ds18", 19),      PIN("bat_volt", 35),  PIN("bat_stat", 34),   PIN("i2c", 0),
    PIN("spi", 1),        PIN("uart", 1),       PIN(NULL, 0),
};

/* Pico W: micrOS names only the LED ("LED", on the Wi-Fi chip); we give it 25 (the LED line of
 * the plain Pico) and choose GP pins for the other names. */
static const struct pin_def s_rp2[] = {
    PIN("builtin", 25),  PIN("servo_1", 2),   PIN("servo_2", 3),   PIN("i2c_sda", 4),
    PIN("i2c_scl", 5),   PIN("irq1", 6),      PIN("irq2", 7),      PIN("irq3", 8),
    PIN("irq4", 9),      PIN("dhtpin", 10),   PIN("ds18", 11),     PIN("redgb", 13),
    PIN("rgreenb", 14),  PIN("rgbue", 15),    PIN("neop", 16),     PIN("dim_1", 17),
    PIN("switch_1", 18), PIN("switch_2", 19), PIN("switch_3", 20), PIN("switch_4", 21),
    PIN("buzzer", 22),   PIN("temp6000", 26), PIN("wwhite", 27),   PIN("cwhite", 28),
    PIN("tx", 0),        PIN("rx", 1),        PIN("i2c", 0),       PIN("spi", 0),
    PIN("uart", 0),      PIN(NULL, 0),
};

/* Raspberry Pi 40-pin header, BCM line numbers of gpiochip0 (our choice): hardware PWM on
 * 12/13/18/19, I2C1 on 2/3, 1-Wire (w1-gpio default) on 4, UART0 on 14/15, no ADC. The bus
 * names are kernel device numbers: i2c 1 = /dev/i2c-1, spi 0 = /dev/spidev0.<cs>, uart 0 =
 * /dev/ttyAMA0. Motor, stepper and encoder pins share lines with the light outputs (as on
 * micrOS's boards): booking refuses the second user. */
static const struct pin_def s_rpi[] = {
    PIN("i2c_sda", 2),     PIN("i2c_scl", 3),     PIN("ds18", 4),       PIN("switch_1", 5),
    PIN("switch_2", 6),    PIN("irq4", 7),        PIN("dhtpin", 9),     PIN("neop", 10),
    PIN("servo_1", 12),    PIN("servo_2", 13),    PIN("switch_3", 16),  PIN("redgb", 17),
    PIN("dim_1", 18),      PIN("buzzer", 19),     PIN("irq1", 20),      PIN("irq2", 21),
    PIN("rgbue", 22),      PIN("wwhite", 23),     PIN("cwhite", 24),    PIN("irq3", 25),
    PIN("switch_4", 26),   PIN("rgreenb", 27),    PIN("tx", 14),        PIN("rx", 15),
    PIN("i2c", 1),         PIN("spi", 0),         PIN("uart", 0),       PIN("rot_dt", 20),
    PIN("rot_clk", 21),    PIN("rot_sw", 25),     PIN("stppr_1", 17),   PIN("stppr_2", 27),
    PIN("stppr_3", 22),    PIN("stppr_4", 23),    PIN("l298n_ENA", 12), PIN("l298n_INA", 5),
    PIN("l298n_INB", 6),   PIN("l298n_ENB", 13),  PIN("l298n_INC", 16), PIN("l298n_IND", 26),
    PIN("l9110dir_1", 18), PIN("l9110dir_2", 19), PIN("haptic", 19),    PIN(NULL, 0),
};

/* ESP32-C3 (micrOS IO_esp32c3; its builtin LED is -8, "8 inverted": kept as 8). */
static const struct pin_def s_esp32c3[] = {
    PIN("builtin", 8),   PIN("redgb", 4),    PIN("rgreenb", 3),  PIN("rgbue", 2),
    PIN("wwhite", 1),    PIN("cwhite", 0),   PIN("neop", 7),     PIN("servo_1", 6),
    PIN("servo_2", 7),   PIN("switch_1", 8), PIN("switch_2", 9), PIN("switch_3", 10),
    PIN("switch_4", 20), PIN("dim_1", 21),   PIN("buzzer", 0),   PIN("irq1", 5),
    PIN("irq2", 6),      PIN("irq3", 7),     PIN("irq4", 8),     PIN("js_right", 5),
    PIN("js_left", 6),   PIN("js_up", 7),    PIN("js_down", 8),  PIN("js_press", 20),
    PIN("i2c_sda", 8),   PIN("i2c_scl", 9),  PIN("tx", 21),      PIN("rx", 20),
    PIN("ds18", 10),     PIN("dhtpin", 2),   PIN("i2c", 0),      PIN("spi", 1),
    PIN("uart", 1),      PIN(NULL, 0),
};

/* ESP32-S2 (micrOS IO_esp32s2). */
static const struct pin_def s_esp32s2[] = {
    PIN("builtin", 15),  PIN("redgb", 7),      PIN("rgreenb", 5),    PIN("rgbue", 3),
    PIN("wwhite", 12),   PIN("cwhite", 11),    PIN("neop", 18),      PIN("servo_1", 12),
    PIN("servo_2", 11),  PIN("switch_1", 40),  PIN("switch_2", 38),  PIN("switch_3", 36),
    PIN("switch_4", 34), PIN("dim_1", 16),     PIN("l298speed", 6),  PIN("l298dir_1", 4),
    PIN("l298dir_2", 2), PIN("l9110dir_1", 6), PIN("l9110dir_2", 4), PIN("buzzer", 10),
    PIN("stppr_1", 1),   PIN("stppr_2", 2),    PIN("stppr_3", 4),    PIN("stppr_4", 6),
    PIN("i2c_sda", 18),  PIN("i2c_scl", 16),   PIN("irq1", 39),      PIN("irq2", 37),
    PIN("irq3", 35),     PIN("irq4", 33),      PIN("js_right", 39),  PIN("js_left", 37),
    PIN("js_up", 35),    PIN("js_down", 33),   PIN("js_press", 34),  PIN("hcsrtrig", 34),
    PIN("hcsrecho", 36), PIN("dhtpin", 17),    PIN("co2", 13),       PIN("temp6000", 10),
    PIN("ph", 1),        PIN("ds18", 21),      PIN("mic", 14),       PIN("rot_dt", 33),
    PIN("rot_clk", 35),  PIN("i2c", 0),        PIN("spi", 1),        PIN("uart", 1),
    PIN(NULL, 0),
};

/* M5Stamp (micrOS IO_m5stamp). */
static const struct pin_def s_m5stamp[] = {
    PIN("redgb", 43),    PIN("rgreenb", 44),  PIN("rgbue", 0),     PIN("wwhite", 39),
    PIN("cwhite", 40),   PIN("neop", 0),      PIN("servo_1", 44),  PIN("servo_2", 42),
    PIN("switch_1", 39), PIN("switch_2", 40), PIN("switch_3", 41), PIN("switch_4", 16),
    PIN("dim_1", 43),    PIN("buzzer", 1),    PIN("i2c_sda", 13),  PIN("i2c_scl", 15),
    PIN("i2s_sck", 5),   PIN("i2s_ws", 7),    PIN("i2s_sd", 9),    PIN("irq1", 15),
    PIN("irq2", 13),     PIN("irq3", 14),     PIN("irq4", 12),     PIN("touch_0", 1),
    PIN("hcsrtrig", 1),  PIN("hcsrecho", 3),  PIN("dhtpin", 43),   PIN("ds18", 0),
    PIN("mic", 3),       PIN("i2c", 0),       PIN("spi", 1),       PIN("uart", 1),
    PIN(NULL, 0),
};

/* Adafruit QT Py ESP32 (micrOS IO_qtpy). */
static const struct pin_def s_qtpy[] = {
    PIN("redgb", 26),    PIN("rgreenb", 25),  PIN("rgbue", 27),    PIN("wwhite", 12),
    PIN("cwhite", 13),   PIN("neop", 15),     PIN("servo_1", 26),  PIN("servo_2", 25),
    PIN("switch_1", 13), PIN("switch_2", 12), PIN("switch_3", 14), PIN("switch_4", 7),
    PIN("dim_1", 32),    PIN("buzzer", 26),   PIN("i2c_sda", 4),   PIN("i2c_scl", 33),
    PIN("i2s_sck", 26),  PIN("i2s_ws", 25),   PIN("i2s_sd", 33),   PIN("irq1", 13),
    PIN("irq2", 12),     PIN("irq3", 14),     PIN("irq4", 7),      PIN("js_right", 13),
    PIN("js_left", 12),  PIN("js_up", 14),    PIN("js_down", 7),   PIN("js_press", 32),
    PIN("dhtpin", 13),   PIN("co2", 25),      PIN("temp6000", 27), PIN("ds18", 32),
    PIN("mic", 15),      PIN("i2c", 0),       PIN("spi", 1),       PIN("uart", 1),
    PIN(NULL, 0),
};

/* ESP32-C6 (micrOS IO_esp32c6; its builtin LED is -15: kept as 15). */
static const struct pin_def s_esp32c6[] = {
    PIN("builtin", 15), PIN("i2c_sda", 22), PIN("i2c_scl", 23), PIN("irq1", 21),
    PIN("irq2", 2),     PIN("irq3", 1),     PIN("irq4", 0),     PIN("neop", 18),
    PIN("i2c", 0),      PIN("spi", 1),      PIN("uart", 1),     PIN(NULL, 0),
};

static const struct board_map s_maps[] = {
    {.name = "esp32", .pins = s_esp32},       {.name = "esp32s3", .pins = s_esp32s3},
    {.name = "tinypico", .pins = s_tinypico}, {.name = "rp2", .pins = s_rp2},
    {.name = "rpi", .pins = s_rpi},           {.name = "esp32c3", .pins = s_esp32c3},
    {.name = "esp32s2", .pins = s_esp32s2},   {.name = "m5stamp", .pins = s_m5stamp},
    {.name = "qtpy", .pins = s_qtpy},         {.name = "esp32c6", .pins = s_esp32c6},
};
#define NMAPS (sizeof s_maps / sizeof s_maps[0])

static const char *const s_known[] = {"esp32",   "esp32s3", "tinypico", "rp2",     "rpi", "esp32c3",
                                      "esp32s2", "m5stamp", "qtpy",     "esp32c6", NULL};

struct pin_entry {
    char tag[PINMAP_TAG_MAX];
    int pin;
};

static struct {
    const struct board_map *map;
    struct pin_entry custom[PINMAP_CUSTOM_MAX];
    size_t ncustom;
    struct pin_entry booked[PINMAP_BOOK_MAX]; /* in booking order */
    size_t nbooked;
} s_pm = {.map = &s_maps[0]};

static const struct board_map *map_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NMAPS; i++)
        if (strlen(s_maps[i].name) == len && strncmp(s_maps[i].name, name, len) == 0)
            return &s_maps[i];
    return NULL;
}

static void trim(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

static int custom_set(const char *name, size_t len, int pin)
{
    if (len == 0 || len >= PINMAP_TAG_MAX)
        return ERR_SYNTAX;
    for (size_t i = 0; i < s_pm.ncustom; i++)
        if (strlen(s_pm.custom[i].tag) == len && strncmp(s_pm.custom[i].tag, name, len) == 0) {
            s_pm.custom[i].pin = pin;
            return 0;
        }
    if (s_pm.ncustom == PINMAP_CUSTOM_MAX)
        return ERR_FULL;
    struct pin_entry *e = &s_pm.custom[s_pm.ncustom++];
    memcpy(e->tag, name, len);
    e->tag[len] = '\0';
    e->pin = pin;
    return 0;
}

int pinmap_init(const char *boardmap, const char *cstmpmap, const char *fallback)
{
    int rc = 0;
    s_pm.ncustom = 0;
    s_pm.nbooked = 0;
    const struct board_map *m = fallback ? map_find(fallback, strlen(fallback)) : NULL;
    s_pm.map = m ? m : &s_maps[0];
    if (boardmap && *boardmap && strcmp(boardmap, "auto") != 0 && strcmp(boardmap, "n/a") != 0) {
        if ((m = map_find(boardmap, strlen(boardmap))))
            s_pm.map = m;
        else {
            LOG_W("pinmap: unknown board map '%s', using %s", boardmap, s_pm.map->name);
            rc = ERR_NOENT;
        }
    }
    if (!cstmpmap || strcmp(cstmpmap, "n/a") == 0)
        return rc;
    const char *p = cstmpmap;
    bool is_first = true;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *item = p;
        trim(&item, &len);
        const char *colon = memchr(item, ':', len);
        if (len == 0) {
            /* empty item: skip */
        } else if (!colon && is_first) {
            if ((m = map_find(item, len)))
                s_pm.map = m;
            else {
                LOG_W("pinmap: unknown map '%.*s' in cstmpmap", (int)len, item);
                rc = ERR_NOENT;
            }
        } else if (colon) {
            const char *name = item;
            size_t nlen = (size_t)(colon - item);
            const char *num = colon + 1;
            size_t numlen = len - nlen - 1;
            trim(&name, &nlen);
            trim(&num, &numlen);
            char buf[16];
            char *e = NULL;
            long v = -1;
            if (numlen > 0 && numlen < sizeof buf) {
                memcpy(buf, num, numlen);
                buf[numlen] = '\0';
                v = strtol(buf, &e, 0);
            }
            if (!e || *e || v < 0 || v > 65535 || custom_set(name, nlen, (int)v) < 0) {
                LOG_W("pinmap: bad cstmpmap item '%.*s'", (int)len, item);
                rc = ERR_SYNTAX;
            }
        } else {
            LOG_W("pinmap: bad cstmpmap item '%.*s'", (int)len, item);
            rc = ERR_SYNTAX;
        }
        is_first = false;
        if (!end)
            break;
        p = end + 1;
    }
    return rc;
}

const char *pinmap_name(void)
{
    return s_pm.map->name;
}

int pinmap_get(const char *name)
{
    for (size_t i = 0; i < s_pm.ncustom; i++)
        if (strcmp(s_pm.custom[i].tag, name) == 0)
            return s_pm.custom[i].pin;
    for (const struct pin_def *d = s_pm.map->pins; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d->pin;
    return ERR_NOENT;
}

const char *pinmap_owner(int pin)
{
    for (size_t i = 0; i < s_pm.nbooked; i++)
        if (s_pm.booked[i].pin == pin)
            return s_pm.booked[i].tag;
    return NULL;
}

int pinmap_bind(const char *tag, int number, char *err, size_t errcap)
{
    if (strlen(tag) >= PINMAP_TAG_MAX) {
        snprintf(err, errcap, "[io] pin tag too long: %.*s", PINMAP_TAG_MAX, tag);
        return ERR_INVAL;
    }
    int pin = number >= 0 ? number : pinmap_get(tag);
    if (pin < 0) {
        snprintf(err, errcap, "[io-resolve] error: no pin '%s' in map %s", tag, s_pm.map->name);
        return ERR_NOENT;
    }
    const char *owner = pinmap_owner(pin);
    if (owner) {
        if (strcmp(owner, tag) == 0)
            return pin;
        if (number >= 0)
            snprintf(err, errcap, "[io-register] %s:%d already in use: %s", tag, pin, owner);
        else
            snprintf(err, errcap, "[io] Pin %s is busy: %s:%d", tag, owner, pin);
        return ERR_BUSY;
    }
    if (s_pm.nbooked == PINMAP_BOOK_MAX) {
        snprintf(err, errcap, "[io] too many booked pins (%d)", PINMAP_BOOK_MAX);
        return ERR_FULL;
    }
    if (number >= 0 && custom_set(tag, strlen(tag), pin) < 0) {
        snprintf(err, errcap, "[io] too many custom pins (%d)", PINMAP_CUSTOM_MAX);
        return ERR_FULL;
    }
    struct pin_entry *e = &s_pm.booked[s_pm.nbooked++];
    snprintf(e->tag, sizeof e->tag, "%s", tag);
    e->pin = pin;
    return pin;
}

void pinmap_release(const char *tag)
{
    size_t j = 0;
    for (size_t i = 0; i < s_pm.nbooked; i++)
        if (strcmp(s_pm.booked[i].tag, tag) != 0)
            s_pm.booked[j++] = s_pm.booked[i];
    s_pm.nbooked = j;
}

struct val *pinmap_info(struct arena *a)
{
    struct val *d = val_dict(a);
    val_dict_set(a, d, "map", val_str(a, s_pm.map->name));
    struct val *booked = val_dict(a);
    for (size_t i = 0; i < s_pm.nbooked; i++)
        val_dict_set_ikey(a, booked, s_pm.booked[i].pin, val_str(a, s_pm.booked[i].tag));
    val_dict_set(a, d, "booked", booked);
    struct val *custom = val_dict(a);
    for (size_t i = 0; i < s_pm.ncustom; i++)
        val_dict_set(a, custom, s_pm.custom[i].tag, val_int(a, s_pm.custom[i].pin));
    val_dict_set(a, d, "custom", custom);
    struct val *known = val_list(a);
    for (size_t i = 0; s_known[i]; i++)
        val_append(known, val_str(a, s_known[i]));
    val_dict_set(a, d, "known_maps", known);
    return d;
}

struct val *pinmap_search(struct arena *a, const char *keys)
{
    struct val *d = val_dict(a);
    const char *p = keys;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, " ,");
        if (len == 0)
            break;
        char name[64];
        if (len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            int pin = pinmap_get(name);
            val_dict_set(a, d, name, pin >= 0 ? val_int(a, pin) : val_none(a));
        }
        p += len;
    }
    return d;
}

const char *const *pinmap_known(void)
{
    return s_known;
}
