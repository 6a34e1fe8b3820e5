/* test_cron.c - the cron scheduler on a test clock: grammar and validation, hard cases 42-43
 * as Part A 14 adapts them, DST gaps and overlaps, wall-clock jumps, live changes, and one
 * simulated year in a northern and a southern DST zone. The event loop is real; its
 * monotonic clock and the wall clock are the same fake, so a year runs in a blink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/ev.h"
#include "svc/clock.h"
#include "svc/cron.h"
#include "svc/sun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- test clock: wall ms = s_wall_base + monotonic ms ---- */

static uint64_t s_mono;
static int64_t s_wall_base;
static struct ev_loop s_loop;
static struct clock s_clock;
static struct cron s_cron;

static uint64_t fake_mono(void *arg)
{
    (void)arg;
    return s_mono;
}

static int64_t fake_wall(void *arg)
{
    (void)arg;
    return s_wall_base + (int64_t)s_mono;
}

/* ---- what ran ---- */

#define MAX_RUNS 4000
struct run {
    size_t job;
    int64_t wall_ms;
    char cmd[64];
};
static struct run s_runs[MAX_RUNS];
static size_t s_nruns;

static void on_run(void *arg, struct str cmd, size_t job)
{
    (void)arg;
    if (s_nruns >= MAX_RUNS)
        return;
    struct run *r = &s_runs[s_nruns++];
    r->job = job;
    r->wall_ms = fake_wall(NULL);
    snprintf(r->cmd, sizeof r->cmd, "%.*s", STR_FMT(cmd));
}

static char s_bad[8][CRON_ERR_MAX + 80];
static size_t s_nbad;
static void on_bad(void *arg, struct str entry, const char *why)
{
    (void)arg;
    if (s_nbad < 8)
        snprintf(s_bad[s_nbad++], sizeof s_bad[0], "%.*s: %s", STR_FMT(entry), why);
}

