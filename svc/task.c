/* task.c - the task manager: LM tasks on the event loop, native tasks, `task` built-ins. */
#include "task.h"

#include "../core/err.h"
#include "render.h"
#include "val.h"

#include <string.h>

#define TASK_INVALID "Invalid task cmd! Help: task list / kill <taskID> / show <taskID>"
#define TASK_OOM     "Task manager: out of memory"
#define ROW_YES      "Yes       "
#define ROW_NO       "No        "

static const char *const s_builtin[] = {"idle", "server"};

/* ---- helpers ---- */

static size_t clamp_limit(int aioqueue)
{
    if (aioqueue < 1)
        return 1;
    if ((size_t)aioqueue > TASK_MAX / 2)
        return TASK_MAX / 2;
    return (size_t)aioqueue;
}

static bool is_builtin(struct str tag)
{
    for (size_t i = 0; i < sizeof(s_builtin) / sizeof(s_builtin[0]); i++)
        if (str_eqc(tag, s_builtin[i]))
            return true;
    return false;
}

static bool is_listed(const struct task *k)
{
    return k->kind != TASK_FREE && !k->is_killed;
}

/* An unfinished task whose tag has a '.' takes a queue place. */
static bool takes_queue(const struct task *k)
{
    return is_listed(k) && !k->is_done && strchr(k->tag, '.') != NULL;
}

static size_t occupancy(const struct tasks *t)
{
    size_t n = 0;
    for (size_t i = 0; i < TASK_MAX; i++)
        n += takes_queue(&t->slot[i]);
    return n;
}

static struct task *find(struct tasks *t, struct str tag)
{
    for (size_t i = 0; i < TASK_MAX; i++) {
        struct task *k = &t->slot[i];
        if (is_listed(k) && str_eqc(tag, k->tag))
            return k;
    }
    return NULL;
}

/* Fills idx with the listed slots in creation order; returns how many. */
static size_t sorted(const struct tasks *t, uint16_t idx[TASK_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < TASK_MAX; i++) {
        if (!is_listed(&t->slot[i]))
            continue;
        size_t j = n++;
        while (j > 0 && t->slot[idx[j - 1]].seq > t->slot[i].seq) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = (uint16_t)i;
    }
    return n;
}

static void slot_free(struct tasks *t, struct task *k)
{
    ev_timer_stop(t->loop, &k->timer);
    k->kind = TASK_FREE;
    k->is_done = k->is_loop = k->is_running = k->is_killed = false;
    k->gen = (uint16_t)((k->gen + 1) & 0x7fff);
    k->tag[0] = '\0';
    k->out_len = 0;
    k->show = NULL;
    k->kill = NULL;
    k->arg = NULL;
}

static struct task *oldest_done(struct tasks *t)
{
    struct task *best = NULL;
    for (size_t i = 0; i < TASK_MAX; i++) {
        struct task *k = &t->slot[i];
        if (is_listed(k) && k->is_done && (!best || k->seq < best->seq))
            best = k;
    }
    return best;
}

/* micrOS's task gc: with `limit` or more finished tasks, drop the oldest down to limit-1. */
static void gc_inactive(struct tasks *t)
{
    size_t done = 0;
    for (size_t i = 0; i < TASK_MAX; i++)
        done += is_listed(&t->slot[i]) && t->slot[i].is_done;
    while (done >= t->limit && done > 0) {
        slot_free(t, oldest_done(t));
        t->count.dropped++;
        done--;
    }
}

/* Takes a free slot (or the oldest finished task's) for tag; NULL when every slot is busy. */
static struct task *slot_alloc(struct tasks *t, const char *tag, size_t tag_len,
                               enum task_kind kind)
{
    struct task *k = NULL;
    for (size_t i = 0; i < TASK_MAX && !k; i++)
        if (t->slot[i].kind == TASK_FREE)
            k = &t->slot[i];
    if (!k) {
        k = oldest_done(t);
        if (!k)
            return NULL;
        slot_free(t, k);
        t->count.dropped++;
    }
    k->kind = kind;
    k->seq = t->next_seq++;
    k->owner = t;
    memcpy(k->tag, tag, tag_len);
    k->tag[tag_len] = '\0';
    k->out_len = 0;
    memset(&k->stats, 0, sizeof(k->stats));
    return k;
}

