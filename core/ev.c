/* ev.c - the portable event loop: fd watcher table, timer min-heap, one poll step.
 *
 * Memory: ev_init makes two allocations and nothing else allocates afterwards.
 *  - One block holds the fd table (loop->ios, max_fds entries, kept dense in
 *    ios[0..nios)), followed by the loop's private state (struct ev_priv) and its
 *    arrays: an fd -> slot hash index, the wait/ready lists handed to the backend
 *    and the per-slot generation snapshot taken when the backend was called.
 *  - loop->heap holds pointers to the callers' active timers, followed by a copy of each
 *    one's (deadline, sequence) key that the heap compares.
 *
 * Stale events: every ev_io_start gives the watcher a fresh generation number and
 * every stop bumps it. Before waiting, the loop copies each slot's generation into
 * armed[]; a ready fd is dispatched only if its current watcher still has the
 * generation that was armed, so a watcher stopped, or stopped and restarted on the
 * same fd, by an earlier callback of the same pass never sees the old report. */
#include "core/ev.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ev_backend.h"

#define EV_IO_MASK   (EV_READ | EV_WRITE)
#define HEAP_RUNNING SIZE_MAX /* heap_idx of a timer whose callback is executing */
#define IDX_EMPTY    0u       /* hash entries hold slot + 1 */

struct ev_hkey {
    uint64_t due_us, seq; /* copies of the timer's, for the heap's comparisons */
};

struct ev_priv {
    struct ev_hkey *hkey;     /* heap keys, parallel to loop->heap */
    struct ev_timer *running; /* timer whose callback runs now; NULL if none or it was
                                 stopped or restarted inside the callback */
    uint32_t next_gen;        /* last watcher generation handed out */
    size_t idx_mask;          /* hash capacity - 1 (capacity is a power of two) */
    uint32_t *idx;            /* fd -> slot + 1, linear probing */
    uint32_t *armed;          /* ios[i].gen when the backend was last called */
    struct ev_ready *want;    /* what we ask the backend to watch, ios order */
    struct ev_ready *ready;   /* what the backend reports */
};

_Static_assert(sizeof(struct ev_io) % _Alignof(struct ev_priv) == 0, "ev_priv alignment");
_Static_assert(sizeof(struct ev_priv) % _Alignof(struct ev_ready) == 0, "ev_ready alignment");
_Static_assert(sizeof(struct ev_ready) % _Alignof(uint32_t) == 0, "uint32 alignment");

static struct ev_priv *priv(const struct ev_loop *loop)
{
    return (struct ev_priv *)(void *)(loop->ios + loop->max_fds);
}

/* ---- fd -> slot index ---------------------------------------------------------------- */

static size_t idx_home(const struct ev_priv *p, int fd)
{
    return (size_t)(unsigned)fd & p->idx_mask;
}

/* Returns the hash position holding fd, or SIZE_MAX. */
static size_t idx_find(const struct ev_loop *loop, int fd)
{
    const struct ev_priv *p = priv(loop);
    for (size_t i = idx_home(p, fd);; i = (i + 1) & p->idx_mask) {
        uint32_t e = p->idx[i];
        if (e == IDX_EMPTY)
            return SIZE_MAX;
        if (loop->ios[e - 1].fd == fd)
            return i;
    }
}

static void idx_insert(struct ev_loop *loop, int fd, size_t slot)
{
    struct ev_priv *p = priv(loop);
    size_t i = idx_home(p, fd);
    while (p->idx[i] != IDX_EMPTY)
        i = (i + 1) & p->idx_mask;
    p->idx[i] = (uint32_t)(slot + 1);
}

/* Empties hash position i and shifts the following run back so lookups need no
 * tombstones. Reads the keys of the other entries from ios. */
static void idx_remove_at(struct ev_loop *loop, size_t i)
{
    struct ev_priv *p = priv(loop);
    size_t j = i;
    for (;;) {
        j = (j + 1) & p->idx_mask;
        uint32_t e = p->idx[j];
        if (e == IDX_EMPTY)
            break;
        size_t home = idx_home(p, loop->ios[e - 1].fd);
        /* The entry at j may move to the hole at i unless its home lies in (i, j]. */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            p->idx[i] = e;
            i = j;
        }
    }
    p->idx[i] = IDX_EMPTY;
}

