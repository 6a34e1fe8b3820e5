/* test_sun.c - the sun engine against every row of SUN_REFERENCE.md (±60 s), the polar
 * states, civil twilight, geoloc parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svc/clock.h"
#include "svc/sun.h"

#include <stdio.h>
#include <stdlib.h>

/* One row of ../shared/spec/SUN_REFERENCE.md. A time of 0 means the polar state given. */
struct row {
    const char *place;
    double lat, lon;
    int y, mo, d, h, mi;     /* from (UTC) */
    int64_t rise[6], set[6]; /* y m d h m s of the next sunrise / sunset (UTC) */
    enum sun_state polar;    /* SUN_OK, or the state both columns show */
};

static const struct row s_rows[] = {
    {"Moscow",
     55.75,
     37.58,
     2017,
     8,
     29,
     0,
     0,
     {2017, 8, 29, 2, 28, 39},
     {2017, 8, 29, 16, 31, 11},
     SUN_OK},
    {"Albuquerque",
     35.083955,
     -106.6333,
     2017,
     8,
     29,
     6,
     0,
     {2017, 8, 29, 12, 37, 11},
     {2017, 8, 30, 1, 36, 51},
     SUN_OK},
    {"Sydney",
     -33.87,
     151.22,
     2017,
     8,
     29,
     14,
     0,
     {2017, 8, 29, 20, 16, 23},
     {2017, 8, 30, 7, 35, 41},
     SUN_OK},
    {"Greenwich",
     51.4667,
     0.0,
     2013,
     1,
     1,
     0,
     0,
     {2013, 1, 1, 8, 5, 27},
     {2013, 1, 1, 16, 2, 4},
     SUN_OK},
    {"Greenwich",
     51.4667,
     0.0,
     2013,
     6,
     21,
     0,
     0,
     {2013, 6, 21, 3, 42, 49},
     {2013, 6, 21, 20, 20, 46},
     SUN_OK},
    {"Reykjavik",
     64.0667,
     -21.9667,
     2013,
     6,
     21,
     1,
     0,
     {2013, 6, 21, 2, 57, 22},
     {2013, 6, 22, 0, 1, 56},
     SUN_OK},
    {"Quito",
     -0.25,
     -78.5833,
     2013,
     3,
     21,
     5,
     0,
     {2013, 3, 21, 11, 18, 8},
     {2013, 3, 21, 23, 24, 37},
     SUN_OK},
    {"Tromso", 69.6492, 18.9553, 2024, 6, 21, 0, 0, {0}, {0}, SUN_ALWAYS_UP},
    {"Tromso", 69.6492, 18.9553, 2024, 12, 21, 0, 0, {0}, {0}, SUN_NEVER_UP},
    {"Budapest",
     47.4979,
     19.0402,
     2024,
     3,
     20,
     0,
     0,
     {2024, 3, 20, 4, 46, 11},
     {2024, 3, 20, 16, 57, 0},
     SUN_OK},
    {"Budapest",
     47.4979,
     19.0402,
     2024,
     6,
     21,
     0,
     0,
     {2024, 6, 21, 2, 46, 36},
     {2024, 6, 21, 18, 44, 52},
     SUN_OK},
    {"Budapest",
     47.4979,
     19.0402,
     2024,
     12,
     21,
     0,
     0,
     {2024, 12, 21, 6, 28, 54},
     {2024, 12, 21, 14, 55, 17},
     SUN_OK},
    {"Mumbai",
     19.076,
     72.8777,
     2024,
     1,
     14,
     18,
     30,
     {2024, 1, 15, 1, 44, 39},
     {2024, 1, 15, 12, 50, 46},
     SUN_OK},
    {"Adelaide",
     -34.9285,
     138.6007,
     2024,
     1,
     14,
     13,
     30,
     {2024, 1, 14, 19, 46, 53},
     {2024, 1, 15, 10, 2, 7},
     SUN_OK},
    {"Anchorage",
     61.2181,
     -149.9003,
     2024,
     3,
     10,
     9,
     0,
     {2024, 3, 10, 16, 29, 57},
     {2024, 3, 11, 3, 50, 36},
     SUN_OK},
    {"Ushuaia",
     -54.8019,
     -68.303,
     2024,
     12,
     21,
     3,
     0,
     {2024, 12, 21, 7, 51, 38},
     {2024, 12, 22, 1, 11, 32},
     SUN_OK},
};

static int64_t utc_of(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s)
{
    return clock_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + s;
}

