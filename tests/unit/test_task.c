/* test_task.c - the task manager on a real event loop with a fake clock.
 *
 * exec_call and exec_render_text are faked here (svc/exec.c is not linked): the fake
 * "modules" below stand in for Load Module functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ev.h"
#include "svc/render.h"
#include "svc/task.h"

/* ---- fixture ---- */

static uint64_t s_now;
static struct ev_loop s_loop;
static struct node s_node;
static struct tasks s_tasks;
static char s_mem[CMD_ARENA_SIZE];
static struct arena s_arena;

#define MAX_CALLS 20050
static uint64_t s_calls[MAX_CALLS]; /* clock at each fake exec_call */
static size_t s_ncalls;
static uint32_t s_steps[MAX_CALLS];
static int s_fail_after = -1; /* "test failat": fail on this call number */

static uint64_t fake_clock(void *arg)
{
    return *(const uint64_t *)arg;
}

static int setup_limit(int aioqueue)
{
    s_now = 1000;
    s_ncalls = 0;
    s_fail_after = -1;
    if (ev_init(&s_loop, 16, 256) != 0)
        return -1;
    ev_set_clock(&s_loop, fake_clock, &s_now);
    ev_update_now(&s_loop);
    memset(&s_node, 0, sizeof(s_node));
    s_node.loop = &s_loop;
    s_node.tasks = &s_tasks;
    arena_init(&s_arena, s_mem, sizeof(s_mem));
    return task_init(&s_tasks, &s_node, aioqueue, false);
}

static int setup(void **state)
{
    (void)state;
    return setup_limit(5);
}

static int setup2(void **state)
{
    (void)state;
    return setup_limit(2);
}

static int teardown(void **state)
{
    (void)state;
    task_deinit(&s_tasks);
    ev_deinit(&s_loop);
    return 0;
}

/* Builds a cmd the way cmd_parse does for simple lines (words split on spaces, micrOS's
 * task postfix and >json rules), with views into the literal. */
static struct cmd mkcmd(const char *line)
{
    struct cmd c;
    memset(&c, 0, sizeof(c));
    const char *p = line;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        c.tok[c.ntok++] = (struct str){s, (size_t)(p - s)};
    }
    if (c.ntok > 2 && memchr(c.tok[c.ntok - 1].p, '&', c.tok[c.ntok - 1].len)) {
        struct str last = c.tok[--c.ntok];
        size_t amp = 0, i = 0;
        for (; i < last.len && last.p[i] == '&'; i++)
            amp++;
        uint32_t ms = CMD_TASK_DEFAULT_MS;
        if (i < last.len)
            ms = (uint32_t)strtoul(last.p + i, NULL, 10);
        c.is_task = true;
        c.is_loop = amp == 2;
        c.task_ms = ms < CMD_TASK_MIN_MS ? CMD_TASK_MIN_MS : ms;
    }
    if (c.ntok > 0 && str_eqc(c.tok[c.ntok - 1], ">json")) {
        c.ntok--;
        c.is_json = true;
    }
    return c;
}

/* Runs a task command or a spawn and returns its text output (NUL-terminated, static). */
static struct exec_result s_res;
static char s_text[16384];

static const char *run(const char *line)
{
    struct cmd c = mkcmd(line);
    arena_reset(&s_arena);
    if (c.is_task)
        task_spawn(&s_tasks, &c, str_c(line), &s_arena, &s_res);
    else
        task_command(&s_tasks, &c, &s_arena, &s_res);
    struct buf b;
    buf_init(&b, sizeof(s_text) - 1);
    exec_render_text(&s_res, &b);
    size_t n = b.len;
    memcpy(s_text, b.len ? b.p : "", n);
    s_text[n] = '\0';
    buf_free(&b);
    return s_text;
}

/* Moves the fake clock to target, firing every timer exactly at its due time plus late(). */
static unsigned (*s_late_fn)(uint64_t due);

static void advance_to(uint64_t target)
{
    for (;;) {
        if (s_loop.ntimers == 0 || s_loop.heap[0]->due_ms > target)
            break;
        uint64_t due = s_loop.heap[0]->due_ms;
        uint64_t at = due + (s_late_fn ? s_late_fn(due) : 0);
        if (at > s_now)
            s_now = at;
        ev_poll(&s_loop, 0);
    }
    if (target > s_now)
        s_now = target;
    ev_poll(&s_loop, 0);
}

