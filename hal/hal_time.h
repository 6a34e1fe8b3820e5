/* hal_time.h - clocks. */
#ifndef HAL_TIME_H
#define HAL_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* Monotonic milliseconds since an arbitrary start. */
uint64_t hal_mono_ms(void);
/* Monotonic microseconds (for measurements). */
uint64_t hal_mono_us(void);
/* Wall clock: seconds since 1970-01-01 UTC. */
int64_t hal_wall_s(void);
/* Wall clock: milliseconds since 1970-01-01 UTC (the scheduler fires on exact seconds). */
int64_t hal_wall_ms(void);
/* Sets the wall clock. Returns 0, or ERR_PERM when the process may not set it. */
int hal_wall_set(int64_t epoch_s);
/* Returns true when the OS says its clock is synchronised (NTP), false when not or unknown. */
bool hal_wall_synced(void);

#endif
