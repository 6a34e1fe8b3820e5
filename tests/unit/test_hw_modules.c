/* test_hw_modules.c - the hardware Load Modules against the simulated pin bank, through the real
 * command path (exec_run, task manager, event loop on a fake clock) and pin maps. Nothing is
 * faked: the simulator is the hardware. Tests run in order and share the modules' state, as
 * one node would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "core/err.h"
#include "core/ev.h"
#include "hal/hal_fs.h"
#include "hal/hal_gpio.h"
#include "hal/hal_sim.h"
#include "modules/light.h"
#include "svc/cfg.h"
#include "svc/exec.h"
#include "svc/pinmap.h"
#include "svc/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct lm_module lm_rgb, lm_sim, lm_switch, lm_neopixel, lm_cct, lm_dimmer, lm_genIO,
    lm_servo, lm_buzzer, lm_dht22, lm_ds18, lm_light_sensor, lm_gameOfLife;

static const struct lm_module *const s_mods[] = {
    &lm_rgb,   &lm_sim,    &lm_switch, &lm_neopixel, &lm_cct,          &lm_dimmer,     &lm_genIO,
    &lm_servo, &lm_buzzer, &lm_dht22,  &lm_ds18,     &lm_light_sensor, &lm_gameOfLife, NULL};

static struct {
    char root[64];
    uint64_t now;
    struct ev_loop loop;
    struct cfg cfg;
    struct node node;
    struct tasks tasks;
    bool loaded[16];
    struct arena arena;
    char mem[CMD_ARENA_SIZE];
    struct buf out;
} F;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return F.now;
}

/* Runs one command line as the shell would and returns its text rendering. */
static const char *run(const char *line)
{
    struct exec_result res;
    memset(&res, 0, sizeof res);
    arena_reset(&F.arena);
    exec_run(&F.node, str_c(line), EXEC_SHELL, &F.arena, &res);
    buf_clear(&F.out);
    exec_render_text(&res, &F.out);
    return buf_cstr(&F.out);
}

/* Lets ms of fake time pass, running the loop every millisecond. */
static void advance(uint64_t ms)
{
    for (uint64_t i = 0; i < ms; i++) {
        F.now++;
        ev_poll(&F.loop, 0);
    }
}

static uint32_t duty(int pin)
{
    struct hal_sim_pin p;
    assert_int_equal(hal_sim_pin_get(pin, &p), 0);
    assert_int_equal(p.use, HAL_SIM_PWM);
    return p.duty;
}

static int level(int pin)
{
    struct hal_sim_pin p;
    assert_int_equal(hal_sim_pin_get(pin, &p), 0);
    return p.level;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(F.root, sizeof F.root, "/tmp/test_hw_modules.XXXXXX");
    if (!mkdtemp(F.root))
        return -1;
    F.now = 1000;
    if (ev_init(&F.loop, 64, 256) < 0)
        return -1;
    ev_set_clock(&F.loop, fake_clock, NULL);
    if (cfg_init(&F.cfg, F.root) < 0)
        return -1;
    F.node.loop = &F.loop;
    F.node.cfg = &F.cfg;
    F.node.data_dir = F.root;
    F.node.modules = s_mods;
    F.node.is_loaded = F.loaded;
    if (task_init(&F.tasks, &F.node, 5, false) < 0)
        return -1;
    F.node.tasks = &F.tasks;
    arena_init(&F.arena, F.mem, sizeof F.mem);
    buf_init(&F.out, 1 << 20);
    hal_sim_reset();
    if (hal_gpio_init(&F.loop, "sim") < 0)
        return -1;
    return pinmap_init("auto", "n/a", "esp32");
}

static int group_teardown(void **state)
{
    (void)state;
    task_deinit(&F.tasks);
    hal_gpio_deinit();
    cfg_deinit(&F.cfg);
    ev_deinit(&F.loop);
    buf_free(&F.out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.root);
    return system(cmd) == 0 ? 0 : -1;
}

