/* test_ev.c - the event loop (core/ev.c) on the poll backend, and the Linux clocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ev.h"
#include "core/ev_backend.h"
#include "hal/hal_time.h"

/* ---- helpers ------------------------------------------------------------------------- */

static uint64_t fake_clock(void *arg)
{
    return *(uint64_t *)arg;
}

struct fired {
    int order[64];
    size_t n;
};

struct tctx {
    struct fired *log;
    int id;
    int64_t ret;
    int calls;
    struct ev_timer *victim; /* stopped by this timer's callback, if set */
    bool stop_self;
    bool restart_self;
    uint64_t restart_delay;
};

static int64_t record_cb(struct ev_loop *loop, struct ev_timer *t)
{
    struct tctx *c = t->arg;
    c->calls++;
    if (c->log && c->log->n < 64)
        c->log->order[c->log->n++] = c->id;
    if (c->victim)
        ev_timer_stop(loop, c->victim);
    if (c->stop_self)
        ev_timer_stop(loop, t);
    if (c->restart_self)
        assert_int_equal(ev_timer_start(loop, t, c->restart_delay, record_cb), 0);
    return c->ret;
}

static void timer_init(struct ev_timer *t, struct tctx *c)
{
    memset(t, 0, sizeof(*t));
    t->arg = c;
}

/* Checks the heap property and every heap_idx back-pointer. */
static void assert_heap_ok(const struct ev_loop *loop)
{
    for (size_t i = 0; i < loop->ntimers; i++) {
        const struct ev_timer *t = loop->heap[i];
        assert_int_equal(t->heap_idx, i);
        assert_true(t->is_active);
        if (i > 0) {
            const struct ev_timer *p = loop->heap[(i - 1) / 2];
            assert_true(p->due_ms < t->due_ms || (p->due_ms == t->due_ms && p->seq < t->seq));
        }
    }
}

/* ---- timers -------------------------------------------------------------------------- */

static void timers_fire_by_deadline_and_fifo_for_equal_deadlines(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 1000;
    assert_int_equal(ev_init(&loop, 4, 16), 0);
    ev_set_clock(&loop, fake_clock, &now);

    struct fired log = {0};
    struct ev_timer t[6];
    struct tctx c[6];
    const uint64_t delay[6] = {30, 10, 20, 10, 10, 20};
    for (int i = 0; i < 6; i++) {
        c[i] = (struct tctx){.log = &log, .id = i, .ret = EV_DONE};
        timer_init(&t[i], &c[i]);
        assert_int_equal(ev_timer_start(&loop, &t[i], delay[i], record_cb), 0);
    }
    assert_int_equal(ev_poll(&loop, 0), 0);
    now = 1015;
    assert_int_equal(ev_poll(&loop, 0), 3);
    now = 2000;
    assert_int_equal(ev_poll(&loop, 0), 3);

    const int want[6] = {1, 3, 4, 2, 5, 0};
    assert_int_equal(log.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(log.order[i], want[i]);
        assert_false(t[i].is_active);
    }
    assert_int_equal(loop.stats.timers_run, 6);
    assert_int_equal(loop.ntimers, 0);
    ev_deinit(&loop);
}

static void restarting_a_timer_moves_it_behind_equal_deadlines(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 8), 0);
    ev_set_clock(&loop, fake_clock, &now);
    struct fired log = {0};
    struct ev_timer t[3];
    struct tctx c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (struct tctx){.log = &log, .id = i, .ret = EV_DONE};
        timer_init(&t[i], &c[i]);
        assert_int_equal(ev_timer_start(&loop, &t[i], 50, record_cb), 0);
    }
    assert_int_equal(ev_timer_start_at(&loop, &t[0], 50, record_cb), 0);
    assert_int_equal(loop.ntimers, 3);
    now = 50;
    assert_int_equal(ev_poll(&loop, 0), 3);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(log.order[1], 2);
    assert_int_equal(log.order[2], 0);
    ev_deinit(&loop);
}

