/* test_auth.c - svc/auth.c: the per-address back-off windows, the decision withheld inside a
 * window, addresses kept apart (IPv4 ports, IPv6), forgetting, and the bounded table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svc/auth.h"

#include <stdio.h>
#include <string.h>

#define PWD "Secr3tPassXyz"

static struct auth s_au;

static enum auth_verdict try(const char *peer, const char *guess, uint64_t now, uint64_t *wait)
{
    return auth_check(&s_au, peer, "test", PWD, str_c(guess), now, wait);
}

static void windows_should_double_after_the_first_failure(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0, now = 1000;
    assert_int_equal(try("10.0.0.1:5000", "wrong", now, &wait), AUTH_WRONG);
    assert_int_equal(wait, 0); /* a typo costs nothing */
    const uint64_t want[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 32000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(try("10.0.0.1:5001", "wrong", now, &wait), AUTH_WRONG);
        assert_int_equal(wait, want[i]);
        now += wait;
    }
}

static void a_guess_inside_the_window_should_not_be_compared(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0;
    try("10.0.0.2:1", "wrong", 0, &wait);
    try("10.0.0.2:2", "wrong", 0, &wait); /* window until 250 */
    assert_int_equal(try("10.0.0.2:3", PWD, 100, &wait), AUTH_BACKOFF);
    assert_int_equal(wait, 150);
    assert_int_equal(s_au.stats.checks, 2);
    /* another address is not affected */
    assert_int_equal(try("10.0.0.3:1", PWD, 100, &wait), AUTH_OK);
    /* after the window the right password works and the address is forgotten */
    assert_int_equal(try("10.0.0.2:4", PWD, 250, &wait), AUTH_OK);
    assert_int_equal(try("10.0.0.2:5", "wrong", 260, &wait), AUTH_WRONG);
    assert_int_equal(wait, 0);
}

static void ipv6_and_ports_should_name_one_address(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0;
    try("[::1]:4000", "wrong", 0, &wait);
    try("[::1]:4001", "wrong", 0, &wait);
    assert_int_equal(try("::1", PWD, 1, &wait), AUTH_BACKOFF);
    assert_int_equal(auth_wait(&s_au, "[::1]:9", 1), 249);
}

static void quiet_addresses_should_be_forgotten(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0, now = 0;
    for (int i = 0; i < 5; i++) {
        try("10.0.0.4:1", "wrong", now, &wait);
        now += wait;
    }
    now += AUTH_FORGET_MS + 1;
    assert_int_equal(try("10.0.0.4:1", "wrong", now, &wait), AUTH_WRONG);
    assert_int_equal(wait, 0);
}

static void a_full_table_should_drop_the_least_recent_failure(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0;
    char peer[32];
    for (int i = 0; i <= AUTH_TRACK; i++) {
        snprintf(peer, sizeof peer, "10.1.%d.%d:1", i / 250, i % 250);
        try(peer, "wrong", (uint64_t)i, &wait);
        try(peer, "wrong", (uint64_t)i, &wait);
    }
    assert_int_equal(s_au.stats.evictions, 1);
    /* the newest address still has its window */
    assert_int_equal(try(peer, PWD, AUTH_TRACK, &wait), AUTH_BACKOFF);
}

static void an_empty_password_should_never_match(void **state)
{
    (void)state;
    auth_init(&s_au, NULL);
    uint64_t wait = 0;
    assert_int_equal(auth_check(&s_au, "10.0.0.5:1", "test", "", STR_LIT(""), 0, &wait),
                     AUTH_WRONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_should_double_after_the_first_failure),
        cmocka_unit_test(a_guess_inside_the_window_should_not_be_compared),
        cmocka_unit_test(ipv6_and_ports_should_name_one_address),
        cmocka_unit_test(quiet_addresses_should_be_forgotten),
        cmocka_unit_test(a_full_table_should_drop_the_least_recent_failure),
        cmocka_unit_test(an_empty_password_should_never_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
