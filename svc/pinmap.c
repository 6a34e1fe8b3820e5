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

struct board_map {
    const char *name;
    const struct pin_def *pins; /* terminated by {NULL} */
};

static const struct pin_def s_esp32[] = {
    {"builtin", 2},    {"redgb", 14},     {"rgreenb", 12},    {"rgbue", 15},      {"wwhite", 27},
    {"cwhite", 26},    {"neop", 15},      {"servo_1", 27},    {"servo_2", 12},    {"switch_1", 26},
    {"switch_2", 14},  {"switch_3", 27},  {"switch_4", 25},   {"dim_1", 33},      {"l298speed", 32},
    {"l298dir_1", 33}, {"l298dir_2", 25}, {"l9110dir_1", 33}, {"l9110dir_2", 25}, {"buzzer", 33},
    {"stppr_1", 33},   {"stppr_2", 25},   {"stppr_3", 26},    {"stppr_4", 27},    {"i2c_sda", 21},
    {"i2c_scl", 22},   {"i2s_sck", 26},   {"i2s_ws", 25},     {"i2s_sd", 33},     {"irq1", 4},
    {"irq2", 18},      {"irq3", 5},       {"irq4", 13},       {"oleduibttn", 34}, {"touch_0", 13},
    {"hcsrtrig", 32},  {"hcsrecho", 35},  {"dhtpin", 32},     {"co2", 35},        {"temp6000", 36},
    {"ph", 39},        {"ds18", 19},      {"mic", 39},        {"rot_dt", 13},     {"rot_clk", 12},
    {"i2c", 0},        {"spi", 1},        {"uart", 1},        {NULL, 0},
};

static const struct pin_def s_esp32s3[] = {
    {"builtin", 38},  {"redgb", 37},    {"rgreenb", 36},    {"rgbue", 35},     {"wwhite", 40},
    {"cwhite", 39},   {"neop", 6},      {"servo_1", 4},     {"servo_2", 5},    {"switch_1", 6},
    {"switch_2", 7},  {"switch_3", 15}, {"switch_4", 16},   {"dim_1", 17},     {"l298speed", 18},
    {"l298dir_1", 8}, {"l298dir_2", 3}, {"l9110dir_1", 46}, {"l9110dir_2", 9}, {"buzzer", 2},
    {"stppr_1", 43},  {"stppr_2", 44},  {"stppr_3", 1},     {"stppr_4", 2},    {"i2c_sda", 42},
    {"i2c_scl", 41},  {"i2s_sck", 42},  {"i2s_ws", 41},     {"i2s_sd", 21},    {"irq1", 45},
    {"irq2", 48},     {"irq3", 47},     {"irq4", 21},       {"js_right", 45},  {"js_left", 48},
    {"js_up", 47},    {"js_down", 21},  {"js_press", 20},   {"touch_0", 0},    {"hcsrtrig", 1},
    {"hcsrecho", 2},  {"dhtpin", 20},   {"co2", 14},        {"temp6000", 13},  {"ph", 12},
    {"ds18", 35},     {"mic", 5},       {"i2c", 0},         {"spi", 1},        {"uart", 1},
    {NULL, 0},
};

static const struct pin_def s_tinypico[] = {
    {"redgb", 25},     {"rgreenb", 26},   {"rgbue", 27},      {"wwhite", 15},
    {"cwhite", 14},    {"neop", 26},      {"servo_1", 14},    {"servo_2", 4},
    {"switch_1", 18},  {"switch_2", 19},  {"dim_1", 4},       {"l298speed", 5},
    {"l298dir_1", 18}, {"l298dir_2", 19}, {"l9110dir_1", 18}, {"l9110dir_2", 19},
    {"buzzer", 18},    {"i2c_sda", 21},   {"i2c_scl", 22},    {"trackball_int", 25},
    {"irq1", 5},       {"irq2", 18},      {"irq3", 19},       {"irq4", 23},
    {"js_right", 23},  {"js_left", 5},    {"js_up", 18},      {"js_down", 19},
    {"js_press", 32},  {"touch_0", 32},   {"hcsrtrig", 25},   {"hcsrecho", 26},
    {"dhtpin", 32},    {"co2", 33},       {"temp6000", 32},   {"ph", 32},
    {"ds18", 19},      {"bat_volt", 35},  {"bat_stat", 34},   {"i2c", 0},
    {"spi", 1},        {"uart", 1},       {NULL, 0},
};