static void set_output(struct tasks *t, struct task *k, const char *p, size_t n)
{
    if (n > TASK_OUT_MAX) {
        n = TASK_OUT_MAX;
        t->count.trunc_out++;
    }
    if (n)
        memcpy(k->out, p, n);
    k->out_len = n;
}

/* Appends the current output of k to out. */
static void show_task(struct task *k, struct buf *out)
{
    if (k->kind == TASK_NATIVE && k->show)
        k->show(k->arg, out);
    else
        buf_append(out, k->out, k->out_len);
}

/* Stores the rendered text of res as k's output. */
static void store_result(struct tasks *t, struct task *k, const struct exec_result *res)
{
    buf_clear(&t->scratch);
    exec_render_text(res, &t->scratch);
    if (t->scratch.is_full)
        t->count.trunc_out++;
    set_output(t, k, t->scratch.p, t->scratch.len);
}

static void stats_add(struct task_stats *s, uint64_t late_us)
{
    if (late_us < TASK_HIST_US_STEP * TASK_HIST_US_BUCKETS)
        s->hist_us[late_us / TASK_HIST_US_STEP]++;
    s->late_sum_us += late_us;
    if (late_us > s->late_max_us)
        s->late_max_us = late_us;
    uint64_t late = late_us / 1000u;
    size_t b;
    if (late < TASK_HIST_EXACT) {
        b = (size_t)late;
    } else {
        unsigned lg = 0;
        for (uint64_t v = late; v > 1; v >>= 1)
            lg++;
        b = TASK_HIST_EXACT + (lg - 5); /* 32..63 -> first power-of-two bucket */
        if (b >= TASK_HIST_BUCKETS)
            b = TASK_HIST_BUCKETS - 1;
    }
    s->hist[b]++;
    s->runs++;
    s->late_sum_ms += late;
    if (late > s->late_max_ms)
        s->late_max_ms = late;
}

/* Removes k for `task kill`: a running LM task is freed when its call returns. */
static void kill_task(struct tasks *t, struct task *k)
{
    t->count.killed++;
    if (k->kind == TASK_NATIVE && k->kill && !k->is_done) {
        uint16_t gen = k->gen;
        task_kill_fn *fn = k->kill;
        k->kill = NULL;
        fn(k->arg);
        if (k->gen != gen || k->kind == TASK_FREE)
            return; /* the callback removed it itself */
    }
    if (k->is_running) {
        k->is_killed = true;
        ev_timer_stop(t->loop, &k->timer);
        return;
    }
    slot_free(t, k);
}

/* ---- LM task runner ---- */

static ev_timer_fn task_timer_cb;

/* Arms k's timer for the absolute time due_us. The timer is restarted here rather than through
 * the callback's return value, so the task's own grid (start + k*period) decides. */
static int64_t rearm(struct tasks *t, struct task *k, uint64_t due_us)
{
    k->due_us = due_us;
    if (ev_timer_start_at_us(t->loop, &k->timer, due_us, task_timer_cb) != 0) {
        static const char msg[] = "[aio] Task stopped: no timer left";
        set_output(t, k, msg, sizeof(msg) - 1);
        k->is_done = true;
        t->count.failed++;
        t->count.finished++;
    }
    return EV_DONE; /* ignored by the loop when the timer was restarted */
}

