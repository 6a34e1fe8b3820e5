/* test_gpiod.c - the libgpiod backend against the kernel's gpio-sim (configfs). Where the
 * machine has no gpio-sim (no module, no configfs, not root) it prints "skipped: <why>" and
 * exits 77, which ctest reports as skipped (SKIP_RETURN_CODE). A missing chip is checked
 * everywhere libgpiod is built in. */
#include "core/err.h"
#include "core/ev.h"
#include "hal/hal_gpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !(defined(MICROS_HAVE_GPIOD) && MICROS_HAVE_GPIOD)

int main(void)
{
    printf("skipped: built without libgpiod\n");
    return 77;
}

#else
#include <gpiod.h>

#define SKIP 77
#define SIM  "/sys/kernel/config/gpio-sim/micros-test"

static int s_failed;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            s_failed++;                                                                            \
        }                                                                                          \
    } while (0)

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static void sim_remove(void)
{
    write_file(SIM "/live", "0");
    rmdir(SIM "/bank0");
    rmdir(SIM);
}

static struct ev_loop s_loop;

/* Reports a skip (or the failures so far) and cleans up. */
static int skip(const char *why)
{
    printf("skipped: %s\n", why);
    fflush(stdout);
    ev_deinit(&s_loop);
    return s_failed ? 1 : SKIP;
}

static int s_edges, s_level = -1;
static void on_edge(int pin, int level, void *arg)
{
    (void)arg;
    (void)pin;
    s_edges++;
    s_level = level;
}

int main(void)
{
    struct ev_loop *loop = &s_loop;
    if (ev_init(loop, 16, 16) < 0)
        return 1;
    CHECK(hal_gpio_init(loop, "gpiod:micros-no-such-chip") == ERR_NOENT);
    CHECK(strcmp(hal_gpio_backend(), "sim") == 0); /* a failed init leaves the simulator */

    if (geteuid() != 0) {
        return skip("gpio-sim needs root (configfs)");
    }
    if (access("/sys/kernel/config/gpio-sim", F_OK) != 0 &&
        system("modprobe gpio-sim >/dev/null 2>&1") != 0) {
        return skip("no gpio-sim kernel module (modprobe gpio-sim failed)");
    }
    if (access("/sys/kernel/config/gpio-sim", F_OK) != 0) {
        return skip("configfs has no gpio-sim folder (is configfs mounted?)");
    }
    sim_remove();
    char chip[64], dev[64], path[256], val[32];
    if (mkdir(SIM, 0755) < 0 || mkdir(SIM "/bank0", 0755) < 0 ||
        write_file(SIM "/bank0/num_lines", "8") < 0 || write_file(SIM "/live", "1") < 0 ||
        read_file(SIM "/bank0/chip_name", chip, sizeof chip) < 0 ||
        read_file(SIM "/dev_name", dev, sizeof dev) < 0) {
        char why[160];
        snprintf(why, sizeof why, "cannot create a gpio-sim chip: %s", strerror(errno));
        sim_remove();
        return skip(why);
    }

    char backend[96];
    snprintf(backend, sizeof backend, "gpiod:%s", chip);
    CHECK(hal_gpio_init(loop, backend) == 0);
    CHECK(strcmp(hal_gpio_backend(), backend) == 0);

    /* output: the simulated line shows what we drive */
    CHECK(hal_gpio_setup(0, HAL_PIN_OUT) == 0);
    CHECK(hal_gpio_write(0, 1) == 0);
    snprintf(path, sizeof path, "/sys/devices/platform/%s/%s/sim_gpio0/value", dev, chip);
    CHECK(read_file(path, val, sizeof val) == 0 && strcmp(val, "1") == 0);

    /* input with an edge delivered from the loop */
    CHECK(hal_gpio_setup(1, HAL_PIN_IN) == 0);
    CHECK(hal_gpio_watch(1, HAL_EDGE_RISING, on_edge, NULL) == 0);
    snprintf(path, sizeof path, "/sys/devices/platform/%s/%s/sim_gpio1/pull", dev, chip);
    CHECK(write_file(path, "pull-up") == 0);
    for (int i = 0; i < 50 && s_edges == 0; i++)
        ev_poll(loop, 10);
    CHECK(s_edges == 1 && s_level == 1);
    CHECK(hal_gpio_read(1) == 1);

    /* a line held by someone else is busy; a line past the chip is out of range */
    struct gpiod_chip *other = gpiod_chip_open_lookup(chip);
    struct gpiod_line *l3 = other ? gpiod_chip_get_line(other, 3) : NULL;
    CHECK(l3 && gpiod_line_request_output(l3, "other", 0) == 0);
    CHECK(hal_gpio_setup(3, HAL_PIN_OUT) == ERR_BUSY);
    CHECK(hal_gpio_setup(8, HAL_PIN_OUT) == ERR_RANGE);
    CHECK(hal_adc_read(2, &(uint32_t){0}) == ERR_NOTSUP);
    if (other)
        gpiod_chip_close(other);

    hal_gpio_deinit();
    sim_remove();
    ev_deinit(loop);
    printf("gpiod backend on %s: %s\n", chip, s_failed ? "FAILED" : "ok");
    return s_failed ? 1 : 0;
}

#endif
