/* gpio_gpiod.c - real GPIO through libgpiod (v1 API, as Debian 12 ships 1.6): one chip,
 * line requests per pin, edge events read from the line's fd on the event loop, PWM through
 * the kernel's /sys/class/pwm where the line has a hardware channel,
 * DS18B20 through the w1 bus and DHT22 through the IIO dht11 driver. Built only when CMake
 * finds libgpiod (MICROS_HAVE_GPIOD); otherwise init answers ERR_NOTSUP. */
#include "gpio_priv.h"

#include "../../core/err.h"
#include "../../core/ev.h"
#include "../../core/log.h"

#if defined(MICROS_HAVE_GPIOD) && MICROS_HAVE_GPIOD

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define GPIOD_MAX_LINES 128
#define CONSUMER        "micros"

struct gline {
    struct gpiod_line *line;
    enum hal_pin_mode mode;
    bool is_out;
    bool is_events;
    int pwm_ch; /* exported pwm channel, -1 = none */
    uint32_t duty;
    uint32_t period_ns;
    hal_gpio_edge_fn *cb;
    void *arg;
};

static struct {
    struct ev_loop *loop;
    struct gpiod_chip *chip;
    unsigned nlines;
    struct gline l[GPIOD_MAX_LINES];
} s_gd;

static int map_errno(int e)
{
    switch (e) {
    case EBUSY: return ERR_BUSY;
    case ENOENT:
    case ENODEV: return ERR_NOENT;
    case EACCES:
    case EPERM: return ERR_PERM;
    case EINVAL: return ERR_INVAL;
    default: return ERR_IO;
    }
}

static int gd_init(struct ev_loop *loop, const char *chip)
{
    memset(&s_gd, 0, sizeof s_gd);
    for (int i = 0; i < GPIOD_MAX_LINES; i++)
        s_gd.l[i].pwm_ch = -1;
    s_gd.chip = gpiod_chip_open_lookup(chip);
    if (!s_gd.chip) {
        int rc = map_errno(errno);
        LOG_E("gpiod: cannot open chip '%s': %s", chip, strerror(errno));
        return rc == ERR_INVAL ? ERR_NOENT : rc;
    }
    s_gd.loop = loop;
    s_gd.nlines = gpiod_chip_num_lines(s_gd.chip);
    LOG_I("gpiod: %s (%s), %u lines", gpiod_chip_name(s_gd.chip), gpiod_chip_label(s_gd.chip),
          s_gd.nlines);
    return 0;
}

static void release(int pin)
{
    struct gline *g = &s_gd.l[pin];
    if (g->is_events && s_gd.loop)
        ev_io_stop(s_gd.loop, gpiod_line_event_get_fd(g->line));
    if (g->line)
        gpiod_line_release(g->line);
    g->line = NULL;
    g->is_out = g->is_events = false;
    g->cb = NULL;
}

static void pwm_unexport(int pin);

static void gd_deinit(void)
{
    if (!s_gd.chip)
        return;
    for (int i = 0; i < GPIOD_MAX_LINES; i++) {
        pwm_unexport(i);
        release(i);
    }
    gpiod_chip_close(s_gd.chip);
    s_gd.chip = NULL;
}

static int check_pin(int pin)
{
    if (pin < 0 || pin >= GPIOD_MAX_LINES || (unsigned)pin >= s_gd.nlines)
        return ERR_RANGE;
    return 0;
}

static int bias_flags(enum hal_pin_mode mode)
{
    if (mode == HAL_PIN_IN_PULLUP)
        return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    if (mode == HAL_PIN_IN_PULLDOWN)
        return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    return 0;
}

static int request(int pin, enum hal_pin_mode mode, enum hal_edge edge)
{
    int rc = check_pin(pin);
    if (rc < 0)
        return rc;
    release(pin);
    struct gline *g = &s_gd.l[pin];
    struct gpiod_line *line = gpiod_chip_get_line(s_gd.chip, (unsigned)pin);
    if (!line)
        return map_errno(errno);
    if (gpiod_line_is_used(line)) {
        LOG_W("gpiod: line %d is used by '%s'", pin,
              gpiod_line_consumer(line) ? gpiod_line_consumer(line) : "?");
        return ERR_BUSY;
    }
    int r;
    if (mode == HAL_PIN_OUT)
        r = gpiod_line_request_output(line, CONSUMER, 0);
    else if (edge == HAL_EDGE_RISING)
        r = gpiod_line_request_rising_edge_events_flags(line, CONSUMER, bias_flags(mode));
    else if (edge == HAL_EDGE_FALLING)
        r = gpiod_line_request_falling_edge_events_flags(line, CONSUMER, bias_flags(mode));
    else if (edge == HAL_EDGE_BOTH)
        r = gpiod_line_request_both_edges_events_flags(line, CONSUMER, bias_flags(mode));
    else
        r = gpiod_line_request_input_flags(line, CONSUMER, bias_flags(mode));
    if (r < 0) {
        LOG_W("gpiod: line %d request failed: %s", pin, strerror(errno));
        return map_errno(errno);
    }
    g->line = line;
    g->mode = mode;
    g->is_out = mode == HAL_PIN_OUT;
    g->is_events = edge != 0;
    return 0;
}