static void timer_callback_can_stop_itself_and_another_due_timer(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 8), 0);
    ev_set_clock(&loop, fake_clock, &now);

    struct fired log = {0};
    struct ev_timer a, b, d;
    struct tctx ca = {.log = &log, .id = 0, .ret = 100, .stop_self = true, .victim = &b};
    struct tctx cb = {.log = &log, .id = 1, .ret = EV_DONE};
    struct tctx cd = {.log = &log, .id = 2, .ret = EV_DONE};
    timer_init(&a, &ca);
    timer_init(&b, &cb);
    timer_init(&d, &cd);
    assert_int_equal(ev_timer_start(&loop, &a, 10, record_cb), 0);
    assert_int_equal(ev_timer_start(&loop, &b, 10, record_cb), 0);
    assert_int_equal(ev_timer_start(&loop, &d, 10, record_cb), 0);

    now = 10;
    assert_int_equal(ev_poll(&loop, 0), 2);
    assert_int_equal(ca.calls, 1);
    assert_int_equal(cb.calls, 0); /* stopped while due, in the same pass */
    assert_int_equal(cd.calls, 1);
    assert_false(a.is_active); /* its return of 100 did not re-arm it */
    assert_false(b.is_active);
    assert_int_equal(loop.ntimers, 0);

    now = 1000;
    assert_int_equal(ev_poll(&loop, 0), 0);
    assert_int_equal(ca.calls + cb.calls + cd.calls, 2);
    ev_timer_stop(&loop, &a); /* stopping an inactive timer is harmless */
    ev_deinit(&loop);
}

static void timer_restarted_inside_its_callback_keeps_the_restart(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 1), 0);
    ev_set_clock(&loop, fake_clock, &now);
    struct ev_timer t;
    struct tctx c = {.ret = 5, .restart_self = true, .restart_delay = 40};
    timer_init(&t, &c);
    assert_int_equal(ev_timer_start(&loop, &t, 10, record_cb), 0);
    now = 10;
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_true(t.is_active);
    assert_int_equal(t.due_ms, 50); /* restart at now + 40, not due + 5 */
    assert_int_equal(loop.ntimers, 1);

    /* Stop then restart inside the callback, with the heap at capacity 1. */
    c.stop_self = true;
    c.restart_delay = 7;
    now = 50;
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_true(t.is_active);
    assert_int_equal(t.due_ms, 57);
    assert_heap_ok(&loop);
    ev_deinit(&loop);
}

static void periodic_timer_rearms_on_its_grid_without_drift(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 4), 0);
    ev_set_clock(&loop, fake_clock, &now);
    struct ev_timer t;
    struct tctx c = {.ret = 100};
    timer_init(&t, &c);
    assert_int_equal(ev_timer_start(&loop, &t, 100, record_cb), 0);

    now = 105; /* 5 ms late: the next run stays at 200 */
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(t.due_ms, 200);
    now = 290;
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(t.due_ms, 300);

    now = 450; /* 150 late: 400 is past by 50, less than a period: keep the grid */
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(t.due_ms, 400);
    assert_int_equal(ev_poll(&loop, 0), 1); /* due already: runs on the next pass */
    assert_int_equal(t.due_ms, 500);

    now = 730; /* 600 would be past by 130, more than a period: restart from now */
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(t.due_ms, 830);
    assert_int_equal(c.calls, 5);
    ev_deinit(&loop);
}

static int64_t start_zero_cb(struct ev_loop *loop, struct ev_timer *t)
{
    struct tctx *c = t->arg;
    c->calls++;
    assert_int_equal(ev_timer_start(loop, c->victim, 0, record_cb), 0);
    return 0; /* and re-arm itself immediately */
}

static void zero_delay_timers_run_on_the_next_pass_not_this_one(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 4), 0);
    ev_set_clock(&loop, fake_clock, &now);
    struct ev_timer a, b;
    struct tctx cb = {.ret = EV_DONE};
    struct tctx ca = {.victim = &b};
    timer_init(&a, &ca);
    timer_init(&b, &cb);
    assert_int_equal(ev_timer_start(&loop, &a, 0, start_zero_cb), 0);
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(ca.calls, 1);
    assert_int_equal(cb.calls, 0);
    assert_int_equal(ev_poll(&loop, 0), 2);
    assert_int_equal(ca.calls, 2);
    assert_int_equal(cb.calls, 1);
    ev_deinit(&loop);
}

static uint32_t s_rng = 12345;

static uint32_t rng(void)
{
    s_rng = s_rng * 1103515245u + 12345u;
    return s_rng >> 8;
}

#define MANY 10000

