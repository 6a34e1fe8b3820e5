/* ev_clock.h - the event loop's monotonic clock, shared by the POSIX backends. */
#ifndef EV_CLOCK_H
#define EV_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Returns CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t ev_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