static int gd_setup(int pin, enum hal_pin_mode mode)
{
    return request(pin, mode, 0);
}

static int gd_write(int pin, int level)
{
    int rc = check_pin(pin);
    if (rc < 0)
        return rc;
    struct gline *g = &s_gd.l[pin];
    if (!g->line || !g->is_out)
        return ERR_INVAL;
    return gpiod_line_set_value(g->line, level ? 1 : 0) < 0 ? map_errno(errno) : 0;
}

static int gd_read(int pin)
{
    int rc = check_pin(pin);
    if (rc < 0)
        return rc;
    struct gline *g = &s_gd.l[pin];
    if (!g->line && (rc = request(pin, HAL_PIN_IN, 0)) < 0)
        return rc;
    int v = gpiod_line_get_value(g->line);
    return v < 0 ? map_errno(errno) : v;
}

static void on_line_event(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    int pin = (int)(intptr_t)arg;
    struct gline *g = &s_gd.l[pin];
    struct gpiod_line_event ev;
    if (!g->line || gpiod_line_event_read(g->line, &ev) < 0)
        return;
    if (g->cb)
        g->cb(pin, ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? 1 : 0, g->arg);
}

static int gd_watch(int pin, enum hal_edge edge, hal_gpio_edge_fn *cb, void *arg)
{
    if (!cb || !s_gd.loop)
        return ERR_INVAL;
    int rc = check_pin(pin);
    if (rc < 0)
        return rc;
    enum hal_pin_mode mode = s_gd.l[pin].line ? s_gd.l[pin].mode : HAL_PIN_IN;
    if ((rc = request(pin, mode, edge)) < 0)
        return rc;
    struct gline *g = &s_gd.l[pin];
    int fd = gpiod_line_event_get_fd(g->line);
    rc =
        fd < 0 ? ERR_IO : ev_io_start(s_gd.loop, fd, EV_READ, on_line_event, (void *)(intptr_t)pin);
    if (rc < 0) {
        g->is_events = false;
        release(pin);
        return rc;
    }
    g->cb = cb;
    g->arg = arg;
    return 0;
}

static void gd_unwatch(int pin)
{
    if (check_pin(pin) == 0 && s_gd.l[pin].is_events)
        request(pin, s_gd.l[pin].mode, 0);
}

/* --- PWM: /sys/class/pwm/pwmchip0, Raspberry Pi layout (GPIO12/18 -> channel 0,
 *     GPIO13/19 -> channel 1, with the pwm-2chan overlay) --- */

static int pwm_channel(int pin)
{
    if (pin == 12 || pin == 18)
        return 0;
    if (pin == 13 || pin == 19)
        return 1;
    return -1;
}

static int sysfs_write(const char *path, const char *fmt, unsigned long v)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return map_errno(errno);
    int ok = fprintf(f, fmt, v) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : ERR_IO;
}

static void pwm_unexport(int pin)
{
    struct gline *g = &s_gd.l[pin];
    if (g->pwm_ch < 0)
        return;
    char p[96];
    snprintf(p, sizeof p, "/sys/class/pwm/pwmchip0/pwm%d/enable", g->pwm_ch);
    sysfs_write(p, "%lu", 0);
    sysfs_write("/sys/class/pwm/pwmchip0/unexport", "%lu", (unsigned long)g->pwm_ch);
    g->pwm_ch = -1;
}

static int pwm_set(int pin, uint32_t duty)
{
    struct gline *g = &s_gd.l[pin];
    char p[96];
    snprintf(p, sizeof p, "/sys/class/pwm/pwmchip0/pwm%d/duty_cycle", g->pwm_ch);
    unsigned long ns = (unsigned long)((uint64_t)g->period_ns * duty / HAL_PWM_DUTY_MAX);
    int rc = sysfs_write(p, "%lu", ns);
    if (rc == 0)
        g->duty = duty;
    return rc;
}

