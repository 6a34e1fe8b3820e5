/* cron.c - cron grammar, next-fire computation and the one-timer scheduler. */
#include "cron.h"
#include "metrics.h"

#include "../core/err.h"
#include "../core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S          86400
#define SEARCH_STEPS   200000 /* bound of the candidate walk of one next-fire computation */
#define SUN_DAYS_AHEAD 400    /* a sun job with no event in this many days never fires */
#define SUN_OFF_MAX    1439   /* sun offsets, minutes */

/* ---- grammar ---- */

static int why(char *out, size_t cap, const char *fmt, const char *arg)
{
    if (out && cap)
        snprintf(out, cap, fmt, arg);
    return ERR_SYNTAX;
}

/* Parses a decimal 0..max from the whole of s (leading zeros allowed: sunset-0030). */
static bool parse_uint(struct str s, int max, int *out)
{
    int64_t v;
    if (s.len > 4 || !str_to_int(s, false, max, &v))
        return false;
    *out = (int)v;
    return true;
}

/* One WD/H/M/S field into a bit mask; ranges only when allow_range. */
static bool parse_field(struct str f, int max, bool allow_range, uint64_t *mask)
{
    if (str_eqc(f, "*")) {
        *mask = max >= 63 ? UINT64_MAX : ((uint64_t)1 << (max + 1)) - 1;
        return true;
    }
    const char *dash = f.len ? memchr(f.p, '-', f.len) : NULL;
    if (dash && allow_range) {
        int a, b;
        struct str sa = {f.p, (size_t)(dash - f.p)};
        struct str sb = str_from(f, (size_t)(dash - f.p) + 1);
        if (!parse_uint(sa, max, &a) || !parse_uint(sb, max, &b))
            return false;
        *mask = 0;
        for (int i = a;; i = i == max ? 0 : i + 1) { /* wraps: 5-1 = 5,6,0,1 */
            *mask |= (uint64_t)1 << i;
            if (i == b)
                break;
        }
        return true;
    }
    int v;
    if (!parse_uint(f, max, &v))
        return false;
    *mask = (uint64_t)1 << v;
    return true;
}

static const struct {
    const char *name;
    enum sun_event ev;
} s_sun_names[] = {
    {.name = "sunrise", .ev = SUN_RISE},
    {.name = "sunset", .ev = SUN_SET},
    {.name = "dawn", .ev = SUN_DAWN},
    {.name = "dusk", .ev = SUN_DUSK},
};

static int parse_sun(struct str t, struct cron_job *job, char *out, size_t cap)
{
    for (size_t i = 0; i < sizeof s_sun_names / sizeof s_sun_names[0]; i++) {
        if (!str_starts(t, s_sun_names[i].name))
            continue;
        struct str off = str_trim(str_from(t, strlen(s_sun_names[i].name)));
        int minutes = 0;
        if (off.len) {
            if (off.p[0] != '+' && off.p[0] != '-')
                return why(out, cap, "after %s comes +minutes or -minutes", s_sun_names[i].name);
            if (!parse_uint(str_trim(str_from(off, 1)), SUN_OFF_MAX, &minutes))
                return why(out, cap, "%s offset must be 0..1439 minutes", s_sun_names[i].name);
            if (off.p[0] == '-')
                minutes = -minutes;
        }
        job->kind = CRON_SUN;
        job->sun = s_sun_names[i].ev;
        job->sun_off_s = minutes * 60;
        return 0;
    }
    return 1; /* not a sun tag */
}

