/* test_lobby.c - net/lobby.c: the waiting room is fair by address. A full room sends away the
 * longest waiter of the address holding most of it (never the lone waiter of another address),
 * and a pass offers a place to the lone waiter of an address first, the newest first among
 * waiters of one address. Real event loop, fake clock, fake fds (never real descriptors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ev.h"
#include "net/lobby.h"

#include <stdio.h>
#include <string.h>

#define FD0 100000 /* fake descriptors, far above any real one */

static struct ev_loop s_loop;
static uint64_t s_now;
static struct lobby s_lobby;
static int s_refused[64];
static size_t s_nrefused;
static int s_tried[64];
static size_t s_ntried;
static int s_admit_fd = -1; /* the one fd try_admit takes, -1 = none */

static uint64_t fake_clock(void *arg)
{
    return *(const uint64_t *)arg;
}

static bool try_admit(void *owner, int fd, const char *peer)
{
    (void)owner;
    (void)peer;
    if (s_ntried < 64)
        s_tried[s_ntried++] = fd;
    return fd == s_admit_fd;
}

static void refuse(void *owner, int fd)
{
    (void)owner;
    if (s_nrefused < 64)
        s_refused[s_nrefused++] = fd;
}

static int setup(void **state)
{
    (void)state;
    s_now = 1000;
    s_nrefused = s_ntried = 0;
    s_admit_fd = -1;
    if (ev_init(&s_loop, 16, 64) != 0)
        return -1;
    ev_set_clock(&s_loop, fake_clock, &s_now);
    ev_update_now(&s_loop);
    lobby_init(&s_lobby, &s_loop, 5000, try_admit, refuse, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* let every waiter's wait end (refused through the fake), so deinit closes nothing real */
    s_now += 10000;
    ev_poll(&s_loop, 0);
    assert_int_equal(lobby_count(&s_lobby), 0);
    lobby_deinit(&s_lobby);
    ev_deinit(&s_loop);
    return 0;
}

static void add(int fd, const char *peer)
{
    s_now++; /* each a little later: the waiting order is defined */
    ev_update_now(&s_loop);
    assert_int_equal(lobby_add(&s_lobby, fd, peer), 0);
}

static void full_room_should_send_away_the_crowd_not_the_lone_waiter(void **state)
{
    (void)state;
    add(FD0, "127.0.0.1:40000"); /* the owner, waiting longest */
    for (int i = 1; i < LOBBY_MAX; i++) {
        char peer[32];
        snprintf(peer, sizeof peer, "127.0.0.2:%d", 40000 + i);
        add(FD0 + i, peer);
    }
    assert_int_equal(lobby_count(&s_lobby), LOBBY_MAX);
    add(FD0 + 100, "127.0.0.2:50000"); /* the crowd churns: its own oldest goes */
    assert_int_equal(s_nrefused, 1);
    assert_int_equal(s_refused[0], FD0 + 1);
    add(FD0 + 101, "127.0.0.3:50000"); /* another address arrives: still the crowd's oldest */
    assert_int_equal(s_nrefused, 2);
    assert_int_equal(s_refused[1], FD0 + 2);
    assert_int_equal(lobby_count(&s_lobby), LOBBY_MAX);
}

static void pass_should_offer_the_lone_waiter_first_then_the_newest(void **state)
{
    (void)state;
    add(FD0 + 1, "127.0.0.2:1");
    add(FD0 + 2, "127.0.0.2:2");
    add(FD0 + 3, "127.0.0.2:3");
    add(FD0 + 4, "127.0.0.3:1");
    add(FD0 + 5, "127.0.0.1:1"); /* the owner */
    add(FD0 + 6, "127.0.0.3:2");
    s_now += LOBBY_POLL_MS;
    ev_poll(&s_loop, 0);
    const int want[] = {FD0 + 5, FD0 + 6, FD0 + 4, FD0 + 3, FD0 + 2, FD0 + 1};
    assert_int_equal(s_ntried, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(s_tried[i], want[i]);
    /* the place goes to the owner: it leaves the room, the others wait on */
    s_ntried = 0;
    s_admit_fd = FD0 + 5;
    s_now += LOBBY_POLL_MS;
    ev_poll(&s_loop, 0);
    assert_int_equal(s_tried[0], FD0 + 5);
    assert_int_equal(lobby_count(&s_lobby), 5);
    assert_int_equal(s_nrefused, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(full_room_should_send_away_the_crowd_not_the_lone_waiter,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(pass_should_offer_the_lone_waiter_first_then_the_newest,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