struct many {
    struct ev_timer t[MANY];
    bool stopped[MANY];
    int order[MANY];
    size_t nfired;
    uint64_t last_due, last_seq;
};

static int64_t many_cb(struct ev_loop *loop, struct ev_timer *t)
{
    struct many *m = t->arg;
    int i = (int)(t - m->t);
    assert_false(m->stopped[i]);
    assert_true(t->due_ms <= ev_now(loop));
    /* Fired in (due, seq) order across the whole run. */
    assert_true(t->due_ms > m->last_due || (t->due_ms == m->last_due && t->seq > m->last_seq));
    m->last_due = t->due_ms;
    m->last_seq = t->seq;
    m->order[m->nfired++] = i;
    return EV_DONE;
}

static void ten_thousand_timers_started_and_stopped_randomly_keep_heap_order(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    struct many *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_int_equal(ev_init(&loop, 1, MANY), 0);
    ev_set_clock(&loop, fake_clock, &now);

    int perm[MANY];
    for (int i = 0; i < MANY; i++)
        perm[i] = i;
    for (int i = MANY - 1; i > 0; i--) {
        int j = (int)(rng() % (uint32_t)(i + 1));
        int tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (int k = 0; k < MANY; k++) {
        struct ev_timer *t = &m->t[perm[k]];
        t->arg = m;
        assert_int_equal(ev_timer_start(&loop, t, 1 + rng() % 500, many_cb), 0);
    }
    assert_int_equal(loop.ntimers, MANY);
    assert_heap_ok(&loop);

    /* Stop half in random order, restart a few, checking the heap as we go. */
    size_t nstopped = 0;
    for (int k = 0; k < MANY; k++) {
        int i = (int)(rng() % MANY);
        if (m->stopped[i])
            continue;
        if (rng() % 8 == 0) {
            assert_int_equal(ev_timer_start(&loop, &m->t[i], rng() % 500, many_cb), 0);
        } else {
            ev_timer_stop(&loop, &m->t[i]);
            assert_false(m->t[i].is_active);
            m->stopped[i] = true;
            nstopped++;
        }
        if (k % 1000 == 0)
            assert_heap_ok(&loop);
    }
    assert_heap_ok(&loop);
    assert_int_equal(loop.ntimers, MANY - nstopped);

    for (now = 0; now <= 500; now += 7)
        ev_poll(&loop, 0);
    ev_poll(&loop, 0);
    assert_int_equal(m->nfired, MANY - nstopped);
    assert_int_equal(loop.ntimers, 0);
    ev_deinit(&loop);
    free(m);
}

static int64_t count_and_stop(struct ev_loop *loop, struct ev_timer *t)
{
    struct tctx *c = t->arg;
    c->calls++;
    ev_stop(loop); /* so the rest of this pass does not wait */
    return EV_DONE;
}

static void timer_wait_caps_the_poll_timeout_on_the_real_clock(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 1, 1), 0);
    struct ev_timer t;
    struct tctx c = {0};
    timer_init(&t, &c);
    uint64_t start = ev_now(&loop);
    assert_int_equal(ev_timer_start(&loop, &t, 20, count_and_stop), 0);
    /* With no cap the only thing that can end the first wait is the timer. */
    for (int i = 0; i < 100 && c.calls == 0; i++)
        assert_true(ev_poll(&loop, -1) >= 0);
    assert_int_equal(c.calls, 1);
    assert_true(ev_now(&loop) >= start + 20);
    assert_true(loop.is_stopping);
    ev_deinit(&loop);
}

/* ---- microsecond timers ---------------------------------------------------------------- */