int cron_parse_entry(struct str entry, struct cron_job *job, char *out, size_t cap)
{
    memset(job, 0, sizeof *job);
    entry = str_trim(entry);
    if (entry.len == 0 || entry.p[0] == '#')
        return ERR_NOENT;
    job->entry = entry;
    job->next = CRON_NEVER;
    job->last = INT64_MIN;
    const char *bang = memchr(entry.p, '!', entry.len);
    if (!bang)
        return why(out, cap, "%s", "no '!' between time and command");
    struct str t = str_trim((struct str){entry.p, (size_t)(bang - entry.p)});
    job->cmd = str_trim(str_from(entry, (size_t)(bang - entry.p) + 1));
    if (job->cmd.len == 0)
        return why(out, cap, "%s", "no command after '!'");
    if (t.len == 0)
        return why(out, cap, "%s", "no time before '!'");
    int rc = parse_sun(t, job, out, cap);
    if (rc <= 0)
        return rc;
    struct str f[4];
    size_t n = 0;
    struct str rest = t;
    while (n < 4) {
        const char *colon = memchr(rest.p, ':', rest.len);
        size_t len = colon ? (size_t)(colon - rest.p) : rest.len;
        f[n++] = str_trim((struct str){rest.p, len});
        if (!colon) {
            rest = STR_NULL;
            break;
        }
        rest = str_from(rest, len + 1);
        if (n == 4)
            return why(out, cap, "%s", "time has more than 4 fields (WD:H:M:S)");
    }
    if (n != 4)
        return why(out, cap, "%s", "time must be WD:H:M:S or sunrise/sunset/dawn/dusk[+-minutes]");
    uint64_t wd, h, m, s;
    if (!parse_field(f[0], 6, true, &wd))
        return why(out, cap, "%s", "weekday must be *, 0..6 (0 = Monday) or a range a-b");
    if (!parse_field(f[1], 23, false, &h))
        return why(out, cap, "%s", "hour must be * or 0..23");
    if (!parse_field(f[2], 59, false, &m))
        return why(out, cap, "%s", "minute must be * or 0..59");
    if (!parse_field(f[3], 59, false, &s))
        return why(out, cap, "%s", "second must be * or 0..59");
    job->kind = CRON_AT;
    job->wd = (uint8_t)wd;
    job->hour = (uint32_t)h;
    job->minute = m;
    job->sec = s;
    return 0;
}

/* Calls fn for every entry of text, split as micrOS does: by ";;" when the text holds one,
 * else by ';'. Stops and returns fn's value when it is non-zero. */
typedef int entry_fn(struct str entry, void *arg);
static int split_entries(struct str text, entry_fn *fn, void *arg)
{
    text = str_trim(text);
    if (str_eqc(text, "n/a"))
        return 0;
    bool is_double = false;
    for (size_t i = 0; i + 1 < text.len; i++)
        if (text.p[i] == ';' && text.p[i + 1] == ';')
            is_double = true;
    size_t sep = is_double ? 2 : 1;
    while (text.len) {
        size_t n = 0;
        while (n < text.len &&
               !(text.p[n] == ';' && (sep == 1 || (n + 1 < text.len && text.p[n + 1] == ';'))))
            n++;
        int rc = fn((struct str){text.p, n}, arg);
        if (rc)
            return rc;
        text = str_from(text, n + (n < text.len ? sep : 0));
    }
    return 0;
}

struct validate_ctx {
    char *msg;
    size_t cap;
};

static int validate_one(struct str entry, void *arg)
{
    struct validate_ctx *v = arg;
    struct cron_job job;
    char reason[CRON_ERR_MAX];
    int rc = cron_parse_entry(entry, &job, reason, sizeof reason);
    if (rc != ERR_SYNTAX)
        return 0;
    struct str e = str_trim(entry);
    if (v->msg && v->cap)
        snprintf(v->msg, v->cap, "cron entry '%.*s': %s", (int)(e.len > 80 ? 80 : e.len), e.p,
                 reason);
    return ERR_SYNTAX;
}

int cron_validate(const char *text, char *msg, size_t cap)
{
    struct validate_ctx v = {msg, cap};
    if (msg && cap)
        msg[0] = '\0';
    return split_entries(str_c(text), validate_one, &v);
}

/* ---- next fire time ---- */

/* Lowest set bit >= from in mask (bits 0..max), or -1. */
static int next_bit(uint64_t mask, int from, int max)
{
    for (int i = from; i <= max; i++)
        if (mask & ((uint64_t)1 << i))
            return i;
    return -1;
}