/* ---- timer heap ---------------------------------------------------------------------- */

/* The heap compares copies of the keys kept next to the pointers, so sifting touches one
 * array and not 100 timers spread over their owners' memory. */
static bool key_before(const struct ev_hkey *a, const struct ev_hkey *b)
{
    return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_set(struct ev_loop *loop, size_t i, struct ev_timer *t, struct ev_hkey k)
{
    loop->heap[i] = t;
    priv(loop)->hkey[i] = k;
    t->heap_idx = i;
}

/* Moves the entry at i up to its place; returns where it ended. */
static size_t heap_up(struct ev_loop *loop, size_t i)
{
    struct ev_hkey *key = priv(loop)->hkey;
    struct ev_timer *t = loop->heap[i];
    struct ev_hkey k = key[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!key_before(&k, &key[parent]))
            break;
        heap_set(loop, i, loop->heap[parent], key[parent]);
        i = parent;
    }
    heap_set(loop, i, t, k);
    return i;
}

/* Moves the entry at i down to its place; returns where it ended. */
static size_t heap_down(struct ev_loop *loop, size_t i)
{
    struct ev_hkey *key = priv(loop)->hkey;
    struct ev_timer *t = loop->heap[i];
    struct ev_hkey k = key[i];
    size_t n = loop->ntimers;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && key_before(&key[child + 1], &key[child]))
            child++;
        if (!key_before(&key[child], &k))
            break;
        heap_set(loop, i, loop->heap[child], key[child]);
        i = child;
    }
    heap_set(loop, i, t, k);
    return i;
}

static void heap_push(struct ev_loop *loop, struct ev_timer *t)
{
    size_t i = loop->ntimers++;
    heap_set(loop, i, t, (struct ev_hkey){t->due_us, t->seq});
    heap_up(loop, i);
}

static void heap_remove(struct ev_loop *loop, size_t i)
{
    struct ev_timer *last = loop->heap[--loop->ntimers];
    if (i == loop->ntimers)
        return;
    heap_set(loop, i, last, priv(loop)->hkey[loop->ntimers]);
    heap_up(loop, heap_down(loop, i));
}

static bool timer_in_heap(const struct ev_loop *loop, const struct ev_timer *t)
{
    return t->is_active && t->heap_idx < loop->ntimers && loop->heap[t->heap_idx] == t;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Returns a*b, or UINT64_MAX when it overflows. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Arms t at due_us with a fresh sequence number; the caller checked the capacity. */
static void timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t due_us)
{
    t->due_us = due_us;
    t->due_ms = due_us / 1000u + (due_us % 1000u != 0);
    t->seq = loop->next_seq++;
    t->is_active = true;
    heap_push(loop, t);
}

/* ---- init ---------------------------------------------------------------------------- */

/* Adds n elements of size sz to *total; false on overflow. */
static bool size_add(size_t *total, size_t n, size_t sz)
{
    if (sz != 0 && n > (SIZE_MAX - *total) / sz)
        return false;
    *total += n * sz;
    return true;
}

int ev_init(struct ev_loop *loop, size_t max_fds, size_t max_timers)
{
    memset(loop, 0, sizeof(*loop));
    if (max_fds >= UINT32_MAX / 4 || max_timers > SIZE_MAX / 64)
        return ERR_NOMEM;
    size_t idx_cap = 2;
    while (idx_cap < 2 * max_fds)
        idx_cap *= 2;

    size_t total = 0;
    if (!size_add(&total, max_fds, sizeof(struct ev_io)) ||
        !size_add(&total, 1, sizeof(struct ev_priv)) ||
        !size_add(&total, 2 * max_fds, sizeof(struct ev_ready)) ||
        !size_add(&total, max_fds, sizeof(uint32_t)) ||
        !size_add(&total, idx_cap, sizeof(uint32_t)))
        return ERR_NOMEM;

    char *block = calloc(1, total);
    /* The heap's pointers, then its keys (aligned up to a whole key). */
    size_t heap_cap = max_timers ? max_timers : 1;
    size_t key_off = (heap_cap * sizeof(struct ev_timer *) + sizeof(struct ev_hkey) - 1) /
                     sizeof(struct ev_hkey) * sizeof(struct ev_hkey);
    struct ev_timer **heap = calloc(1, key_off + heap_cap * sizeof(struct ev_hkey));
    void *pollset = ev_backend_create(max_fds);
    if (!block || !heap || !pollset) {
        free(block);
        free(heap);
        if (pollset)
            ev_backend_destroy(pollset);
        return ERR_NOMEM;
    }

    loop->ios = (struct ev_io *)(void *)block;
    loop->heap = heap;
    loop->pollset = pollset;
    loop->max_fds = max_fds;
    loop->max_timers = max_timers;

    struct ev_priv *p = priv(loop);
    char *cur = (char *)(p + 1);
    p->want = (struct ev_ready *)(void *)cur;
    cur += max_fds * sizeof(struct ev_ready);
    p->ready = (struct ev_ready *)(void *)cur;
    cur += max_fds * sizeof(struct ev_ready);
    p->armed = (uint32_t *)(void *)cur;
    cur += max_fds * sizeof(uint32_t);
    p->idx = (uint32_t *)(void *)cur;
    p->idx_mask = idx_cap - 1;
    p->hkey = (struct ev_hkey *)(void *)((char *)heap + key_off);

    ev_update_now(loop);
    return 0;
}

