/* test_luamod.c - the Lua binding (svc/luamod*.c, svc/luaval.c) through the real command
 * path: calls and replies, declarations, registry iteration, tasks with sleep_ms on a fake
 * clock, the budget and the memory cap, reload, and the value conversion on its own. */
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
#include "svc/cfg.h"
#include "svc/exec.h"
#include "svc/luamod.h"
#include "svc/pinmap.h"
#include "svc/render.h"
#include "svc/task.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lm_module *const s_mods[] = {NULL};

static struct {
    char root[64];
    uint64_t now;
    struct ev_loop loop;
    struct cfg cfg;
    struct node node;
    struct tasks tasks;
    struct luamods *set;
    bool loaded[1];
    struct arena arena;
    char mem[CMD_ARENA_SIZE];
    struct buf out;
} F;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return F.now;
}

static const char *run(const char *line)
{
    struct exec_result res;
    memset(&res, 0, sizeof res);
    F.loop.stats.io_dispatch++; /* each command arrives in its own event-loop callback */
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

static void write_module(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/modules/LM_%s.lua", F.root, name);
    assert_int_equal(hal_fs_write_atomic(path, text, strlen(text)), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(F.root, sizeof F.root, "/tmp/test_luamod.XXXXXX");
    if (!mkdtemp(F.root) || ev_init(&F.loop, 16, 64) < 0 || cfg_init(&F.cfg, F.root) < 0)
        return -1;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/modules", F.root);
    hal_fs_mkdir(dir);
    F.now = 1000;
    ev_set_clock(&F.loop, fake_clock, NULL);
    F.node = (struct node){.loop = &F.loop,
                           .cfg = &F.cfg,
                           .data_dir = F.root,
                           .modules = s_mods,
                           .is_loaded = F.loaded};
    if (task_init(&F.tasks, &F.node, 5, false) < 0)
        return -1;
    F.node.tasks = &F.tasks;
    F.set = luamods_new(&F.node);
    arena_init(&F.arena, F.mem, sizeof F.mem);
    buf_init(&F.out, 65536);
    hal_sim_reset();
    if (!F.set || hal_gpio_init(&F.loop, "sim") < 0)
        return -1;
    return pinmap_init("auto", "n/a", "esp32");
}

static int teardown(void **state)
{
    (void)state;
    task_deinit(&F.tasks);
    luamods_free(F.set);
    hal_gpio_deinit();
    cfg_deinit(&F.cfg);
    ev_deinit(&F.loop);
    buf_free(&F.out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.root);
    return system(cmd) == 0 ? 0 : -1;
}

static void calls_should_bind_parameters_from_the_function(void **state)
{
    (void)state;
    write_module("m", "local M = {}\n"
                      "function M.hello(name) return 'hi ' .. name end\n"
                      "function M.pair(a, b) return a, b end\n"
                      "function M.dict() return {z = 1, a = {1, 2}, [3] = 'x'} end\n"
                      "function M._private() end\n"
                      "return M\n");
    assert_string_equal(run("m hello x"), "hi x");
    assert_string_equal(run("m hello name=y"), "hi y");
    assert_string_equal(run("m pair 1 2.5 >json"), "[1, 2.5]");
    assert_string_equal(run("m dict >json"), "{\"3\": \"x\", \"a\": [1, 2], \"z\": 1}");
    assert_string_equal(run("m _private"),
                        "Core error: LM_m->_private: module 'LM_m' has no attribute '_private'");
    assert_string_equal(run("m help"), " hello name,\n pair a b,\n dict,");
    assert_string_equal(run("nothere f"),
                        "Core error: LM_nothere->f: No module named 'LM_nothere'");
}

static void declarations_should_give_types_widgets_and_measures(void **state)
{
    (void)state;
    write_module("d", "local M = {}\n"
                      "function M.level(n, mode) return n end\n"
                      "function M.measure() return {temp = 20.5} end\n"
                      "M.__decl = {level = {params = {{'n', 'int', 5, '0-100-5'},\n"
                      "                     {name = 'mode', opt = true}}, sudo = false},\n"
                      "            measure = {measures = {{'temp', 'C', 'temperature'}}}}\n"
                      "M.__help = {'SLIDER level n=<0-100-5>', 'TEXTBOX measure'}\n"
                      "return M\n");
    assert_string_equal(run("d level"), "5");
    assert_string_equal(run("d level 'a'"),
                        "Core error: LM_d->level: level() argument 'n' must be int, not str");
    assert_string_equal(run("d help True"),
                        " {\"type\": \"slider\", \"callback\": \"level n=:range: mode=None\", "
                        "\"range\": [0, 100, 5]},\n {\"type\": \"textbox\", \"callback\": "
                        "\"measure \", \"refresh\": 10000},");
    const struct lm_module *m = lm_find(&F.node, str_c("d"));
    assert_non_null(m);
    const struct lm_func *f = lm_func_find(m, str_c("measure"));
    assert_non_null(f);
    assert_non_null(f->measures);
    assert_string_equal(f->measures[0].key, "temp");
    assert_string_equal(f->measures[0].unit, "C");
    assert_string_equal(f->measures[0].device_class, "temperature");
    assert_null(f->measures[1].key);
    /* the registry iterator sees the Lua modules after the built-in ones */
    size_t n = lm_count(&F.node);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        seen |= strcmp(lm_at(&F.node, i)->name, "d") == 0;
    assert_true(seen);
}

static void bad_declarations_should_fail_with_a_clear_error(void **state)
{
    (void)state;
    write_module("bad", "local M = {}\nfunction M.f(a) end\n"
                        "M.__decl = {f = {params = {{'b', 'int'}}}}\nreturn M\n");
    assert_string_equal(run("bad f 1"),
                        "Core error: LM_bad->f: __decl.f: f() has no parameter 'b'");
    write_module("bad", "local M = {}\nfunction M.f(a) end\nM.__help = {'SLIDER g x'}\nreturn M\n");
    assert_string_equal(
        run("bad f 1"),
        "Core error: LM_bad->f: __help: 'SLIDER g x': the module has no function g");
    write_module("bad", "return 42\n");
    assert_string_equal(run("bad f"), "Core error: LM_bad->f: LM_bad.lua must return a table of "
                                      "functions (return M)");
}

static void a_task_should_wait_with_sleep_ms_on_the_loop(void **state)
{
    (void)state;
    write_module("t", "local M = {}\n"
                      "function M.blink(pin, n, ms)\n"
                      "  micros.pin_out(pin)\n"
                      "  for i = 1, n do micros.write(pin, i % 2); micros.sleep_ms(ms) end\n"
                      "  return 'done'\n"
                      "end\n"
                      "return M\n");
    assert_string_equal(run("t blink 4 3 100 &"), "{'t.blink': 'Starting'}");
    struct hal_sim_pin p;
    advance(CMD_TASK_MIN_MS); /* a task sleeps one period before it starts */
    assert_int_equal(hal_sim_pin_get(4, &p), 0);
    assert_int_equal(p.level, 1);
    advance(99);
    assert_int_equal(hal_sim_pin_get(4, &p), 0);
    assert_int_equal(p.level, 1);
    advance(1); /* exactly 100 ms later */
    assert_int_equal(hal_sim_pin_get(4, &p), 0);
    assert_int_equal(p.level, 0);
    advance(200);
    assert_string_equal(run("task show t.blink"), "done");
    assert_string_equal(run("t blink 4 1 10"),
                        "Core error: LM_t->blink: LM_t.lua:4: sleep_ms() waits only inside a task: "
                        "call the function with & or && (it would block the node otherwise)");
}

static void limits_should_stop_runaway_loops_and_memory_bombs(void **state)
{
    (void)state;
    cfg_put_int(&F.cfg, CFG_K_lua_budget, 100000);
    cfg_put_int(&F.cfg, CFG_K_lua_mem_kb, 64);
    write_module("l", "local M = {}\n"
                      "function M.spin()\n  while true do end\nend\n"
                      "function M.bomb() local t = {} for i = 1, 1e9 do t[i] = i end end\n"
                      "function M.ok() return 1 end\n"
                      "return M\n");
    assert_string_equal(run("l spin"), "Core error: LM_l->spin: LM_l.lua:3: stopped after 100000 "
                                       "instructions (lua_budget): a runaway loop?");
    assert_string_equal(run("l bomb"),
                        "Core error: LM_l->bomb: memory limit exceeded (64 KB, lua_mem_kb)");
    assert_string_equal(run("l ok"), "1");
    struct luamod_stats st;
    assert_int_equal(luamods_stats(F.set, "l", &st), 0);
    assert_true(st.mem_peak <= 64 * 1024);
    assert_true(st.mem_used < st.mem_peak);
    cfg_put_int(&F.cfg, CFG_K_lua_budget, 10000000);
    cfg_put_int(&F.cfg, CFG_K_lua_mem_kb, 256);
}

static void an_edit_should_reload_and_a_delete_should_drop(void **state)
{
    (void)state;
    write_module("r", "return {v = function() return 1 end}\n");
    assert_string_equal(run("r v"), "1");
    write_module("r", "return {v = function() return 2 end}\n");
    assert_string_equal(run("r v"), "2");
    char path[256];
    snprintf(path, sizeof path, "%s/modules/LM_r.lua", F.root);
    assert_int_equal(hal_fs_remove(path), 0);
    assert_string_equal(run("r v"), "Core error: LM_r->v: No module named 'LM_r'");
}

static void reserved_names_should_be_refused_with_the_reason(void **state)
{
    (void)state;
    char why[256];
    /* hello and version (the bare word stays the shell's), exit and config (built-ins only as
     * a bare word), dump (conf mode only) may name a module */
    static const char *const ok[] = {"hello", "version", "exit", "config", "dump"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(luamods_name_check(&F.node, str_c(ok[i]), why, sizeof why), 0);
    static const char *const bad[] = {"task", "modules", "help", "reboot", "webrepl"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(luamods_name_check(&F.node, str_c(bad[i]), why, sizeof why), ERR_INVAL);
    assert_non_null(strstr(why, "LM_webrepl.lua ignored: 'webrepl' is the shell's webrepl"));
    /* a scan lists the refused file with its reason; the allowed one is a module */
    write_module("task", "return {v = function() return 1 end}\n");
    write_module("version", "return {now = function() return 'v' end}\n");
    size_t n = lm_count(&F.node);
    const char *name = NULL;
    const char *reason = NULL;
    for (size_t i = 0; (reason = luamods_refusal(F.set, i, &name)) != NULL; i++)
        if (!strcmp(name, "task"))
            break;
    assert_non_null(reason);
    assert_non_null(strstr(reason, "LM_task.lua ignored: 'task' is the executor's task command"));
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(lm_at(&F.node, i)->name, "version");
    assert_true(found);
    assert_string_equal(run("version now"), "v");
    assert_null(strstr(run("modules all"), "'task'"));
    char path[256];
    snprintf(path, sizeof path, "%s/modules/LM_task.lua", F.root);
    hal_fs_remove(path);
    snprintf(path, sizeof path, "%s/modules/LM_version.lua", F.root);
    hal_fs_remove(path);
}

static void values_should_convert_both_ways(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    char err[128];
    /* a table holding itself is refused, not followed forever */
    luaL_dostring(L, "local t = {} t.self = t return t");
    assert_null(luaval_to_val(L, -1, &F.arena, err, sizeof err));
    assert_non_null(strstr(err, "nested deeper than 16"));
    lua_settop(L, 0);
    luaL_dostring(L, "return {1, 2, {a = true, b = 1.5}, 'x'}");
    arena_reset(&F.arena);
    struct val *v = luaval_to_val(L, -1, &F.arena, err, sizeof err);
    assert_non_null(v);
    buf_clear(&F.out);
    render_json(&F.out, v);
    assert_string_equal(buf_cstr(&F.out), "[1, 2, {\"a\": true, \"b\": 1.5}, \"x\"]");
    luaval_push(L, v);
    lua_setglobal(L, "back");
    luaL_dostring(L, "return back[3].b + back[2]");
    assert_int_equal((int)(lua_tonumber(L, -1) * 10), 35);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calls_should_bind_parameters_from_the_function),
        cmocka_unit_test(declarations_should_give_types_widgets_and_measures),
        cmocka_unit_test(bad_declarations_should_fail_with_a_clear_error),
        cmocka_unit_test(a_task_should_wait_with_sleep_ms_on_the_loop),
        cmocka_unit_test(limits_should_stop_runaway_loops_and_memory_bombs),
        cmocka_unit_test(an_edit_should_reload_and_a_delete_should_drop),
        cmocka_unit_test(reserved_names_should_be_refused_with_the_reason),
        cmocka_unit_test(values_should_convert_both_ways),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
