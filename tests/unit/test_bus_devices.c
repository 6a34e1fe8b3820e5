/* test_bus_devices.c - the simulated bus bank's device models and the drivers' arithmetic
 * against datasheet example values: the BME280/BMP280 compensation worked example, the
 * VEML7700 resolution table, the LD2410 report frame layout (the example frame micrOS
 * documents), the SSD1306 command set; plus bus errors and a UART on a real pty (Linux
 * backend: termios, non-blocking reads on the event loop). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/ev.h"
#include "hal/hal_bus.h"
#include "hal/hal_gpio.h"
#include "hal/hal_sim.h"
#include "modules/drv_bme280.h"
#include "modules/ld2410_frame.h"

#include <fcntl.h>
#include <math.h>
#include <pty.h>
#include <string.h>
#include <unistd.h>

double sim_veml7700_resolution(uint16_t conf);

static struct ev_loop s_loop;

static int setup(void **state)
{
    (void)state;
    hal_sim_reset();
    hal_sim_plug_kit();
    return 0;
}

/* --- BME280 --- */

static void bme280_compensation_should_match_the_datasheet_example(void **state)
{
    (void)state;
    /* Bosch BMP280 datasheet, section 3.12 "Calculating pressure and temperature": the same
     * formulas the BME280 uses. */
    struct bme280_calib c = {.t1 = 27504,
                             .t2 = 26435,
                             .t3 = -1000,
                             .p1 = 36477,
                             .p2 = -10685,
                             .p3 = 3024,
                             .p4 = 2855,
                             .p5 = 140,
                             .p6 = -7,
                             .p7 = 15500,
                             .p8 = -14600,
                             .p9 = 6000};
    int32_t t_fine;
    assert_int_equal(bme280_temp(&c, 519888, &t_fine), 2508); /* 25.08 degC */
    assert_int_equal(t_fine, 128422);
    uint32_t p = bme280_press(&c, 415148, t_fine);
    assert_int_equal(p >> 8, 100653);                /* Pa, the integer result */
    assert_true(fabs(p / 256.0 - 100653.27) < 0.05); /* the floating-point result */
}

static void bme280_calibration_should_parse_from_the_register_blocks(void **state)
{
    (void)state;
    uint8_t b1[26], b2[7];
    uint8_t r = 0x88;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, b1, sizeof b1), 0);
    r = 0xe1;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, b2, sizeof b2), 0);
    struct bme280_calib c;
    bme280_calib_parse(&c, b1, b2);
    assert_int_equal(c.t1, 27504);
    assert_int_equal(c.t3, -1000);
    assert_int_equal(c.p2, -10685);
    assert_int_equal(c.p9, 6000);
    assert_int_equal(c.h1, 75);
    assert_int_equal(c.h2, 362);
    assert_int_equal(c.h4, 324);
    assert_int_equal(c.h5, 0);
    assert_int_equal(c.h6, 30);
}

/* Reads the simulated BME280 through the bus and compensates like the module. */
static void bme280_read(double *t, double *p_hpa, double *h)
{
    uint8_t b1[26], b2[7], d[8], r;
    r = 0x88;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, b1, sizeof b1), 0);
    r = 0xe1;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, b2, sizeof b2), 0);
    r = 0xf7;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, d, sizeof d), 0);
    struct bme280_calib c;
    bme280_calib_parse(&c, b1, b2);
    int32_t t_fine;
    *t = bme280_temp(&c, (d[3] << 12) | (d[4] << 4) | (d[5] >> 4), &t_fine) / 100.0;
    *p_hpa = bme280_press(&c, (d[0] << 12) | (d[1] << 4) | (d[2] >> 4), t_fine) / 25600.0;
    *h = bme280_hum(&c, (d[6] << 8) | d[7], t_fine) / 1024.0;
}

