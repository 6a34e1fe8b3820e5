/* test_clock.c - calendar, POSIX TZ rules (M, J and n forms, quoted names, defaults,
 * errors), UTC <-> local both ways with DST gaps and overlaps, the injectable wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "svc/clock.h"

#include <string.h>

static int64_t utc_of(int64_t y, int mo, int d, int h, int mi, int s)
{
    return clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void calendar_should_round_trip_and_know_weekdays(void **state)
{
    (void)state;
    for (int64_t s = -86400LL * 800; s < 86400LL * 365 * 500; s += 86400LL * 13 + 3607) {
        struct clock_tm tm;
        clock_tm_from_epoch(s, &tm);
        assert_int_equal(clock_epoch_from_tm(&tm), s);
    }
    struct clock_tm tm;
    clock_tm_from_epoch(utc_of(2024, 1, 5, 8, 3, 9), &tm);
    assert_int_equal(tm.wday, 4); /* Friday */
    assert_int_equal(tm.yday, 5);
    clock_tm_from_epoch(utc_of(2024, 12, 31, 0, 0, 0), &tm);
    assert_int_equal(tm.yday, 366);
    assert_int_equal(clock_month_days(2100, 2), 28);
    assert_int_equal(clock_month_days(2000, 2), 29);
}

static void tz_should_parse_m_rules_and_offsets(void **state)
{
    (void)state;
    struct clock_tz tz;
    char err[96];
    assert_int_equal(clock_tz_parse("CET-1CEST,M3.5.0,M10.5.0/3", &tz, err, sizeof err), 0);
    assert_int_equal(tz.std_off, 3600);
    assert_int_equal(tz.dst_off, 7200);
    assert_true(tz.has_dst);
    assert_string_equal(tz.std_name, "CET");
    assert_string_equal(tz.dst_name, "CEST");
    assert_int_equal(tz.end.time_s, 3 * 3600);
    assert_int_equal(tz.start.time_s, 2 * 3600);
    /* 2025: DST from Mar 30 01:00 UTC to Oct 26 01:00 UTC. */
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 3, 30, 0, 59, 59)), 3600);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 3, 30, 1, 0, 0)), 7200);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 10, 26, 0, 59, 59)), 7200);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 10, 26, 1, 0, 0)), 3600);
    assert_int_equal(clock_tz_next_change(&tz, utc_of(2025, 1, 1, 0, 0, 0)),
                     utc_of(2025, 3, 30, 1, 0, 0));
    /* Half-hour zone, no DST; quoted names; explicit DST offset. */
    assert_int_equal(clock_tz_parse("<+0530>-5:30", &tz, err, sizeof err), 0);
    assert_int_equal(tz.std_off, 19800);
    assert_false(tz.has_dst);
    assert_int_equal(clock_tz_next_change(&tz, 0), INT64_MAX);
    assert_int_equal(clock_tz_parse("ACST-9:30ACDT,M10.1.0,M4.1.0/3", &tz, err, sizeof err), 0);
    assert_int_equal(tz.std_off, 34200);
    assert_int_equal(tz.dst_off, 37800);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2024, 1, 14, 13, 30, 0)), 37800);
    assert_int_equal(clock_tz_parse("<-03>3<-02>2,M3.2.0,M11.1.0", &tz, err, sizeof err), 0);
    assert_int_equal(tz.std_off, -3 * 3600);
    assert_int_equal(tz.dst_off, -2 * 3600);
    /* US rule by default when only a DST name is given. */
    assert_int_equal(clock_tz_parse("EST5EDT", &tz, err, sizeof err), 0);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 3, 9, 6, 59, 59)), -5 * 3600);
    assert_int_equal(clock_tz_offset(&tz, utc_of(2025, 3, 9, 7, 0, 0)), -4 * 3600);
}

static void tz_should_parse_every_example_of_the_docs(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",   "GMT0BST,M3.5.0/1,M10.5.0",
        "EST5EDT,M3.2.0,M11.1.0",       "<+0530>-5:30",
        "AEST-10AEDT,M10.1.0,M4.1.0/3", "ACST-9:30ACDT,M10.1.0,M4.1.0/3",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct clock_tz tz;
        char err[96];
        if (clock_tz_parse(rules[i], &tz, err, sizeof err) != 0)
            fail_msg("%s: %s", rules[i], err);
    }
    struct clock_tz uk;
    char err[96];
    clock_tz_parse("GMT0BST,M3.5.0/1,M10.5.0", &uk, err, sizeof err);
    assert_int_equal(clock_tz_offset(&uk, utc_of(2025, 3, 30, 0, 59, 59)), 0);
    assert_int_equal(clock_tz_offset(&uk, utc_of(2025, 3, 30, 1, 0, 0)), 3600);
    assert_int_equal(clock_tz_offset(&uk, utc_of(2025, 10, 26, 0, 59, 59)), 3600);
    assert_int_equal(clock_tz_offset(&uk, utc_of(2025, 10, 26, 1, 0, 0)), 0);
}