/* First second of the day >= tod matching job's H, M, S masks, or -1. */
static int64_t next_tod(const struct cron_job *job, int64_t tod)
{
    int h0 = (int)(tod / 3600), m0 = (int)(tod / 60 % 60), s0 = (int)(tod % 60);
    for (int h = next_bit(job->hour, h0, 23); h >= 0; h = next_bit(job->hour, h + 1, 23)) {
        int mfrom = h == h0 ? m0 : 0;
        for (int m = next_bit(job->minute, mfrom, 59); m >= 0;
             m = next_bit(job->minute, m + 1, 59)) {
            int sfrom = (h == h0 && m == m0) ? s0 : 0;
            int s = next_bit(job->sec, sfrom, 59);
            if (s >= 0)
                return h * 3600 + m * 60 + s;
        }
    }
    return -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* micrOS weekday (0 = Monday) of a day number since 1970 (a Thursday). */
static int weekday(int64_t day)
{
    return (int)(((day % 7) + 7 + 3) % 7);
}

static int64_t next_at(struct cron *cron, const struct cron_job *job, int64_t after)
{
    const struct clock_tz *tz = &cron->clock->tz;
    int32_t min_off = tz->std_off < tz->dst_off ? tz->std_off : tz->dst_off;
    /* The local-to-UTC map (gap: next valid instant, fold: first occurrence) never goes
     * backwards, so walking matching local times upward finds the first one after `after`.
     * No local time below after + min_off + 1 can map past after. */
    int64_t local = after + min_off + 1;
    for (int steps = 0; steps < SEARCH_STEPS; steps++) {
        int64_t day = floor_div(local, DAY_S);
        int64_t tod = local - day * DAY_S;
        int64_t hit = (job->wd & (1u << weekday(day))) ? next_tod(job, tod) : -1;
        if (hit < 0) {
            local = (day + 1) * DAY_S;
            continue;
        }
        int64_t cand = day * DAY_S + hit, utc;
        clock_tz_to_utc(tz, cand, &utc);
        if (utc > after)
            return utc;
        local = cand + 1;
    }
    return CRON_NEVER;
}

/* The sun event of kind ev on local day `day`, or CRON_NEVER (polar day/night). */
static int64_t sun_of_day(struct cron *cron, enum sun_event ev, int64_t day)
{
    struct cron_sun_cache *c = &cron->sun_cache[ev][day & 3];
    if (c->day == day)
        return c->at;
    const struct clock_tz *tz = &cron->clock->tz;
    int64_t from, to, at;
    clock_tz_to_utc(tz, day * DAY_S, &from);
    clock_tz_to_utc(tz, (day + 1) * DAY_S, &to);
    enum sun_state st = sun_next(cron->lat, cron->lon, ev, from, &at);
    c->day = day;
    c->at = st == SUN_OK && at < to ? at : CRON_NEVER;
    return c->at;
}

static int64_t next_sun(struct cron *cron, const struct cron_job *job, int64_t after)
{
    if (!cron->has_geo)
        return CRON_NEVER;
    const struct clock_tz *tz = &cron->clock->tz;
    /* The local day whose event (plus offset) may first come after `after`. */
    int64_t day = floor_div(after - job->sun_off_s + clock_tz_offset(tz, after), DAY_S) - 1;
    for (int i = 0; i < SUN_DAYS_AHEAD; i++, day++) {
        int64_t at = sun_of_day(cron, job->sun, day);
        if (at != CRON_NEVER && at + job->sun_off_s > after)
            return at + job->sun_off_s;
    }
    return CRON_NEVER;
}

int64_t cron_job_next(struct cron *cron, const struct cron_job *job, int64_t after)
{
    return job->kind == CRON_SUN ? next_sun(cron, job, after) : next_at(cron, job, after);
}

/* ---- the scheduler ---- */

static void sun_cache_clear(struct cron *cron)
{
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            cron->sun_cache[i][j].day = INT64_MIN;
}

void cron_init(struct cron *cron, struct ev_loop *loop, struct clock *clock, cron_run_fn *run,
               void *arg)
{
    memset(cron, 0, sizeof *cron);
    cron->loop = loop;
    cron->clock = clock;
    cron->run = run;
    cron->run_arg = arg;
    cron->watch_ms = CRON_WATCH_MS;
    cron->timer.arg = cron;
    cron->watch.arg = cron;
    sun_cache_clear(cron);
}

void cron_deinit(struct cron *cron)
{
    cron_stop(cron);
    free(cron->jobs);
    free(cron->text);
    free(cron->old_jobs);
    free(cron->old_text);
    cron->jobs = cron->old_jobs = NULL;
    cron->text = cron->old_text = NULL;
    cron->njobs = 0;
}

void cron_set_bad_fn(struct cron *cron, cron_bad_fn *fn, void *arg)
{
    cron->bad = fn;
    cron->bad_arg = arg;
}

static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t);