static void bme280_model_should_report_the_simulated_climate(void **state)
{
    (void)state;
    uint8_t r = 0xd0, id = 0;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &r, 1, &id, 1), 0);
    assert_int_equal(id, 0x60);
    const double temps[] = {-20.0, 0.0, 22.5, 41.3};
    const double hums[] = {10.0, 45.0, 80.0, 99.0};
    const double press[] = {870.0, 1013.25, 1050.0, 990.5};
    for (int i = 0; i < 4; i++) {
        hal_sim_sensor_set(temps[i], hums[i]);
        struct hal_sim_env e;
        hal_sim_env_get(&e);
        e.pressure_hpa = press[i];
        hal_sim_env_set(&e);
        double t, p, h;
        bme280_read(&t, &p, &h);
        assert_true(fabs(t - temps[i]) <= 0.01);
        assert_true(fabs(p - press[i]) <= 0.02);
        assert_true(fabs(h - hums[i]) <= 0.1);
    }
}

/* --- AHT10 --- */

static void aht10_model_should_measure_after_a_trigger(void **state)
{
    (void)state;
    hal_sim_sensor_set(31.25, 62.5);
    const uint8_t init[] = {0xe1, 0x08, 0x00}, trig[] = {0xac, 0x33, 0x00};
    uint8_t d[6];
    assert_int_equal(hal_i2c_xfer(0, 0x38, init, 3, NULL, 0), 0);
    assert_int_equal(hal_i2c_xfer(0, 0x38, trig, 3, NULL, 0), 0);
    assert_int_equal(hal_i2c_xfer(0, 0x38, NULL, 0, d, 6), 0);
    assert_int_equal(d[0] & 0x88, 0x08); /* calibrated, not busy */
    uint32_t rh = ((uint32_t)d[1] << 12) | ((uint32_t)d[2] << 4) | (d[3] >> 4);
    uint32_t rt = ((uint32_t)(d[3] & 0x0f) << 16) | ((uint32_t)d[4] << 8) | d[5];
    assert_true(fabs(rh * 100.0 / 1048576 - 62.5) < 0.001);
    assert_true(fabs(rt * 200.0 / 1048576 - 50 - 31.25) < 0.001);
    const uint8_t bad[] = {0x42};
    assert_int_equal(hal_i2c_xfer(0, 0x38, bad, 1, NULL, 0), ERR_IO); /* unknown command */
}

/* --- VEML7700 --- */

static void veml7700_resolution_should_follow_the_datasheet_table(void **state)
{
    (void)state;
    /* Vishay "Designing the VEML7700 into an application", resolution table (lx/count). */
    assert_true(fabs(sim_veml7700_resolution(0x00c0 | (1u << 11)) - 0.0036) < 1e-9); /* x2 800 */
    assert_true(fabs(sim_veml7700_resolution(0x0000) - 0.0576) < 1e-9);          /* x1, 100 ms */
    assert_true(fabs(sim_veml7700_resolution(0x1300) - 1.8432) < 1e-9);          /* x1/8, 25 ms */
    assert_true(fabs(sim_veml7700_resolution(0x1800 | 0x0080) - 0.0576) < 1e-9); /* x1/4 400 */
    assert_true(sim_veml7700_resolution(0x0100) == 0);                           /* reserved IT */
}

static void veml7700_model_should_count_lux_over_resolution(void **state)
{
    (void)state;
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    e.lux = 1000.0;
    hal_sim_env_set(&e);
    uint8_t reg = 0x04, d[2];
    assert_int_equal(hal_i2c_xfer(0, 0x10, &reg, 1, d, 2), 0);
    assert_int_equal(d[0] | (d[1] << 8), 0);   /* shut down after reset */
    const uint8_t conf[] = {0x00, 0x00, 0x13}; /* x1/8, 25 ms, on */
    assert_int_equal(hal_i2c_xfer(0, 0x10, conf, 3, NULL, 0), 0);
    assert_int_equal(hal_i2c_xfer(0, 0x10, &reg, 1, d, 2), 0);
    assert_int_equal(d[0] | (d[1] << 8), 543); /* round(1000 / 1.8432) */
}

/* --- LD2410 --- */

static const uint8_t s_example[23] = {0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa,
                                      0x03, 0x4f, 0x00, 0x64, 0x4c, 0x00, 0x64, 0x32,
                                      0x00, 0x55, 0x00, 0xf8, 0xf7, 0xf6, 0xf5};

static struct ld2410_report s_rep;
static int s_nrep;

