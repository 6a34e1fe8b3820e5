/* task.h - the task manager: background Load Module calls and native tasks.
 *
 * A command with a task postfix (`&`, `&<ms>`, `&&`, `&&<ms>`) becomes a task tagged
 * `<module>.<function>` that runs on the event loop: each iteration sleeps its delay first,
 * then calls the function once (exec_call). A one-shot (`&`) runs once; a loop (`&&`) runs at
 * start + k*period, re-armed from its due time so no drift builds up (when it falls more than a
 * period behind, the missed runs are skipped). A call that fails ends the task, and
 * `task show` gives its output (the Core error text). A function that takes time asks, with
 * lm_again, to be called again after some ms with the same state (step 1, 2, ...) instead of
 * blocking; the iteration ends when it stops asking.
 *
 * Native tasks are the core's and modules' own background jobs (servers, InterCon calls, ...):
 * they run however their owner likes and join the same list/show/kill through the
 * task_native_* calls. The built-in `idle` (event-loop lag meter, micrOS's #load) and `server`
 * rows are always listed as active and never count toward the queue.
 *
 * Limits (COMPAT §2.4): at most `limit` (clamped aioqueue) tasks whose tag contains a '.' may be
 * unfinished at once; finished tasks stay listed as inactive, and when a task is created while
 * `limit` or more are inactive, the oldest are dropped down to limit-1. Killed tasks disappear.
 * All task memory is the fixed slot pool inside struct tasks (caller-owned storage). */
#ifndef TASK_H
#define TASK_H

#include "../config.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/ev.h"
#include "../core/str.h"
#include "cmd.h"
#include "exec.h"
#include "node.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef TASK_MAX
#define TASK_MAX 64 /* task slots: running and finished, LM and native */
#endif
#ifndef TASK_ARENA_SIZE
#define TASK_ARENA_SIZE 8192 /* per task: its copy of the command plus one call's scratch */
#endif
#ifndef TASK_STATE_SIZE
#define TASK_STATE_SIZE 256 /* per task: lm_ctx state blob, zeroed at task start */
#endif
#ifndef TASK_OUT_MAX
#define TASK_OUT_MAX 2048 /* per task: last output text kept for `task show` */
#endif
#ifndef TASK_TAG_MAX
#define TASK_TAG_MAX 96 /* longest tag + 1 */
#endif
#define TASK_IDLE_PERIOD_MS  600u /* idle task: one lag measurement per period... */
#define TASK_IDLE_MEASURE_MS 300u /* ...of a sleep this long */
#define TASK_HIST_EXACT      32   /* lateness histogram: 1 ms buckets for 0..31 ms... */
#define TASK_HIST_BUCKETS    (TASK_HIST_EXACT + 16) /* ...then [2^n, 2^(n+1)) for n = 5..20 */
#define TASK_HIST_US_STEP    20u                    /* fine lateness histogram: 20 us buckets... */
#define TASK_HIST_US_BUCKETS 50 /* ...for 0..999 us (later runs: the ms histogram) */

_Static_assert(TASK_MAX >= 2 && TASK_MAX <= 65535, "TASK_MAX out of range");
_Static_assert(TASK_ARENA_SIZE >= 2048, "TASK_ARENA_SIZE too small");
_Static_assert(TASK_OUT_MAX >= 64, "TASK_OUT_MAX too small");
_Static_assert(TASK_TAG_MAX >= 16, "TASK_TAG_MAX too small");

/* Appends a native task's current output text to out (for `task show`). */
typedef void task_show_fn(void *arg, struct buf *out);
/* Stops a native task because of `task kill`; its id is invalid once this returns. */
typedef void task_kill_fn(void *arg);

/* Lateness of task runs (actual start - due time, measured in us on the loop's clock). */
struct task_stats {
    uint64_t runs;                    /* iterations started */
    uint64_t skipped;                 /* loop runs skipped because they were over a period late */
    uint64_t late_max_ms;             /* worst lateness seen, whole ms */
    uint64_t late_sum_ms;             /* for the mean, whole ms */
    uint64_t late_max_us;             /* worst lateness seen, us */
    uint64_t late_sum_us;             /* for the mean, us */
    uint32_t hist[TASK_HIST_BUCKETS]; /* lateness histogram (see task_stats_percentile) */
    uint32_t hist_us[TASK_HIST_US_BUCKETS]; /* runs under 1 ms late, by 20 us */
};

enum task_kind { TASK_FREE, TASK_LM, TASK_NATIVE };

/* One slot of the pool. Fields are the task manager's; read them through the functions below. */
struct task {
    enum task_kind kind;
    bool is_done;    /* finished: listed as inactive */
    bool is_loop;    /* && */
    bool is_running; /* inside its exec_call right now */
    bool is_killed;  /* killed while running: freed when the call returns */
    uint16_t gen;    /* bumped when the slot is freed, so stale native ids are ignored */
    uint64_t seq;    /* creation order */
    char tag[TASK_TAG_MAX];
    struct tasks *owner;
    struct ev_timer timer;
    /* LM tasks */
    struct cmd cmd;     /* tokens point into mem */
    uint32_t period_ms; /* delay (one-shot) or period (loop) */
    uint64_t start_us;  /* spawn time on the loop's us clock: run k is due at start + k*period */
    uint64_t k;         /* runs scheduled so far */
    uint64_t due_us;    /* when the pending timer should fire (loop clock, us) */
    uint32_t step;      /* lm_again continuation step of the current iteration */
    struct node_caller caller; /* who started it (peer "" = the node): pwd= back-off */
    struct arena arena;        /* over mem, after the token copies */
    alignas(max_align_t) char mem[TASK_ARENA_SIZE];
    alignas(max_align_t) unsigned char state[TASK_STATE_SIZE];
    /* output, both kinds */
    char out[TASK_OUT_MAX];
    size_t out_len;
    /* native tasks */
    task_show_fn *show;
    task_kill_fn *kill;
    void *arg;
    struct task_stats stats;
};