void ev_deinit(struct ev_loop *loop)
{
    if (loop->pollset)
        ev_backend_destroy(loop->pollset);
    free(loop->ios);
    free(loop->heap);
    memset(loop, 0, sizeof(*loop));
}

/* ---- clock --------------------------------------------------------------------------- */

void ev_set_clock(struct ev_loop *loop, ev_clock_fn *fn, void *arg)
{
    loop->clock = fn;
    loop->clock_arg = fn ? arg : NULL;
    loop->is_clock_us = false;
    ev_update_now(loop);
}

void ev_set_clock_us(struct ev_loop *loop, ev_clock_fn *fn, void *arg)
{
    ev_set_clock(loop, fn, arg);
    loop->is_clock_us = fn != NULL;
    ev_update_now(loop);
}

uint64_t ev_now(const struct ev_loop *loop)
{
    return loop->now_ms;
}

uint64_t ev_now_us(const struct ev_loop *loop)
{
    return loop->now_us;
}

uint64_t ev_update_now_us(struct ev_loop *loop)
{
    if (!loop->clock)
        loop->now_us = ev_backend_now_us();
    else if (loop->is_clock_us)
        loop->now_us = loop->clock(loop->clock_arg);
    else
        loop->now_us = mul_sat(loop->clock(loop->clock_arg), 1000u);
    loop->now_ms = loop->now_us / 1000u;
    return loop->now_us;
}

uint64_t ev_update_now(struct ev_loop *loop)
{
    ev_update_now_us(loop);
    return loop->now_ms;
}

/* ---- fd watchers --------------------------------------------------------------------- */

int ev_io_start(struct ev_loop *loop, int fd, unsigned events, ev_io_fn *cb, void *arg)
{
    if (fd < 0 || !cb || (events & ~EV_IO_MASK))
        return ERR_INVAL;
    if (idx_find(loop, fd) != SIZE_MAX)
        return ERR_EXIST;
    if (loop->nios >= loop->max_fds) {
        loop->stats.fd_full++;
        return ERR_FULL;
    }
    struct ev_priv *p = priv(loop);
    size_t slot = loop->nios++;
    struct ev_io *w = &loop->ios[slot];
    if (++p->next_gen == 0) /* 0 never names a live watcher */
        p->next_gen = 1;
    w->cb = cb;
    w->arg = arg;
    w->fd = fd;
    w->events = events;
    w->gen = p->next_gen;
    w->backend_events = 0;
    idx_insert(loop, fd, slot);
    return 0;
}

int ev_io_modify(struct ev_loop *loop, int fd, unsigned events)
{
    if (events & ~EV_IO_MASK)
        return ERR_INVAL;
    size_t pos = fd < 0 ? SIZE_MAX : idx_find(loop, fd);
    if (pos == SIZE_MAX)
        return ERR_NOENT;
    loop->ios[priv(loop)->idx[pos] - 1].events = events;
    return 0;
}

