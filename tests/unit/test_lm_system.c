/* test_lm_system.c - the `system` and `robustness` Load Modules (COMPAT §8, §10.3) on a fake
 * clock and config, with the real Linux hal_sys and hal_fs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../modules/lm_system.c"

#include "config.h"
#include "core/err.h"
#include "svc/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

extern const struct lm_module lm_robustness;

/* --- fakes: wall clock, config (svc/cfg.c and port/posix/hal_time.c are not linked) --- */

static int64_t s_wall;        /* UTC seconds hal_wall_s returns */
static int64_t s_set_to = -1; /* last hal_wall_set argument */
static int s_set_rc;          /* what hal_wall_set returns */
static int64_t s_utc_min;     /* the utc config key */

static const char *s_geoloc = "n/a"; /* the geoloc config key */
static uint64_t s_mono = 1000000;

int64_t hal_wall_s(void)
{
    return s_wall;
}
int64_t hal_wall_ms(void)
{
    return s_wall * 1000;
}
int hal_wall_set(int64_t epoch_s)
{
    if (s_set_rc == 0) {
        s_set_to = epoch_s;
        s_wall = epoch_s;
    }
    return s_set_rc;
}
bool hal_wall_synced(void)
{
    return true;
}
uint64_t hal_mono_ms(void)
{
    return s_mono;
}
uint64_t hal_mono_us(void)
{
    return s_mono * 1000;
}
int64_t cfg_get_int(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    return key == CFG_K_utc ? s_utc_min : 0;
}
bool cfg_get_bool(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    (void)key;
    return false;
}
const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    if (key == CFG_K_geoloc)
        return s_geoloc;
    return key == CFG_K_appwd ? "ADmin123" : "n/a";
}

/* --- a node with a temporary data folder, and its pushed lines --- */

static char s_pushed[64][256];
static size_t s_npushed;
static void push(struct node *node, const char *text)
{
    (void)node;
    if (s_npushed < 64)
        snprintf(s_pushed[s_npushed++], sizeof s_pushed[0], "%s", text);
}