/* Arms the one timer for the earliest job: its UTC second as a monotonic deadline. */
static void arm(struct cron *cron)
{
    if (!cron->is_running)
        return;
    int64_t first = CRON_NEVER;
    for (size_t i = 0; i < cron->njobs; i++)
        if (cron->jobs[i].next < first)
            first = cron->jobs[i].next;
    if (first == CRON_NEVER) {
        ev_timer_stop(cron->loop, &cron->timer);
        return;
    }
    int64_t now_ms = clock_now_ms(cron->clock);
    int64_t wait = first * 1000 - now_ms;
    if (wait < 0)
        wait = 0;
    cron->stats.rearms++;
    ev_timer_start(cron->loop, &cron->timer, (uint64_t)wait, on_timer);
}

static void compute_all(struct cron *cron, int64_t after)
{
    for (size_t i = 0; i < cron->njobs; i++)
        cron->jobs[i].next = cron_job_next(cron, &cron->jobs[i], after);
}

static void take_reference(struct cron *cron)
{
    cron->ref_wall_ms = clock_now_ms(cron->clock);
    cron->ref_mono_ms = ev_update_now(cron->loop);
}

/* True when the wall clock moved differently from the monotonic clock since the last look
 * (setclock, NTP step, suspend); takes a new reference either way. */
static bool wall_jumped(struct cron *cron)
{
    int64_t wall = clock_now_ms(cron->clock);
    uint64_t mono = ev_update_now(cron->loop);
    int64_t drift = (wall - cron->ref_wall_ms) - (int64_t)(mono - cron->ref_mono_ms);
    cron->ref_wall_ms = wall;
    cron->ref_mono_ms = mono;
    return drift > CRON_JUMP_MS || drift < -CRON_JUMP_MS;
}

void cron_reschedule(struct cron *cron)
{
    sun_cache_clear(cron);
    /* A second that has begun is over: a job fires at the start of its second or not at
     * all, so the first candidate is the next second. */
    int64_t now_ms = clock_now_ms(cron->clock);
    int64_t now = floor_div(now_ms, 1000);
    compute_all(cron, now_ms == now * 1000 ? now - 1 : now);
    take_reference(cron);
    arm(cron);
}

/* Recomputes every job when the wall clock jumped since the last reference; returns true then. */
static bool reschedule_if_jumped(struct cron *cron)
{
    if (!wall_jumped(cron))
        return false;
    cron->stats.jumps++;
    LOG_I("cron: wall clock jumped, rescheduling");
    cron_reschedule(cron);
    return true;
}