static void us_timers_fire_on_the_us_clock_and_ms_calls_round_as_documented(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 1000250; /* us */
    assert_int_equal(ev_init(&loop, 1, 8), 0);
    ev_set_clock_us(&loop, fake_clock, &now);
    assert_int_equal(ev_now_us(&loop), 1000250);
    assert_int_equal(ev_now(&loop), 1000);

    struct fired log = {0};
    struct ev_timer t[3];
    struct tctx c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (struct tctx){.log = &log, .id = i, .ret = EV_DONE};
        timer_init(&t[i], &c[i]);
    }
    assert_int_equal(ev_timer_start_us(&loop, &t[0], 300, record_cb), 0); /* 1000550 */
    assert_int_equal(ev_timer_start(&loop, &t[1], 1, record_cb), 0);      /* 1001250 */
    assert_int_equal(ev_timer_start_at_us(&loop, &t[2], 1000400, record_cb), 0);
    assert_int_equal(t[0].due_us, 1000550);
    assert_int_equal(t[0].due_ms, 1001); /* rounded up: a ms caller never sees it early */
    assert_int_equal(t[1].due_us, 1001250);
    assert_int_equal(t[2].due_ms, 1001);

    now = 1000399;
    assert_int_equal(ev_poll(&loop, 0), 0);
    now = 1000400;
    assert_int_equal(ev_poll(&loop, 0), 1);
    now = 1000549;
    assert_int_equal(ev_poll(&loop, 0), 0);
    now = 1000550;
    assert_int_equal(ev_poll(&loop, 0), 1);
    now = 1001249;
    assert_int_equal(ev_poll(&loop, 0), 0);
    now = 1001250;
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[0], 2);
    assert_int_equal(log.order[1], 0);
    assert_int_equal(log.order[2], 1);
    ev_deinit(&loop);
}

static void periodic_return_keeps_a_us_grid(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 250; /* us: the grid is 20 ms apart from 250 us on */
    assert_int_equal(ev_init(&loop, 1, 2), 0);
    ev_set_clock_us(&loop, fake_clock, &now);
    struct ev_timer t;
    struct tctx c = {.ret = 20};
    timer_init(&t, &c);
    assert_int_equal(ev_timer_start(&loop, &t, 20, record_cb), 0);
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(t.due_us, 250 + 20000u * (uint64_t)i);
        now = t.due_us + 700; /* each run 0.7 ms late: the grid does not move */
        assert_int_equal(ev_poll(&loop, 0), 1);
    }
    assert_int_equal(t.due_us, 250 + 20000u * 6);
    ev_deinit(&loop);
}

/* A us clock that jumps by step on every read: the wait "takes" step us. */
struct step_clock {
    uint64_t now, step;
};

static uint64_t stepping_clock(void *arg)
{
    struct step_clock *sc = arg;
    uint64_t v = sc->now;
    sc->now += sc->step;
    return v;
}

struct order_log {
    char what[8];
    size_t n;
};

static int64_t log_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct order_log *l = t->arg;
    l->what[l->n++] = 't';
    return EV_DONE;
}

static void log_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct order_log *l = arg;
    l->what[l->n++] = 'i';
}

static void a_timer_the_wait_woke_for_runs_before_io_of_the_same_pass(void **state)
{
    (void)state;
    struct ev_loop loop;
    struct step_clock sc = {.now = 0, .step = 0};
    assert_int_equal(ev_init(&loop, 2, 2), 0);
    ev_set_clock_us(&loop, stepping_clock, &sc);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    struct order_log log = {.n = 0};
    assert_int_equal(ev_io_start(&loop, p[0], EV_READ, log_io, &log), 0);
    struct ev_timer t = {.arg = &log};
    assert_int_equal(ev_timer_start_us(&loop, &t, 500, log_timer), 0);
    /* The pass starts at 0 us (timer not due); the clock reads 600 us after the wait, with
     * the pipe readable: the timer runs first, then the I/O callback. */
    sc.now = 0;
    sc.step = 600;
    assert_int_equal(ev_poll(&loop, 0), 2);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.what[0], 't');
    assert_int_equal(log.what[1], 'i');
    close(p[0]);
    close(p[1]);
    ev_deinit(&loop);
}

static void a_timer_returning_zero_fires_once_per_pass(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 1, 2), 0);
    ev_set_clock_us(&loop, fake_clock, &now);
    struct ev_timer t;
    struct tctx c = {.ret = 0};
    timer_init(&t, &c);
    assert_int_equal(ev_timer_start_us(&loop, &t, 0, record_cb), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(ev_poll(&loop, 0), 1);
        assert_int_equal(c.calls, i);
    }
    ev_deinit(&loop);
}

