/* hal_time.c - Cortex-M port: clocks from a millisecond tick counter.
 *
 * The SysTick interrupt (1 kHz, configured by the board's start-up code) calls
 * cortexm_tick(); the wall clock is that counter plus the epoch set by hal_wall_set (NTP or
 * `system setclock`), so it reads 1970 until someone sets it. */
#include "cortexm.h"

#include "../../hal/hal_time.h"

static volatile uint32_t s_tick_lo;
static volatile uint32_t s_tick_hi;
static int64_t s_wall_base_s;
static bool s_is_wall_set;

void cortexm_tick(void)
{
    if (++s_tick_lo == 0)
        s_tick_hi++;
}

uint64_t hal_mono_ms(void)
{
    uint32_t hi, lo;
    do { /* re-read when the tick wrapped between the two reads */
        hi = s_tick_hi;
        lo = s_tick_lo;
    } while (hi != s_tick_hi);
    return (uint64_t)hi << 32 | lo;
}

uint64_t hal_mono_us(void)
{
    return hal_mono_ms() * 1000u; /* millisecond resolution */
}

int64_t hal_wall_s(void)
{
    return s_wall_base_s + (int64_t)(hal_mono_ms() / 1000u);
}

int64_t hal_wall_ms(void)
{
    return s_wall_base_s * 1000 + (int64_t)hal_mono_ms();
}

int hal_wall_set(int64_t epoch_s)
{
    s_wall_base_s = epoch_s - (int64_t)(hal_mono_ms() / 1000u);
    s_is_wall_set = true;
    return 0;
}

bool hal_wall_synced(void)
{
    return s_is_wall_set;
}