struct fixture {
    char root[64];
    struct node node;
    struct arena arena;
    char mem[CMD_ARENA_SIZE];
    struct lm_ctx ctx;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/test_lm_system.XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    char logs[128];
    snprintf(logs, sizeof logs, "%s/logs", f->root);
    if (hal_fs_mkdir(logs) != 0) {
        free(f);
        return -1;
    }
    f->node.data_dir = f->root;
    f->node.cfg = (struct cfg *)(void *)f; /* only passed to the fake getters */
    f->node.push = push;
    f->node.boot_ms = s_mono - (2 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000ull;
    arena_init(&f->arena, f->mem, sizeof f->mem);
    s_wall = 0;
    s_set_to = -1;
    s_set_rc = 0;
    s_utc_min = 0;
    s_geoloc = "n/a";
    s_npushed = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Calls mod's fn with the arguments of line (as the shell would parse them); returns the
 * handler's result and leaves the context in f->ctx. */
static struct val *call(struct fixture *f, const struct lm_module *mod, const char *fn,
                        const char *line)
{
    struct cmd_arg args[LM_MAX_PARAMS];
    size_t nargs = 0;
    char err[128], full[256];
    struct cmd c;
    arena_reset(&f->arena);
    memset(&f->ctx, 0, sizeof f->ctx);
    f->ctx.node = &f->node;
    f->ctx.mod = mod;
    f->ctx.arena = &f->arena;
    f->ctx.fn = lm_func_find(mod, str_c(fn));
    assert_non_null(f->ctx.fn);
    if (line && *line) {
        snprintf(full, sizeof full, "%s %s %s", mod->name, fn, line);
        assert_int_equal(cmd_parse(str_c(full), &c), 0);
        int n = cmd_parse_args(&c, &f->arena, args, LM_MAX_PARAMS, err, sizeof err);
        assert_true(n >= 0);
        nargs = (size_t)n;
    }
    if (lm_bind(&f->ctx, args, nargs) == 0)
        f->ctx.fn->fn(&f->ctx);
    return f->ctx.result;
}

static void assert_tuple_ints(const struct val *t, const int64_t *want, size_t n)
{
    assert_non_null(t);
    assert_int_equal(t->type, VAL_TUPLE);
    assert_int_equal(t->u.c.n, n);
    const struct val *v = t->u.c.head;
    for (size_t i = 0; i < n; i++, v = v->next) {
        assert_int_equal(v->type, VAL_INT);
        assert_int_equal(v->u.i, want[i]);
    }
}

/* --- calendar --- */

static void calendar_should_match_gmtime_over_centuries(void **state)
{
    (void)state;
    /* From 1901 to 2200, every 7919 minutes plus the day boundaries of leap years. */
    for (int64_t s = -2177452800LL; s < 7258118400LL; s += 7919 * 60) {
        time_t tt = (time_t)s;
        struct tm *g = gmtime(&tt);
        struct clock_tm c;
        clock_tm_from_epoch(s, &c);
        assert_int_equal(c.year, g->tm_year + 1900);
        assert_int_equal(c.month, g->tm_mon + 1);
        assert_int_equal(c.mday, g->tm_mday);
        assert_int_equal(c.hour, g->tm_hour);
        assert_int_equal(c.minute, g->tm_min);
        assert_int_equal(c.sec, g->tm_sec);
        assert_int_equal(c.wday, (g->tm_wday + 6) % 7);
        assert_int_equal(c.yday, g->tm_yday + 1);
        assert_int_equal(clock_days_from_civil(c.year, c.month, c.mday) * 86400 + c.hour * 3600 +
                             c.minute * 60 + c.sec,
                         s);
    }
}

/* --- clock, setclock, ntp --- */

static void clock_should_print_local_time_unpadded_with_weekday_and_yearday(void **state)
{
    struct fixture *f = *state;
    s_wall = 1704441789; /* 2024-01-05 08:03:09 UTC, a Friday */
    struct val *v = call(f, &lm_system, "clock", NULL);
    assert_non_null(v);
    assert_string_equal(v->u.s.p, "2024.1.5  8:3:9\nWD: 4 YD: 5");
}

static void clock_should_add_the_utc_offset_in_minutes(void **state)
{
    struct fixture *f = *state;
    s_wall = 1704063600; /* 2023-12-31 23:00:00 UTC */
    s_utc_min = 90;
    struct val *v = call(f, &lm_system, "clock", NULL);
    assert_string_equal(v->u.s.p, "2024.1.1  0:30:0\nWD: 0 YD: 1");
    s_utc_min = -300;
    v = call(f, &lm_system, "clock", NULL);
    assert_string_equal(v->u.s.p, "2023.12.31  18:0:0\nWD: 6 YD: 365");
}

static void clock_should_follow_the_tz_rule_of_the_node_clock(void **state)
{
    struct fixture *f = *state;
    static struct sched sched;
    char err[64];
    clock_init(&sched.clock);
    assert_int_equal(clock_set_tz(&sched.clock, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err), 0);
    f->node.sched = &sched;
    s_wall = 1751364000; /* 2025-07-01 10:00:00 UTC: CEST */
    struct val *v = call(f, &lm_system, "clock", NULL);
    assert_string_equal(v->u.s.p, "2025.7.1  12:0:0\nWD: 1 YD: 182");
    s_wall = 1735725600; /* 2025-01-01 10:00:00 UTC: CET */
    v = call(f, &lm_system, "clock", NULL);
    assert_string_equal(v->u.s.p, "2025.1.1  11:0:0\nWD: 2 YD: 1");
    f->node.sched = NULL;
}

static void sun_should_answer_local_times_in_micros_format(void **state)
{
    struct fixture *f = *state;
    call(f, &lm_system, "sun", NULL);
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "geoloc"));
    s_geoloc = "47.4979,19.0402";
    s_utc_min = 120;
    s_wall = 1718935200; /* 2024-06-21 02:00:00 UTC; sunrise 02:46:36Z, sunset 18:44:52Z */
    struct val *v = call(f, &lm_system, "sun", "refresh=False");
    assert_false(f->ctx.is_error);
    struct val *rise = val_dict_get(v, "sunrise"), *set = val_dict_get(v, "sunset");
    assert_int_equal(rise->type, VAL_TUPLE);
    assert_int_equal(rise->u.c.head->u.i, 4);
    assert_int_equal(rise->u.c.head->next->u.i, 46);
    assert_true(llabs(rise->u.c.head->next->next->u.i - 36) <= 2);
    assert_int_equal(set->u.c.head->u.i, 20);
    assert_int_equal(set->u.c.head->next->u.i, 44);
    s_geoloc = "69.6492,18.9553"; /* Tromsø at midsummer */
    v = call(f, &lm_system, "sun", NULL);
    assert_string_equal(val_dict_get(v, "sunrise")->u.s.p, "always up");
    assert_string_equal(val_dict_get(v, "sunset")->u.s.p, "always up");
}