static int64_t task_timer_cb(struct ev_loop *loop, struct ev_timer *tm)
{
    struct task *k = tm->arg;
    struct tasks *t = k->owner;
    uint64_t now = ev_update_now_us(loop);

    if (k->step == 0) {
        uint64_t late = now > k->due_us ? now - k->due_us : 0;
        stats_add(&k->stats, late);
        stats_add(&t->stats, late);
    }

    struct exec_result res;
    bool again = false;
    uint32_t again_ms = 0;
    memset(&res, 0, sizeof(res));
    arena_reset(&k->arena);
    k->is_running = true;
    struct node_caller *saved = t->node->caller;
    t->node->caller = k->caller.peer[0] ? &k->caller : NULL; /* its creator's address */
    exec_call(t->node, &k->cmd, &k->arena, &res, k->state, sizeof(k->state), k->step, &again,
              &again_ms);
    t->node->caller = saved;
    k->is_running = false;

    if (k->is_killed) {
        slot_free(t, k);
        return EV_DONE;
    }
    now = ev_update_now_us(loop);
    if (!res.ok) {
        /* A failed call ends the task; task show says why. */
        store_result(t, k, &res);
        k->is_done = true;
        t->count.failed++;
        t->count.finished++;
        return EV_DONE;
    }
    if (again) {
        if (res.text || (res.value && !val_is_none(res.value)))
            store_result(t, k, &res);
        k->step++;
        return rearm(t, k, now + (uint64_t)again_ms * 1000u);
    }
    store_result(t, k, &res);
    k->step = 0;
    if (!k->is_loop) {
        k->is_done = true;
        t->count.finished++;
        return EV_DONE;
    }
    /* Next run at start + k*period, never from "now": no drift, no rounding (us). Over a
     * period late: skip. */
    const uint64_t period = (uint64_t)k->period_ms * 1000u;
    k->k++;
    uint64_t due = k->start_us + k->k * period;
    if (due < now) {
        uint64_t k_next = (now - k->start_us) / period + 1;
        k->stats.skipped += k_next - k->k;
        t->stats.skipped += k_next - k->k;
        k->k = k_next;
        due = k->start_us + k->k * period;
    }
    return rearm(t, k, due);
}

/* ---- idle: event-loop lag meter (COMPAT §2.5) ---- */

static int64_t idle_cb(struct ev_loop *loop, struct ev_timer *tm)
{
    struct tasks *t = tm->arg;
    uint64_t now = ev_update_now(loop);
    if (!t->is_idle_measuring) {
        t->is_idle_measuring = true;
        t->idle_start_ms = now;
        /* Armed from the real now, not from the late deadline: the sleep measured is exact. */
        ev_timer_start(loop, tm, TASK_IDLE_MEASURE_MS, idle_cb);
        return EV_DONE;
    }
    /* How long a 300 ms sleep really took: int((actual/300 - 1)*100), averaged. */
    uint64_t actual = now - t->idle_start_ms;
    int cur = 0;
    if (actual > TASK_IDLE_MEASURE_MS) {
        uint64_t pct = (actual - TASK_IDLE_MEASURE_MS) * 100 / TASK_IDLE_MEASURE_MS;
        cur = pct > 1000000 ? 1000000 : (int)pct;
    }
    t->load = (t->load + cur) / 2;
    t->is_idle_measuring = false;
    ev_timer_start(loop, tm, TASK_IDLE_PERIOD_MS - TASK_IDLE_MEASURE_MS, idle_cb);
    return EV_DONE;
}

/* ---- lifecycle ---- */

int task_init(struct tasks *t, struct node *node, int aioqueue, bool is_ha)
{
    memset(t, 0, sizeof(*t));
    t->node = node;
    t->loop = node->loop;
    t->limit = clamp_limit(aioqueue);
    t->is_ha = is_ha;
    t->next_seq = 1;
    for (size_t i = 0; i < TASK_MAX; i++) {
        t->slot[i].owner = t;
        t->slot[i].timer.arg = &t->slot[i];
    }
    buf_init(&t->scratch, TASK_OUT_MAX);
    t->idle_timer.arg = t;
    return ev_timer_start(t->loop, &t->idle_timer, TASK_IDLE_PERIOD_MS - TASK_IDLE_MEASURE_MS,
                          idle_cb);
}

void task_deinit(struct tasks *t)
{
    for (size_t i = 0; i < TASK_MAX; i++)
        if (t->slot[i].kind != TASK_FREE)
            slot_free(t, &t->slot[i]);
    ev_timer_stop(t->loop, &t->idle_timer);
    buf_free(&t->scratch);
}

void task_set_limit(struct tasks *t, int aioqueue)
{
    t->limit = clamp_limit(aioqueue);
}

/* ---- replies ---- */