static void a_sub_ms_timer_ends_the_first_real_wait(void **state)
{
    (void)state;
    /* On the real clock an idle loop sleeps until a 300 us timer and fires it in that same
     * pass: the wait is neither rounded down to 0 (a busy loop of empty passes) nor ended
     * before the deadline. A ms timeout would give either. */
    for (int round = 0; round < 3; round++) {
        struct ev_loop loop;
        assert_int_equal(ev_init(&loop, 1, 1), 0);
        struct ev_timer t;
        struct tctx c = {0};
        timer_init(&t, &c);
        c.ret = EV_DONE;
        uint64_t start = ev_update_now_us(&loop);
        assert_int_equal(ev_timer_start_us(&loop, &t, 300, record_cb), 0);
        assert_int_equal(ev_poll(&loop, -1), 1);
        assert_int_equal(c.calls, 1);
        assert_int_equal(loop.stats.iterations, 1);
        assert_true(ev_now_us(&loop) >= start + 300);
        ev_deinit(&loop);
    }
}

/* ---- fd watchers --------------------------------------------------------------------- */

struct ioctx {
    struct ev_loop *loop;
    int calls;
    unsigned last_events;
    int other_fd; /* fd to stop (and close, if close_other) from the callback */
    bool close_other;
    ev_io_fn *restart_other; /* if set, restart other_fd with this callback */
    void *restart_arg;
    bool stop_loop;
};

static void io_cb(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    struct ioctx *c = arg;
    (void)fd;
    c->calls++;
    c->last_events = events;
    if (c->other_fd >= 0) {
        ev_io_stop(loop, c->other_fd);
        if (c->restart_other)
            assert_int_equal(
                ev_io_start(loop, c->other_fd, EV_READ, c->restart_other, c->restart_arg), 0);
        if (c->close_other)
            close(c->other_fd);
        c->other_fd = -1;
    }
    if (c->stop_loop)
        ev_stop(loop);
}

static void make_readable_pipe(int p[2])
{
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
}

static void fd_stopped_and_closed_by_an_earlier_callback_is_not_dispatched(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 8, 1), 0);
    int p1[2], p2[2];
    make_readable_pipe(p1);
    make_readable_pipe(p2);
    /* Each callback stops and closes the other: whichever runs first, only one runs. */
    struct ioctx c1 = {.other_fd = p2[0], .close_other = true};
    struct ioctx c2 = {.other_fd = p1[0], .close_other = true};
    assert_int_equal(ev_io_start(&loop, p1[0], EV_READ, io_cb, &c1), 0);
    assert_int_equal(ev_io_start(&loop, p2[0], EV_READ, io_cb, &c2), 0);
    assert_int_equal(ev_poll(&loop, 100), 1);
    assert_int_equal(c1.calls + c2.calls, 1);
    assert_int_equal(loop.nios, 1);
    assert_int_equal(loop.stats.io_dispatch, 1);
    close(c1.calls ? p1[0] : p2[0]);
    close(p1[1]);
    close(p2[1]);
    ev_deinit(&loop);
}

static void fd_restarted_during_the_pass_gets_no_stale_event(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 8, 1), 0);
    int p1[2], p2[2];
    make_readable_pipe(p1);
    make_readable_pipe(p2);
    struct ioctx fresh = {.other_fd = -1};
    struct ioctx c1 = {.other_fd = p2[0], .restart_other = io_cb, .restart_arg = &fresh};
    struct ioctx c2 = {.other_fd = p1[0], .restart_other = io_cb, .restart_arg = &fresh};
    assert_int_equal(ev_io_start(&loop, p1[0], EV_READ, io_cb, &c1), 0);
    assert_int_equal(ev_io_start(&loop, p2[0], EV_READ, io_cb, &c2), 0);
    assert_int_equal(ev_poll(&loop, 100), 1);
    assert_int_equal(c1.calls + c2.calls, 1);
    assert_int_equal(fresh.calls, 0); /* the ready report was for the old watcher */
    assert_int_equal(loop.nios, 2);

    /* The fd is still readable: the new watcher hears about it on the next pass. */
    assert_int_equal(ev_poll(&loop, 100), 2);
    assert_int_equal(fresh.calls, 1);
    assert_int_equal(c1.calls + c2.calls, 2);
    close(p1[0]);
    close(p1[1]);
    close(p2[0]);
    close(p2[1]);
    ev_deinit(&loop);
}