/* Pico W: micrOS names only the LED ("LED", on the Wi-Fi chip); we give it 25 (the LED line of
 * the plain Pico) and choose GP pins for the other names. */
static const struct pin_def s_rp2[] = {
    {"builtin", 25}, {"servo_1", 2},   {"servo_2", 3},   {"i2c_sda", 4},   {"i2c_scl", 5},
    {"irq1", 6},     {"irq2", 7},      {"irq3", 8},      {"irq4", 9},      {"dhtpin", 10},
    {"ds18", 11},    {"redgb", 13},    {"rgreenb", 14},  {"rgbue", 15},    {"neop", 16},
    {"dim_1", 17},   {"switch_1", 18}, {"switch_2", 19}, {"switch_3", 20}, {"switch_4", 21},
    {"buzzer", 22},  {"temp6000", 26}, {"wwhite", 27},   {"cwhite", 28},   {"tx", 0},
    {"rx", 1},       {"i2c", 0},       {"spi", 0},       {"uart", 0},      {NULL, 0},
};

/* Raspberry Pi 40-pin header, BCM line numbers of gpiochip0 (our choice): hardware PWM on
 * 12/13/18/19, I2C1 on 2/3, 1-Wire (w1-gpio default) on 4, UART0 on 14/15, no ADC. The bus
 * names are kernel device numbers: i2c 1 = /dev/i2c-1, spi 0 = /dev/spidev0.<cs>, uart 0 =
 * /dev/ttyAMA0. Motor, stepper and encoder pins share lines with the light outputs (as on
 * micrOS's boards): booking refuses the second user. */
static const struct pin_def s_rpi[] = {
    {"i2c_sda", 2},     {"i2c_scl", 3},     {"ds18", 4},       {"switch_1", 5},   {"switch_2", 6},
    {"irq4", 7},        {"dhtpin", 9},      {"neop", 10},      {"servo_1", 12},   {"servo_2", 13},
    {"switch_3", 16},   {"redgb", 17},      {"dim_1", 18},     {"buzzer", 19},    {"irq1", 20},
    {"irq2", 21},       {"rgbue", 22},      {"wwhite", 23},    {"cwhite", 24},    {"irq3", 25},
    {"switch_4", 26},   {"rgreenb", 27},    {"tx", 14},        {"rx", 15},        {"i2c", 1},
    {"spi", 0},         {"uart", 0},        {"rot_dt", 20},    {"rot_clk", 21},   {"rot_sw", 25},
    {"stppr_1", 17},    {"stppr_2", 27},    {"stppr_3", 22},   {"stppr_4", 23},   {"l298n_ENA", 12},
    {"l298n_INA", 5},   {"l298n_INB", 6},   {"l298n_ENB", 13}, {"l298n_INC", 16}, {"l298n_IND", 26},
    {"l9110dir_1", 18}, {"l9110dir_2", 19}, {"haptic", 19},    {NULL, 0},
};

/* ESP32-C3 (micrOS IO_esp32c3; its builtin LED is -8, "8 inverted": kept as 8). */
static const struct pin_def s_esp32c3[] = {
    {"builtin", 8},  {"redgb", 4},     {"rgreenb", 3},   {"rgbue", 2},     {"wwhite", 1},
    {"cwhite", 0},   {"neop", 7},      {"servo_1", 6},   {"servo_2", 7},   {"switch_1", 8},
    {"switch_2", 9}, {"switch_3", 10}, {"switch_4", 20}, {"dim_1", 21},    {"buzzer", 0},
    {"irq1", 5},     {"irq2", 6},      {"irq3", 7},      {"irq4", 8},      {"js_right", 5},
    {"js_left", 6},  {"js_up", 7},     {"js_down", 8},   {"js_press", 20}, {"i2c_sda", 8},
    {"i2c_scl", 9},  {"tx", 21},       {"rx", 20},       {"ds18", 10},     {"dhtpin", 2},
    {"i2c", 0},      {"spi", 1},       {"uart", 1},      {NULL, 0},
};