/* --- pin maps --- */

static void pinmap_should_resolve_override_and_refuse_double_booking(void **state)
{
    (void)state;
    char err[128];
    assert_string_equal(pinmap_name(), "esp32");
    assert_int_equal(pinmap_get("irq1"), 4);
    assert_int_equal(pinmap_get("redgb"), 14);
    assert_int_equal(pinmap_get("nope"), ERR_NOENT);

    assert_int_equal(pinmap_init("auto", "tinypico; irq1:7 ;neop:3", "esp32"), 0);
    assert_string_equal(pinmap_name(), "tinypico");
    assert_int_equal(pinmap_get("irq1"), 7);
    assert_int_equal(pinmap_get("redgb"), 25);
    assert_int_equal(pinmap_init("rpi", "irq2:x", "esp32"), ERR_SYNTAX);
    assert_string_equal(pinmap_name(), "rpi");
    assert_int_equal(pinmap_init("nosuch", "n/a", "esp32"), ERR_NOENT);
    assert_string_equal(pinmap_name(), "esp32");

    assert_int_equal(pinmap_bind("redgb", -1, err, sizeof err), 14);
    assert_int_equal(pinmap_bind("redgb", -1, err, sizeof err), 14); /* same tag: fine */
    assert_int_equal(pinmap_bind("switch_2", -1, err, sizeof err), ERR_BUSY);
    assert_string_equal(err, "[io] Pin switch_2 is busy: redgb:14");
    assert_int_equal(pinmap_bind("OUT14", 14, err, sizeof err), ERR_BUSY);
    assert_string_equal(err, "[io-register] OUT14:14 already in use: redgb");
    assert_string_equal(pinmap_owner(14), "redgb");
    pinmap_release("redgb");
    assert_null(pinmap_owner(14));

    struct val *v = pinmap_search(&F.arena, "builtin, irq1 nope");
    buf_clear(&F.out);
    struct exec_result res = {.ok = true, .value = v};
    exec_render_text(&res, &F.out);
    assert_string_equal(buf_cstr(&F.out), " builtin: 2\n irq1: 4\n nope: None");
    assert_int_equal(pinmap_init("auto", "n/a", "esp32"), 0);
}

/* --- simulator --- */

static int s_edges, s_edge_level;
static void on_edge(int pin, int lvl, void *arg)
{
    (void)arg;
    assert_int_equal(pin, 4);
    s_edges++;
    s_edge_level = lvl;
}

static void sim_should_deliver_edges_from_the_loop_only(void **state)
{
    (void)state;
    assert_int_equal(hal_gpio_setup(4, HAL_PIN_IN_PULLDOWN), 0);
    assert_int_equal(hal_gpio_read(4), 0);
    assert_int_equal(hal_gpio_watch(4, HAL_EDGE_RISING, on_edge, NULL), 0);
    assert_int_equal(hal_sim_drive(4, 1), 0);
    assert_int_equal(s_edges, 0); /* never from inside hal_sim_drive */
    advance(1);
    assert_int_equal(s_edges, 1);
    assert_int_equal(s_edge_level, 1);
    assert_int_equal(hal_sim_drive(4, 0), 0); /* falling: not watched */
    advance(1);
    assert_int_equal(s_edges, 1);
    hal_gpio_unwatch(4);
    assert_int_equal(hal_gpio_setup(5, HAL_PIN_OUT), 0);
    assert_int_equal(hal_sim_drive(5, 1), ERR_BUSY);
    uint8_t addrs[8];
    assert_int_equal(hal_i2c_scan(0, addrs, 8), 2);
    uint8_t id = 0, reg = 0xd0;
    assert_int_equal(hal_i2c_xfer(0, 0x76, &reg, 1, &id, 1), 0);
    assert_int_equal(id, 0x60);
    assert_int_equal(hal_i2c_xfer(0, 0x10, &reg, 1, &id, 1), ERR_NOENT);
}

/* --- rgb --- */