static void watcher_moved_by_a_stop_during_the_pass_is_still_dispatched(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 8, 1), 0);
    int a[2], b[2], c[2];
    make_readable_pipe(a);
    make_readable_pipe(b);
    make_readable_pipe(c);
    struct ioctx ca = {.other_fd = b[0]};
    struct ioctx cb = {.other_fd = -1};
    struct ioctx cc = {.other_fd = -1};
    assert_int_equal(ev_io_start(&loop, a[0], EV_READ, io_cb, &ca), 0);
    assert_int_equal(ev_io_start(&loop, b[0], EV_READ, io_cb, &cb), 0);
    assert_int_equal(ev_io_start(&loop, c[0], EV_READ, io_cb, &cc), 0);
    /* poll(2) reports in watch order: a runs first and stops b; c fills b's slot. */
    assert_int_equal(ev_poll(&loop, 100), 2);
    assert_int_equal(ca.calls, 1);
    assert_int_equal(cb.calls, 0);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(loop.nios, 2);
    int *all[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        close(all[i][0]);
        close(all[i][1]);
    }
    ev_deinit(&loop);
}

static void io_reports_write_read_and_hangup(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 4, 1), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct ioctx r = {.other_fd = -1}, w = {.other_fd = -1};
    assert_int_equal(ev_io_start(&loop, p[0], EV_READ, io_cb, &r), 0);
    assert_int_equal(ev_io_start(&loop, p[1], EV_WRITE, io_cb, &w), 0);
    assert_int_equal(ev_io_start(&loop, p[0], EV_READ, io_cb, &r), ERR_EXIST);
    assert_int_equal(ev_poll(&loop, 0), 1);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.last_events, EV_WRITE);
    assert_int_equal(r.calls, 0);

    /* Paused watchers are not polled. */
    assert_int_equal(ev_io_modify(&loop, p[1], 0), 0);
    assert_int_equal(ev_poll(&loop, 0), 0);
    assert_int_equal(ev_io_modify(&loop, 99999, EV_READ), ERR_NOENT);

    assert_int_equal(write(p[1], "y", 1), 1);
    assert_int_equal(ev_poll(&loop, 100), 1);
    assert_int_equal(r.last_events, EV_READ);

    ev_io_stop(&loop, p[1]);
    ev_io_stop(&loop, p[1]); /* twice is harmless */
    close(p[1]);
    char ch;
    assert_int_equal(read(p[0], &ch, 1), 1);
    assert_int_equal(ev_poll(&loop, 100), 1);
    assert_int_equal(r.last_events, EV_READ | EV_ERROR);
    close(p[0]);
    ev_deinit(&loop);
}

static int fd_of(int i)
{
    static const int home[3] = {2046, 3, 1000};
    return home[i % 3] + i * 2048;
}

static void fd_index_finds_watchers_among_a_thousand_colliding_fds(void **state)
{
    (void)state;
    struct ev_loop loop;
    enum { N = 1000 };
    assert_int_equal(ev_init(&loop, N, 1), 0);
    static bool on[N];
    struct ioctx c = {.other_fd = -1};
    /* fds spaced by the hash size pile up on three home buckets, one at the end of the
     * table so its run wraps around; ev_io_start does not poll them. */
    for (int i = 0; i < N; i++) {
        assert_int_equal(ev_io_start(&loop, fd_of(i), EV_READ, io_cb, &c), 0);
        on[i] = true;
    }
    for (int k = 0; k < 4 * N; k++) {
        int i = (int)(rng() % N);
        int fd = fd_of(i);
        if (on[i]) {
            ev_io_stop(&loop, fd);
        } else {
            assert_int_equal(ev_io_start(&loop, fd, EV_WRITE, io_cb, &c), 0);
        }
        on[i] = !on[i];
    }
    size_t active = 0;
    for (int i = 0; i < N; i++) {
        int fd = fd_of(i);
        assert_int_equal(ev_io_modify(&loop, fd, EV_READ), on[i] ? 0 : ERR_NOENT);
        active += on[i];
    }
    assert_int_equal(loop.nios, active);
    for (size_t s = 0; s < loop.nios; s++)
        assert_int_equal(ev_io_modify(&loop, loop.ios[s].fd, EV_READ), 0);
    ev_deinit(&loop);
}

/* ---- limits and lifecycle ------------------------------------------------------------ */

static void never_called_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop, (void)fd, (void)events, (void)arg;
    fail_msg("a refused watcher was called");
}