void task_reply(struct tasks *t, const char *tag, int rc, bool is_json, struct arena *a,
                struct exec_result *res)
{
    const char *msg;
    memset(res, 0, sizeof(*res));
    res->is_json = is_json;
    res->ok = true;
    if (rc >= 0) {
        msg = "Starting";
    } else if (rc == ERR_EXIST) {
        msg = "Already running";
    } else if (rc == ERR_FULL) {
        msg = arena_printf(a, "[aio] Task queue full: %zu", t->limit);
        res->ok = false;
    } else {
        msg = arena_printf(a, "[aio] Task error: %s", err_str(rc));
        res->ok = false;
    }
    struct val *d = val_dict(a);
    if (msg)
        val_dict_set(a, d, tag, val_str(a, msg));
    if (!msg || a->is_full) {
        res->ok = false;
        res->text = TASK_OOM;
        return;
    }
    if (is_json) {
        res->value = d;
        return;
    }
    /* Text mode: micrOS prints the dict's Python repr, {'system.heartbeat': 'Starting'}. */
    buf_clear(&t->scratch);
    if (render_repr(&t->scratch, d) < 0 ||
        !(res->text = arena_strndup(a, t->scratch.p, t->scratch.len))) {
        res->ok = false;
        res->text = TASK_OOM;
    }
}

/* ---- LM tasks ---- */

void task_spawn(struct tasks *t, const struct cmd *c, struct str line, struct arena *a,
                struct exec_result *res)
{
    (void)line; /* the task copies c's tokens: they are what line parsed into */
    memset(res, 0, sizeof(*res));
    res->is_json = c->is_json;
    if (c->ntok < 2) {
        res->text = EXEC_HINT;
        return;
    }
    char tag[TASK_TAG_MAX];
    size_t tag_len = c->tok[0].len + 1 + c->tok[1].len;
    if (tag_len >= TASK_TAG_MAX) {
        res->text = "[aio] Task tag too long";
        return;
    }
    memcpy(tag, c->tok[0].p, c->tok[0].len);
    tag[c->tok[0].len] = '.';
    memcpy(tag + c->tok[0].len + 1, c->tok[1].p, c->tok[1].len);
    tag[tag_len] = '\0';

    size_t need = 0;
    for (size_t i = 0; i < c->ntok; i++)
        need += c->tok[i].len + 1;
    if (need > TASK_ARENA_SIZE / 2) {
        res->text = "[aio] Task command too long";
        return;
    }

    gc_inactive(t);
    /* Queue check first, then already running (COMPAT §2.4). */
    if (occupancy(t) >= t->limit) {
        t->count.queue_full++;
        task_reply(t, tag, ERR_FULL, c->is_json, a, res);
        return;
    }
    struct task *old = find(t, (struct str){tag, tag_len});
    if (old && !old->is_done) {
        task_reply(t, tag, ERR_EXIST, c->is_json, a, res);
        return;
    }
    if (old)
        slot_free(t, old);
    struct task *k = slot_alloc(t, tag, tag_len, TASK_LM);
    if (!k) {
        t->count.queue_full++;
        task_reply(t, tag, ERR_FULL, c->is_json, a, res);
        return;
    }

    /* The task's own copy of the command: tokens into mem, the arena after them. */
    memset(&k->cmd, 0, sizeof(k->cmd));
    size_t off = 0;
    for (size_t i = 0; i < c->ntok; i++) {
        memcpy(k->mem + off, c->tok[i].p, c->tok[i].len);
        k->cmd.tok[i] = (struct str){k->mem + off, c->tok[i].len};
        off += c->tok[i].len;
        k->mem[off++] = '\0';
    }
    k->cmd.ntok = c->ntok;
    memset(&k->caller, 0, sizeof k->caller);
    if (t->node->caller)
        k->caller = *t->node->caller;
    k->caller.refused_ms = 0;
    k->cmd.is_json = c->is_json;
    const size_t align = alignof(max_align_t);
    off = (off + align - 1) & ~(align - 1);
    arena_init(&k->arena, k->mem + off, TASK_ARENA_SIZE - off);
    memset(k->state, 0, sizeof(k->state));

