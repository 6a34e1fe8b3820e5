/* test_lm_hello.c - the example module of docs/modules.md, through the real command path
 * with the simulated pins and the task manager on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "core/ev.h"
#include "hal/hal_gpio.h"
#include "hal/hal_sim.h"
#include "svc/cfg.h"
#include "svc/exec.h"
#include "svc/pinmap.h"
#include "svc/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct lm_module lm_hello;
static const struct lm_module *const s_mods[] = {&lm_hello, NULL};

static struct {
    char root[64];
    uint64_t now;
    struct ev_loop loop;
    struct cfg cfg;
    struct node node;
    struct tasks tasks;
    bool loaded[2];
    struct arena arena;
    char mem[CMD_ARENA_SIZE];
    struct buf out;
    char pushed[16][64];
    int npushed;
} F;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return F.now;
}

static void push(struct node *node, const char *text)
{
    (void)node;
    if (F.npushed < 16)
        snprintf(F.pushed[F.npushed++], sizeof F.pushed[0], "%s", text);
}

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

static void advance(uint64_t ms)
{
    for (uint64_t i = 0; i < ms; i++) {
        F.now++;
        ev_poll(&F.loop, 0);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(F.root, sizeof F.root, "/tmp/test_lm_hello.XXXXXX");
    if (!mkdtemp(F.root) || ev_init(&F.loop, 16, 64) < 0 || cfg_init(&F.cfg, F.root) < 0)
        return -1;
    F.now = 1000;
    ev_set_clock(&F.loop, fake_clock, NULL);
    F.node = (struct node){.loop = &F.loop,
                           .cfg = &F.cfg,
                           .data_dir = F.root,
                           .push = push,
                           .modules = s_mods,
                           .is_loaded = F.loaded};
    if (task_init(&F.tasks, &F.node, 5, false) < 0)
        return -1;
    F.node.tasks = &F.tasks;
    arena_init(&F.arena, F.mem, sizeof F.mem);
    buf_init(&F.out, 65536);
    hal_sim_reset();
    if (hal_gpio_init(&F.loop, "sim") < 0)
        return -1;
    return pinmap_init("auto", "n/a", "esp32");
}

static int teardown(void **state)
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

static void greet_should_use_its_default_and_keyword(void **state)
{
    (void)state;
    assert_string_equal(run("hello greet"), "Hello World!");
    assert_string_equal(run("hello greet name='micrOS'"), "Hello micrOS!");
    assert_string_equal(run("hello greet 1 2"),
                        "Core error: LM_hello->greet: greet() takes from 0 to 1 positional "
                        "arguments but 2 were given");
}

static void count_should_keep_state_and_check_its_range(void **state)
{
    (void)state;
    assert_string_equal(run("hello count"), " count: 1");
    assert_string_equal(run("hello count step=5 >json"), "{\"count\": 6}");
    assert_string_equal(run("hello count 0"),
                        "Core error: LM_hello->count: step must be 1-100, not 0");
}

static void led_should_drive_the_builtin_pin(void **state)
{
    (void)state;
    assert_string_equal(run("hello led True"), " count: 6\n led: 1");
    struct hal_sim_pin p;
    assert_int_equal(hal_sim_pin_get(2, &p), 0);
    assert_int_equal(p.level, 1);
    assert_string_equal(run("hello led"), " count: 6\n led: 0");
    assert_int_equal(hal_sim_pin_get(2, &p), 0);
    assert_int_equal(p.level, 0);
}

static void countdown_should_run_over_time_as_a_task(void **state)
{
    (void)state;
    assert_string_equal(run("hello countdown 2"),
                        "Core error: LM_hello->countdown: run it as a task: hello countdown 2 &");
    assert_string_equal(run("hello countdown 2 &"), "{'hello.countdown': 'Starting'}");
    advance(30);
    assert_string_equal(run("task show hello.countdown"), "2 left");
    advance(300);
    assert_string_equal(run("task show hello.countdown"), "Lift off!");
    assert_false(task_is_active(&F.tasks, str_c("hello.countdown")));
    assert_int_equal(F.npushed, 2);
    assert_string_equal(F.pushed[1], "countdown: 1");
}

static void help_should_list_functions_and_widgets(void **state)
{
    (void)state;
    assert_string_equal(run("hello help"), " greet name='World',\n count step=1,\n led "
                                           "state=<True,False>,\n countdown n=<1-10>,\n status,");
    assert_string_equal(
        run("hello help True"),
        " {\"type\": \"button\", \"callback\": \"count step=1\", \"result\": false, \"options\": "
        "[\"None\"]},\n {\"type\": \"button\", \"callback\": \"led state=:options:\", \"result\": "
        "false, \"options\": [\"True\", \"False\"]},\n {\"type\": \"status\", \"callback\": "
        "\"status \", \"wtype\": \"auto\"},");
}

/* A pipe's done callback starts another pipe (as a module sending a command may): the fixed
 * pool serves EXEC_PIPE_SLOTS nested pipes, the next is refused with "Busy", and the slots are
 * free again afterwards. */
static struct {
    int depth, ran, busy;
} P;

static void nest_done(void *arg, struct str cmd, const struct exec_result *res)
{
    (void)arg;
    (void)cmd;
    if (res->text && strncmp(res->text, "Busy", 4) == 0) {
        P.busy++;
        assert_false(res->ok);
        return;
    }
    P.ran++;
    if (++P.depth <= EXEC_PIPE_SLOTS)
        exec_pipe(&F.node, str_c("hello greet"), EXEC_CRON, nest_done, NULL);
}

static void exec_pipe_should_take_its_memory_from_a_fixed_pool(void **state)
{
    (void)state;
    memset(&P, 0, sizeof P);
    exec_pipe(&F.node, str_c("hello greet"), EXEC_CRON, nest_done, NULL);
    assert_int_equal(P.ran, EXEC_PIPE_SLOTS);
    assert_int_equal(P.busy, 1);
    /* every slot was given back: as many nested pipes run again */
    memset(&P, 0, sizeof P);
    exec_pipe(&F.node, str_c("hello greet; hello count"), EXEC_CRON, nest_done, NULL);
    assert_int_equal(P.busy, 1);
    assert_true(P.ran >= EXEC_PIPE_SLOTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greet_should_use_its_default_and_keyword),
        cmocka_unit_test(count_should_keep_state_and_check_its_range),
        cmocka_unit_test(led_should_drive_the_builtin_pin),
        cmocka_unit_test(countdown_should_run_over_time_as_a_task),
        cmocka_unit_test(help_should_list_functions_and_widgets),
        cmocka_unit_test(exec_pipe_should_take_its_memory_from_a_fixed_pool),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
