/* ev.h - the single-threaded event loop: fd watchers and monotonic timers.
 *
 * One loop per process. Callers own every struct ev_timer; the loop only keeps
 * pointers to active ones. fd watchers live in a table sized at ev_init.
 *
 * Rules:
 *  - A function that takes a callback and fails never calls it.
 *  - Callbacks may start, stop or restart any timer or watcher, including their own.
 *  - A watcher stopped during a dispatch pass is not called again in that pass, even
 *    if its fd was reported ready (so closing an fd from another callback is safe).
 *  - Timers with equal deadlines fire in the order they were started (FIFO).
 *  - Time is the loop's monotonic clock in microseconds (a test may replace it); deadlines are
 *    kept in us and the wait sleeps to the us (epoll_pwait2/ppoll on POSIX), so a timer fires
 *    on time to the scheduler's wake-up, not to the next millisecond. The ms calls (ev_now,
 *    ev_timer_start, a callback's return) are conveniences over the us ones.
 *  - Each pass: due timers, deferred work, wait, due timers again (the ones the wait woke for,
 *    before any I/O callback can delay them), I/O callbacks, deferred work. A timer fires at
 *    most once per pass. */
#ifndef EV_H
#define EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_READ  1u
#define EV_WRITE 2u
#define EV_ERROR 4u /* hang-up or error: reported together with EV_READ */

/* A timer callback returns the delay in ms until its next run, or EV_DONE to stop (a timer
 * that wants a us period restarts itself with ev_timer_start_at_us: a restart wins). */
#define EV_DONE (-1)

struct ev_loop;
struct ev_timer;
struct ev_defer;

typedef void ev_io_fn(struct ev_loop *loop, int fd, unsigned events, void *arg);
typedef int64_t ev_timer_fn(struct ev_loop *loop, struct ev_timer *t);
typedef uint64_t ev_clock_fn(void *arg); /* ms (ev_set_clock) or us (ev_set_clock_us) */
typedef void ev_defer_fn(struct ev_loop *loop, struct ev_defer *d);

/* Work queued for the end of the current pass, run before the loop sleeps (output gathered
 * during the pass is written there, once: write-before-sleep). Caller-owned, like timers. */
struct ev_defer {
    ev_defer_fn *cb;
    void *arg; /* for the owner's use */
    struct ev_defer *prev, *next;
    bool is_queued;
};

struct ev_timer {
    ev_timer_fn *cb;
    void *arg;       /* for the owner's use */
    uint64_t due_us; /* absolute deadline on the loop's clock, us */
    uint64_t due_ms; /* the same rounded up to ms, for callers that think in ms (read only) */
    uint64_t seq;    /* start order, for FIFO among equal deadlines */
    size_t heap_idx; /* position in the loop's heap while active */
    bool is_active;
};

struct ev_io {
    ev_io_fn *cb;
    void *arg;
    int fd;
    unsigned events;
    unsigned backend_events; /* what the backend watches: synced before each wait */
    uint32_t gen;            /* bumped on every stop, so a stale ready report is ignored */
};

struct ev_stats {
    uint64_t iterations;  /* poll passes */
    uint64_t timers_run;  /* timer callbacks called */
    uint64_t io_dispatch; /* fd callbacks called */
    uint64_t timer_full;  /* ev_timer_start refused: heap full */
    uint64_t fd_full;     /* ev_io_start refused: table full */
    uint64_t defers_run;  /* deferred callbacks called */
};

struct ev_loop {
    struct ev_io *ios;          /* fd table, max_fds entries */
    struct ev_timer **heap;     /* min-heap of active timers */
    void *pollset;              /* backend scratch space */
    size_t max_fds, max_timers; /* capacities fixed at init */
    size_t nios, ntimers;
    uint64_t now_us;  /* cached clock, updated around each wait */
    uint64_t now_ms;  /* now_us / 1000 */
    uint64_t wake_us; /* clock when the last wait returned (lateness = wake-up + own work) */
    uint64_t next_seq;
    uint64_t pass_seq; /* next_seq when this pass began: later starts wait for the next pass */
    ev_clock_fn *clock;
    void *clock_arg;
    bool is_clock_us; /* clock returns us (ev_set_clock_us), not ms */
    bool is_stopping;
    struct ev_defer *defer_head, *defer_tail; /* queued deferred work, FIFO */
    struct ev_stats stats;
};

