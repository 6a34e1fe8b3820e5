/* ideal_timer [period_ms=20] [seconds=10]: the machine's own timer wake-up lateness, the
 * floor under any event loop's timers. One thread sleeps to absolute deadlines start + k*period
 * (clock_nanosleep, TIMER_ABSTIME, timer slack 1 us) and records how late each wake-up is, in
 * us. Prints a line in bench_task_lateness's "bench clock" format. Bench reference only. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#define MAX_SAMPLES 100000

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int period_ms = argc > 1 ? atoi(argv[1]) : 20;
    double seconds = argc > 2 ? atof(argv[2]) : 10.0;
    if (period_ms < 1 || seconds < 1)
        return 2;
    (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    static uint64_t late[MAX_SAMPLES];
    size_t n = 0;
    uint64_t start = now_us(), sum = 0;
    uint64_t runs = (uint64_t)(seconds * 1000.0 / period_ms);
    for (uint64_t k = 1; k <= runs && n < MAX_SAMPLES; k++) {
        uint64_t due = start + k * (uint64_t)period_ms * 1000u;
        struct timespec ts = {(time_t)(due / 1000000u), (long)(due % 1000000u) * 1000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        uint64_t t = now_us();
        late[n] = t > due ? t - due : 0;
        sum += late[n++];
    }
    qsort(late, n, sizeof late[0], cmp_u64);
    printf("ideal timer: %zu wake-ups, period %d ms\n", n, period_ms);
    printf("bench clock (us, whole run): runs %zu mean %llu p50 %llu p99 %llu p99.9 %llu max %llu "
           "us\n",
           n, (unsigned long long)(n ? sum / n : 0), (unsigned long long)late[n / 2],
           (unsigned long long)late[n * 99 / 100], (unsigned long long)late[n * 999 / 1000],
           (unsigned long long)late[n ? n - 1 : 0]);
    return 0;
}