static int64_t utc_of(int64_t y, int mo, int d, int h, int mi, int s)
{
    return clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* Local wall time -> fake clocks (the first occurrence). */
static void set_local(int64_t y, int mo, int d, int h, int mi, int s, int ms)
{
    int64_t utc;
    clock_to_utc(&s_clock, utc_of(y, mo, d, h, mi, s), &utc);
    s_wall_base = utc * 1000 + ms - (int64_t)s_mono;
}

static int setup(void **state)
{
    (void)state;
    s_mono = 5000;
    s_nruns = 0;
    s_nbad = 0;
    if (ev_init(&s_loop, 8, 64) != 0)
        return -1;
    ev_set_clock(&s_loop, fake_mono, NULL);
    ev_update_now(&s_loop);
    clock_init(&s_clock);
    clock_set_wall(&s_clock, fake_wall, NULL);
    cron_init(&s_cron, &s_loop, &s_clock, on_run, NULL);
    cron_set_bad_fn(&s_cron, on_bad, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cron_deinit(&s_cron);
    ev_deinit(&s_loop);
    return 0;
}

/* Runs the loop on the fake clock until mono time `end`, jumping from deadline to deadline. */
static void run_until(uint64_t end)
{
    for (;;) {
        if (s_loop.ntimers == 0 || s_loop.heap[0]->due_ms > end) {
            s_mono = end;
            ev_poll(&s_loop, 0);
            return;
        }
        if (s_loop.heap[0]->due_ms > s_mono)
            s_mono = s_loop.heap[0]->due_ms;
        ev_poll(&s_loop, 0);
    }
}

static void run_for_s(int64_t seconds)
{
    run_until(s_mono + (uint64_t)seconds * 1000);
}

static void local_of(int64_t wall_ms, struct clock_tm *tm)
{
    clock_local(&s_clock, wall_ms / 1000, tm);
}

/* ---- grammar and validation ---- */

static void parse_should_accept_micros_grammar(void **state)
{
    (void)state;
    struct cron_job j;
    char why[CRON_ERR_MAX];
    assert_int_equal(cron_parse_entry(str_c("*:8:0:0!system heartbeat"), &j, why, sizeof why), 0);
    assert_int_equal(j.kind, CRON_AT);
    assert_int_equal(j.wd, 0x7f);
    assert_int_equal(j.hour, 1u << 8);
    assert_true(str_eqc(j.cmd, "system heartbeat"));
    assert_int_equal(cron_parse_entry(str_c("5-1:8:0:0!a b"), &j, why, sizeof why), 0);
    assert_int_equal(j.wd, (1 << 5) | (1 << 6) | (1 << 0) | (1 << 1)); /* Sat Sun Mon Tue */
    assert_int_equal(cron_parse_entry(str_c("0-4:*:*:*!a"), &j, why, sizeof why), 0);
    assert_int_equal(j.wd, 0x1f);
    assert_true(j.sec == UINT64_MAX >> 4 && j.minute == UINT64_MAX >> 4);
    assert_int_equal(cron_parse_entry(str_c("sunset-30!a"), &j, why, sizeof why), 0);
    assert_int_equal(j.kind, CRON_SUN);
    assert_int_equal(j.sun, SUN_SET);
    assert_int_equal(j.sun_off_s, -1800);
    assert_int_equal(cron_parse_entry(str_c("sunrise+15!a"), &j, why, sizeof why), 0);
    assert_int_equal(j.sun_off_s, 900);
    assert_int_equal(cron_parse_entry(str_c("dusk!a"), &j, why, sizeof why), 0);
    assert_int_equal(j.sun, SUN_DUSK);
    assert_int_equal(cron_parse_entry(str_c("#*:8:0:0!a"), &j, why, sizeof why), ERR_NOENT);
    assert_int_equal(cron_parse_entry(str_c("  "), &j, why, sizeof why), ERR_NOENT);
}

static void parse_should_reject_bad_entries_with_the_reason(void **state)
{
    (void)state;
    static const struct {
        const char *entry, *reason;
    } bad[] = {
        {"*:8:0:0", "no '!'"},    {"*:8:0:0!", "no command"}, {"!a b", "no time"},
        {"7:8:0:0!a", "weekday"}, {"*:24:0:0!a", "hour"},     {"*:8:60:0!a", "minute"},
        {"*:8:0:61!a", "second"}, {"*:8:0!a", "WD:H:M:S"},    {"*:8:0:0:0!a", "more than 4"},
        {"*:8-9:0:0!a", "hour"},  {"sunset-x!a", "offset"},   {"sunset30!a", "+minutes"},
        {"noon!a", "WD:H:M:S"},   {"*:a:0:0!a", "hour"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cron_job j;
        char why[CRON_ERR_MAX] = "";
        int rc = cron_parse_entry(str_c(bad[i].entry), &j, why, sizeof why);
        if (rc != ERR_SYNTAX || !strstr(why, bad[i].reason))
            fail_msg("%s: rc %d, reason '%s', want '%s'", bad[i].entry, rc, why, bad[i].reason);
    }
}

static void validate_should_name_the_first_bad_entry(void **state)
{
    (void)state;
    char msg[256];
    assert_int_equal(cron_validate("n/a", msg, sizeof msg), 0);
    assert_int_equal(cron_validate("", msg, sizeof msg), 0);
    assert_int_equal(
        cron_validate("sunset-30!system heartbeat;0-4:7:0:0!system clock", msg, sizeof msg), 0);
    assert_int_equal(cron_validate("*:8:0:0!c d;", msg, sizeof msg), 0); /* trailing ; */
    assert_int_equal(cron_validate("#broken;*:8:0:0!c d", msg, sizeof msg), 0);
    assert_int_equal(cron_validate("*:8:0:0;*:8:0:0!c d", msg, sizeof msg), ERR_SYNTAX);
    assert_string_equal(msg, "cron entry '*:8:0:0': no '!' between time and command");
    assert_int_equal(cron_validate("*:8:0:0!a;*:25:0:0!b", msg, sizeof msg), ERR_SYNTAX);
    assert_string_equal(msg, "cron entry '*:25:0:0!b': hour must be * or 0..23");
}

static void double_semicolon_should_separate_entries_and_keep_pipes(void **state)
{
    (void)state;
    assert_int_equal(cron_set_tasks(&s_cron, "*:8:0:0!a b;c d;;*:9:0:0!e f"), 2);
    assert_true(str_eqc(s_cron.jobs[0].cmd, "a b;c d"));
    assert_true(str_eqc(s_cron.jobs[1].cmd, "e f"));
    assert_int_equal(cron_set_tasks(&s_cron, "*:8:0:0!a b;*:9:0:0!e f;"), 2);
    assert_true(str_eqc(s_cron.jobs[0].cmd, "a b"));
}

/* ---- hard cases 42-43 (Part A 14: exact second, never early, '*' = every value) ---- */

static void job_should_fire_once_at_its_exact_second_never_early(void **state)
{
    (void)state;
    set_local(2024, 1, 5, 7, 59, 40, 0);
    assert_int_equal(cron_set_tasks(&s_cron, "*:8:0:0!a b"), 1);
    assert_int_equal(cron_start(&s_cron), 0);
    run_until(s_mono + 19999); /* 07:59:59.999 */
    assert_int_equal(s_nruns, 0);
    run_for_s(60);
    assert_int_equal(s_nruns, 1);
    struct clock_tm tm;
    local_of(s_runs[0].wall_ms, &tm);
    assert_int_equal(tm.hour, 8);
    assert_int_equal(tm.minute, 0);
    assert_int_equal(tm.sec, 0);
    assert_int_equal(s_runs[0].wall_ms % 1000, 0); /* at the second, not after or before */
    assert_string_equal(s_runs[0].cmd, "a b");
    assert_int_equal(s_cron.stats.late_max_ms, 0);
}

static void star_seconds_should_fire_every_second_of_the_minute(void **state)
{
    (void)state;
    set_local(2024, 1, 5, 7, 59, 40, 0);
    cron_set_tasks(&s_cron, "*:8:0:*!a");
    cron_start(&s_cron);
    run_for_s(3600);
    assert_int_equal(s_nruns, 60);
    for (size_t i = 0; i < s_nruns; i++) {
        struct clock_tm tm;
        local_of(s_runs[i].wall_ms, &tm);
        assert_int_equal(tm.hour * 3600 + tm.minute * 60 + tm.sec, 8 * 3600 + (int)i);
    }
}

static void weekday_range_should_wrap_around(void **state)
{
    (void)state;
    set_local(2024, 1, 1, 0, 0, 0, 0); /* a Monday */
    cron_set_tasks(&s_cron, "5-1:8:0:0!a");
    cron_start(&s_cron);
    run_for_s(14 * 86400);
    assert_int_equal(s_nruns, 8);
    for (size_t i = 0; i < s_nruns; i++) {
        struct clock_tm tm;
        local_of(s_runs[i].wall_ms, &tm);
        assert_true(tm.wday == 5 || tm.wday == 6 || tm.wday == 0 || tm.wday == 1);
    }
}

static void a_bad_entry_should_not_stop_the_others(void **state)
{
    (void)state;
    set_local(2024, 1, 5, 7, 0, 0, 0);
    assert_int_equal(cron_set_tasks(&s_cron, "*:8:0:0;*:8:0:0!c d"), 1);
    assert_int_equal(s_nbad, 1);
    assert_string_equal(s_bad[0], "*:8:0:0: no '!' between time and command");
    cron_start(&s_cron);
    run_for_s(7200);
    assert_int_equal(s_nruns, 1);
    assert_string_equal(s_runs[0].cmd, "c d");

    s_nruns = 0;
    cron_set_tasks(&s_cron, "*:9:0:0!c d;*:9:0:0"); /* bad last entry */
    run_for_s(7200);
    assert_int_equal(s_nruns, 1);
    s_nruns = 0;
    cron_set_tasks(&s_cron, "*:11:0:0!c d;"); /* trailing ';' */
    run_for_s(7200);
    assert_int_equal(s_nruns, 1);
}

/* ---- DST ---- */

static void dst_gap_should_run_once_at_the_next_valid_second(void **state)
{
    (void)state;
    char err[64];
    assert_int_equal(clock_set_tz(&s_clock, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err), 0);
    set_local(2025, 3, 29, 0, 0, 0, 0);
    cron_set_tasks(&s_cron, "*:2:30:0!x;*:2:*:0!y");
    cron_start(&s_cron);
    run_for_s(3 * 86400);
    size_t nx = 0, ny_gap = 0;
    for (size_t i = 0; i < s_nruns; i++) {
        struct clock_tm tm;
        local_of(s_runs[i].wall_ms, &tm);
        if (s_runs[i].job == 0) {
            nx++;
            if (tm.mday == 30) { /* 02:30 does not exist on 2025-03-30: 03:00:00 CEST */
                assert_int_equal(tm.hour, 3);
                assert_int_equal(tm.minute, 0);
                assert_int_equal(tm.sec, 0);
                assert_int_equal(s_runs[i].wall_ms / 1000, utc_of(2025, 3, 30, 1, 0, 0));
            } else {
                assert_int_equal(tm.hour, 2);
                assert_int_equal(tm.minute, 30);
            }
        } else if (tm.mday == 30) {
            ny_gap++;
        }
    }
    assert_int_equal(nx, 3);
    assert_int_equal(ny_gap, 1); /* the whole missing hour collapses to one run at 03:00 */
}

static void dst_overlap_should_run_a_repeated_hour_once(void **state)
{
    (void)state;
    char err[64];
    clock_set_tz(&s_clock, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err);
    set_local(2025, 10, 26, 0, 0, 0, 0);
    cron_set_tasks(&s_cron, "*:2:30:0!x;*:*:0:0!h");
    cron_start(&s_cron);
    run_for_s(86400 + 3600); /* the local day has 25 hours */
    size_t nx = 0, nh = 0;
    for (size_t i = 0; i < s_nruns; i++) {
        struct clock_tm tm;
        local_of(s_runs[i].wall_ms, &tm);
        if (tm.mday != 26)
            continue;
        if (s_runs[i].job == 0) {
            nx++;
            assert_int_equal(s_runs[i].wall_ms / 1000, utc_of(2025, 10, 26, 0, 30, 0));
        } else {
            nh++;
        }
    }
    assert_int_equal(nx, 1);
    assert_int_equal(nh, 24); /* 25 real hours, 24 local hours: 02:00 once */
}

static void southern_gap_and_overlap_should_follow_the_rule(void **state)
{
    (void)state;
    char err[64];
    assert_int_equal(clock_set_tz(&s_clock, "AEST-10AEDT,M10.1.0,M4.1.0/3", err, sizeof err), 0);
    /* 2025-10-05 02:00 AEST -> 03:00 AEDT; 2025-04-06 03:00 AEDT -> 02:00 AEST. */
    int64_t u;
    assert_int_equal(clock_to_utc(&s_clock, utc_of(2025, 10, 5, 2, 30, 0), &u), CLOCK_LOCAL_GAP);
    assert_int_equal(u, utc_of(2025, 10, 4, 16, 0, 0));
    assert_int_equal(clock_to_utc(&s_clock, utc_of(2025, 4, 6, 2, 30, 0), &u), CLOCK_LOCAL_FOLD);
    assert_int_equal(u, utc_of(2025, 4, 5, 15, 30, 0));
    assert_int_equal(clock_offset(&s_clock, utc_of(2025, 1, 1, 0, 0, 0)), 11 * 3600);
    assert_int_equal(clock_offset(&s_clock, utc_of(2025, 7, 1, 0, 0, 0)), 10 * 3600);
}

/* ---- wall clock jumps and live changes ---- */

static void wall_clock_jump_should_rearm_the_timer(void **state)
{
    (void)state;
    set_local(2024, 1, 5, 7, 0, 0, 0);
    cron_set_tasks(&s_cron, "*:8:0:0!a");
    cron_start(&s_cron);
    run_for_s(600);
    s_wall_base += 30 * 60 * 1000; /* setclock: +30 min at 07:10 */
    run_for_s(3600);
    assert_int_equal(s_nruns, 1);
    struct clock_tm tm;
    local_of(s_runs[0].wall_ms, &tm);
    assert_int_equal(tm.hour * 3600 + tm.minute * 60 + tm.sec, 8 * 3600);
    assert_int_equal(s_runs[0].wall_ms % 1000, 0);
    assert_true(s_cron.stats.jumps >= 1);

    /* Backwards: at 09:10 the clock goes back to 07:50; 08:00 comes again and runs again. */
    s_nruns = 0;
    run_until(s_mono + 1); /* settle */
    set_local(2024, 1, 5, 7, 50, 0, 0);
    run_for_s(1200);
    assert_int_equal(s_nruns, 1);
    local_of(s_runs[0].wall_ms, &tm);
    assert_int_equal(tm.hour * 3600 + tm.minute * 60 + tm.sec, 8 * 3600);
}

static void crontasks_change_should_rearm_at_once(void **state)
{
    (void)state;
    set_local(2024, 1, 5, 7, 0, 0, 0);
    cron_set_tasks(&s_cron, "*:9:0:0!a");
    cron_start(&s_cron);
    run_for_s(60);
    cron_set_tasks(&s_cron, "*:7:1:30!b");
    run_for_s(60);
    assert_int_equal(s_nruns, 1);
    assert_string_equal(s_runs[0].cmd, "b");
    assert_int_equal(cron_set_tasks(&s_cron, "n/a"), 0);
    assert_false(s_cron.timer.is_active);
}

/* A job whose command replaces crontasks (conf from a pipe) must not trip the scheduler. */
static void replace_from_a_run(void *arg, struct str cmd, size_t job)
{
    (void)job;
    on_run(arg, cmd, job);
    if (str_eqc(cmd, "swap"))
        cron_set_tasks(&s_cron, "*:7:5:0!after");
}

static void a_run_may_replace_the_jobs(void **state)
{
    (void)state;
    s_cron.run = replace_from_a_run;
    set_local(2024, 1, 5, 7, 0, 0, 0);
    cron_set_tasks(&s_cron, "*:7:1:0!swap;*:7:1:0!never");
    cron_start(&s_cron);
    run_for_s(600);
    assert_int_equal(s_nruns, 2);
    assert_string_equal(s_runs[0].cmd, "swap");
    assert_string_equal(s_runs[1].cmd, "after");
}

/* ---- one simulated year ---- */

struct year_counts {
    size_t noon, weekday, sunset;
    bool seen_std, seen_dst;
};

static void simulate_year(const char *tz, double lat, double lon, struct year_counts *yc)
{
    char err[64];
    assert_int_equal(clock_set_tz(&s_clock, tz, err, sizeof err), 0);
    s_cron.watch_ms = 3600 * 1000; /* the watchdog still runs, hourly, to keep the year quick */
    set_local(2025, 1, 1, 0, 0, 0, 0);
    cron_set_geoloc(&s_cron, true, lat, lon);
    assert_int_equal(cron_set_tasks(&s_cron, "*:12:0:0!noon;0-4:8:30:0!work;sunset-15!lamp"), 3);
    cron_start(&s_cron);
    int64_t start_utc = fake_wall(NULL) / 1000;
    int64_t end_utc;
    clock_to_utc(&s_clock, utc_of(2026, 1, 1, 0, 0, 0), &end_utc);
    run_until(s_mono + (uint64_t)(end_utc - start_utc) * 1000 - 1);
    memset(yc, 0, sizeof *yc);
    int64_t last_day = -1;
    for (size_t i = 0; i < s_nruns; i++) {
        const struct run *r = &s_runs[i];
        int64_t t = r->wall_ms / 1000;
        struct clock_tm tm;
        local_of(r->wall_ms, &tm);
        assert_int_equal(tm.year, 2025);
        assert_int_equal(r->wall_ms % 1000, 0);
        int32_t off = clock_offset(&s_clock, t);
        yc->seen_std |= off == s_clock.tz.std_off;
        yc->seen_dst |= off == s_clock.tz.dst_off;
        if (r->job == 0) {
            yc->noon++;
            assert_true(tm.hour == 12 && tm.minute == 0 && tm.sec == 0);
        } else if (r->job == 1) {
            yc->weekday++;
            assert_true(tm.wday <= 4 && tm.hour == 8 && tm.minute == 30 && tm.sec == 0);
        } else {
            yc->sunset++;
            /* Independent check: 15 minutes later the sun's centre crosses -0°50' going
             * down, within ±60 s. */
            double before = sun_altitude(lat, lon, t + 900 - 60);
            double after = sun_altitude(lat, lon, t + 900 + 60);
            if (!(before > SUN_ALT_HORIZON && after < SUN_ALT_HORIZON))
                fail_msg("%s: sunset-15 on %lld-%d-%d at %d:%d:%d is not 15 min before sunset", tz,
                         (long long)tm.year, tm.month, tm.mday, tm.hour, tm.minute, tm.sec);
            int64_t day = clock_days_from_civil(tm.year, tm.month, tm.mday);
            assert_true(day > last_day); /* once per local day */
            last_day = day;
        }
    }
    printf("  %s: noon %zu, weekdays %zu, sunset-15 %zu, timer re-arms %u, worst lateness "
           "%llu ms\n",
           tz, yc->noon, yc->weekday, yc->sunset, s_cron.stats.rearms,
           (unsigned long long)s_cron.stats.late_max_ms);
}

static void year_should_fire_daily_weekday_and_sun_jobs_across_cet_dst(void **state)
{
    (void)state;
    struct year_counts yc;
    simulate_year("CET-1CEST,M3.5.0,M10.5.0/3", 47.4979, 19.0402, &yc);
    assert_int_equal(yc.noon, 365);
    assert_int_equal(yc.weekday, 261);
    assert_int_equal(yc.sunset, 365);
    assert_true(yc.seen_std && yc.seen_dst);
}

static void year_should_fire_daily_weekday_and_sun_jobs_across_southern_dst(void **state)
{
    (void)state;
    struct year_counts yc;
    simulate_year("AEST-10AEDT,M10.1.0,M4.1.0/3", -33.87, 151.22, &yc);
    assert_int_equal(yc.noon, 365);
    assert_int_equal(yc.weekday, 261);
    assert_int_equal(yc.sunset, 365);
    assert_true(yc.seen_std && yc.seen_dst);
}

static void sun_job_should_skip_polar_days(void **state)
{
    (void)state;
    /* Tromsø: no sunset from late May to late July. */
    char err[64];
    clock_set_tz(&s_clock, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err);
    cron_set_geoloc(&s_cron, true, 69.6492, 18.9553);
    cron_set_tasks(&s_cron, "sunset!x");
    int64_t next = cron_job_next(&s_cron, &s_cron.jobs[0], utc_of(2024, 6, 1, 0, 0, 0));
    struct clock_tm tm;
    clock_local(&s_clock, next, &tm);
    assert_int_equal(tm.month, 7);
    assert_true(tm.mday > 15);
    cron_set_geoloc(&s_cron, false, 0, 0);
    assert_true(cron_job_next(&s_cron, &s_cron.jobs[0], utc_of(2024, 6, 1, 0, 0, 0)) == CRON_NEVER);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(parse_should_accept_micros_grammar),
        T(parse_should_reject_bad_entries_with_the_reason),
        T(validate_should_name_the_first_bad_entry),
        T(double_semicolon_should_separate_entries_and_keep_pipes),
        T(job_should_fire_once_at_its_exact_second_never_early),
        T(star_seconds_should_fire_every_second_of_the_minute),
        T(weekday_range_should_wrap_around),
        T(a_bad_entry_should_not_stop_the_others),
        T(dst_gap_should_run_once_at_the_next_valid_second),
        T(dst_overlap_should_run_a_repeated_hour_once),
        T(southern_gap_and_overlap_should_follow_the_rule),
        T(wall_clock_jump_should_rearm_the_timer),
        T(crontasks_change_should_rearm_at_once),
        T(a_run_may_replace_the_jobs),
        T(year_should_fire_daily_weekday_and_sun_jobs_across_cet_dst),
        T(year_should_fire_daily_weekday_and_sun_jobs_across_southern_dst),
        T(sun_job_should_skip_polar_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
