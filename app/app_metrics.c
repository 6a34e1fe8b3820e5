/* app_metrics.c - feeds the shell's and HTTP server's own stats into svc/metrics and serves
 * GET /metrics. */
#include "app_metrics.h"

#include "../svc/metrics.h"

/* Copies the servers' counters into the metrics table before each render. */
static void collect(void *arg)
{
    struct app *app = arg;
    const struct shell_stats *ss = &app->shell.stats;
    metrics_set("shell", METRICS_CONN, ss->accepted);
    metrics_set("shell", METRICS_REQ, ss->commands);
    metrics_set("shell", METRICS_ERR, ss->busy_replies + ss->long_lines);
    metrics_set("shell", METRICS_AUTHFAIL, ss->auth_failures);
    size_t web = app->http.port ? http_count(&app->http) : 0, all = admit_count(&app->admit);
    metrics_set("shell", METRICS_OPEN, all > web ? all - web : 0);
    if (app->http.port) {
        const struct http_stats *hs = &app->http.stats;
        metrics_set("http", METRICS_CONN, hs->accepted);
        metrics_set("http", METRICS_REQ, hs->requests);
        metrics_set("http", METRICS_ERR,
                    hs->errors_4xx + hs->errors_5xx + hs->busy_503 + hs->timeouts_408);
        metrics_set("http", METRICS_OPEN, web);
    }
}

int app_metrics_start(struct app *app)
{
    metrics_set_collector(collect, app);
    app->node.metrics_text = metrics_render;
    return metrics_endpoint_register(&app->endpoints, &app->node);
}
