/* hal_time.c - hal/hal_time.h on Linux: clock_gettime, clock_settime, ntp_adjtime. */
#include "hal/hal_time.h"

#include <errno.h>
#include <sys/timex.h>
#include <time.h>

#include "core/err.h"

static struct timespec now_ts(clockid_t id)
{
    struct timespec ts = {0, 0};
    clock_gettime(id, &ts);
    return ts;
}

uint64_t hal_mono_ms(void)
{
    struct timespec ts = now_ts(CLOCK_MONOTONIC);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t hal_mono_us(void)
{
    struct timespec ts = now_ts(CLOCK_MONOTONIC);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t hal_wall_s(void)
{
    return (int64_t)now_ts(CLOCK_REALTIME).tv_sec;
}

int64_t hal_wall_ms(void)
{
    struct timespec ts = now_ts(CLOCK_REALTIME);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}

int hal_wall_set(int64_t epoch_s)
{
    struct timespec ts = {.tv_sec = (time_t)epoch_s, .tv_nsec = 0};
    if (epoch_s < 0 || (int64_t)ts.tv_sec != epoch_s)
        return ERR_RANGE; /* does not fit this platform's time_t */
    if (clock_settime(CLOCK_REALTIME, &ts) == 0)
        return 0;
    switch (errno) {
    case EPERM: return ERR_PERM;
    case EINVAL: return ERR_RANGE;
    default: return ERR_IO;
    }
}

bool hal_wall_synced(void)
{
    struct timex tx = {0}; /* modes 0: read only */
    int state = ntp_adjtime(&tx);
    if (state < 0 || state == TIME_ERROR)
        return false;
    return (tx.status & STA_UNSYNC) == 0;
}
