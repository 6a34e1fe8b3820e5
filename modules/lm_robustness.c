/* lm_robustness.c - the Load Module `robustness` (micrOS's LM_robustness): functions that
 * test how the node copes with errors, memory use, deep calls and @sudo (COMPAT §10.3).
 *
 * Every test is bounded: it reports a limit as a result or an error and never crashes the
 * node. micrOS's task examples (create_task, mytask) are not here: the task manager has its
 * own tests. */
#include "../core/err.h"
#include "../hal/hal_sys.h"
#include "../svc/lm.h"
#include "../svc/syslog.h"
#include "../svc/val.h"

#include <stdio.h>

#define RECURSION_MAX       1000  /* deepest recursion_limit goes; deeper counts as the limit */
#define MEMORY_LEAK_MAX     10000 /* most items memory_leak builds */
#define MEMORY_LEAK_RESERVE 1024  /* arena bytes memory_leak leaves for the reply */

static int fn_raise_error(struct lm_ctx *ctx)
{
    int rc = ctx->node->log ? syslog_write(ctx->node->log, "Robustness TeSt ErRoR") : ERR_IO;
    return lm_error(ctx, "Test exception: %s", rc == 0 ? "OK" : "NOK");
}

/* Builds cnt strings in the command arena (a dict of them and the report lines), then tells
 * how much memory that took. It stops with a clear error before the arena runs out, keeping
 * room for the reply. */
static int fn_memory_leak(struct lm_ctx *ctx)
{
    int64_t cnt = lm_int(ctx, "cnt");
    if (cnt < 0 || cnt > MEMORY_LEAK_MAX)
        return lm_error(ctx, "cnt out of range (0-%d): %lld", MEMORY_LEAK_MAX, (long long)cnt);
    struct arena *a = ctx->arena;
    size_t start = a->used, text_len = 0;
    uint64_t rss = 0, total = 0;
    hal_sys_mem(&rss, &total);
    struct val *store = val_dict(a);
    struct val *lines = val_list(a);
    for (int64_t k = 0; k < cnt && !a->is_full; k++) {
        /* The joined reply is copied into the arena too: keep room for it. */
        if (a->cap - a->used < text_len + MEMORY_LEAK_RESERVE)
            return lm_error(ctx,
                            "memory allocation failed: the command arena (%zu bytes) is full "
                            "after %lld items",
                            a->cap, (long long)k);
        char *data = arena_printf(a, "micrOS memory usage: %.1f %%",
                                  total ? (double)rss * 100.0 / (double)total : 0.0);
        struct val *line = val_strf(a, "[%lld] gen: %s", (long long)k, data ? data : "");
        val_dict_set_ikey(a, store, k, val_str(a, data ? data : ""));
        val_append(lines, line);
        text_len += line ? line->u.s.len + 1 : 0;
    }
    if (a->is_full)
        return lm_error(ctx, "memory allocation failed: the command arena (%zu bytes) is full",
                        a->cap);
    size_t delta = a->used - start;
    /* Join the lines into one reply, as micrOS returns them. */
    struct buf out;
    buf_init(&out, a->cap);
    for (const struct val *l = lines->u.c.head; l; l = l->next)
        buf_printf(&out, "%s\n", l->u.s.p);
    buf_printf(&out, "[%zu] RAM Alloc.: %zu kB %zu byte", store->u.c.n, delta / 1024, delta % 1024);
    int rc = out.is_full ? lm_error(ctx, "memory allocation failed: reply too large")
                         : lm_ret_str(ctx, buf_cstr(&out));
    buf_free(&out);
    return rc;
}

/* Calls itself depth times; returns the depth reached. */
static int recurse(int depth)
{
    if (depth <= 0)
        return 0;
    volatile int frame = depth; /* keeps each call a real stack frame */
    return recurse(frame - 1) + 1;
}

static int fn_recursion_limit(struct lm_ctx *ctx)
{
    int64_t limit = lm_int(ctx, "limit");
    struct buf out;
    int64_t cnt = 0;
    buf_init(&out, ctx->arena->cap);
    for (int64_t i = 1; i <= limit; i++) {
        cnt = i;
        if (i > RECURSION_MAX) {
            buf_printf(&out, "ok error: maximum recursion depth exceeded (%d)\n", RECURSION_MAX);
            break;
        }
        buf_printf(&out, "recalled %d\n", recurse((int)i));
    }
    buf_printf(&out, "Recursion limit: %lld", (long long)cnt);
    int rc = out.is_full ? lm_error(ctx, "memory allocation failed: reply too large")
                         : lm_ret_str(ctx, buf_cstr(&out));
    buf_free(&out);
    return rc;
}

static int fn_func_sudo(struct lm_ctx *ctx)
{
    return lm_ret_str(ctx, "Access granted");
}

static int fn_func_sudo_opt(struct lm_ctx *ctx)
{
    return lm_ret_strf(ctx, "Access granted, force flag: %s",
                       lm_bool(ctx, "force") ? "True" : "False");
}

static const struct lm_func s_funcs[] = {
    {.name = "raise_error", .fn = fn_raise_error},
    {.name = "memory_leak",
     .fn = fn_memory_leak,
     .params = LM_PARAMS({"cnt", LM_INT, "160", NULL})},
    {.name = "recursion_limit",
     .fn = fn_recursion_limit,
     .params = LM_PARAMS({"limit", LM_INT, "14", NULL})},
    {.name = "func_sudo", .fn = fn_func_sudo, .flags = LM_SUDO},
    {.name = "func_sudo_opt",
     .fn = fn_func_sudo_opt,
     .params = LM_PARAMS({"force", LM_BOOL, "False", NULL}),
     .flags = LM_SUDO_FORCE},
    {.name = NULL},
};

const struct lm_module lm_robustness = {.name = "robustness", .funcs = s_funcs};