static void advance(uint64_t ms)
{
    advance_to(s_now + ms);
}

/* ---- fakes of svc/exec.c ---- */

static void reply_str(struct exec_result *res, struct arena *a, const char *s)
{
    res->ok = true;
    res->value = val_str(a, s);
}

void exec_call(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res,
               void *state, size_t state_size, uint32_t step, bool *want_again, uint32_t *again_ms)
{
    memset(res, 0, sizeof(*res));
    res->is_json = c->is_json;
    /* The real exec_call takes NULL for both (one-shot calls); so does this fake. */
    if (want_again)
        *want_again = false;
    if (again_ms)
        *again_ms = 0;
    assert_true(state_size >= sizeof(uint32_t));
    size_t n = s_ncalls;
    if (n < MAX_CALLS) {
        s_calls[n] = ev_now(node->loop);
        s_steps[n] = step;
    }
    s_ncalls++;
    if (str_eqc(c->tok[0], "system") && str_eqc(c->tok[1], "heartbeat")) {
        reply_str(res, a, "<3 heartbeat <3");
    } else if (str_eqc(c->tok[1], "fail")) {
        res->ok = false;
        res->text = "Core error: LM_test->fail: boom";
    } else if (str_eqc(c->tok[1], "failat")) {
        if ((int)s_ncalls == s_fail_after) {
            res->ok = false;
            res->text = "Core error: LM_test->failat: third";
        } else {
            reply_str(res, a, "fine");
        }
    } else if (str_eqc(c->tok[1], "slow")) {
        /* Three steps 50 ms apart, counting in the task's state. */
        uint32_t *count = state;
        (*count)++;
        if (step < 2) {
            *want_again = true;
            *again_ms = 50;
            res->ok = true;
            res->value = val_none(a);
        } else {
            res->ok = true;
            res->value = val_strf(a, "done after %u calls", *count);
        }
    } else if (str_eqc(c->tok[1], "killself")) {
        if (step == 0) {
            *want_again = true;
            *again_ms = 30;
        } else {
            /* The task kills itself from inside its continuation, then asks for more. */
            struct cmd k = mkcmd("task kill test.killself");
            task_command(node->tasks, &k, a, res);
            assert_string_equal(res->text, "Kill: test.killself|True");
            *want_again = true;
            *again_ms = 30;
        }
        res->ok = true;
        if (!res->text)
            res->value = val_none(a);
    } else if (str_eqc(c->tok[1], "dict")) {
        res->ok = true;
        res->value = val_dict(a);
        val_dict_set(a, res->value, "Amazing", val_int(a, -50));
    } else {
        reply_str(res, a, "ok");
    }
}

int exec_render_text(const struct exec_result *res, struct buf *out)
{
    if (res->text)
        return buf_puts(out, res->text);
    if (!res->value)
        return buf_puts(out, "None");
    if (res->is_json)
        return render_json(out, res->value);
    return render_text(out, res->value, res->is_help);
}

/* ---- schedule ---- */

static void periodic_task_fires_at_exact_due_times_for_10000_runs(void **state)
{
    (void)state;
    assert_string_equal(run("test count &&20"), "{'test.count': 'Starting'}");
    uint64_t start = s_now;
    advance_to(start + 20u * 10000u);
    assert_int_equal(s_ncalls, 10000);
    for (size_t i = 0; i < 10000; i++)
        assert_int_equal(s_calls[i], start + 20u * (i + 1));
    struct task_stats st;
    assert_int_equal(task_stats_get(&s_tasks, "test.count", &st), 0);
    assert_int_equal(st.runs, 10000);
    assert_int_equal(st.late_max_ms, 0);
    assert_int_equal(st.skipped, 0);
    assert_int_equal(task_stats_percentile(&st, 99), 0);
    assert_int_equal(task_stats_get(&s_tasks, NULL, &st), 0);
    assert_int_equal(st.runs, 10000);
    assert_int_equal(task_stats_get(&s_tasks, "nope", &st), ERR_NOENT);
}