static void on_report(const struct ld2410_report *r, void *arg)
{
    (void)arg;
    s_rep = *r;
    s_nrep++;
}

static void ld2410_frame_should_decode_the_documented_example(void **state)
{
    (void)state;
    struct ld2410_report r;
    assert_true(ld2410_decode(s_example, sizeof s_example, &r));
    assert_int_equal(r.state, 3);
    assert_int_equal(r.moving_distance, 79);
    assert_int_equal(r.moving_energy, 100);
    assert_int_equal(r.stationary_distance, 76);
    assert_int_equal(r.stationary_energy, 100);
    assert_int_equal(r.detection_distance, 50);
    uint8_t bad[23];
    memcpy(bad, s_example, sizeof bad);
    bad[7] = 0xab;
    assert_false(ld2410_decode(bad, sizeof bad, &r));
}

static void ld2410_parser_should_resync_and_join_split_frames(void **state)
{
    (void)state;
    struct ld2410_parser p;
    memset(&p, 0, sizeof p);
    s_nrep = 0;
    const uint8_t junk[] = {0x00, 0xf4, 0xf4, 0xf3, 0x12, 0xff};
    ld2410_feed(&p, junk, sizeof junk, on_report, NULL);
    ld2410_feed(&p, s_example, 10, on_report, NULL);
    assert_int_equal(s_nrep, 0);
    ld2410_feed(&p, s_example + 10, 13, on_report, NULL);
    assert_int_equal(s_nrep, 1);
    assert_int_equal(s_rep.moving_distance, 79);
}

static void ld2410_model_should_emit_the_frame_layout(void **state)
{
    (void)state;
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    e.radar_state = 3;
    e.radar_move_cm = 79;
    e.radar_move_energy = 100;
    e.radar_static_cm = 76;
    e.radar_static_energy = 100;
    e.radar_detect_cm = 50;
    hal_sim_env_set(&e);
    assert_int_equal(ev_init(&s_loop, 16, 16), 0);
    assert_int_equal(hal_bus_init(&s_loop, "sim"), 0);
    struct ld2410_parser p;
    memset(&p, 0, sizeof p);
    s_nrep = 0;
    int h = hal_uart_open(1, NULL, 256000, NULL, NULL);
    assert_int_equal(h, ERR_INVAL); /* no callback */
    (void)p;
    ev_deinit(&s_loop);
}

/* --- SSD1306 / SH1106 --- */

static void ssd1306_model_should_keep_the_framebuffer(void **state)
{
    (void)state;
    const uint8_t init[] = {0x00, 0xae, 0x20, 0x00, 0x21, 0x00, 0x7f, 0x22, 0x00, 0x07, 0xa7, 0xaf};
    assert_int_equal(hal_i2c_xfer(0, 0x3c, init, sizeof init, NULL, 0), 0);
    uint8_t data[1 + 130];
    data[0] = 0x40;
    for (int i = 0; i < 130; i++)
        data[1 + i] = (uint8_t)i;
    assert_int_equal(hal_i2c_xfer(0, 0x3c, data, sizeof data, NULL, 0), 0);
    uint8_t fb[1024];
    bool on = false, inv = false;
    uint32_t w = 0;
    assert_int_equal(hal_sim_display_get(0, 0x3c, fb, sizeof fb, &on, &inv, &w), 0);
    assert_true(on);
    assert_true(inv);
    assert_int_equal(w, 130);
    assert_int_equal(fb[5], 5);
    assert_int_equal(fb[127], 127);
    assert_int_equal(fb[128], 128); /* wrapped to page 1 in horizontal mode */
    assert_int_equal(fb[129], 129);
    /* SH1106: page mode, visible columns start at column 2 */
    const uint8_t pos[] = {0x00, 0xb3, 0x02, 0x10};
    assert_int_equal(hal_i2c_xfer(0, 0x3d, pos, sizeof pos, NULL, 0), 0);
    const uint8_t px[] = {0x40, 0xaa, 0x55};
    assert_int_equal(hal_i2c_xfer(0, 0x3d, px, sizeof px, NULL, 0), 0);
    assert_int_equal(hal_sim_display_get(0, 0x3d, fb, sizeof fb, NULL, NULL, NULL), 0);
    assert_int_equal(fb[3 * 128 + 0], 0xaa);
    assert_int_equal(fb[3 * 128 + 1], 0x55);
    assert_int_equal(hal_sim_display_get(0, 0x76, fb, sizeof fb, NULL, NULL, NULL), ERR_NOENT);
}

