/* lua_bench.c - in-process cost of a Lua Load Module call against a C one, and the memory of
 * each example module (docs/examples), on the real command path (exec_run) with simulated pins.
 *   lua_bench [iterations] [examples_dir]
 * Prints a Markdown table for docs/benchmarks.md. */
#include "core/ev.h"
#include "hal/hal_fs.h"
#include "hal/hal_gpio.h"
#include "hal/hal_sim.h"
#include "svc/cfg.h"
#include "svc/exec.h"
#include "svc/luamod.h"
#include "svc/pinmap.h"
#include "svc/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fn_ping(struct lm_ctx *ctx)
{
    return lm_ret_bool(ctx, true);
}

static int fn_add(struct lm_ctx *ctx)
{
    return lm_ret_int(ctx, lm_int(ctx, "a") + lm_int(ctx, "b"));
}

static const struct lm_func s_funcs[] = {
    {.name = "ping", .fn = fn_ping},
    {.name = "add",
     .fn = fn_add,
     .params = LM_PARAMS({"a", LM_INT, NULL, NULL}, {"b", LM_INT, NULL, NULL})},
    {.name = NULL},
};
static const struct lm_module s_cbench = {"cbench", s_funcs, NULL};
static const struct lm_module *const s_mods[] = {&s_cbench, NULL};

static const char s_lua[] = "local M = {}\n"
                            "function M.ping() return true end\n"
                            "function M.add(a, b) return a + b end\n"
                            "function M.spin() while true do end end\n"
                            "M.__decl = {add = {params = {{'a', 'int'}, {'b', 'int'}}}}\n"
                            "return M\n";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct arena s_arena;
static char s_mem[CMD_ARENA_SIZE];

static const char *run(struct node *node, const char *line, struct buf *out)
{
    struct exec_result res;
    arena_reset(&s_arena);
    exec_run(node, str_c(line), EXEC_SHELL, &s_arena, &res);
    buf_clear(out);
    exec_render_text(&res, out);
    return buf_cstr(out);
}

static double per_call(struct node *node, const char *line, long n, struct buf *out)
{
    run(node, line, out); /* warm */
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        run(node, line, out);
    return (now_ns() - t0) / (double)n;
}

static void copy_example(const char *root, const char *dir, const char *name)
{
    char src[512], dst[512];
    static char text[LUAMOD_FILE_MAX];
    snprintf(src, sizeof src, "%s/LM_%s.lua", dir, name);
    snprintf(dst, sizeof dst, "%s/modules/LM_%s.lua", root, name);
    long n = hal_fs_read(src, text, sizeof text);
    if (n < 0 || hal_fs_write_atomic(dst, text, (size_t)n) < 0) {
        fprintf(stderr, "cannot copy %s\n", src);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    const char *examples = argc > 2 ? argv[2] : "docs/examples";
    char root[64] = "/tmp/lua_bench.XXXXXX";
    static struct ev_loop loop;
    static struct cfg cfg;
    static struct tasks tasks;
    static struct node node;
    bool loaded[2] = {false, false};
    if (!mkdtemp(root) || ev_init(&loop, 16, 64) < 0 || cfg_init(&cfg, root) < 0)
        return 1;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/modules", root);
    hal_fs_mkdir(dir);
    snprintf(dir, sizeof dir, "%s/modules/LM_luab.lua", root);
    hal_fs_write_atomic(dir, s_lua, sizeof s_lua - 1);
    node = (struct node){
        .loop = &loop, .cfg = &cfg, .data_dir = root, .modules = s_mods, .is_loaded = loaded};
    task_init(&tasks, &node, 5, false);
    node.tasks = &tasks;
    struct luamods *set = luamods_new(&node);
    hal_sim_reset();
    hal_gpio_init(&loop, "sim");
    pinmap_init("auto", "neop:13;switch_1:16;servo_1:17",
                "esp32"); /* esp32 shares pins between them */
    arena_init(&s_arena, s_mem, sizeof s_mem);
    struct buf out;
    buf_init(&out, 65536);

    printf("| in-process call (exec_run, %ld calls) | C module | Lua module | Lua / C |\n", n);
    printf("|---|---|---|---|\n");
    const char *pairs[][2] = {{"cbench ping", "luab ping"},
                              {"cbench add 1 2", "luab add 1 2"},
                              {"cbench add a=1 b=2 >json", "luab add a=1 b=2 >json"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        double c = per_call(&node, pairs[i][0], n, &out);
        double l = per_call(&node, pairs[i][1], n, &out);
        printf("| `%s` | %.2f µs | %.2f µs | %.2f× |\n", pairs[i][1] + 5, c / 1000, l / 1000,
               l / c);
    }

    double t0 = now_ns();
    const char *spun = run(&node, "luab spin", &out);
    double spin_ms = (now_ns() - t0) / 1e6;
    if (!strstr(spun, "stopped after")) {
        fprintf(stderr, "spin: %s\n", spun);
        return 1;
    }
    printf("\n| runaway loop `while true do end`, lua_budget %lld instructions | stopped after |\n"
           "|---|---|\n| in-process, no syslog | %.1f ms |\n",
           (long long)cfg_get_int(&cfg, CFG_K_lua_budget), spin_ms);

    const char *ex[][2] = {{"neoeffects", "neoeffects load 24"},
                           {"rgbcct", "rgbcct color 10 20 30"},
                           {"thermostat", "thermostat control"},
                           {"pet_feeder", "pet_feeder portions"}};
    printf("\n| example module (after one call) | memory now | peak | cap |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        copy_example(root, examples, ex[i][0]);
        const char *r = run(&node, ex[i][1], &out);
        if (strncmp(r, "Core error", 10) == 0) {
            fprintf(stderr, "%s: %s\n", ex[i][1], r);
            return 1;
        }
        struct luamod_stats st;
        luamods_stats(set, ex[i][0], &st);
        printf("| %s | %.1f KB | %.1f KB | %zu KB |\n", ex[i][0], st.mem_used / 1024.0,
               st.mem_peak / 1024.0, st.mem_cap / 1024);
    }
    buf_free(&out);
    luamods_free(set);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : 1;
}