static void periodic_task_keeps_a_us_grid_and_measures_us_lateness(void **state)
{
    (void)state;
    /* The loop's clock in us, starting 250 us into a millisecond: the schedule stays on
     * start + k*20 ms to the us (no rounding to ms), and lateness is counted in us. */
    uint64_t now_us = 5000250;
    ev_set_clock_us(&s_loop, fake_clock, &now_us);
    assert_string_equal(run("test count &&20"), "{'test.count': 'Starting'}");
    const uint64_t start = now_us;
    const struct task *k = NULL;
    for (size_t j = 0; j < TASK_MAX; j++)
        if (s_tasks.slot[j].kind == TASK_LM && strcmp(s_tasks.slot[j].tag, "test.count") == 0)
            k = &s_tasks.slot[j];
    assert_non_null(k);
    for (uint64_t i = 1; i <= 100; i++) {
        assert_int_equal(k->due_us, start + 20000u * i);
        assert_int_equal(k->timer.due_us, start + 20000u * i);
        while (s_loop.heap[0]->due_us < k->due_us) { /* the idle meter */
            now_us = s_loop.heap[0]->due_us;
            ev_poll(&s_loop, 0);
        }
        now_us = start + 20000u * i + 150; /* every run 150 us late */
        ev_poll(&s_loop, 0);
        assert_int_equal(s_ncalls, i);
    }
    struct task_stats st;
    assert_int_equal(task_stats_get(&s_tasks, "test.count", &st), 0);
    assert_int_equal(st.runs, 100);
    assert_int_equal(st.skipped, 0);
    assert_int_equal(st.late_max_us, 150);
    assert_int_equal(st.late_sum_us, 15000);
    assert_int_equal(st.late_max_ms, 0);
    assert_int_equal(task_stats_percentile(&st, 99), 0);
    assert_int_equal(task_stats_percentile_us(&st, 99), 140); /* its 20 us bucket: 140..159 */
    ev_set_clock(&s_loop, fake_clock, &s_now);
}

static unsigned jitter(uint64_t due)
{
    if (due % 20 != 0)
        return 0;                           /* the idle timer's own deadlines */
    return (unsigned)((due / 20) * 7 % 15); /* 0..14 ms, always under the period */
}

static void late_runs_do_not_shift_the_schedule(void **state)
{
    (void)state;
    run("test count &&20");
    uint64_t start = s_now;
    s_late_fn = jitter;
    advance_to(start + 20u * 10000u);
    s_late_fn = NULL;
    assert_int_equal(s_ncalls, 10000);
    for (size_t i = 0; i < 10000; i++) {
        uint64_t due = start + 20u * (i + 1);
        assert_int_equal(s_calls[i], due + jitter(due));
    }
    struct task_stats st;
    task_stats_get(&s_tasks, "test.count", &st);
    assert_int_equal(st.late_max_ms, 14);
    assert_int_equal(st.skipped, 0);
    assert_true(task_stats_percentile(&st, 50) <= 7);
    assert_int_equal(task_stats_percentile(&st, 100), 14);
}

static void a_loop_more_than_a_period_late_skips_missed_runs(void **state)
{
    (void)state;
    run("test count &&20");
    uint64_t start = s_now;
    s_now = start + 70; /* due at +20, fires at +70: runs at +40 and +60 are gone */
    ev_poll(&s_loop, 0);
    assert_int_equal(s_ncalls, 1);
    advance_to(start + 100);
    assert_int_equal(s_ncalls, 3);
    assert_int_equal(s_calls[1], start + 80);
    assert_int_equal(s_calls[2], start + 100);
    struct task_stats st;
    task_stats_get(&s_tasks, "test.count", &st);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.late_max_ms, 50);
}

static void one_shot_runs_once_after_its_delay(void **state)
{
    (void)state;
    assert_string_equal(run("system heartbeat &500"), "{'system.heartbeat': 'Starting'}");
    assert_true(s_res.ok);
    uint64_t start = s_now;
    assert_string_equal(run("task show system.heartbeat"), ""); /* nothing ran yet */
    advance_to(start + 499);
    assert_int_equal(s_ncalls, 0);
    advance_to(start + 500);
    assert_int_equal(s_ncalls, 1);
    advance(5000);
    assert_int_equal(s_ncalls, 1);
    assert_string_equal(run("task show system.heartbeat"), "<3 heartbeat <3");
    assert_false(task_is_active(&s_tasks, STR_LIT("system.heartbeat")));
    assert_int_equal(task_queue_free(&s_tasks), 5);
}