static void setclock_should_set_utc_from_local_time_and_return_localtime(void **state)
{
    struct fixture *f = *state;
    s_utc_min = 60;
    struct val *v = call(f, &lm_system, "setclock", "2024 2 29 12 0 0 pwd=ADmin123");
    assert_false(f->ctx.is_error);
    assert_int_equal(s_set_to, 1709204400); /* 2024-02-29 11:00:00 UTC */
    const int64_t want[] = {2024, 2, 29, 12, 0, 0, 3, 60};
    assert_tuple_ints(v, want, 8);
}

static void setclock_should_refuse_clearly_when_not_permitted(void **state)
{
    struct fixture *f = *state;
    s_set_rc = ERR_PERM;
    call(f, &lm_system, "setclock", "2024 1 1 0 0 0 pwd=ADmin123");
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "not permitted"));
    assert_non_null(strstr(f->ctx.err, "CAP_SYS_TIME"));
}

static void setclock_should_reject_a_day_the_month_does_not_have(void **state)
{
    struct fixture *f = *state;
    call(f, &lm_system, "setclock", "2023 2 29 0 0 0 pwd=ADmin123");
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "mday"));
    assert_int_equal(s_set_to, -1);
    call(f, &lm_system, "setclock", "2024 1 1 24 0 0 pwd=ADmin123");
    assert_true(f->ctx.is_error);
}

static void setclock_should_require_six_arguments(void **state)
{
    struct fixture *f = *state;
    call(f, &lm_system, "setclock", "2024 1 1 pwd=ADmin123");
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "missing 3 required positional arguments"));
}

static void ntp_should_return_sync_state_and_localtime(void **state)
{
    struct fixture *f = *state;
    s_wall = 1704441789;
    struct val *v = call(f, &lm_system, "ntp", NULL);
    assert_int_equal(v->type, VAL_TUPLE);
    assert_int_equal(v->u.c.head->type, VAL_BOOL);
    assert_true(v->u.c.head->u.b);
    const int64_t want[] = {2024, 1, 5, 8, 3, 9, 4, 5};
    assert_tuple_ints(v->u.c.head->next, want, 8);
}

/* --- measurements --- */

static void memory_usage_should_report_rss_and_a_one_decimal_percent(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_system, "memory_usage", NULL);
    struct val *pct = val_dict_get(v, "percent"), *used = val_dict_get(v, "mem_used");
    assert_int_equal(pct->type, VAL_FLOAT);
    assert_true(pct->u.f >= 0 && pct->u.f <= 100); /* RSS / machine RAM: may round to 0.0 */
    assert_true(fabs(pct->u.f * 10 - round(pct->u.f * 10)) < 1e-9);
    assert_int_equal(used->type, VAL_INT);
    assert_true(used->u.i > 100 * 1024); /* a process is bigger than 100 KB */
}

static void disk_usage_should_report_the_data_folder_file_system(void **state)
{
    struct fixture *f = *state;
    /* A file in the data folder, so that its file system has blocks in use even when it is an
     * empty tmpfs (a fresh /tmp in a chroot or container). */
    char path[300];
    static char block[64 * 1024];
    memset(block, 'x', sizeof block);
    snprintf(path, sizeof path, "%s/filler", f->root);
    assert_int_equal(hal_fs_write_atomic(path, block, sizeof block), 0);
    struct val *v = call(f, &lm_system, "disk_usage", NULL);
    assert_false(f->ctx.is_error);
    assert_true(val_dict_get(v, "percent")->u.f >= 0);
    assert_true(val_dict_get(v, "fs_used")->u.i > 0);
}

static void info_should_list_top_keys_first_then_machine_facts(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {"Mem usage [%]",   "FS usage [%]", "CPU load [%]",
                                       "CPU clock [MHz]", "upython",      "board",
                                       "uptime",          "mac"};
    struct val *v = call(f, &lm_system, "info", NULL);
    assert_int_equal(v->type, VAL_DICT);
    assert_int_equal(v->u.c.n, 8);
    size_t i = 0;
    for (const struct val *it = v->u.c.head; it; it = it->next, i++)
        assert_string_equal(it->key->u.s.p, keys[i]);
    assert_string_equal(val_dict_get(v, "uptime")->u.s.p, "2 3:4:5");
    assert_int_equal(val_dict_get(v, "CPU load [%]")->type, VAL_INT);
    assert_int_equal(val_dict_get(v, "CPU clock [MHz]")->type, VAL_INT);
}