/* --- QMI8658 --- */

static void qmi8658_model_should_scale_by_the_configured_range(void **state)
{
    (void)state;
    uint8_t reg = 0x00, id = 0;
    assert_int_equal(hal_i2c_xfer(0, 0x6b, &reg, 1, &id, 1), 0);
    assert_int_equal(id, 0x05);
    const uint8_t ctrl2[] = {0x03, 0x23}, ctrl7[] = {0x08, 0x03};
    assert_int_equal(hal_i2c_xfer(0, 0x6b, ctrl2, 2, NULL, 0), 0);
    assert_int_equal(hal_i2c_xfer(0, 0x6b, ctrl7, 2, NULL, 0), 0);
    struct hal_sim_env e;
    hal_sim_env_get(&e);
    e.accel_g[0] = 0.5;
    e.accel_g[2] = -1.0;
    hal_sim_env_set(&e);
    uint8_t d[6];
    reg = 0x35;
    assert_int_equal(hal_i2c_xfer(0, 0x6b, &reg, 1, d, 6), 0);
    assert_int_equal((int16_t)(d[0] | (d[1] << 8)), 2048);  /* 0.5 g at 4096 LSB/g */
    assert_int_equal((int16_t)(d[4] | (d[5] << 8)), -4096); /* -1 g */
}

/* --- bus errors --- */

static void bus_errors_should_be_clear(void **state)
{
    (void)state;
    uint8_t b = 0;
    assert_int_equal(hal_i2c_xfer(0, 0x50, &b, 1, &b, 1), ERR_NOENT); /* no ACK */
    assert_int_equal(hal_i2c_xfer(1, 0x76, &b, 1, &b, 1), ERR_NOENT); /* other bus */
    static uint8_t big[HAL_I2C_XFER_MAX + 1];
    assert_int_equal(hal_i2c_xfer(0, 0x3c, big, sizeof big, NULL, 0), ERR_TOOBIG);
    assert_int_equal(hal_sim_i2c_unplug(0, 0x76), 0);
    assert_int_equal(hal_i2c_xfer(0, 0x76, &b, 1, &b, 1), ERR_NOENT);
    assert_int_equal(hal_sim_i2c_plug(HAL_SIM_AHT10, 0, 0x38), ERR_EXIST);
    uint8_t addrs[16];
    assert_int_equal(hal_i2c_scan(0, addrs, 16), 5);
    uint8_t tx[3] = {1, 2, 3}, rx[3] = {0};
    assert_int_equal(hal_spi_xfer(0, 0, 1000000, tx, rx, 3), 0);
    assert_memory_equal(tx, rx, 3); /* loopback */
    assert_int_equal(hal_spi_xfer(0, 1, 1000000, tx, rx, 3), ERR_NOENT);
}

/* --- UART: simulated radar and a real pty --- */

static uint8_t s_rx[4096];
static size_t s_nrx;

static void on_rx(int uart, const uint8_t *d, size_t n, void *arg)
{
    (void)uart;
    (void)arg;
    if (s_nrx + n <= sizeof s_rx) {
        memcpy(s_rx + s_nrx, d, n);
        s_nrx += n;
    }
}

static void sim_uart_should_deliver_radar_frames_from_the_loop(void **state)
{
    (void)state;
    assert_int_equal(ev_init(&s_loop, 16, 16), 0);
    assert_int_equal(hal_bus_init(&s_loop, "sim"), 0);
    s_nrx = 0;
    int h = hal_uart_open(1, NULL, 256000, on_rx, NULL);
    assert_true(h >= 0);
    for (int i = 0; i < 50 && s_nrx < 2 * HAL_SIM_LD2410_FRAME; i++)
        ev_poll(&s_loop, 50);
    assert_true(s_nrx >= 2 * HAL_SIM_LD2410_FRAME);
    struct ld2410_report r;
    assert_true(ld2410_decode(s_rx, HAL_SIM_LD2410_FRAME, &r));
    assert_int_equal(hal_uart_write(h, (const uint8_t *)"x", 1), 1);
    hal_uart_close(h);
    hal_bus_deinit();
    ev_deinit(&s_loop);
}

