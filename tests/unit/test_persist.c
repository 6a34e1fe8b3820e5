/* test_persist.c - write-behind of module state files (svc/persist.c): a slider drag costs a
 * few durable writes, the newest value always lands, a failed background write is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ev.h"
#include "hal/hal_fs.h"
#include "svc/persist.h"

static uint64_t s_now;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return s_now;
}

static void read_file(const char *path, char *out, size_t cap)
{
    long n = hal_fs_read(path, out, cap);
    assert_true(n >= 0);
}

/* Runs the loop's due timers at the fake time t. */
static void advance(struct ev_loop *loop, uint64_t t)
{
    s_now = t;
    ev_poll(loop, 0);
}

static void slider_drag_costs_a_few_writes_and_the_last_value_lands(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_persist_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/rgb.cache", dir);
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 4, 8), 0);
    s_now = 1000;
    ev_set_clock(&loop, fake_clock, NULL);
    struct persist p;
    persist_init(&p, &loop, NULL, 1000);
    /* 50 `rgb color` calls a second for 10 s */
    char buf[32];
    for (int i = 0; i < 500; i++) {
        advance(&loop, 1000 + (uint64_t)i * 20);
        snprintf(buf, sizeof buf, "%d,0,0,1", i);
        assert_int_equal(persist_write(&p, path, buf, strlen(buf)), 0);
    }
    uint64_t during = p.stats.writes;
    advance(&loop, 1000 + 500 * 20 + 1000); /* quiet for the delay: the last value is written */
    printf("persist: 500 changes in 10 s -> %llu writes during the drag, %llu in all "
           "(each write: 2 fsyncs)\n",
           (unsigned long long)during, (unsigned long long)p.stats.writes);
    assert_true(p.stats.writes >= 1 && p.stats.writes <= 3);
    char got[64];
    read_file(path, got, sizeof got);
    assert_string_equal(got, "499,0,0,1");
    /* a change followed by exit: flushed at deinit, no timer needed */
    assert_int_equal(persist_write(&p, path, "7,7,7,0", 7), 0);
    persist_deinit(&p);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "7,7,7,0");
    unlink(path);
    rmdir(dir);
    ev_deinit(&loop);
}

static void failed_background_write_is_returned_by_the_next_write(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 4, 8), 0);
    s_now = 1000;
    ev_set_clock(&loop, fake_clock, NULL);
    struct persist p;
    persist_init(&p, &loop, NULL, 100);
    const char *bad = "/nonexistent-folder-for-test/x.cache";
    assert_int_equal(persist_write(&p, bad, "1", 1), 0);
    advance(&loop, 1200);
    assert_int_equal(p.stats.errors, 1);
    assert_true(persist_write(&p, bad, "2", 1) < 0);     /* the failure reaches the caller */
    assert_int_equal(persist_write(&p, bad, "3", 1), 0); /* reported once */
    assert_true(persist_flush(&p) < 0);
    persist_deinit(&p);
    ev_deinit(&loop);
}

static void no_store_or_zero_delay_writes_at_once(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_persist_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], got[16];
    snprintf(path, sizeof path, "%s/s.cache", dir);
    assert_int_equal(persist_write(NULL, path, "1", 1), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "1");
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 4, 8), 0);
    struct persist p;
    persist_init(&p, &loop, NULL, 0);
    assert_int_equal(persist_write(&p, path, "2", 1), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "2");
    assert_int_equal(p.stats.write_through, 1);
    persist_deinit(&p);
    unlink(path);
    rmdir(dir);
    ev_deinit(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slider_drag_costs_a_few_writes_and_the_last_value_lands),
        cmocka_unit_test(failed_background_write_is_returned_by_the_next_write),
        cmocka_unit_test(no_store_or_zero_delay_writes_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
