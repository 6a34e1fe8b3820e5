/* metrics_priv.h - the counter table shared by metrics_count.c and metrics.c. */
#ifndef METRICS_PRIV_H
#define METRICS_PRIV_H

#include "metrics.h"

#define METRICS_TRANSPORT_NAME_MAX 16
#define METRICS_LATE_BUCKETS       10

struct metrics_transport {
    char name[METRICS_TRANSPORT_NAME_MAX];
    uint64_t v[METRICS_KINDS];
};

/* Cron lateness bucket bounds, ms (exported in seconds). */
extern const uint64_t metrics_late_le_ms[METRICS_LATE_BUCKETS];

struct metrics_state {
    struct metrics_transport tr[METRICS_TRANSPORTS_MAX];
    size_t ntr;
    uint64_t dropped;
    uint64_t cron_runs, cron_late_sum_ms;
    uint64_t cron_bucket[METRICS_LATE_BUCKETS]; /* non-cumulative */
    metrics_collect_fn *collect;
    void *collect_arg;
};

/* The process's counter table. */
extern struct metrics_state metrics_state;

#endif