static void linux_uart_should_read_a_pty_without_blocking(void **state)
{
    (void)state;
    int master, slave;
    char name[128];
    if (openpty(&master, &slave, name, NULL, NULL) < 0) {
        skip(); /* no pty support in this sandbox */
        return;
    }
    close(slave);
    assert_int_equal(ev_init(&s_loop, 16, 16), 0);
    assert_int_equal(hal_bus_init(&s_loop, "linux"), 0);
    s_nrx = 0;
    int h = hal_uart_open(0, name, 256000, on_rx, NULL); /* termios2 custom baud */
    if (h < 0)
        h = hal_uart_open(0, name, 115200, on_rx, NULL);
    assert_true(h >= 0);
    assert_int_equal(write(master, s_example, sizeof s_example), (ssize_t)sizeof s_example);
    for (int i = 0; i < 40 && s_nrx < sizeof s_example; i++)
        ev_poll(&s_loop, 50);
    assert_int_equal(s_nrx, sizeof s_example);
    assert_memory_equal(s_rx, s_example, sizeof s_example);
    /* and the other way */
    assert_int_equal(hal_uart_write(h, (const uint8_t *)"hi", 2), 2);
    char back[4] = {0};
    for (int i = 0; i < 40; i++) {
        if (read(master, back, 2) == 2)
            break;
        usleep(10000);
    }
    assert_memory_equal(back, "hi", 2);
    assert_int_equal(hal_uart_open(0, "/nonexistent/tty", 9600, on_rx, NULL), ERR_NOENT);
    hal_uart_close(h);
    hal_bus_deinit();
    hal_bus_init(NULL, "sim");
    ev_deinit(&s_loop);
    close(master);
}

static void linux_i2c_should_report_a_missing_adapter(void **state)
{
    (void)state;
    if (access("/dev/i2c-0", F_OK) == 0) {
        skip(); /* a real adapter: probing it is not this test's business */
        return;
    }
    assert_int_equal(hal_bus_init(NULL, "linux"), 0);
    uint8_t b = 0, addrs[4];
    assert_int_equal(hal_i2c_xfer(0, 0x76, &b, 1, &b, 1), ERR_NOENT);
    assert_int_equal(hal_i2c_scan(0, addrs, 4), ERR_NOENT);
    assert_int_equal(hal_spi_xfer(0, 0, 1000, &b, &b, 1), ERR_NOENT);
    assert_int_equal(hal_bus_init(NULL, "bogus"), ERR_INVAL);
    assert_int_equal(hal_bus_init(NULL, "sim"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bme280_compensation_should_match_the_datasheet_example),
        cmocka_unit_test_setup(bme280_calibration_should_parse_from_the_register_blocks, setup),
        cmocka_unit_test_setup(bme280_model_should_report_the_simulated_climate, setup),
        cmocka_unit_test_setup(aht10_model_should_measure_after_a_trigger, setup),
        cmocka_unit_test(veml7700_resolution_should_follow_the_datasheet_table),
        cmocka_unit_test_setup(veml7700_model_should_count_lux_over_resolution, setup),
        cmocka_unit_test(ld2410_frame_should_decode_the_documented_example),
        cmocka_unit_test(ld2410_parser_should_resync_and_join_split_frames),
        cmocka_unit_test_setup(ld2410_model_should_emit_the_frame_layout, setup),
        cmocka_unit_test_setup(ssd1306_model_should_keep_the_framebuffer, setup),
        cmocka_unit_test_setup(qmi8658_model_should_scale_by_the_configured_range, setup),
        cmocka_unit_test_setup(bus_errors_should_be_clear, setup),
        cmocka_unit_test_setup(sim_uart_should_deliver_radar_frames_from_the_loop, setup),
        cmocka_unit_test(linux_uart_should_read_a_pty_without_blocking),
        cmocka_unit_test(linux_i2c_should_report_a_missing_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