static void tz_should_parse_j_and_n_day_forms(void **state)
{
    (void)state;
    struct clock_tz tz;
    char err[96];
    /* J60 is always March 1st; 59 (zero-based) is Feb 29 in leap years, March 1st otherwise. */
    assert_int_equal(clock_tz_parse("AAA0BBB,J60/0,J300/0", &tz, err, sizeof err), 0);
    assert_int_equal(clock_tz_next_change(&tz, utc_of(2024, 1, 1, 0, 0, 0)),
                     utc_of(2024, 3, 1, 0, 0, 0));
    assert_int_equal(clock_tz_parse("AAA0BBB,59/0,300/0", &tz, err, sizeof err), 0);
    assert_int_equal(clock_tz_next_change(&tz, utc_of(2024, 1, 1, 0, 0, 0)),
                     utc_of(2024, 2, 29, 0, 0, 0));
    assert_int_equal(clock_tz_next_change(&tz, utc_of(2023, 1, 1, 0, 0, 0)),
                     utc_of(2023, 3, 1, 0, 0, 0));
    /* Negative and >24 h transition times (POSIX extension). */
    assert_int_equal(clock_tz_parse("AAA0BBB,M3.5.0/-1,M10.5.0/26", &tz, err, sizeof err), 0);
    assert_int_equal(tz.start.time_s, -3600);
    assert_int_equal(tz.end.time_s, 26 * 3600);
}

static void tz_should_refuse_bad_rules_with_a_reason(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "CE-1",
        "CET",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M13.1.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,J0,J100",
        ":Europe/Budapest",
        "CET-1CEST,M3.5.0,M10.5.0/3x",
        "<CET-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct clock_tz tz;
        char err[96] = "";
        if (clock_tz_parse(bad[i], &tz, err, sizeof err) != ERR_SYNTAX || err[0] == '\0')
            fail_msg("'%s' should be refused with a reason (got '%s')", bad[i], err);
    }
}

static void local_to_utc_should_handle_gap_and_fold_explicitly(void **state)
{
    (void)state;
    struct clock_tz tz;
    char err[96];
    clock_tz_parse("CET-1CEST,M3.5.0,M10.5.0/3", &tz, err, sizeof err);
    int64_t u;
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 7, 1, 12, 0, 0), &u), CLOCK_LOCAL_OK);
    assert_int_equal(u, utc_of(2025, 7, 1, 10, 0, 0));
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 3, 30, 2, 0, 0), &u), CLOCK_LOCAL_GAP);
    assert_int_equal(u, utc_of(2025, 3, 30, 1, 0, 0)); /* = 03:00 CEST */
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 3, 30, 2, 59, 59), &u), CLOCK_LOCAL_GAP);
    assert_int_equal(u, utc_of(2025, 3, 30, 1, 0, 0));
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 3, 30, 3, 0, 0), &u), CLOCK_LOCAL_OK);
    assert_int_equal(u, utc_of(2025, 3, 30, 1, 0, 0));
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 10, 26, 2, 30, 0), &u), CLOCK_LOCAL_FOLD);
    assert_int_equal(u, utc_of(2025, 10, 26, 0, 30, 0)); /* first occurrence, CEST */
    assert_int_equal(clock_tz_to_utc(&tz, utc_of(2025, 10, 26, 3, 0, 0), &u), CLOCK_LOCAL_OK);
    assert_int_equal(u, utc_of(2025, 10, 26, 2, 0, 0));
}

static int64_t s_wall_ms;
static int64_t test_wall(void *arg)
{
    (void)arg;
    return s_wall_ms;
}

static void clock_should_use_utc_minutes_or_tz_and_the_injected_wall(void **state)
{
    (void)state;
    struct clock c;
    clock_init(&c);
    clock_set_wall(&c, test_wall, NULL);
    s_wall_ms = utc_of(2025, 7, 1, 10, 0, 0) * 1000 + 999;
    assert_int_equal(clock_now(&c), utc_of(2025, 7, 1, 10, 0, 0));
    clock_set_utc_minutes(&c, 60);
    struct clock_tm tm;
    clock_local(&c, clock_now(&c), &tm);
    assert_int_equal(tm.hour, 11);
    char err[96];
    assert_int_equal(clock_set_tz(&c, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err), 0);
    clock_local(&c, clock_now(&c), &tm);
    assert_int_equal(tm.hour, 12);
    assert_int_equal(clock_set_tz(&c, "bad", err, sizeof err), ERR_SYNTAX);
    assert_string_equal(c.rule, "CET-1CEST,M3.5.0,M10.5.0/3"); /* unchanged */
    clock_set_utc_minutes(&c, 330);
    assert_string_equal(c.rule, "");
    clock_local(&c, clock_now(&c), &tm);
    assert_int_equal(tm.hour * 60 + tm.minute, 15 * 60 + 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calendar_should_round_trip_and_know_weekdays),
        cmocka_unit_test(tz_should_parse_m_rules_and_offsets),
        cmocka_unit_test(tz_should_parse_every_example_of_the_docs),
        cmocka_unit_test(tz_should_parse_j_and_n_day_forms),
        cmocka_unit_test(tz_should_refuse_bad_rules_with_a_reason),
        cmocka_unit_test(local_to_utc_should_handle_gap_and_fold_explicitly),
        cmocka_unit_test(clock_should_use_utc_minutes_or_tz_and_the_injected_wall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