static void rssi_and_list_stations_should_answer_without_wifi(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_system, "rssi", NULL);
    assert_int_equal(v->u.c.n, 1);
    int dbm;
    if (hal_sys_wifi_rssi(&dbm) < 0)
        assert_int_equal(val_dict_get(v, "Unavailable")->u.i, -90);
    v = call(f, &lm_system, "list_stations", NULL);
    assert_int_equal(v->type, VAL_LIST);
    assert_int_equal(v->u.c.head->type, VAL_TUPLE);
    assert_string_equal(v->u.c.head->u.c.head->u.s.p, "NoAP");
    assert_string_equal(v->u.c.head->u.c.head->next->u.s.p, "");
}

static void ifconfig_should_give_mode_and_four_addresses(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_system, "ifconfig", NULL);
    assert_int_equal(v->type, VAL_TUPLE);
    assert_int_equal(v->u.c.n, 2);
    const char *mode = v->u.c.head->u.s.p;
    assert_true(strcmp(mode, "STA") == 0 || strcmp(mode, "n/a") == 0);
    assert_int_equal(v->u.c.head->next->type, VAL_TUPLE);
    assert_int_equal(v->u.c.head->next->u.c.n, 4);
}

/* --- alarms --- */

static void write_file(struct fixture *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/logs/%s", f->root, name);
    assert_int_equal(hal_fs_write_atomic(path, text, strlen(text)), 0);
}

static void alarms_should_stream_every_syslog_and_count_err_lines(void **state)
{
    struct fixture *f = *state;
    write_file(f, "err.sys.log", "2024.1.5-8:3:9 [ERR] one\n2024.1.5-8:3:10 [ERR] two\n");
    write_file(f, "boot.sys.log", "2024.1.5-8:0:0 [BOOT] info: PowerOn\n");
    write_file(f, "other.txt", "[ERR] not a log\n");
    struct val *v = call(f, &lm_system, "alarms", NULL);
    assert_int_equal(val_dict_get(v, "NOK alarm")->u.i, 2);
    assert_int_equal(s_npushed, 5);
    assert_string_equal(s_pushed[0], "/logs/boot.sys.log");
    assert_string_equal(s_pushed[1], "\t2024.1.5-8:0:0 [BOOT] info: PowerOn");
    assert_string_equal(s_pushed[2], "/logs/err.sys.log");
    assert_string_equal(s_pushed[3], "\t2024.1.5-8:3:9 [ERR] one");
    assert_string_equal(s_pushed[4], "\t2024.1.5-8:3:10 [ERR] two");
}

static void alarms_clean_should_delete_the_logs_and_report_ok(void **state)
{
    struct fixture *f = *state;
    write_file(f, "err.sys.log", "2024.1.5-8:3:9 [ERR] one\n");
    struct val *v = call(f, &lm_system, "alarms", "True pwd=ADmin123");
    assert_string_equal(s_pushed[0], " Delete: /logs/err.sys.log");
    assert_int_equal(s_npushed, 1);
    assert_int_equal(val_dict_get(v, "OK alarm")->u.i, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/logs/err.sys.log", f->root);
    assert_false(hal_fs_exists(path));
}

/* --- the table --- */

static void system_should_declare_functions_in_micros_help_order(void **state)
{
    (void)state;
    static const char *const order[] = {
        "info",   "top",     "gclean",        "heartbeat",    "clock",      "setclock",
        "ntp",    "rssi",    "list_stations", "pinmap",       "alarms",     "notifications",
        "notify", "sun",     "ifconfig",      "memory_usage", "disk_usage", "hosts",
        "mdns",   "metrics", "update"};
    size_t i = 0;
    for (const struct lm_func *fn = lm_system.funcs; fn->name; fn++, i++)
        assert_string_equal(fn->name, order[i]);
    assert_int_equal(i, sizeof order / sizeof order[0]);
    for (const struct lm_func *fn = lm_system.funcs; fn->name; fn++)
        if (strcmp(fn->name, "top") == 0)
            assert_non_null(fn->widget);
        else
            assert_null(fn->widget);
}

/* --- robustness --- */

static void raise_error_should_fail_with_test_exception(void **state)
{
    struct fixture *f = *state;
    call(f, &lm_robustness, "raise_error", NULL);
    assert_true(f->ctx.is_error);
    assert_true(strncmp(f->ctx.err, "Test exception", 14) == 0);
}

static void func_sudo_should_need_the_password(void **state)
{
    struct fixture *f = *state;
    call(f, &lm_robustness, "func_sudo", NULL);
    assert_true(f->ctx.is_error);
    assert_string_equal(f->ctx.err, "Access denied, wrong password (pwd)");
    struct val *v = call(f, &lm_robustness, "func_sudo", "pwd='ADmin123'");
    assert_false(f->ctx.is_error);
    assert_string_equal(v->u.s.p, "Access granted");
}

static void func_sudo_opt_should_need_the_password_only_with_force(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_robustness, "func_sudo_opt", NULL);
    assert_false(f->ctx.is_error);
    assert_string_equal(v->u.s.p, "Access granted, force flag: False");
    call(f, &lm_robustness, "func_sudo_opt", "force=True");
    assert_true(f->ctx.is_error);
    v = call(f, &lm_robustness, "func_sudo_opt", "force=True pwd='ADmin123'");
    assert_false(f->ctx.is_error);
    assert_string_equal(v->u.s.p, "Access granted, force flag: True");
}