static void delays_under_20_ms_become_20(void **state)
{
    (void)state;
    run("test count &&5");
    uint64_t start = s_now;
    advance_to(start + 100);
    assert_int_equal(s_ncalls, 5);
    assert_int_equal(s_calls[0], start + 20);
    run("test other &");
    advance(19);
    assert_int_equal(s_ncalls, 5 + 0);
    advance(1);
    assert_int_equal(s_ncalls, 7); /* test.count at +120 and test.other */
}

/* ---- replies ---- */

static void spawn_replies_follow_micros(void **state)
{
    (void)state;
    assert_string_equal(run("system clock &&1000"), "{'system.clock': 'Starting'}");
    assert_true(s_res.ok);
    assert_null(s_res.value);
    assert_string_equal(run("system clock &&1000"), "{'system.clock': 'Already running'}");
    assert_true(s_res.ok);
    /* >json (and REST, which sets is_json) gives a dict value rendered as JSON. */
    assert_string_equal(run("system heartbeat >json &"), "{\"system.heartbeat\": \"Starting\"}");
    assert_non_null(s_res.value);
    assert_int_equal(s_res.value->type, VAL_DICT);
    assert_string_equal(run("system heartbeat >json &"),
                        "{\"system.heartbeat\": \"Already running\"}");
}

static void queue_full_is_checked_before_already_running(void **state)
{
    (void)state;
    run("system clock &&1000");
    run("system heartbeat &&1000");
    assert_int_equal(task_queue_free(&s_tasks), 0);
    assert_string_equal(run("system top &&1000"), "{'system.top': '[aio] Task queue full: 2'}");
    assert_false(s_res.ok);
    assert_string_equal(run("system clock &&1000"), "{'system.clock': '[aio] Task queue full: 2'}");
    assert_false(s_res.ok);
    run("task kill system.clock");
    assert_string_equal(run("system top &&1000"), "{'system.top': 'Starting'}");
    assert_int_equal(s_tasks.count.queue_full, 2);
}

/* ---- task built-ins ---- */

static void fresh_task_list_is_byte_exact(void **state)
{
    (void)state;
    /* The shell adds one more "\n" before the prompt: "...server\n\n\nP". */
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 5 #load: 0%\n\n"
                        "#Active   #taskID\nYes       idle\nYes       server\n\n");
    assert_string_equal(run("task list >json"), "{\"active\": [\"idle\", \"server\"], "
                                                "\"inactive\": []}");
}

static void task_list_shows_active_then_inactive_rows(void **state)
{
    (void)state;
    run("system heartbeat &&1000");
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 4 #load: 0%\n\n#Active   #taskID\n"
                        "Yes       idle\nYes       server\nYes       system.heartbeat\n\n");
    run("a one &");
    run("b two &");
    advance(20);
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 4 #load: 0%\n\n#Active   #taskID\n"
                        "Yes       idle\nYes       server\nYes       system.heartbeat\n"
                        "No        a.one\nNo        b.two\n");
    assert_string_equal(run("task list >json"),
                        "{\"active\": [\"idle\", \"server\", \"system.heartbeat\"], "
                        "\"inactive\": [\"a.one\", \"b.two\"]}");
    assert_string_equal(run("task kill system.heartbeat"), "Kill: system.heartbeat|True");
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 5 #load: 0%\n\n#Active   #taskID\n"
                        "Yes       idle\nYes       server\nNo        a.one\nNo        b.two\n");
}

static void invalid_task_forms_get_the_help_line(void **state)
{
    (void)state;
    const char *help = "Invalid task cmd! Help: task list / kill <taskID> / show <taskID>";
    const char *bad[] = {"task",      "task foo",    "task show",
                         "task kill", "task list x", "task show a b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_string_equal(run(bad[i]), help);
        assert_false(s_res.ok);
    }
}