/* ESP32-S2 (micrOS IO_esp32s2). */
static const struct pin_def s_esp32s2[] = {
    {"builtin", 15},  {"redgb", 7},     {"rgreenb", 5},    {"rgbue", 3},      {"wwhite", 12},
    {"cwhite", 11},   {"neop", 18},     {"servo_1", 12},   {"servo_2", 11},   {"switch_1", 40},
    {"switch_2", 38}, {"switch_3", 36}, {"switch_4", 34},  {"dim_1", 16},     {"l298speed", 6},
    {"l298dir_1", 4}, {"l298dir_2", 2}, {"l9110dir_1", 6}, {"l9110dir_2", 4}, {"buzzer", 10},
    {"stppr_1", 1},   {"stppr_2", 2},   {"stppr_3", 4},    {"stppr_4", 6},    {"i2c_sda", 18},
    {"i2c_scl", 16},  {"irq1", 39},     {"irq2", 37},      {"irq3", 35},      {"irq4", 33},
    {"js_right", 39}, {"js_left", 37},  {"js_up", 35},     {"js_down", 33},   {"js_press", 34},
    {"hcsrtrig", 34}, {"hcsrecho", 36}, {"dhtpin", 17},    {"co2", 13},       {"temp6000", 10},
    {"ph", 1},        {"ds18", 21},     {"mic", 14},       {"rot_dt", 33},    {"rot_clk", 35},
    {"i2c", 0},       {"spi", 1},       {"uart", 1},       {NULL, 0},
};

/* M5Stamp (micrOS IO_m5stamp). */
static const struct pin_def s_m5stamp[] = {
    {"redgb", 43},    {"rgreenb", 44},  {"rgbue", 0},    {"wwhite", 39},   {"cwhite", 40},
    {"neop", 0},      {"servo_1", 44},  {"servo_2", 42}, {"switch_1", 39}, {"switch_2", 40},
    {"switch_3", 41}, {"switch_4", 16}, {"dim_1", 43},   {"buzzer", 1},    {"i2c_sda", 13},
    {"i2c_scl", 15},  {"i2s_sck", 5},   {"i2s_ws", 7},   {"i2s_sd", 9},    {"irq1", 15},
    {"irq2", 13},     {"irq3", 14},     {"irq4", 12},    {"touch_0", 1},   {"hcsrtrig", 1},
    {"hcsrecho", 3},  {"dhtpin", 43},   {"ds18", 0},     {"mic", 3},       {"i2c", 0},
    {"spi", 1},       {"uart", 1},      {NULL, 0},
};

/* Adafruit QT Py ESP32 (micrOS IO_qtpy). */
static const struct pin_def s_qtpy[] = {
    {"redgb", 26},    {"rgreenb", 25}, {"rgbue", 27},    {"wwhite", 12},   {"cwhite", 13},
    {"neop", 15},     {"servo_1", 26}, {"servo_2", 25},  {"switch_1", 13}, {"switch_2", 12},
    {"switch_3", 14}, {"switch_4", 7}, {"dim_1", 32},    {"buzzer", 26},   {"i2c_sda", 4},
    {"i2c_scl", 33},  {"i2s_sck", 26}, {"i2s_ws", 25},   {"i2s_sd", 33},   {"irq1", 13},
    {"irq2", 12},     {"irq3", 14},    {"irq4", 7},      {"js_right", 13}, {"js_left", 12},
    {"js_up", 14},    {"js_down", 7},  {"js_press", 32}, {"dhtpin", 13},   {"co2", 25},
    {"temp6000", 27}, {"ds18", 32},    {"mic", 15},      {"i2c", 0},       {"spi", 1},
    {"uart", 1},      {NULL, 0},
};

/* ESP32-C6 (micrOS IO_esp32c6; its builtin LED is -15: kept as 15). */
static const struct pin_def s_esp32c6[] = {
    {"builtin", 15}, {"i2c_sda", 22}, {"i2c_scl", 23}, {"irq1", 21}, {"irq2", 2}, {"irq3", 1},
    {"irq4", 0},     {"neop", 18},    {"i2c", 0},      {"spi", 1},   {"uart", 1}, {NULL, 0},
};

static const struct board_map s_maps[] = {
    {"esp32", s_esp32}, {"esp32s3", s_esp32s3}, {"tinypico", s_tinypico}, {"rp2", s_rp2},
    {"rpi", s_rpi},     {"esp32c3", s_esp32c3}, {"esp32s2", s_esp32s2},   {"m5stamp", s_m5stamp},
    {"qtpy", s_qtpy},   {"esp32c6", s_esp32c6},
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
} s_pm = {&s_maps[0], {{"", 0}}, 0, {{"", 0}}, 0};

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