static void recursion_limit_should_stop_at_its_cap(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_robustness, "recursion_limit", "3");
    assert_string_equal(v->u.s.p, "recalled 1\nrecalled 2\nrecalled 3\nRecursion limit: 3");
    v = call(f, &lm_robustness, "recursion_limit", "1000000000");
    assert_false(f->ctx.is_error);
    assert_non_null(strstr(v->u.s.p, "ok error: maximum recursion depth exceeded"));
    assert_non_null(strstr(v->u.s.p, "Recursion limit: 1001"));
}

static void memory_leak_should_report_or_fail_cleanly_when_the_arena_is_full(void **state)
{
    struct fixture *f = *state;
    struct val *v = call(f, &lm_robustness, "memory_leak", "10");
    assert_false(f->ctx.is_error);
    assert_non_null(strstr(v->u.s.p, "[0] gen: micrOS memory usage: "));
    assert_non_null(strstr(v->u.s.p, "[10] RAM Alloc.: "));
    v = call(f, &lm_robustness, "memory_leak", NULL); /* micrOS's default: 160 items */
    assert_false(f->ctx.is_error);
    assert_non_null(strstr(v->u.s.p, "[160] RAM Alloc.: "));
    call(f, &lm_robustness, "memory_leak", "10000");
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "memory allocation failed"));
    call(f, &lm_robustness, "memory_leak", "10001");
    assert_true(f->ctx.is_error);
    assert_non_null(strstr(f->ctx.err, "out of range"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calendar_should_match_gmtime_over_centuries),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(clock_should_print_local_time_unpadded_with_weekday_and_yearday),
        T(clock_should_add_the_utc_offset_in_minutes),
        T(clock_should_follow_the_tz_rule_of_the_node_clock),
        T(sun_should_answer_local_times_in_micros_format),
        T(setclock_should_set_utc_from_local_time_and_return_localtime),
        T(setclock_should_refuse_clearly_when_not_permitted),
        T(setclock_should_reject_a_day_the_month_does_not_have),
        T(setclock_should_require_six_arguments),
        T(ntp_should_return_sync_state_and_localtime),
        T(memory_usage_should_report_rss_and_a_one_decimal_percent),
        T(disk_usage_should_report_the_data_folder_file_system),
        T(info_should_list_top_keys_first_then_machine_facts),
        T(rssi_and_list_stations_should_answer_without_wifi),
        T(ifconfig_should_give_mode_and_four_addresses),
        T(alarms_should_stream_every_syslog_and_count_err_lines),
        T(alarms_clean_should_delete_the_logs_and_report_ok),
        T(system_should_declare_functions_in_micros_help_order),
        T(raise_error_should_fail_with_test_exception),
        T(func_sudo_should_need_the_password),
        T(func_sudo_opt_should_need_the_password_only_with_force),
        T(recursion_limit_should_stop_at_its_cap),
        T(memory_leak_should_report_or_fail_cleanly_when_the_arena_is_full),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