static void rgb_color_should_set_the_pwm_duties(void **state)
{
    (void)state;
    assert_string_equal(run("rgb color r=10 g=60 b=100 smooth=False"),
                        " R: 10\n G: 60\n B: 100\n S: 1");
    assert_int_equal(duty(14), 10);
    assert_int_equal(duty(12), 60);
    assert_int_equal(duty(15), 100);
    char buf[64];
    char path[128];
    snprintf(path, sizeof path, "%s/data/rgb.cache", F.root);
    assert_true(hal_fs_read(path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "10,60,100,1");
}

static void rgb_smooth_color_should_fade_without_blocking(void **state)
{
    (void)state;
    /* the reply is the target state at once; the outputs follow in the background */
    assert_string_equal(run("rgb color r=210 g=60 b=100"), " R: 210\n G: 60\n B: 100\n S: 1");
    assert_int_equal(duty(14), 10);
    advance(100);
    assert_true(duty(14) > 10 && duty(14) < 210);
    advance(150);
    assert_int_equal(duty(14), 210);
}

static void rgb_toggle_should_switch_off_and_back_on(void **state)
{
    (void)state;
    assert_string_equal(run("rgb toggle smooth=False"), " R: 210\n G: 60\n B: 100\n S: 0");
    assert_int_equal(duty(14), 0);
    assert_string_equal(run("rgb toggle False"), " R: 210\n G: 60\n B: 100\n S: 0");
    assert_string_equal(run("rgb toggle smooth=False"), " R: 210\n G: 60\n B: 100\n S: 1");
    assert_int_equal(duty(14), 210);
    assert_string_equal(run("rgb brightness"), "21 %");
}

static void rgb_transition_should_be_a_task_that_ends_at_its_target(void **state)
{
    (void)state;
    assert_string_equal(run("rgb transition r=500 g=0 b=0 sec=0.5"), "Starting transition");
    assert_true(task_is_active(&F.tasks, str_c("rgb._tran")));
    assert_string_equal(run("rgb transition r=1 sec=1"), "Transition already running");
    advance(260);
    assert_true(duty(14) > 210 && duty(14) < 500);
    advance(300);
    assert_false(task_is_active(&F.tasks, str_c("rgb._tran")));
    assert_int_equal(duty(14), 500);
    assert_int_equal(duty(12), 0);
    assert_string_equal(run("task show rgb._tran"), "Dimming DONE: R:500 G:0 B:0");
}

static void rgb_color_in_a_task_should_step_with_lm_again(void **state)
{
    (void)state;
    assert_string_equal(run("rgb color r=0 g=0 b=900 &"), "{'rgb.color': 'Starting'}");
    advance(25);
    assert_true(duty(15) < 900);
    advance(300);
    assert_int_equal(duty(15), 900);
    assert_string_equal(run("rgb status"), " R: 0\n G: 0\n B: 900\n S: 1");
}

static void rgb_help_should_give_micros_widgets(void **state)
{
    (void)state;
    const char *w = run("rgb help True");
    assert_non_null(strstr(w, "{\"type\": \"color\", \"callback\": \"color r=:range: g=:range: "
                              "b=:range: smooth=True force=True\", \"range\": [0, 1000, 10]}"));
    assert_non_null(strstr(w, "{\"type\": \"button\", \"callback\": \"toggle state=:options: "
                              "smooth=True\", \"result\": false, \"options\": [\"True\", "
                              "\"False\"]}"));
    assert_non_null(strstr(w, "{\"type\": \"slider\", \"callback\": \"brightness "
                              "percent=:range: smooth=True wake=True\", \"range\": [0, 100, 2]}"));
}

/* --- switch --- */

static void switch_should_toggle_and_refuse_a_booked_pin(void **state)
{
    (void)state;
    assert_string_equal(run("switch toggle"), "SET STATE: 1");
    assert_int_equal(level(26), 1);
    assert_string_equal(run("switch toggle"), "SET STATE: 0");
    assert_int_equal(level(26), 0);
    assert_string_equal(run("switch set_state4 1"), "SET STATE(4): 1");
    assert_int_equal(level(25), 1);
    assert_string_equal(run("switch status"), " SW1: 0\n SW2: 0\n SW3: 0\n SW4: 1");
    assert_string_equal(run("switch toggle2"),
                        "Core error: LM_switch->toggle2: [io] Pin switch_2 is busy: redgb:14");
    assert_int_equal(duty(15), 900); /* rgb keeps its pins */
}

/* --- neopixel --- */

static void neopixel_effects_should_run_as_tasks_and_stop_on_kill(void **state)
{
    (void)state;
    /* neop is 15 on esp32, as rgbue: give the strip its own pin */
    assert_string_equal(run("neopixel load ledcnt=8 pin=16"), "CACHE: True, LED CNT: 8");
    assert_string_equal(run("neopixel color 10 20 30 smooth=False"),
                        " R: 10\n G: 20\n B: 30\n S: 1");
    uint8_t px[8 * 3];
    size_t n;
    assert_int_equal(hal_sim_strip_get(16, px, 8, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(px[21], 10);
    assert_int_equal(px[23], 30);
    assert_string_equal(run("neopixel rainbow speed_ms=20"), "{'neopixel._effect': 'Starting'}");
    advance(100);
    struct hal_sim_pin p;
    hal_sim_pin_get(16, &p);
    uint32_t writes = p.writes;
    advance(100);
    hal_sim_pin_get(16, &p);
    assert_true(p.writes >= writes + 4);
    assert_string_equal(run("task kill neopixel._effect"), "Kill: neopixel._effect|True");
    hal_sim_pin_get(16, &p);
    writes = p.writes;
    advance(200);
    hal_sim_pin_get(16, &p);
    assert_int_equal(p.writes, writes);
    assert_false(task_is_active(&F.tasks, str_c("neopixel._effect")));
}

/* --- cct, dimmer --- */

static void cct_and_dimmer_should_drive_their_channels(void **state)
{
    (void)state;
    assert_string_equal(run("cct load pin_warm=40 pin_cold=41"), "CACHE: True");
    assert_string_equal(run("cct white 100 200 smooth=False"), " CW: 100\n WW: 200\n S: 1");
    assert_int_equal(duty(41), 100);
    assert_int_equal(duty(40), 200);
    assert_string_equal(run("dimmer set_value 300 smooth=False"), " X: 300\n S: 1\n BR: 30");
    assert_int_equal(duty(33), 300);
    assert_string_equal(run("dimmer toggle smooth=False"), " X: 300\n S: 0\n BR: 0");
    assert_int_equal(duty(33), 0);
    assert_string_equal(run("dimmer set_value 2000"),
                        "DIMMER ERROR, VALUE 0-1000 ONLY, GIVEN: 2000");
    const char *w = run("dimmer help True");
    assert_non_null(strstr(w, "{\"type\": \"status\", \"callback\": \"status \", \"wtype\": "
                              "\"auto\"}"));
}

/* --- genIO, servo --- */

static void genio_and_servo_should_use_pins_by_number(void **state)
{
    (void)state;
    assert_string_equal(run("genIO set_out 5"), " pin: 5\n state: True");
    assert_int_equal(level(5), 1);
    assert_string_equal(run("genIO set_out 5 False"), " pin: 5\n state: False");
    assert_int_equal(level(5), 0);
    assert_string_equal(run("genIO set_pwm 14"),
                        "Core error: LM_genIO->set_pwm: [io-register] PWM14:14 already in use: "
                        "redgb");
    assert_string_equal(run("genIO get_in switch_1"),
                        "Core error: LM_genIO->get_in: pin must be integer not <class 'str'>: "
                        "switch_1");
    assert_string_equal(run("genIO get_in 18"), " pin: 18\n state: 1"); /* pull-up */
    hal_sim_drive(18, 0);
    assert_string_equal(run("genIO get_in 18"), " pin: 18\n state: 0");
    hal_sim_adc_set(39, 2048);
    assert_string_equal(run("genIO get_adc 39"),
                        " raw: 2048\n percent: 50.0\n volt: 1.65\n pin: 39");
    assert_string_equal(run("genIO get_adc 39 key='raw'"), "2048");
    assert_string_equal(run("servo sduty 200"), "SET SERVO1: duty: 115");
    assert_int_equal(duty(27), 115);
    assert_string_equal(run("servo status"), " S1: 115\n S2: 75");
}

/* --- buzzer --- */

static void buzzer_should_play_rtttl_as_a_task(void **state)
{
    (void)state;
    assert_string_equal(run("buzzer load pin=23"), "CACHE: True, check notify: False");
    assert_string_equal(run("buzzer play 'd=4,o=5,b=600:c,p,a'"), "{'buzzer._play': 'Starting'}");
    advance(5);
    struct hal_sim_pin p;
    hal_sim_pin_get(23, &p);
    assert_int_equal(p.duty, 512);
    assert_int_equal(p.freq_hz, 523); /* c5 */
    advance(120);
    assert_true(task_is_active(&F.tasks, str_c("buzzer._play")));
    advance(400);
    assert_false(task_is_active(&F.tasks, str_c("buzzer._play")));
    assert_string_equal(run("task show buzzer._play"), "Song played successfully");
    hal_sim_pin_get(23, &p);
    assert_int_equal(p.duty, 0);
    assert_string_equal(run("buzzer bipp 2 800"), "Bipp on 800 Hz");
    assert_string_equal(run("buzzer list_tones"), "Indiana\nTakeOnMe\nStarWars\nMissionImp");
}

/* --- sensors --- */

static void sensors_should_read_the_simulated_values(void **state)
{
    (void)state;
    assert_string_equal(run("dht22 measure"), " temp[C]: 22.5\n hum[%]: 45.0");
    assert_string_equal(run("sim sensor temp=-3.25 hum=80"), " temp[C]: -3.25\n hum[%]: 80.0");
    assert_string_equal(run("dht22 measure log=True"), " temp[C]: -3.25\n hum[%]: 80.0");
    assert_string_equal(run("dht22 logger"), "{'temp[C]': -3.25, 'hum[%]': 80}\n");
    assert_string_equal(run("ds18 measure"), " temp[C]: -3.25");
    assert_string_equal(run("light_sensor intensity"), " light intensity [%]: 40.0");
    hal_sim_adc_set(36, 4095);
    assert_string_equal(run("light_sensor intensity"), " light intensity [%]: 100.0");
    assert_string_equal(run("light_sensor illuminance"), " illuminance [lux]: 660.00");
}

/* Every declared measurement function takes no required parameter and its reply has every key
 * it declares, as a number or a string holding one (metrics and Home Assistant read them by key;
 * micrOS formats some readings as text, e.g. illuminance "660.00"). */
static void measurement_functions_should_reply_every_declared_key(void **state)
{
    (void)state;
    int checked = 0;
    for (size_t m = 0; s_mods[m]; m++) {
        for (const struct lm_func *f = s_mods[m]->funcs; f->name; f++) {
            if (!f->measures)
                continue;
            for (const struct lm_param *p = f->params; p && p->name; p++)
                assert_non_null(p->def);
            char line[128];
            snprintf(line, sizeof line, "%s %s >json", s_mods[m]->name, f->name);
            const char *reply = run(line);
            for (const struct lm_measure *q = f->measures; q->key; q++) {
                char want[96];
                snprintf(want, sizeof want, "\"%s\": ", q->key);
                const char *at = strstr(reply, want);
                if (!at)
                    fail_msg("%s: no \"%s\" in %s", line, q->key, reply);
                const char *v = at + strlen(want);
                char c = v[0] == '"' ? v[1] : v[0]; /* a number, or a string holding one */
                if (!(c == '-' || (c >= '0' && c <= '9')))
                    fail_msg("%s: \"%s\" is not a number in %s", line, q->key, reply);
                checked++;
            }
        }
    }
    assert_true(checked >= 5);
}

/* --- gameOfLife --- */

static void game_of_life_should_evolve_the_default_board(void **state)
{
    (void)state;
    assert_string_equal(run("gameOfLife load"), "Init Game of Life: X:32Y:16");
    const char *b = run("gameOfLife next_gen");
    size_t lines = 1;
    for (const char *p = b; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 16);
    /* the five-cell blinker at (25..29, 5) becomes a 3x3 block around its middle */
    const char *row4 = b;
    for (int i = 0; i < 4; i++)
        row4 = strchr(row4, '\n') + 1;
    assert_memory_equal(row4 + 26 * 2, "\xe2\x97\x8f", 3);
    assert_string_equal(run("gameOfLife reset"), "GoL reset");
    assert_string_equal(run("gameOfLife load"), "Game of Life was already inited: X:32Y:16");
}

/* --- sim module, state restore --- */

static void sim_module_should_show_what_the_node_drives(void **state)
{
    (void)state;
    const char *pins = run("sim pins");
    assert_non_null(strstr(pins, " 14: {'use': 'pwm', 'tag': 'redgb', 'duty': 0, 'freq': 20480}"));
    assert_non_null(strstr(pins, " 25: {'use': 'out', 'tag': 'switch_4', 'level': 1}"));
    assert_string_equal(
        run("sim drive 14 1"),
        "Core error: LM_sim->drive: pin 14 is an output (pwm): it cannot be driven");
    assert_string_equal(run("sim adc 36 100"), " pin: 36\n raw: 100");
    assert_string_equal(run("sim backend"), "sim");
}

static void light_restore_should_read_the_cache_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/data/test.cache", F.root);
    assert_int_equal(hal_fs_write_atomic(path, "12.5,7,1", 8), 0);
    struct light l = {.module = "t", .file = "test.cache", .nch = 2, .ch_max = 1000};
    light_restore(&l, &F.node);
    assert_true(l.val[0] == 12.5 && l.val[1] == 7 && l.state == 1);
    assert_int_equal(hal_fs_write_atomic(path, "5000,1,1", 8), 0); /* out of range: ignored */
    struct light m = {.module = "t", .file = "test.cache", .nch = 2, .ch_max = 1000};
    light_restore(&m, &F.node);
    assert_true(m.val[0] == 0 && m.state == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pinmap_should_resolve_override_and_refuse_double_booking),
        cmocka_unit_test(sim_should_deliver_edges_from_the_loop_only),
        cmocka_unit_test(rgb_color_should_set_the_pwm_duties),
        cmocka_unit_test(rgb_smooth_color_should_fade_without_blocking),
        cmocka_unit_test(rgb_toggle_should_switch_off_and_back_on),
        cmocka_unit_test(rgb_transition_should_be_a_task_that_ends_at_its_target),
        cmocka_unit_test(rgb_color_in_a_task_should_step_with_lm_again),
        cmocka_unit_test(rgb_help_should_give_micros_widgets),
        cmocka_unit_test(switch_should_toggle_and_refuse_a_booked_pin),
        cmocka_unit_test(neopixel_effects_should_run_as_tasks_and_stop_on_kill),
        cmocka_unit_test(cct_and_dimmer_should_drive_their_channels),
        cmocka_unit_test(genio_and_servo_should_use_pins_by_number),
        cmocka_unit_test(buzzer_should_play_rtttl_as_a_task),
        cmocka_unit_test(sensors_should_read_the_simulated_values),
        cmocka_unit_test(measurement_functions_should_reply_every_declared_key),
        cmocka_unit_test(game_of_life_should_evolve_the_default_board),
        cmocka_unit_test(sim_module_should_show_what_the_node_drives),
        cmocka_unit_test(light_restore_should_read_the_cache_file),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