/* Initialises loop with room for max_fds watchers and max_timers active timers.
 * Allocates its tables once; returns 0 or ERR_NOMEM. */
int ev_init(struct ev_loop *loop, size_t max_fds, size_t max_timers);
/* Frees the tables. Timers and watchers still registered are forgotten, not called. */
void ev_deinit(struct ev_loop *loop);

/* Replaces the loop's clock with fn, which returns ms (tests use a fake clock); fn NULL
 * restores the real one. */
void ev_set_clock(struct ev_loop *loop, ev_clock_fn *fn, void *arg);
/* Replaces the loop's clock with fn, which returns us; fn NULL restores the real one. */
void ev_set_clock_us(struct ev_loop *loop, ev_clock_fn *fn, void *arg);
/* Returns the cached time of the current pass in ms. */
uint64_t ev_now(const struct ev_loop *loop);
/* Returns the cached time of the current pass in us. */
uint64_t ev_now_us(const struct ev_loop *loop);
/* Re-reads the clock into the cache and returns it in ms. */
uint64_t ev_update_now(struct ev_loop *loop);
/* Re-reads the clock into the cache and returns it in us. */
uint64_t ev_update_now_us(struct ev_loop *loop);

/* Watches fd for events (EV_READ|EV_WRITE); cb is called with what is ready.
 * Returns 0, ERR_EXIST if fd is watched already, ERR_FULL if the table is full. */
int ev_io_start(struct ev_loop *loop, int fd, unsigned events, ev_io_fn *cb, void *arg);
/* Changes the events watched on fd. Returns 0 or ERR_NOENT. */
int ev_io_modify(struct ev_loop *loop, int fd, unsigned events);
/* Stops watching fd; safe to call for an fd that is not watched. */
void ev_io_stop(struct ev_loop *loop, int fd);

/* Arms t to call cb after delay_ms (0 = on the next pass). Restarting an active timer
 * moves it. Returns 0 or ERR_FULL (timer heap full; cb is never called). */
int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_ms, ev_timer_fn *cb);
/* Arms t for an absolute deadline on the loop's clock. Same returns as ev_timer_start. */
int ev_timer_start_at(struct ev_loop *loop, struct ev_timer *t, uint64_t due_ms, ev_timer_fn *cb);
/* Arms t to call cb after delay_us. Same returns as ev_timer_start. */
int ev_timer_start_us(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_us, ev_timer_fn *cb);
/* Arms t for an absolute deadline in us on the loop's clock. Same returns as ev_timer_start. */
int ev_timer_start_at_us(struct ev_loop *loop, struct ev_timer *t, uint64_t due_us,
                         ev_timer_fn *cb);
/* Disarms t; safe on an inactive timer and from inside any callback, its own included. */
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);

/* Queues d to call cb once at the end of this pass, before the loop waits (FIFO; work queued
 * by a deferred callback runs in the same end-of-pass phase, a bounded number of rounds).
 * Queuing a queued d again does nothing. */
void ev_defer(struct ev_loop *loop, struct ev_defer *d, ev_defer_fn *cb);
/* Removes d from the queue; safe when it is not queued. */
void ev_defer_cancel(struct ev_loop *loop, struct ev_defer *d);

/* Runs due timers, waits at most max_wait_ms (or until the next timer, to the us) for fd
 * events, runs the timers due by then and dispatches the events. Returns the number of callbacks
 * called, or a negative ERR_* code. */
int ev_poll(struct ev_loop *loop, int max_wait_ms);
/* Calls ev_poll until ev_stop is called. */
void ev_run(struct ev_loop *loop);
/* Makes ev_run return after the current pass. */
void ev_stop(struct ev_loop *loop);

#endif