static int64_t never_called_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop, (void)t;
    fail_msg("a refused timer was called");
    return EV_DONE;
}

static void full_tables_return_err_full_and_never_call_the_callback(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 2, 2), 0);
    ev_set_clock(&loop, fake_clock, &now);
    int p[2], q[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe(q), 0);
    struct ioctx c = {.other_fd = -1};
    assert_int_equal(ev_io_start(&loop, p[0], EV_READ, io_cb, &c), 0);
    assert_int_equal(ev_io_start(&loop, p[1], EV_READ, io_cb, &c), 0);
    assert_int_equal(ev_io_start(&loop, q[1], EV_WRITE, never_called_io, NULL), ERR_FULL);
    assert_int_equal(ev_io_start(&loop, -1, EV_READ, never_called_io, NULL), ERR_INVAL);
    assert_int_equal(loop.stats.fd_full, 1);

    struct ev_timer t[3];
    struct tctx tc = {.ret = EV_DONE};
    for (int i = 0; i < 3; i++)
        timer_init(&t[i], &tc);
    assert_int_equal(ev_timer_start(&loop, &t[0], 5, record_cb), 0);
    assert_int_equal(ev_timer_start(&loop, &t[1], 5, record_cb), 0);
    assert_int_equal(ev_timer_start(&loop, &t[2], 0, never_called_timer), ERR_FULL);
    assert_false(t[2].is_active);
    assert_int_equal(ev_timer_start(&loop, &t[1], 7, record_cb), 0); /* restart fits */
    assert_int_equal(loop.stats.timer_full, 1);

    now = 100;
    assert_int_equal(ev_poll(&loop, 0), 2);
    assert_int_equal(tc.calls, 2);
    /* Freed room is usable again. */
    assert_int_equal(ev_timer_start(&loop, &t[2], 0, record_cb), 0);
    ev_io_stop(&loop, p[1]);
    assert_int_equal(ev_io_start(&loop, q[1], EV_WRITE, io_cb, &c), 0);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    ev_deinit(&loop);
}

static int64_t stop_after_three(struct ev_loop *loop, struct ev_timer *t)
{
    struct tctx *c = t->arg;
    if (++c->calls == 3)
        ev_stop(loop);
    return 1;
}

static void ev_stop_ends_ev_run(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 2, 2), 0);
    struct ev_timer t;
    struct tctx c = {0};
    timer_init(&t, &c);
    assert_int_equal(ev_timer_start(&loop, &t, 1, stop_after_three), 0);
    ev_run(&loop);
    assert_int_equal(c.calls, 3);
    assert_false(loop.is_stopping);
    ev_timer_stop(&loop, &t);

    /* From an fd callback, with no timers left to wake the loop. */
    int p[2];
    make_readable_pipe(p);
    struct ioctx ic = {.other_fd = -1, .stop_loop = true};
    assert_int_equal(ev_io_start(&loop, p[0], EV_READ, io_cb, &ic), 0);
    ev_run(&loop);
    assert_int_equal(ic.calls, 1);
    close(p[0]);
    close(p[1]);
    ev_deinit(&loop);
}

static void stats_count_passes_and_callbacks(void **state)
{
    (void)state;
    struct ev_loop loop;
    uint64_t now = 0;
    assert_int_equal(ev_init(&loop, 2, 2), 0);
    ev_set_clock(&loop, fake_clock, &now);
    assert_int_equal(ev_now(&loop), 0);
    now = 42;
    assert_int_equal(ev_now(&loop), 0);
    assert_int_equal(ev_update_now(&loop), 42);
    assert_int_equal(ev_now(&loop), 42);
    for (int i = 0; i < 5; i++)
        ev_poll(&loop, 0);
    assert_int_equal(loop.stats.iterations, 5);
    assert_int_equal(loop.stats.timers_run, 0);
    ev_set_clock(&loop, NULL, NULL);
    uint64_t real = ev_now(&loop);
    assert_true(real >= ev_backend_now_us() / 1000 - 1000 && real <= ev_backend_now_us() / 1000);
    ev_deinit(&loop);
}