static void wildcard_show_and_kill_select_a_module(void **state)
{
    (void)state;
    run("system heartbeat &&1000");
    run("system clock &&1000");
    run("systemx clock &&1000");
    advance(1000);
    assert_string_equal(run("task show system.*"),
                        "system.heartbeat: <3 heartbeat <3\nsystem.clock: ok");
    assert_string_equal(run("task kill system.*"),
                        "Kill: system.heartbeat|True, system.clock|True");
    assert_string_equal(run("task kill nope"), "No task found: nope");
    assert_string_equal(run("task show nope"), "No task found: nope");
    assert_string_equal(run("task kill system.*"), "No task found: system.*");
    assert_true(task_is_active(&s_tasks, STR_LIT("systemx.clock")));
    size_t before = s_ncalls;
    advance(5000);
    assert_int_equal(s_ncalls - before, 5); /* only systemx.clock still runs */
}

static void idle_and_server_are_built_in(void **state)
{
    (void)state;
    assert_string_equal(run("task show idle"), "idle loop: 600ms - HA.: OFF");
    s_tasks.is_ha = true;
    assert_string_equal(run("task show idle"), "idle loop: 600ms - HA.: ON");
    assert_string_equal(run("task show server"), "");
    assert_string_equal(run("task kill idle"), "Kill: idle|False");
    assert_true(task_is_active(&s_tasks, STR_LIT("server")));
}

static void server_show(void *arg, struct buf *out)
{
    buf_printf(out, "clients: %s", (const char *)arg);
}

static void server_output_comes_from_its_callback(void **state)
{
    (void)state;
    task_server_set(&s_tasks, server_show, "127.0.0.1:5555");
    assert_string_equal(run("task show server"), "clients: 127.0.0.1:5555");
}

/* ---- failures and continuations ---- */

static void a_failing_call_ends_the_task_and_show_says_why(void **state)
{
    (void)state;
    run("test fail &&20");
    advance(100);
    assert_int_equal(s_ncalls, 1);
    assert_string_equal(run("task show test.fail"), "Core error: LM_test->fail: boom");
    assert_false(task_is_active(&s_tasks, STR_LIT("test.fail")));
    s_fail_after = 3;
    run("test failat &&20");
    advance(1000);
    assert_int_equal(s_ncalls, 3);
    assert_string_equal(run("task show test.failat"), "Core error: LM_test->failat: third");
    assert_int_equal(s_tasks.count.failed, 2);
    /* A finished task may be started again. */
    assert_string_equal(run("test fail &"), "{'test.fail': 'Starting'}");
}

static void lm_again_continues_with_the_same_state(void **state)
{
    (void)state;
    run("test slow &&1000");
    uint64_t start = s_now;
    advance_to(start + 1000);
    assert_int_equal(s_ncalls, 1);
    advance_to(start + 1099);
    assert_int_equal(s_ncalls, 2);
    assert_int_equal(s_calls[1], start + 1050);
    assert_int_equal(s_steps[1], 1);
    advance_to(start + 1100);
    assert_int_equal(s_ncalls, 3);
    assert_int_equal(s_steps[2], 2);
    assert_string_equal(run("task show test.slow"), "done after 3 calls");
    /* The next iteration is due at start + 2*period, not 1100 + period; state carries on. */
    advance_to(start + 2100);
    assert_int_equal(s_calls[3], start + 2000);
    assert_int_equal(s_steps[3], 0);
    assert_string_equal(run("task show test.slow"), "done after 6 calls");
}

static void a_task_can_kill_itself_inside_a_continuation(void **state)
{
    (void)state;
    run("test killself &&100");
    advance(100);
    assert_int_equal(s_ncalls, 1);
    advance(30);
    assert_int_equal(s_ncalls, 2); /* killed itself here, yet asked for more */
    advance(10000);
    assert_int_equal(s_ncalls, 2);
    assert_string_equal(run("task show test.killself"), "No task found: test.killself");
    assert_int_equal(task_queue_free(&s_tasks), 5);
    assert_string_equal(run("test killself &&100"), "{'test.killself': 'Starting'}");
}