    k->is_loop = c->is_loop;
    k->period_ms = c->task_ms < CMD_TASK_MIN_MS ? CMD_TASK_MIN_MS : c->task_ms;
    k->start_us = ev_now_us(t->loop);
    k->k = 1;
    k->step = 0;
    k->due_us = k->start_us + (uint64_t)k->period_ms * 1000u;
    k->timer.arg = k;
    /* Sleep first, then run: the first run is one delay after the start. */
    if (ev_timer_start_at_us(t->loop, &k->timer, k->due_us, task_timer_cb) != 0) {
        slot_free(t, k);
        t->count.queue_full++;
        task_reply(t, tag, ERR_FULL, c->is_json, a, res);
        return;
    }
    t->count.spawned++;
    task_reply(t, tag, 0, c->is_json, a, res);
}

/* ---- native tasks ---- */

static int native_id(const struct tasks *t, const struct task *k)
{
    return (int)(((uint32_t)k->gen << 16) | (uint32_t)(k - t->slot));
}

static struct task *native_get(struct tasks *t, int id)
{
    if (id < 0)
        return NULL;
    size_t idx = (uint32_t)id & 0xffffu;
    uint16_t gen = (uint16_t)((uint32_t)id >> 16);
    if (idx >= TASK_MAX)
        return NULL;
    struct task *k = &t->slot[idx];
    if (k->kind != TASK_NATIVE || k->gen != gen || k->is_killed)
        return NULL;
    return k;
}

int task_native_add(struct tasks *t, const char *tag, task_show_fn *show, task_kill_fn *kill,
                    void *arg)
{
    struct str s = str_c(tag);
    if (s.len == 0 || s.len >= TASK_TAG_MAX || is_builtin(s))
        return ERR_INVAL;
    gc_inactive(t);
    if (strchr(tag, '.') && occupancy(t) >= t->limit) {
        t->count.queue_full++;
        return ERR_FULL;
    }
    struct task *old = find(t, s);
    if (old && !old->is_done)
        return ERR_EXIST;
    if (old)
        slot_free(t, old);
    struct task *k = slot_alloc(t, s.p, s.len, TASK_NATIVE);
    if (!k) {
        t->count.queue_full++;
        return ERR_FULL;
    }
    k->show = show;
    k->kill = kill;
    k->arg = arg;
    t->count.natives++;
    return native_id(t, k);
}

void task_native_set_output(struct tasks *t, int id, const char *text, size_t len)
{
    struct task *k = native_get(t, id);
    if (k)
        set_output(t, k, text, len);
}

void task_native_finish(struct tasks *t, int id)
{
    struct task *k = native_get(t, id);
    if (!k || k->is_done)
        return;
    if (k->show) {
        buf_clear(&t->scratch);
        k->show(k->arg, &t->scratch);
        set_output(t, k, t->scratch.p, t->scratch.len);
    }
    k->show = NULL;
    k->kill = NULL;
    k->arg = NULL;
    k->is_done = true;
    t->count.finished++;
}

void task_native_remove(struct tasks *t, int id)
{
    struct task *k = native_get(t, id);
    if (k)
        slot_free(t, k);
}

void task_server_set(struct tasks *t, task_show_fn *show, void *arg)
{
    t->server_show = show;
    t->server_arg = arg;
}

/* ---- task built-ins ---- */

/* Finishes a text reply assembled in b. */
static void reply_text(struct exec_result *res, struct arena *a, struct buf *b, bool ok)
{
    res->ok = ok;
    res->text = NULL;
    if (!b->is_full)
        res->text = arena_strndup(a, b->len ? b->p : "", b->len);
    if (!res->text) {
        res->ok = false;
        res->text = TASK_OOM;
    }
}