static void posix_clocks_are_sane(void **state)
{
    (void)state;
    uint64_t ms1 = hal_mono_ms(), us = hal_mono_us(), ms2 = hal_mono_ms();
    assert_true(ms1 <= ms2);
    assert_true(us / 1000 >= ms1 && us / 1000 <= ms2);
    uint64_t b = ev_backend_now_us() / 1000;
    assert_true(b >= ms2 && b - ms2 < 1000);
    assert_true(hal_wall_s() > 1600000000);
    assert_int_equal(hal_wall_set(-1), ERR_RANGE);
    (void)hal_wall_synced(); /* depends on the host; it must just answer */
}

/* ---- deferred work -------------------------------------------------------------------- */

struct dctx {
    int *order;
    size_t *n;
    int id;
    struct ev_defer *requeue; /* queued again by this callback, if set */
    struct ev_defer *cancel;  /* cancelled by this callback, if set */
};

static void defer_cb(struct ev_loop *loop, struct ev_defer *d)
{
    struct dctx *x = d->arg;
    x->order[(*x->n)++] = x->id;
    if (x->cancel)
        ev_defer_cancel(loop, x->cancel);
    if (x->requeue) {
        ev_defer(loop, x->requeue, defer_cb);
        x->requeue = NULL;
    }
}

static void deferred_work_runs_once_at_the_end_of_the_pass_in_order(void **state)
{
    (void)state;
    struct ev_loop loop;
    assert_int_equal(ev_init(&loop, 8, 8), 0);
    int order[8] = {0};
    size_t n = 0;
    struct ev_defer d[4];
    struct dctx x[4];
    for (int i = 0; i < 4; i++) {
        x[i] = (struct dctx){order, &n, i, NULL, NULL};
        memset(&d[i], 0, sizeof d[i]);
        d[i].arg = &x[i];
    }
    x[0].requeue = &d[3]; /* queued during the phase: runs in the same phase, after the rest */
    x[1].cancel = &d[2];  /* cancelled before its turn: never runs */
    ev_defer(&loop, &d[0], defer_cb);
    ev_defer(&loop, &d[1], defer_cb);
    ev_defer(&loop, &d[2], defer_cb);
    ev_defer(&loop, &d[1], defer_cb); /* already queued: no second run */
    assert_true(ev_poll(&loop, 0) >= 3);
    assert_int_equal(n, 3);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 3);
    assert_null(loop.defer_head);
    assert_int_equal(ev_poll(&loop, 0), 0);
    assert_int_equal(n, 3);
    ev_deinit(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_fire_by_deadline_and_fifo_for_equal_deadlines),
        cmocka_unit_test(restarting_a_timer_moves_it_behind_equal_deadlines),
        cmocka_unit_test(timer_callback_can_stop_itself_and_another_due_timer),
        cmocka_unit_test(timer_restarted_inside_its_callback_keeps_the_restart),
        cmocka_unit_test(periodic_timer_rearms_on_its_grid_without_drift),
        cmocka_unit_test(us_timers_fire_on_the_us_clock_and_ms_calls_round_as_documented),
        cmocka_unit_test(periodic_return_keeps_a_us_grid),
        cmocka_unit_test(a_timer_the_wait_woke_for_runs_before_io_of_the_same_pass),
        cmocka_unit_test(a_timer_returning_zero_fires_once_per_pass),
        cmocka_unit_test(a_sub_ms_timer_ends_the_first_real_wait),
        cmocka_unit_test(zero_delay_timers_run_on_the_next_pass_not_this_one),
        cmocka_unit_test(ten_thousand_timers_started_and_stopped_randomly_keep_heap_order),
        cmocka_unit_test(timer_wait_caps_the_poll_timeout_on_the_real_clock),
        cmocka_unit_test(fd_stopped_and_closed_by_an_earlier_callback_is_not_dispatched),
        cmocka_unit_test(fd_restarted_during_the_pass_gets_no_stale_event),
        cmocka_unit_test(watcher_moved_by_a_stop_during_the_pass_is_still_dispatched),
        cmocka_unit_test(io_reports_write_read_and_hangup),
        cmocka_unit_test(fd_index_finds_watchers_among_a_thousand_colliding_fds),
        cmocka_unit_test(full_tables_return_err_full_and_never_call_the_callback),
        cmocka_unit_test(ev_stop_ends_ev_run),
        cmocka_unit_test(stats_count_passes_and_callbacks),
        cmocka_unit_test(posix_clocks_are_sane),
        cmocka_unit_test(deferred_work_runs_once_at_the_end_of_the_pass_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