void ev_io_stop(struct ev_loop *loop, int fd)
{
    if (fd < 0 || !loop->ios)
        return;
    size_t pos = idx_find(loop, fd);
    if (pos == SIZE_MAX)
        return;
    struct ev_priv *p = priv(loop);
    size_t slot = p->idx[pos] - 1;
    if (loop->ios[slot].backend_events)
        ev_backend_ctl(loop->pollset, fd, loop->ios[slot].backend_events, 0);
    loop->ios[slot].gen++;
    idx_remove_at(loop, pos);

    /* Keep the table dense: the last watcher moves into the hole, with its armed
     * generation, so a report already waiting for it still reaches it. */
    size_t last = --loop->nios;
    if (slot != last) {
        loop->ios[slot] = loop->ios[last];
        p->armed[slot] = p->armed[last];
        p->idx[idx_find(loop, loop->ios[slot].fd)] = (uint32_t)(slot + 1);
    }
    loop->ios[last].cb = NULL;
    loop->ios[last].fd = -1;
}

/* ---- timers -------------------------------------------------------------------------- */

int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_ms, ev_timer_fn *cb)
{
    return ev_timer_start_at_us(loop, t, add_sat(loop->now_us, mul_sat(delay_ms, 1000u)), cb);
}

int ev_timer_start_at(struct ev_loop *loop, struct ev_timer *t, uint64_t due_ms, ev_timer_fn *cb)
{
    return ev_timer_start_at_us(loop, t, mul_sat(due_ms, 1000u), cb);
}

int ev_timer_start_us(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_us, ev_timer_fn *cb)
{
    return ev_timer_start_at_us(loop, t, add_sat(loop->now_us, delay_us), cb);
}

int ev_timer_start_at_us(struct ev_loop *loop, struct ev_timer *t, uint64_t due_us, ev_timer_fn *cb)
{
    if (!t || !cb)
        return ERR_INVAL;
    struct ev_priv *p = priv(loop);
    bool in_heap = timer_in_heap(loop, t);
    /* A running timer keeps its place reserved, so its own re-arm always fits. */
    size_t used = loop->ntimers + (p->running ? 1 : 0);
    if (!in_heap && t != p->running && used >= loop->max_timers) {
        loop->stats.timer_full++;
        return ERR_FULL;
    }
    if (in_heap)
        heap_remove(loop, t->heap_idx);
    if (t == p->running)
        p->running = NULL; /* the restart wins over the callback's return value */
    t->cb = cb;
    timer_arm(loop, t, due_us);
    return 0;
}

void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
    if (!t || !t->is_active)
        return;
    if (loop->ios && priv(loop)->running == t)
        priv(loop)->running = NULL;
    else if (timer_in_heap(loop, t))
        heap_remove(loop, t->heap_idx);
    t->is_active = false;
}

/* Runs the timers due at the cached time. A timer re-armed or started during this pass
 * gets a newer sequence number than pass_seq and waits for the next pass, so a callback
 * returning 0 cannot starve the loop and no timer fires twice in one pass. Returns the
 * number of callbacks. */
static int run_timers(struct ev_loop *loop)
{
    struct ev_priv *p = priv(loop);
    const uint64_t now = loop->now_us;
    const uint64_t seq_limit = loop->pass_seq;
    int calls = 0;

    while (loop->ntimers > 0) {
        const struct ev_hkey *k = &p->hkey[0];
        if (k->due_us > now || k->seq >= seq_limit)
            break;
        struct ev_timer *t = loop->heap[0];
        heap_remove(loop, 0);
        t->heap_idx = HEAP_RUNNING;
        p->running = t;
        loop->stats.timers_run++;
        if (calls < INT_MAX)
            calls++;

        int64_t next = t->cb(loop, t);

        if (p->running != t)
            continue; /* stopped or restarted by a callback: leave t alone */
        p->running = NULL;
        if (next < 0) {
            t->is_active = false;
            continue;
        }
        /* Keep the period's grid unless we fell more than one period behind. */
        uint64_t period = mul_sat((uint64_t)next, 1000u);
        uint64_t due = add_sat(t->due_us, period);
        if (loop->now_us > due && loop->now_us - due > period)
            due = add_sat(loop->now_us, period);
        timer_arm(loop, t, due);
    }
    return calls;
}

/* ---- deferred work ------------------------------------------------------------------ */

#define DEFER_ROUNDS 8 /* end-of-pass rounds before the rest waits for the next pass */