static void cmd_list(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res,
                     struct buf *b)
{
    uint16_t idx[TASK_MAX];
    size_t n = sorted(t, idx);
    if (c->is_json) {
        struct val *d = val_dict(a), *act = val_list(a), *inact = val_list(a);
        for (size_t i = 0; i < sizeof(s_builtin) / sizeof(s_builtin[0]); i++)
            val_append(act, val_str(a, s_builtin[i]));
        for (size_t i = 0; i < n; i++) {
            const struct task *k = &t->slot[idx[i]];
            val_append(k->is_done ? inact : act, val_str(a, k->tag));
        }
        val_dict_set(a, d, "active", act);
        val_dict_set(a, d, "inactive", inact);
        res->ok = !a->is_full;
        res->value = a->is_full ? NULL : d;
        if (a->is_full)
            res->text = TASK_OOM;
        return;
    }
    buf_printf(b, "---- micrOS  top ----\n#queue: %zu #load: %d%%\n\n#Active   #taskID\n",
               task_queue_free(t), t->load);
    for (size_t i = 0; i < sizeof(s_builtin) / sizeof(s_builtin[0]); i++)
        buf_printf(b, ROW_YES "%s\n", s_builtin[i]);
    for (size_t i = 0; i < n; i++)
        if (!t->slot[idx[i]].is_done)
            buf_printf(b, ROW_YES "%s\n", t->slot[idx[i]].tag);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!t->slot[idx[i]].is_done)
            continue;
        buf_printf(b, "%s" ROW_NO "%s", first ? "" : "\n", t->slot[idx[i]].tag);
        first = false;
    }
    buf_putc(b, '\n');
    reply_text(res, a, b, true);
}

/* "mod.*" selects every task whose tag starts with "mod."; returns the prefix length or 0. */
static size_t wildcard_prefix(struct str tag)
{
    if (tag.len >= 3 && str_ends(tag, ".*"))
        return tag.len - 1;
    return 0;
}

static bool matches(const struct task *k, struct str tag, size_t prefix)
{
    if (prefix)
        return strncmp(k->tag, tag.p, prefix) == 0;
    return str_eqc(tag, k->tag);
}

static void cmd_show(struct tasks *t, struct str tag, struct arena *a, struct exec_result *res,
                     struct buf *b)
{
    if (str_eqc(tag, "idle")) {
        buf_printf(b, "idle loop: %ums - HA.: %s", TASK_IDLE_PERIOD_MS, t->is_ha ? "ON" : "OFF");
        reply_text(res, a, b, true);
        return;
    }
    if (str_eqc(tag, "server")) {
        if (t->server_show)
            t->server_show(t->server_arg, b);
        reply_text(res, a, b, true);
        return;
    }
    size_t prefix = wildcard_prefix(tag);
    uint16_t idx[TASK_MAX];
    size_t n = sorted(t, idx), hits = 0;
    for (size_t i = 0; i < n; i++) {
        struct task *k = &t->slot[idx[i]];
        if (!matches(k, tag, prefix))
            continue;
        if (prefix)
            buf_printf(b, "%s%s: ", hits ? "\n" : "", k->tag);
        show_task(k, b);
        hits++;
        if (!prefix)
            break;
    }
    if (!hits)
        buf_printf(b, "No task found: %.*s", STR_FMT(tag));
    reply_text(res, a, b, true);
}

static void cmd_kill(struct tasks *t, struct str tag, struct arena *a, struct exec_result *res,
                     struct buf *b)
{
    if (is_builtin(tag)) {
        buf_printf(b, "Kill: %.*s|False", STR_FMT(tag)); /* idle and server stay */
        reply_text(res, a, b, true);
        return;
    }
    size_t prefix = wildcard_prefix(tag);
    /* Collect first: a native kill callback may add or remove tasks. */
    uint16_t idx[TASK_MAX], gen[TASK_MAX];
    size_t n = sorted(t, idx), hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (matches(&t->slot[idx[i]], tag, prefix)) {
            gen[hits] = t->slot[idx[i]].gen;
            idx[hits++] = idx[i];
            if (!prefix)
                break;
        }
    }
    if (!hits) {
        buf_printf(b, "No task found: %.*s", STR_FMT(tag));
        reply_text(res, a, b, true);
        return;
    }
    buf_puts(b, "Kill: ");
    bool first = true;
    for (size_t i = 0; i < hits; i++) {
        struct task *k = &t->slot[idx[i]];
        if (!is_listed(k) || k->gen != gen[i])
            continue;
        buf_printf(b, "%s%s|True", first ? "" : ", ", k->tag);
        first = false;
        kill_task(t, k);
    }
    reply_text(res, a, b, true);
}

static void sub_show(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res,
                     struct buf *b)
{
    cmd_show(t, c->tok[2], a, res, b);
}

static void sub_kill(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res,
                     struct buf *b)
{
    cmd_kill(t, c->tok[2], a, res, b);
}

