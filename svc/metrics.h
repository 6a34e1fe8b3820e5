/* metrics.h - the node's Prometheus metrics (text exposition format 0.0.4).
 *
 * Counters by transport live here: any transport (shell, http, intercon, mqtt, ...) counts
 * its connections, requests, errors and auth failures with metrics_add, or sets absolute
 * figures it keeps itself with metrics_set. Cron runs feed the lateness histogram through
 * metrics_cron_run. metrics_render writes everything, plus every loaded module's measurement
 * functions (struct lm_func.measures) as gauges, into the exposition text that GET /metrics
 * and `system metrics` return. One table per process (one node per process). */
#ifndef METRICS_H
#define METRICS_H

#include "../core/buf.h"
#include "node.h"

#include <stdbool.h>
#include <stdint.h>

#define METRICS_TRANSPORTS_MAX 8   /* distinct transport names */
#define METRICS_CACHE_MS       2000 /* measurement functions run at most this often */
#define METRICS_TEXT_MAX       (256 * 1024)

/* What a transport counts. */
enum metrics_kind {
    METRICS_CONN,     /* connections accepted (counter) */
    METRICS_OPEN,     /* connections open now (gauge) */
    METRICS_REQ,      /* requests/commands served (counter) */
    METRICS_ERR,      /* requests answered with an error (counter) */
    METRICS_AUTHFAIL, /* failed logins / wrong passwords (counter) */
    METRICS_KINDS
};

/* Adds n to a transport's counter (the transport is registered on first use; more than
 * METRICS_TRANSPORTS_MAX names are dropped and counted in micros_metrics_dropped_total). */
void metrics_add(const char *transport, enum metrics_kind kind, uint64_t n);
/* Sets a transport's figure to an absolute value (for transports that keep their own stats). */
void metrics_set(const char *transport, enum metrics_kind kind, uint64_t value);
/* Records one cron run that started late_ms after its second. */
void metrics_cron_run(uint64_t late_ms);

/* Called at the start of every render, so the owner of figures kept elsewhere (app/: the
 * shell and HTTP servers' stats) can copy them in with metrics_set. */
typedef void metrics_collect_fn(void *arg);
/* Sets the collector (NULL for none). */
void metrics_set_collector(metrics_collect_fn *fn, void *arg);

/* Renders the whole exposition text for node into out. Returns 0 or ERR_NOMEM / ERR_TOOBIG. */
int metrics_render(struct node *node, struct buf *out);
/* Forgets every counter and the measurement cache (tests). */
void metrics_reset(void);

/* Appends s to out as a Prometheus label value (escapes \\, \" and newlines). */
int metrics_label_value(struct buf *out, const char *s, size_t n);
/* Writes a valid metric name for s into out (cap bytes): [a-zA-Z0-9_:] kept, anything else
 * becomes '_', a leading digit gets a '_' before it, runs of '_' collapse. */
void metrics_sanitize_name(const char *s, char *out, size_t cap);

/* Registers GET /metrics on the node's endpoint table: open unless `metrics_auth` is True,
 * then x-micros-auth (appwd) or `Authorization: Bearer <metrics_token>` is needed. */
struct endpoints;
int metrics_endpoint_register(struct endpoints *eps, struct node *node);

#endif