void ev_defer(struct ev_loop *loop, struct ev_defer *d, ev_defer_fn *cb)
{
    d->cb = cb;
    if (d->is_queued)
        return;
    d->is_queued = true;
    d->next = NULL;
    d->prev = loop->defer_tail;
    if (loop->defer_tail)
        loop->defer_tail->next = d;
    else
        loop->defer_head = d;
    loop->defer_tail = d;
}

void ev_defer_cancel(struct ev_loop *loop, struct ev_defer *d)
{
    if (!d || !d->is_queued)
        return;
    if (d->prev)
        d->prev->next = d->next;
    else
        loop->defer_head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        loop->defer_tail = d->prev;
    d->prev = d->next = NULL;
    d->is_queued = false;
}

/* Runs the queued deferred work; what a callback queues runs in the next round. */
static int run_defers(struct ev_loop *loop)
{
    int calls = 0;
    for (int round = 0; round < DEFER_ROUNDS && loop->defer_head; round++) {
        size_t n = 0;
        for (struct ev_defer *d = loop->defer_head; d; d = d->next)
            n++;
        for (; n > 0 && loop->defer_head; n--) {
            struct ev_defer *d = loop->defer_head;
            ev_defer_cancel(loop, d);
            loop->stats.defers_run++;
            if (calls < INT_MAX)
                calls++;
            d->cb(loop, d);
        }
    }
    return calls;
}

/* Returns the wait in us: until the next timer, capped by max_wait_ms (-1 = none). */
static int64_t wait_timeout(const struct ev_loop *loop, int max_wait_ms)
{
    if (loop->is_stopping || loop->defer_head)
        return 0;
    int64_t timeout = max_wait_ms < 0 ? -1 : (int64_t)max_wait_ms * 1000;
    if (loop->ntimers > 0) {
        uint64_t due = priv(loop)->hkey[0].due_us;
        uint64_t d = due > loop->now_us ? due - loop->now_us : 0;
        if (timeout < 0 || d < (uint64_t)timeout)
            timeout = d > INT64_MAX ? INT64_MAX : (int64_t)d;
    }
    return timeout;
}

int ev_poll(struct ev_loop *loop, int max_wait_ms)
{
    struct ev_priv *p = priv(loop);
    loop->stats.iterations++;
    loop->pass_seq = loop->next_seq;
    ev_update_now_us(loop);
    int calls = run_timers(loop);
    calls += run_defers(loop);

    size_t n = loop->nios;
    bool wants_list = ev_backend_wants_list();
    for (size_t i = 0; i < n; i++) {
        struct ev_io *w = &loop->ios[i];
        if (wants_list) {
            p->want[i].fd = w->fd;
            p->want[i].events = w->events;
        } else if (w->backend_events != w->events) {
            /* Changes reach the backend once per pass, however often they were made. */
            ev_backend_ctl(loop->pollset, w->fd, w->backend_events, w->events);
            w->backend_events = w->events;
        }
        p->armed[i] = w->gen;
    }
    int nready = ev_backend_wait(loop->pollset, p->want, n, p->ready, loop->max_fds,
                                 wait_timeout(loop, max_wait_ms));
    loop->wake_us = ev_update_now_us(loop);
    if (nready < 0)
        return nready;
    /* The timers the wait woke for run before the I/O callbacks, which may take a while. */
    calls += run_timers(loop);

    for (int i = 0; i < nready; i++) {
        int fd = p->ready[i].fd;
        size_t pos = idx_find(loop, fd);
        if (pos == SIZE_MAX)
            continue; /* stopped by an earlier callback */
        size_t slot = p->idx[pos] - 1;
        struct ev_io *w = &loop->ios[slot];
        if (p->armed[slot] != w->gen)
            continue; /* a newer watcher on the same fd: the report is not for it */
        unsigned events = p->ready[i].events & (w->events | EV_ERROR);
        if (events & EV_ERROR)
            events |= EV_READ;
        if (events == 0)
            continue;
        loop->stats.io_dispatch++;
        if (calls < INT_MAX)
            calls++;
        w->cb(loop, fd, events, w->arg);
    }
    calls += run_defers(loop);
    return calls;
}

void ev_run(struct ev_loop *loop)
{
    do
        ev_poll(loop, -1);
    while (!loop->is_stopping);
    loop->is_stopping = false;
}

void ev_stop(struct ev_loop *loop)
{
    loop->is_stopping = true;
}
