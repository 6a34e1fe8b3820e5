/* metrics_count.c - the counters other code increments (no dependencies, so any layer and any
 * unit test can link it). */
#include "metrics_priv.h"

#include <stdio.h>
#include <string.h>

const uint64_t metrics_late_le_ms[METRICS_LATE_BUCKETS] = {5,   10,  25,   50,   100,
                                                           250, 500, 1000, 2500, 5000};
struct metrics_state metrics_state;

static struct metrics_transport *transport_get(const char *name)
{
    struct metrics_state *m = &metrics_state;
    for (size_t i = 0; i < m->ntr; i++)
        if (!strcmp(m->tr[i].name, name))
            return &m->tr[i];
    if (m->ntr == METRICS_TRANSPORTS_MAX || strlen(name) >= METRICS_TRANSPORT_NAME_MAX) {
        m->dropped++;
        return NULL;
    }
    struct metrics_transport *t = &m->tr[m->ntr++];
    snprintf(t->name, sizeof t->name, "%s", name);
    return t;
}

void metrics_add(const char *transport, enum metrics_kind kind, uint64_t n)
{
    struct metrics_transport *t = transport_get(transport);
    if (t && kind < METRICS_KINDS)
        t->v[kind] += n;
}

void metrics_set(const char *transport, enum metrics_kind kind, uint64_t value)
{
    struct metrics_transport *t = transport_get(transport);
    if (t && kind < METRICS_KINDS)
        t->v[kind] = value;
}

void metrics_cron_run(uint64_t late_ms)
{
    struct metrics_state *m = &metrics_state;
    m->cron_runs++;
    m->cron_late_sum_ms += late_ms;
    for (size_t i = 0; i < METRICS_LATE_BUCKETS; i++)
        if (late_ms <= metrics_late_le_ms[i]) {
            m->cron_bucket[i]++;
            break;
        }
}

void metrics_set_collector(metrics_collect_fn *fn, void *arg)
{
    metrics_state.collect = fn;
    metrics_state.collect_arg = arg;
}
