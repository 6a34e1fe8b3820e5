/* ev_clock.h - the event loop's monotonic clock and wait conversions, shared by the POSIX
 * backends. */
#ifndef EV_CLOCK_H
#define EV_CLOCK_H

#include <limits.h>
#include <stdint.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* Returns CLOCK_MONOTONIC in microseconds. */
static inline uint64_t ev_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Converts a wait of us microseconds (>= 0) to a timespec. */
static inline struct timespec ev_clock_ts(int64_t us)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(us / 1000000);
    ts.tv_nsec = (long)(us % 1000000) * 1000;
    return ts;
}

/* Converts a wait of us microseconds to poll(2)/epoll_wait(2) milliseconds, rounded up so the
 * wait never ends before the deadline (-1 stays forever). */
static inline int ev_clock_ms_up(int64_t us)
{
    if (us < 0)
        return -1;
    int64_t ms = us / 1000 + (us % 1000 != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Sets the thread's timer slack (how late the kernel may end a timed wait to merge wake-ups,
 * 50 us by default) to 1 us: a timer is due at its deadline, not up to 50 us after it. */
static inline void ev_clock_tight_slack(void)
{
#ifdef PR_SET_TIMERSLACK
    (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
}

#endif