/* Counters for metrics and tests. */
struct task_counters {
    uint64_t spawned;    /* LM tasks started */
    uint64_t natives;    /* native tasks added */
    uint64_t finished;   /* tasks that ended by themselves (done) */
    uint64_t failed;     /* LM tasks ended by a failed call */
    uint64_t killed;     /* tasks removed by task kill */
    uint64_t dropped;    /* finished tasks dropped by the inactive limit */
    uint64_t queue_full; /* spawns refused: queue full or no slot or no timer */
    uint64_t trunc_out;  /* outputs cut to TASK_OUT_MAX */
};

struct tasks {
    struct node *node;
    struct ev_loop *loop;
    size_t limit; /* clamped aioqueue */
    bool is_ha;   /* shown by `task show idle` */
    uint64_t next_seq;
    struct task slot[TASK_MAX];
    /* idle: loop-lag meter */
    struct ev_timer idle_timer;
    bool is_idle_measuring;
    uint64_t idle_start_ms; /* when the measured sleep began */
    int load;               /* #load, percent */
    /* server row */
    task_show_fn *server_show;
    void *server_arg;
    struct buf scratch;      /* rendering scratch, TASK_OUT_MAX bounded */
    struct task_stats stats; /* every LM task run */
    struct task_counters count;
};

/* Prepares t over node (node->loop must be set) with queue limit aioqueue (clamped to
 * 1..TASK_MAX/2) and starts the idle task. is_ha is shown in `task show idle`.
 * Returns 0, or ERR_FULL when the idle timer cannot be armed. Allocates nothing. */
int task_init(struct tasks *t, struct node *node, int aioqueue, bool is_ha);
/* Stops every task and timer and forgets them; native kill callbacks are not called. */
void task_deinit(struct tasks *t);
/* Changes the queue limit (clamped as in task_init); running tasks are not touched. */
void task_set_limit(struct tasks *t, int aioqueue);

/* Handles "task list|kill|show ..." (c->tok[0] is "task"); fills res. */
void task_command(struct tasks *t, const struct cmd *c, struct arena *a, struct exec_result *res);
/* The `help` line of the i-th `task` sub-command (shell help, [TASK]); NULL past the end. */
const struct cmd_help *task_help_at(size_t i);
/* Starts a background task for c (which has a & postfix); line is the full command line
 * c was parsed from (the task keeps its own copy). Fills res with micrOS's reply,
 * e.g. {'system.heartbeat': 'Starting'}. */
void task_spawn(struct tasks *t, const struct cmd *c, struct str line, struct arena *a,
                struct exec_result *res);

/* Registers a native task called tag (copied). show (may be NULL: the text set with
 * task_native_set_output is shown) and kill (NULL: `task kill` only forgets it) get arg.
 * Returns an id >= 0, ERR_FULL when the queue is full (a tag with '.') or no slot is left,
 * ERR_EXIST when an unfinished task has that tag, ERR_INVAL for an empty, too long or
 * built-in tag. A finished task with the same tag is replaced. */
int task_native_add(struct tasks *t, const char *tag, task_show_fn *show, task_kill_fn *kill,
                    void *arg);
/* Stores text (len bytes, cut to TASK_OUT_MAX) as the native task's output. Stale ids are
 * ignored. */
void task_native_set_output(struct tasks *t, int id, const char *text, size_t len);
/* Marks a native task finished: its output is taken from show once more, the callbacks are
 * forgotten and it stays listed as inactive. Stale ids are ignored. */
void task_native_finish(struct tasks *t, int id);
/* Removes a native task from the list at once (no kill callback). Stale ids are ignored. */
void task_native_remove(struct tasks *t, int id);
/* Fills res with micrOS's reply to starting a task called tag, from the return of
 * task_native_add: {'tag': 'Starting'}, 'Already running' or '[aio] Task queue full: N'
 * (ok false), as a Python dict repr in text or a dict value when is_json. */
void task_reply(struct tasks *t, const char *tag, int rc, bool is_json, struct arena *a,
                struct exec_result *res);

/* Sets the callback that gives the built-in `server` task's output (the client list). */
void task_server_set(struct tasks *t, task_show_fn *show, void *arg);

/* Returns true when a task called tag exists and is not finished. */
bool task_is_active(const struct tasks *t, struct str tag);
/* Returns the free queue places (#queue). */
size_t task_queue_free(const struct tasks *t);
/* Returns the queue size (aioqueue). */
size_t task_queue_limit(const struct tasks *t);
/* Returns the event-loop load estimate in percent (#load). */
int task_load(const struct tasks *t);

/* Copies the lateness stats of the task called tag, or of all LM task runs when tag is NULL,
 * into out. Returns 0 or ERR_NOENT. */
int task_stats_get(const struct tasks *t, const char *tag, struct task_stats *out);
/* Returns the pct-th percentile (0..100) of the lateness in s, in ms: exact below
 * TASK_HIST_EXACT ms, the bucket's lower bound above. 0 when there are no runs. */
uint64_t task_stats_percentile(const struct task_stats *s, unsigned pct);
/* Returns the pct-th percentile (0..100) of the lateness in s, in us: the lower bound of its
 * 20 us bucket below 1 ms, 1000 * task_stats_percentile above. 0 when there are no runs. */
uint64_t task_stats_percentile_us(const struct task_stats *s, unsigned pct);

#endif