static int gd_pwm_setup(int pin, uint32_t freq_hz)
{
    int rc = check_pin(pin);
    if (rc < 0)
        return rc;
    if (freq_hz == 0)
        return ERR_INVAL;
    int ch = pwm_channel(pin);
    if (ch < 0 || access("/sys/class/pwm/pwmchip0", F_OK) != 0) {
        LOG_W("gpiod: no hardware PWM for line %d", pin);
        return ERR_NOTSUP;
    }
    struct gline *g = &s_gd.l[pin];
    release(pin);
    char p[96];
    snprintf(p, sizeof p, "/sys/class/pwm/pwmchip0/pwm%d", ch);
    if (access(p, F_OK) != 0 &&
        (rc = sysfs_write("/sys/class/pwm/pwmchip0/export", "%lu", (unsigned long)ch)) < 0)
        return rc;
    g->pwm_ch = ch;
    g->period_ns = 1000000000u / freq_hz;
    snprintf(p, sizeof p, "/sys/class/pwm/pwmchip0/pwm%d/period", ch);
    if ((rc = sysfs_write(p, "%lu", g->period_ns)) < 0)
        return rc;
    if ((rc = pwm_set(pin, g->duty)) < 0)
        return rc;
    snprintf(p, sizeof p, "/sys/class/pwm/pwmchip0/pwm%d/enable", ch);
    return sysfs_write(p, "%lu", 1);
}

static int gd_pwm_set_duty(int pin, uint32_t duty)
{
    if (check_pin(pin) < 0 || s_gd.l[pin].pwm_ch < 0)
        return ERR_INVAL;
    return pwm_set(pin, duty > HAL_PWM_DUTY_MAX ? HAL_PWM_DUTY_MAX : duty);
}

static int gd_pwm_get_duty(int pin, uint32_t *duty)
{
    if (check_pin(pin) < 0 || s_gd.l[pin].pwm_ch < 0)
        return ERR_INVAL;
    *duty = s_gd.l[pin].duty;
    return 0;
}

static void gd_pwm_stop(int pin)
{
    if (check_pin(pin) == 0)
        pwm_unexport(pin);
}

static int gd_adc_read(int pin, uint32_t *raw)
{
    (void)pin;
    (void)raw;
    return ERR_NOTSUP; /* GPIO chips have no ADC */
}

static int gd_neopixel_write(int pin, const uint8_t *rgb, size_t n)
{
    (void)pin;
    (void)rgb;
    (void)n;
    return ERR_NOTSUP; /* WS2812 timing needs SPI/PWM DMA, not line requests */
}

static int read_number(const char *path, double *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return map_errno(errno);
    int ok = fscanf(f, "%lf", v) == 1;
    fclose(f);
    return ok ? 0 : ERR_IO;
}

/* First entry of dir whose name starts with prefix (and, with want_name, whose "name" file
 * holds want_name), as a full path in out. */
static int find_dev(const char *dir, const char *prefix, const char *want_name, char *out,
                    size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return ERR_NOENT;
    struct dirent *e;
    int rc = ERR_NOENT;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(out, cap, "%s/%s", dir, e->d_name);
        if (want_name) {
            char np[512], name[64] = "";
            snprintf(np, sizeof np, "%s/name", out);
            FILE *f = fopen(np, "r");
            if (!f)
                continue;
            int ok = fgets(name, sizeof name, f) != NULL;
            fclose(f);
            if (!ok || strncmp(name, want_name, strlen(want_name)) != 0)
                continue;
        }
        rc = 0;
        break;
    }
    closedir(d);
    return rc;
}

static int gd_sensor_read(enum hal_sensor kind, int pin, double *temp_c, double *hum_pct)
{
    (void)pin; /* the kernel driver owns the line (w1-gpio / dht11 overlays name it) */
    char dev[300], p[400];
    int rc;
    if (kind == HAL_SENSOR_DS18) {
        if ((rc = find_dev("/sys/bus/w1/devices", "28-", NULL, dev, sizeof dev)) < 0)
            return rc;
        snprintf(p, sizeof p, "%s/temperature", dev);
        if ((rc = read_number(p, temp_c)) < 0)
            return rc;
        *temp_c /= 1000.0;
        return 0;
    }
    if ((rc = find_dev("/sys/bus/iio/devices", "iio:device", "dht11", dev, sizeof dev)) < 0)
        return rc;
    snprintf(p, sizeof p, "%s/in_temp_input", dev);
    if ((rc = read_number(p, temp_c)) < 0)
        return rc;
    *temp_c /= 1000.0;
    if (hum_pct) {
        snprintf(p, sizeof p, "%s/in_humidityrelative_input", dev);
        if ((rc = read_number(p, hum_pct)) < 0)
            return rc;
        *hum_pct /= 1000.0;
    }
    return 0;
}

const struct gpio_backend gpio_gpiod_backend = {
    "gpiod",         gd_init,     gd_deinit,   gd_setup,          gd_write,
    gd_read,         gd_watch,    gd_unwatch,  gd_pwm_setup,      gd_pwm_set_duty,
    gd_pwm_get_duty, gd_pwm_stop, gd_adc_read, gd_neopixel_write, gd_sensor_read,
};

#else

static int gd_init(struct ev_loop *loop, const char *chip)
{
    (void)loop;
    LOG_E("gpiod: '%s' asked for, but this build has no libgpiod (install libgpiod-dev and "
          "rebuild)",
          chip);
    return ERR_NOTSUP;
}

const struct gpio_backend gpio_gpiod_backend = {.name = "gpiod", .init = gd_init};

#endif