static void kill_while_waiting_for_a_continuation_stops_it(void **state)
{
    (void)state;
    run("test slow &100");
    advance(100);
    assert_int_equal(s_ncalls, 1);
    assert_string_equal(run("task kill test.slow"), "Kill: test.slow|True");
    advance(1000);
    assert_int_equal(s_ncalls, 1);
}

/* ---- limits ---- */

static void finished_tasks_are_dropped_down_to_limit_minus_one(void **state)
{
    (void)state;
    run("a one &");
    run("b two &");
    advance(20);
    run("c three &");
    advance(20);
    /* Each creation first drops the oldest finished tasks down to limit-1 (1 here). */
    assert_string_equal(run("d four &&1000"), "{'d.four': 'Starting'}");
    assert_string_equal(run("task list >json"), "{\"active\": [\"idle\", \"server\", "
                                                "\"d.four\"], \"inactive\": [\"c.three\"]}");
    assert_int_equal(s_tasks.count.dropped, 2);
}

static void thousand_tasks_are_created_and_killed_without_leaking(void **state)
{
    (void)state;
    char line[64], kill[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(line, sizeof(line), "m%d f%d &&20", i, i);
        struct cmd c = mkcmd(line);
        arena_reset(&s_arena);
        task_spawn(&s_tasks, &c, str_c(line), &s_arena, &s_res);
        assert_true(s_res.ok);
        if (i % 3 == 0)
            advance(20);
        snprintf(kill, sizeof(kill), "task kill m%d.f%d", i, i);
        struct cmd k = mkcmd(kill);
        arena_reset(&s_arena);
        task_command(&s_tasks, &k, &s_arena, &s_res);
        snprintf(line, sizeof(line), "Kill: m%d.f%d|True", i, i);
        assert_string_equal(s_res.text, line);
    }
    for (size_t i = 0; i < TASK_MAX; i++)
        assert_int_equal(s_tasks.slot[i].kind, TASK_FREE);
    assert_int_equal(s_tasks.count.killed, 1000);
    assert_int_equal(task_queue_free(&s_tasks), 5);
    /* Only the idle timer is left on the loop. */
    assert_int_equal(s_loop.ntimers, 1);
}

/* ---- native tasks ---- */

static int s_killed;

static void native_show(void *arg, struct buf *out)
{
    buf_printf(out, "native %d", *(int *)arg);
}

static void native_kill(void *arg)
{
    (void)arg;
    s_killed++;
}

static void native_tasks_share_list_show_kill_and_the_queue(void **state)
{
    (void)state;
    static int val = 7;
    s_killed = 0;
    int a = task_native_add(&s_tasks, "con.0.1.hello", native_show, native_kill, &val);
    assert_true(a >= 0);
    assert_int_equal(task_native_add(&s_tasks, "con.0.1.hello", NULL, NULL, NULL), ERR_EXIST);
    assert_int_equal(task_native_add(&s_tasks, "idle", NULL, NULL, NULL), ERR_INVAL);
    assert_int_equal(task_native_add(&s_tasks, "", NULL, NULL, NULL), ERR_INVAL);
    int b = task_native_add(&s_tasks, "helper", NULL, native_kill, NULL); /* no '.': free */
    assert_true(b >= 0);
    assert_int_equal(task_queue_free(&s_tasks), 1);
    int e = task_native_add(&s_tasks, "espnow.server", NULL, NULL, NULL);
    assert_true(e >= 0);
    assert_int_equal(task_native_add(&s_tasks, "telegram.bot", NULL, NULL, NULL), ERR_FULL);
    assert_string_equal(run("system top &&1000"), "{'system.top': '[aio] Task queue full: 2'}");
    task_native_remove(&s_tasks, e);
    assert_int_equal(task_queue_free(&s_tasks), 1);
    assert_string_equal(run("task show con.0.1.hello"), "native 7");
    task_native_set_output(&s_tasks, b, "hi", 2);
    assert_string_equal(run("task show helper"), "hi");
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 1 #load: 0%\n\n#Active   #taskID\n"
                        "Yes       idle\nYes       server\nYes       con.0.1.hello\n"
                        "Yes       helper\n\n");
    /* Finish: output is snapshot, callbacks forgotten, listed inactive, queue freed. */
    val = 8;
    task_native_finish(&s_tasks, a);
    val = 9;
    assert_string_equal(run("task show con.0.1.hello"), "native 8");
    assert_int_equal(task_queue_free(&s_tasks), 2);
    assert_string_equal(run("task kill con.0.1.hello"), "Kill: con.0.1.hello|True");
    assert_int_equal(s_killed, 0); /* finished: nothing to stop */
    assert_string_equal(run("task kill helper"), "Kill: helper|True");
    assert_int_equal(s_killed, 1);
    /* Stale ids are ignored. */
    task_native_finish(&s_tasks, b);
    task_native_remove(&s_tasks, a);
    task_native_set_output(&s_tasks, a, "x", 1);
    int c = task_native_add(&s_tasks, "con.x.y", NULL, NULL, NULL);
    assert_true(c >= 0 && c != a);
    task_native_remove(&s_tasks, c);
    assert_string_equal(run("task show con.x.y"), "No task found: con.x.y");
}