static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct cron *cron = t->arg;
    if (reschedule_if_jumped(cron))
        return EV_DONE;
    int64_t now_ms = clock_now_ms(cron->clock);
    int64_t now = floor_div(now_ms, 1000);
    uint32_t gen = cron->gen;
    cron->is_firing = true;
    for (size_t i = 0; i < cron->njobs; i++) {
        struct cron_job *job = &cron->jobs[i];
        if (job->next > now)
            continue; /* not due (also: the timer never runs a job before its second) */
        /* Lateness of this run's start: jobs due together run one after another. */
        int64_t start_ms = i == 0 ? now_ms : clock_now_ms(cron->clock);
        uint64_t late = start_ms > job->next * 1000 ? (uint64_t)(start_ms - job->next * 1000) : 0;
        cron->stats.fired++;
        cron->stats.late_sum_ms += late;
        metrics_cron_run(late);
        if (late > cron->stats.late_max_ms)
            cron->stats.late_max_ms = late;
        job->last = job->next;
        job->runs++;
        /* Missed seconds (a long stall) are not replayed: the next run is after now. */
        job->next = cron_job_next(cron, job, job->next > now ? job->next : now);
        if (cron->run)
            cron->run(cron->run_arg, job->cmd, i);
        if (cron->gen != gen)
            break; /* the run replaced the jobs; cron_set_tasks rescheduled them */
    }
    cron->is_firing = false;
    free(cron->old_jobs);
    free(cron->old_text);
    cron->old_jobs = NULL;
    cron->old_text = NULL;
    if (cron->gen == gen)
        arm(cron);
    return EV_DONE;
}

static int64_t on_watch(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    reschedule_if_jumped(t->arg);
    return ((struct cron *)t->arg)->watch_ms;
}

struct load_ctx {
    struct cron *cron;
    struct cron_job *jobs;
    size_t n;
};

static int load_one(struct str entry, void *arg)
{
    struct load_ctx *lc = arg;
    char reason[CRON_ERR_MAX];
    struct cron_job job;
    int rc = cron_parse_entry(entry, &job, reason, sizeof reason);
    if (rc == ERR_NOENT)
        return 0;
    if (rc < 0) {
        lc->cron->stats.bad++;
        if (lc->cron->bad)
            lc->cron->bad(lc->cron->bad_arg, str_trim(entry), reason);
        return 0;
    }
    if (lc->n >= CRON_MAX_JOBS) {
        lc->cron->stats.refused++;
        return 0;
    }
    lc->jobs[lc->n++] = job;
    return 0;
}

int cron_set_tasks(struct cron *cron, const char *text)
{
    size_t len = strlen(text);
    if (len > CRON_TEXT_MAX)
        return ERR_TOOBIG;
    /* Upper bound of entries: separators + 1. */
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == ';';
    if (cap > CRON_MAX_JOBS)
        cap = CRON_MAX_JOBS;
    char *copy = malloc(len + 1);
    struct cron_job *jobs = calloc(cap, sizeof *jobs);
    if (!copy || !jobs) {
        free(copy);
        free(jobs);
        return ERR_NOMEM;
    }
    memcpy(copy, text, len + 1);
    cron->stats.bad = 0;
    cron->stats.refused = 0;
    struct load_ctx lc = {cron, jobs, 0};
    split_entries((struct str){copy, len}, load_one, &lc);
    if (cron->is_firing && !cron->old_jobs) {
        /* The timer callback is walking these jobs: free them after its loop. */
        cron->old_jobs = cron->jobs;
        cron->old_text = cron->text;
    } else {
        free(cron->jobs);
        free(cron->text);
    }
    cron->gen++;
    cron->jobs = jobs;
    cron->text = copy;
    cron->njobs = lc.n;
    if (cron->stats.refused)
        LOG_W("cron: %u entries beyond the limit of %d refused", (unsigned)cron->stats.refused,
              CRON_MAX_JOBS);
    if (cron->is_running)
        cron_reschedule(cron);
    return (int)lc.n;
}

void cron_set_geoloc(struct cron *cron, bool has, double lat, double lon)
{
    cron->has_geo = has;
    cron->lat = lat;
    cron->lon = lon;
    if (cron->is_running)
        cron_reschedule(cron);
    else
        sun_cache_clear(cron);
}

int cron_start(struct cron *cron)
{
    cron->is_running = true;
    int rc = ev_timer_start(cron->loop, &cron->watch, cron->watch_ms, on_watch);
    if (rc < 0) {
        cron->is_running = false;
        return rc;
    }
    cron_reschedule(cron);
    return 0;
}

void cron_stop(struct cron *cron)
{
    cron->is_running = false;
    if (cron->loop) {
        ev_timer_stop(cron->loop, &cron->timer);
        ev_timer_stop(cron->loop, &cron->watch);
    }
}