/* The `task` sub-commands, declared like a Load Module's function table: a line matches one
 * when its second token is the name and it has exactly ntok tokens (after the postfixes);
 * anything else is answered with TASK_INVALID (micrOS). */
struct task_subcmd {
    const char *name;
    size_t ntok;          /* "task" + name + arguments */
    struct cmd_help help; /* its line in the shell's help */
    void (*run)(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res,
                struct buf *b);
};

/* A line of the [TASK] section of the shell's help. */
#define TASK_HELP(pos, usage, what)                                                                \
    {                                                                                              \
        .section = CMD_HELP_TASK, .order = (pos), .indent = 2, .col = 20, .left = (usage),         \
        .text = (what)                                                                             \
    }

static const struct task_subcmd s_subcmds[] = {
    {.name = "list",
     .ntok = 2,
     .help = TASK_HELP(0, "task list", "list tasks by tags"),
     .run = cmd_list},
    {.name = "show",
     .ntok = 3,
     .help = TASK_HELP(2, "task show <tag>", "show task output"),
     .run = sub_show},
    {.name = "kill",
     .ntok = 3,
     .help = TASK_HELP(1, "task kill <tag>", "stop task"),
     .run = sub_kill},
};

const struct cmd_help *task_help_at(size_t i)
{
    return i < sizeof s_subcmds / sizeof s_subcmds[0] ? &s_subcmds[i].help : NULL;
}

void task_command(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res)
{
    struct buf b;
    memset(res, 0, sizeof(*res));
    res->is_json = c->is_json;
    buf_init(&b, a->cap);
    const struct task_subcmd *sc = NULL;
    for (size_t i = 0; i < sizeof s_subcmds / sizeof s_subcmds[0] && !sc; i++)
        if (c->ntok == s_subcmds[i].ntok && str_eqc(c->tok[1], s_subcmds[i].name))
            sc = &s_subcmds[i];
    if (sc)
        sc->run(t, c, a, res, &b);
    else
        res->text = TASK_INVALID;
    buf_free(&b);
}

/* ---- queries and stats ---- */

bool task_is_active(const struct tasks *t, struct str tag)
{
    if (is_builtin(tag))
        return true;
    for (size_t i = 0; i < TASK_MAX; i++) {
        const struct task *k = &t->slot[i];
        if (is_listed(k) && !k->is_done && str_eqc(tag, k->tag))
            return true;
    }
    return false;
}

size_t task_queue_free(const struct tasks *t)
{
    size_t used = occupancy(t);
    return used >= t->limit ? 0 : t->limit - used;
}

size_t task_queue_limit(const struct tasks *t)
{
    return t->limit;
}

int task_load(const struct tasks *t)
{
    return t->load;
}

int task_stats_get(const struct tasks *t, const char *tag, struct task_stats *out)
{
    if (!tag) {
        *out = t->stats;
        return 0;
    }
    for (size_t i = 0; i < TASK_MAX; i++) {
        const struct task *k = &t->slot[i];
        if (is_listed(k) && strcmp(k->tag, tag) == 0) {
            *out = k->stats;
            return 0;
        }
    }
    return ERR_NOENT;
}

uint64_t task_stats_percentile(const struct task_stats *s, unsigned pct)
{
    uint64_t total = 0;
    for (size_t i = 0; i < TASK_HIST_BUCKETS; i++)
        total += s->hist[i];
    if (!total)
        return 0;
    if (pct > 100)
        pct = 100;
    uint64_t want = (total * pct + 99) / 100;
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < TASK_HIST_BUCKETS; i++) {
        seen += s->hist[i];
        if (seen >= want)
            return i < TASK_HIST_EXACT ? i : (uint64_t)1 << (i - TASK_HIST_EXACT + 5);
    }
    return s->late_max_ms;
}

uint64_t task_stats_percentile_us(const struct task_stats *s, unsigned pct)
{
    if (!s->runs)
        return 0;
    if (pct > 100)
        pct = 100;
    uint64_t want = (s->runs * pct + 99) / 100;
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < TASK_HIST_US_BUCKETS; i++) {
        seen += s->hist_us[i];
        if (seen >= want)
            return (uint64_t)i * TASK_HIST_US_STEP;
    }
    return task_stats_percentile(s, pct) * 1000u;
}