static void sun_should_match_every_reference_row_within_60_s(void **state)
{
    (void)state;
    int64_t worst = 0;
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        const struct row *r = &s_rows[i];
        int64_t from = utc_of(r->y, r->mo, r->d, r->h, r->mi, 0);
        int64_t rise = 0, set = 0;
        enum sun_state sr = sun_next(r->lat, r->lon, SUN_RISE, from, &rise);
        enum sun_state ss = sun_next(r->lat, r->lon, SUN_SET, from, &set);
        if (r->polar != SUN_OK) {
            if (sr != r->polar || ss != r->polar)
                fail_msg("%s %d-%d-%d: states %d/%d, want %d", r->place, r->y, r->mo, r->d, sr, ss,
                         r->polar);
            continue;
        }
        assert_int_equal(sr, SUN_OK);
        assert_int_equal(ss, SUN_OK);
        int64_t want_r =
            utc_of(r->rise[0], r->rise[1], r->rise[2], r->rise[3], r->rise[4], r->rise[5]);
        int64_t want_s = utc_of(r->set[0], r->set[1], r->set[2], r->set[3], r->set[4], r->set[5]);
        int64_t dr = llabs(rise - want_r), ds = llabs(set - want_s);
        printf("  %-12s %d-%02d-%02d  sunrise %+4lld s  sunset %+4lld s\n", r->place, r->y, r->mo,
               r->d, (long long)(rise - want_r), (long long)(set - want_s));
        if (dr > 60 || ds > 60)
            fail_msg("%s %d-%d-%d: sunrise off by %lld s, sunset by %lld s", r->place, r->y, r->mo,
                     r->d, (long long)dr, (long long)ds);
        worst = dr > worst ? dr : worst;
        worst = ds > worst ? ds : worst;
    }
    printf("  worst deviation: %lld s\n", (long long)worst);
}

static void sun_events_should_lie_on_the_event_altitude(void **state)
{
    (void)state;
    int64_t from = utc_of(2024, 6, 21, 0, 0, 0), at = 0;
    assert_int_equal(sun_next(47.4979, 19.0402, SUN_DAWN, from, &at), SUN_OK);
    assert_true(sun_altitude(47.4979, 19.0402, at - 30) < SUN_ALT_CIVIL);
    assert_true(sun_altitude(47.4979, 19.0402, at + 30) > SUN_ALT_CIVIL);
    int64_t rise = 0;
    sun_next(47.4979, 19.0402, SUN_RISE, from, &rise);
    assert_true(at < rise && rise - at < 3600); /* civil dawn ~35 min before sunrise */
    int64_t dusk = 0, set = 0;
    assert_int_equal(sun_next(47.4979, 19.0402, SUN_DUSK, from, &dusk), SUN_OK);
    sun_next(47.4979, 19.0402, SUN_SET, from, &set);
    assert_true(dusk > set && dusk - set < 3600);
}

static void civil_twilight_should_have_its_own_polar_states(void **state)
{
    (void)state;
    int64_t at = 0;
    /* Tromsø at midwinter: the sun never rises, but it comes within 6° of the horizon
     * (civil twilight happens). At midsummer it never sinks to -6°. */
    assert_int_equal(sun_next(69.6492, 18.9553, SUN_DAWN, utc_of(2024, 12, 21, 0, 0, 0), &at),
                     SUN_OK);
    assert_int_equal(sun_next(69.6492, 18.9553, SUN_DUSK, utc_of(2024, 6, 21, 0, 0, 0), &at),
                     SUN_ALWAYS_UP);
    /* North pole in January: never up, not even civil twilight. */
    assert_int_equal(sun_next(89.9, 0, SUN_DAWN, utc_of(2024, 1, 5, 0, 0, 0), &at), SUN_NEVER_UP);
    assert_string_equal(sun_state_str(SUN_NEVER_UP), "never up");
    assert_string_equal(sun_state_str(SUN_ALWAYS_UP), "always up");
}

static void geoloc_should_parse_lat_lon_and_refuse_garbage(void **state)
{
    (void)state;
    double lat = 0, lon = 0;
    assert_true(sun_parse_geoloc("47.4979,19.0402", &lat, &lon));
    assert_true(lat > 47.49 && lat < 47.5 && lon > 19.04 && lon < 19.05);
    assert_true(sun_parse_geoloc("-33.87, 151.22", &lat, &lon));
    assert_true(lat < -33 && lon > 151);
    assert_false(sun_parse_geoloc("n/a", &lat, &lon));
    assert_false(sun_parse_geoloc("47.5", &lat, &lon));
    assert_false(sun_parse_geoloc("95,10", &lat, &lon));
    assert_false(sun_parse_geoloc("47,190", &lat, &lon));
    assert_false(sun_parse_geoloc("47,19x", &lat, &lon));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sun_should_match_every_reference_row_within_60_s),
        cmocka_unit_test(sun_events_should_lie_on_the_event_altitude),
        cmocka_unit_test(civil_twilight_should_have_its_own_polar_states),
        cmocka_unit_test(geoloc_should_parse_lat_lon_and_refuse_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
