/* app_metrics.h - wires the node's servers into svc/metrics and registers GET /metrics. */
#ifndef APP_METRICS_H
#define APP_METRICS_H

#include "app.h"

/* Sets the metrics collector to app's servers and registers /metrics. Returns 0 or ERR_*. */
int app_metrics_start(struct app *app);

#endif