static void native_reply_matches_micros(void **state)
{
    (void)state;
    arena_reset(&s_arena);
    task_reply(&s_tasks, "con.0.1.hello", 0, false, &s_arena, &s_res);
    assert_string_equal(s_res.text, "{'con.0.1.hello': 'Starting'}");
    task_reply(&s_tasks, "con.0.1.hello", ERR_FULL, false, &s_arena, &s_res);
    assert_string_equal(s_res.text, "{'con.0.1.hello': '[aio] Task queue full: 5'}");
    assert_false(s_res.ok);
}

/* ---- idle: #load ---- */

static void load_measures_event_loop_lag(void **state)
{
    (void)state;
    advance(6000); /* exact timers: no lag */
    assert_int_equal(task_load(&s_tasks), 0);
    /* The next measured 300 ms sleep takes 600 ms: +100 %, averaged with 0 -> 50. */
    while (!s_tasks.is_idle_measuring)
        advance_to(s_loop.heap[0]->due_ms);
    uint64_t due = s_tasks.idle_timer.due_ms;
    s_now = due + 300;
    ev_poll(&s_loop, 0);
    assert_int_equal(task_load(&s_tasks), 50);
    assert_string_equal(run("task list"),
                        "---- micrOS  top ----\n#queue: 5 #load: 50%\n\n"
                        "#Active   #taskID\nYes       idle\nYes       server\n\n");
    advance(1200); /* two more punctual measurements: 50 -> 25 -> 12 */
    assert_int_equal(task_load(&s_tasks), 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(periodic_task_fires_at_exact_due_times_for_10000_runs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(late_runs_do_not_shift_the_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(periodic_task_keeps_a_us_grid_and_measures_us_lateness,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_loop_more_than_a_period_late_skips_missed_runs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(one_shot_runs_once_after_its_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(delays_under_20_ms_become_20, setup, teardown),
        cmocka_unit_test_setup_teardown(spawn_replies_follow_micros, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_full_is_checked_before_already_running, setup2,
                                        teardown),
        cmocka_unit_test_setup_teardown(fresh_task_list_is_byte_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(task_list_shows_active_then_inactive_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_task_forms_get_the_help_line, setup, teardown),
        cmocka_unit_test_setup_teardown(wildcard_show_and_kill_select_a_module, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_and_server_are_built_in, setup, teardown),
        cmocka_unit_test_setup_teardown(server_output_comes_from_its_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_call_ends_the_task_and_show_says_why, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(lm_again_continues_with_the_same_state, setup, teardown),
        cmocka_unit_test_setup_teardown(a_task_can_kill_itself_inside_a_continuation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(kill_while_waiting_for_a_continuation_stops_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(finished_tasks_are_dropped_down_to_limit_minus_one, setup2,
                                        teardown),
        cmocka_unit_test_setup_teardown(thousand_tasks_are_created_and_killed_without_leaking,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(native_tasks_share_list_show_kill_and_the_queue, setup2,
                                        teardown),
        cmocka_unit_test_setup_teardown(native_reply_matches_micros, setup, teardown),
        cmocka_unit_test_setup_teardown(load_measures_event_loop_lag, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
