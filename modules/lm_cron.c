/* lm_cron.c - the Load Module `cron`: look into the scheduler.
 *
 *   cron list              every job of crontasks with its next fire time (local)
 *   cron next "<expr>" n=5 the next n fire times of any entry or time expression, or why it
 *                          is invalid, before you save it
 *   cron history           the most recent runs: when, how late, the reply's first line
 *   cron stats             runs, worst and mean lateness, timer re-arms, clock jumps
 *   cron run <index>       runs job <index> now
 *
 * Times are the node's local time ("2026-11-24 16:03:00 Tue"). */
#include "../core/err.h"
#include "../svc/clock.h"
#include "../svc/cron.h"
#include "../svc/lm.h"
#include "../svc/sched.h"
#include "../svc/val.h"

#include <stdio.h>
#include <string.h>

#define NEXT_MAX 100 /* most fire times `cron next` lists */

static const char *const s_wdays[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/* Formats the local time of utc into out ("2026-11-24 16:03:00 Tue"). */
static const char *local_text(const struct clock *c, int64_t utc, char *out, size_t cap)
{
    struct clock_tm t;
    clock_local(c, utc, &t);
    snprintf(out, cap, "%04lld-%02d-%02d %02d:%02d:%02d %s", (long long)t.year, t.month, t.mday,
             t.hour, t.minute, t.sec, s_wdays[t.wday]);
    return out;
}

static struct sched *sched_of(struct lm_ctx *ctx)
{
    return ctx->node->sched;
}

static int fn_list(struct lm_ctx *ctx)
{
    struct sched *s = sched_of(ctx);
    if (!s)
        return lm_error(ctx, "the scheduler is not running");
    struct arena *a = ctx->arena;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(a, d, "cron",
                 val_str(a, s->is_cron ? "on" : "off (conf: cron True, then reboot)"));
    int64_t now = clock_now(&s->clock);
    for (size_t i = 0; i < s->cron.njobs; i++) {
        const struct cron_job *j = &s->cron.jobs[i];
        int64_t next = s->is_cron ? j->next : cron_job_next(&s->cron, j, now - 1);
        char key[160], when[48];
        snprintf(key, sizeof key, "%zu %.*s", i, (int)(j->entry.len > 140 ? 140 : j->entry.len),
                 j->entry.p);
        struct val *v;
        if (next == CRON_NEVER)
            v = val_strf(a, "never (%s), runs %u",
                         j->kind == CRON_SUN && !s->cron.has_geo ? "geoloc not set"
                                                                 : "no such time ahead",
                         (unsigned)j->runs);
        else
            v = val_strf(a, "next %s, runs %u", local_text(&s->clock, next, when, sizeof when),
                         (unsigned)j->runs);
        val_dict_set(a, d, key, v);
    }
    if (s->cron.stats.bad)
        val_dict_set(
            a, d, "skipped",
            val_strf(a, "%u bad entries (see logs/warn.sys.log)", (unsigned)s->cron.stats.bad));
    return 0;
}

static int fn_next(struct lm_ctx *ctx)
{
    struct sched *s = sched_of(ctx);
    if (!s)
        return lm_error(ctx, "the scheduler is not running");
    const char *expr = lm_str(ctx, "expr");
    int64_t n = lm_int(ctx, "n");
    if (!expr)
        return lm_error(ctx, "give a cron entry or time, e.g. \"0-4:7:0:0\" or \"sunset-30\"");
    if (n < 1 || n > NEXT_MAX)
        return lm_error(ctx, "n must be 1..%d", NEXT_MAX);
    char entry[512];
    /* A bare time is checked as an entry with the stand-in command "-". */
    snprintf(entry, sizeof entry, strchr(expr, '!') ? "%s" : "%s!-", expr);
    struct cron_job job;
    char why[CRON_ERR_MAX];
    int rc = cron_parse_entry(str_c(entry), &job, why, sizeof why);
    if (rc == ERR_NOENT)
        return lm_error(ctx, "'%s' is disabled or empty", expr);
    if (rc < 0)
        return lm_error(ctx, "'%s': %s", expr, why);
    if (job.kind == CRON_SUN && !s->cron.has_geo)
        return lm_error(ctx, "'%s' needs geoloc: conf, then geoloc \"<lat>,<lon>\"", expr);
    struct val *d = lm_ret_dict(ctx);
    int64_t t = clock_now(&s->clock) - 1;
    for (int64_t i = 1; i <= n; i++) {
        t = cron_job_next(&s->cron, &job, t);
        if (t == CRON_NEVER)
            break;
        char when[48];
        val_dict_set_ikey(ctx->arena, d, i,
                          val_str(ctx->arena, local_text(&s->clock, t, when, sizeof when)));
    }
    return 0;
}

static int fn_history(struct lm_ctx *ctx)
{
    struct sched *s = sched_of(ctx);
    if (!s)
        return lm_error(ctx, "the scheduler is not running");
    struct val *d = lm_ret_dict(ctx);
    uint32_t n = s->nhistory < SCHED_HISTORY ? s->nhistory : SCHED_HISTORY;
    for (uint32_t k = 0; k < n; k++) {
        const struct sched_run *r = &s->history[(s->nhistory - n + k) % SCHED_HISTORY];
        int64_t late = r->wall_ms - r->due_s * 1000;
        char when[48];
        local_text(&s->clock, r->due_s, when, sizeof when);
        val_dict_set_ikey(
            ctx->arena, d, (int64_t)k + 1,
            val_strf(ctx->arena, "%s +%lld ms %s -> %s", when, (long long)late, r->entry, r->out));
    }
    return 0;
}

static int fn_stats(struct lm_ctx *ctx)
{
    struct sched *s = sched_of(ctx);
    if (!s)
        return lm_error(ctx, "the scheduler is not running");
    const struct cron_stats *st = &s->cron.stats;
    struct arena *a = ctx->arena;
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(a, d, "jobs", val_int(a, (int64_t)s->cron.njobs));
    val_dict_set(a, d, "runs", val_int(a, (int64_t)st->fired));
    val_dict_set(a, d, "late max [ms]", val_int(a, (int64_t)st->late_max_ms));
    val_dict_set(a, d, "late mean [ms]",
                 val_float(a, st->fired ? (double)st->late_sum_ms / (double)st->fired : 0.0));
    val_dict_set(a, d, "rearms", val_int(a, st->rearms));
    val_dict_set(a, d, "clock jumps", val_int(a, st->jumps));
    val_dict_set(a, d, "bad entries", val_int(a, st->bad));
    val_dict_set(a, d, "timirq runs", val_int(a, (int64_t)s->timirq_runs));
    return 0;
}

static int fn_run(struct lm_ctx *ctx)
{
    struct sched *s = sched_of(ctx);
    if (!s)
        return lm_error(ctx, "the scheduler is not running");
    int64_t i = lm_int(ctx, "index");
    if (i < 0 || sched_cron_run(s, (size_t)i) < 0)
        return lm_error(ctx, "no job %lld (cron list shows %zu jobs)", (long long)i, s->cron.njobs);
    const struct sched_run *r = &s->history[(s->nhistory - 1) % SCHED_HISTORY];
    return lm_ret_str(ctx, r->out);
}

static const struct lm_func s_funcs[] = {
    {.name = "list", .fn = fn_list},
    {.name = "next",
     .fn = fn_next,
     .params = LM_PARAMS({"expr", LM_STR, NULL, NULL}, {"n", LM_INT, "5", "1-100"})},
    {.name = "history", .fn = fn_history},
    {.name = "stats", .fn = fn_stats},
    {.name = "run", .fn = fn_run, .params = LM_PARAMS({"index", LM_INT, NULL, NULL})},
    {.name = NULL},
};

const struct lm_module lm_cron = {.name = "cron", .funcs = s_funcs};
