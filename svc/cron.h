/* cron.h - the cron scheduler (COMPAT §5.2 with Part A 14).
 *
 * Grammar of `crontasks`: entries TIME!COMMAND separated by ';', or by ';;' when the text
 * contains ';;' (then COMMAND may itself be a ';' pipe). TIME is WD:H:M:S, each field an
 * integer or '*' ('*' matches every value), WD 0 = Monday .. 6 = Sunday, also a range a-b
 * that may wrap (5-1 = Sat, Sun, Mon, Tue); or sunrise, sunset, dawn, dusk with an optional
 * signed minute offset (sunset-30, sunrise+15). An entry starting with '#' is disabled; empty
 * entries are ignored; a bad entry is reported and skipped, never stopping the others.
 *
 * Each job computes its next fire time on the local wall clock (svc/clock: DST gaps run once
 * at the next valid second, a repeated hour runs once), converts it to UTC and then to a
 * monotonic deadline; one ev timer is armed for the earliest job. Nothing polls: a watchdog
 * (every CRON_WATCH_MS) and every fire compare the wall clock with the monotonic clock and
 * recompute everything when the wall clock jumped. A job fires at its exact second, never
 * before it (the wall clock is checked in ms before running). */
#ifndef CRON_H
#define CRON_H

#include "../core/ev.h"
#include "../core/str.h"
#include "clock.h"
#include "sun.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CRON_MAX_JOBS
#define CRON_MAX_JOBS 1024 /* jobs per crontasks text; more are refused and counted */
#endif
#ifndef CRON_TEXT_MAX
#define CRON_TEXT_MAX (256 * 1024) /* longest crontasks text cron_set_tasks accepts */
#endif
#ifndef CRON_WATCH_MS
#define CRON_WATCH_MS 60000 /* wall-clock jump check period */
#endif
#ifndef CRON_JUMP_MS
#define CRON_JUMP_MS 2000 /* wall vs monotonic drift that counts as a clock jump */
#endif
#define CRON_ERR_MAX 160 /* longest validation message */
#define CRON_NEVER   INT64_MAX

enum cron_kind { CRON_AT, CRON_SUN };

struct cron_job {
    struct str entry; /* the whole entry (view into the cron's text) */
    struct str cmd;   /* the command pipe */
    enum cron_kind kind;
    uint8_t wd;      /* CRON_AT: bit per weekday, 0 = Monday */
    uint32_t hour;   /* bit per hour */
    uint64_t minute; /* bit per minute */
    uint64_t sec;    /* bit per second */
    enum sun_event sun;
    int32_t sun_off_s; /* CRON_SUN: offset in seconds */
    int64_t next;      /* next fire, UTC seconds, or CRON_NEVER */
    int64_t last;      /* last fire, UTC seconds, or INT64_MIN */
    uint32_t runs;
};

/* Runs a due job's command pipe (the scheduler's user: exec_pipe with EXEC_CRON). */
typedef void cron_run_fn(void *arg, struct str cmd, size_t job);
/* Told about every bad entry of a text given to cron_set_tasks. */
typedef void cron_bad_fn(void *arg, struct str entry, const char *why);

struct cron_stats {
    uint64_t fired;       /* jobs run */
    uint64_t late_max_ms; /* worst lateness of a run, wall-clock ms after its second */
    uint64_t late_sum_ms; /* for the mean */
    uint32_t rearms;      /* timer re-arms */
    uint32_t jumps;       /* wall-clock jumps detected */
    uint32_t bad;         /* bad entries of the current text */
    uint32_t refused;     /* entries beyond CRON_MAX_JOBS */
};

/* One cached sun event per kind: a day's event is computed once for all jobs. */
struct cron_sun_cache {
    int64_t day; /* local day number, or INT64_MIN */
    int64_t at;  /* UTC seconds, or CRON_NEVER when the day has none */
};

struct cron {
    struct ev_loop *loop;
    struct clock *clock;
    cron_run_fn *run;
    void *run_arg;
    cron_bad_fn *bad;
    void *bad_arg;
    char *text; /* heap copy of the crontasks text the jobs point into */
    struct cron_job *jobs;
    size_t njobs;
    bool has_geo;
    double lat, lon;
    struct cron_sun_cache sun_cache[4][4]; /* [event][day % 4] */
    struct ev_timer timer;                 /* the one timer, armed for the earliest job */
    struct ev_timer watch;                 /* wall-clock jump watchdog */
    int64_t ref_wall_ms;                   /* wall and monotonic clocks at the last check */
    uint64_t ref_mono_ms;
    uint32_t watch_ms;
    bool is_running;
    bool is_firing; /* inside the timer callback's job loop */
    uint32_t gen;   /* bumped when the jobs are replaced */
    char *old_text; /* jobs replaced while firing, freed after the loop */
    struct cron_job *old_jobs;
    struct cron_stats stats;
};

/* Parses one entry (no separators) into job (the views point into entry). Returns 0,
 * ERR_SYNTAX with the reason in why (cap bytes), or ERR_NOENT for a disabled ('#') or empty
 * entry. */
int cron_parse_entry(struct str entry, struct cron_job *job, char *why, size_t cap);
/* Checks a crontasks text: returns 0 when every entry is valid, else ERR_SYNTAX with
 * "<entry>: <reason>" of the first bad one in msg. "n/a" and "" are valid (no jobs). */
int cron_validate(const char *text, char *msg, size_t cap);

/* Initialises cron (stopped, no jobs) on loop and clock; run is called for each due job. */
void cron_init(struct cron *cron, struct ev_loop *loop, struct clock *clock, cron_run_fn *run,
               void *arg);
/* Frees the jobs and stops the timers. */
void cron_deinit(struct cron *cron);
/* Sets the observer of bad entries (NULL: they are only counted). */
void cron_set_bad_fn(struct cron *cron, cron_bad_fn *fn, void *arg);
/* Sets the location for sun jobs (has false: sun jobs never fire). Reschedules. */
void cron_set_geoloc(struct cron *cron, bool has, double lat, double lon);
/* Replaces the jobs with those of text (copied); bad entries are skipped and reported.
 * Reschedules when running. Returns the number of jobs, or ERR_NOMEM / ERR_TOOBIG. */
int cron_set_tasks(struct cron *cron, const char *text);
/* Arms the timers. Returns 0 or ERR_FULL (timer heap full). */
int cron_start(struct cron *cron);
/* Disarms the timers. */
void cron_stop(struct cron *cron);
/* Recomputes every job's next fire time from now and re-arms (after a clock or zone
 * change). */
void cron_reschedule(struct cron *cron);
/* Returns the first fire time of job strictly after the UTC second after, or CRON_NEVER. */
int64_t cron_job_next(struct cron *cron, const struct cron_job *job, int64_t after);

#endif
