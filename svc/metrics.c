/* metrics.c - counters by transport, the cron lateness histogram and the exposition text. */
#include "metrics.h"
#include "metrics_priv.h"

#include "../core/arena.h"
#include "../core/err.h"
#include "../core/ev.h"
#include "../hal/hal_proc.h"
#include "../hal/hal_sys.h"
#include "cfg.h"
#include "endpoint.h"
#include "exec.h"
#include "lm.h"
#include "sched.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEASURE_ARENA (64 * 1024)

/* The measurement cache. */
static struct {
    struct buf measures; /* cached measurement lines */
    uint64_t measured_ms;
    bool has_measures;
    uint64_t measure_runs, measure_errors;
} s_c;

void metrics_reset(void)
{
    buf_free(&s_c.measures);
    memset(&s_c, 0, sizeof s_c);
    memset(&metrics_state, 0, sizeof metrics_state);
}

int metrics_label_value(struct buf *out, const char *s, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ch = s[i];
        if (ch == '\\')
            rc = buf_puts(out, "\\\\");
        else if (ch == '"')
            rc = buf_puts(out, "\\\"");
        else if (ch == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_putc(out, ch);
    }
    return rc;
}

void metrics_sanitize_name(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return;
    if (*s >= '0' && *s <= '9' && n + 1 < cap)
        out[n++] = '_';
    for (; *s && n + 1 < cap; s++) {
        char ch = *s;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '_' || ch == ':';
        if (!ok)
            ch = '_';
        if (ch == '_' && n > 0 && out[n - 1] == '_')
            continue;
        out[n++] = ch;
    }
    while (n > 1 && out[n - 1] == '_')
        n--;
    if (n == 0)
        out[n++] = '_';
    out[n] = '\0';
}

/* ---- writing helpers ---- */

struct w {
    struct buf *out;
    const char *node;
    int rc;
};

static void family(struct w *w, const char *name, const char *type, const char *help)
{
    if (w->rc == 0)
        w->rc = buf_printf(w->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{node="..."[,extra]} value; extra is preformatted label text or NULL. */
static void sample(struct w *w, const char *name, const char *extra, double v)
{
    if (w->rc == 0)
        w->rc = buf_printf(w->out, "%s{node=\"", name);
    if (w->rc == 0)
        w->rc = metrics_label_value(w->out, w->node, strlen(w->node));
    if (w->rc == 0)
        w->rc = buf_printf(w->out, "\"%s%s} %.15g\n", extra ? "," : "", extra ? extra : "", v);
}

static void gauge1(struct w *w, const char *name, const char *help, double v)
{
    family(w, name, "gauge", help);
    sample(w, name, NULL, v);
}

static void by_transport(struct w *w, const char *name, const char *type, const char *help,
                         enum metrics_kind kind)
{
    family(w, name, type, help);
    for (size_t i = 0; i < metrics_state.ntr; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, "transport=\"%s\"", metrics_state.tr[i].name);
        sample(w, name, extra, (double)metrics_state.tr[i].v[kind]);
    }
}

/* ---- process, transports, tasks, cron ---- */

static void render_process(struct w *w, struct node *node)
{
    gauge1(w, "micros_up", "1 while the node answers", 1);
    family(w, "micros_info", "gauge", "Node release (value 1)");
    char extra[160];
    snprintf(extra, sizeof extra, "version=\"%s\"", node->version ? node->version : "n/a");
    sample(w, "micros_info", extra, 1);
    uint64_t now = node->loop ? ev_now(node->loop) : 0;
    gauge1(w, "micros_uptime_seconds", "Seconds since the node started",
           (double)(now - node->boot_ms) / 1000.0);
    uint64_t rss = 0, cpu_ms = 0, fds = 0;
    if (hal_proc_rss(&rss) == 0)
        gauge1(w, "micros_memory_rss_bytes", "Resident memory of the node process", (double)rss);
    if (hal_proc_cpu_ms(&cpu_ms) == 0) {
        family(w, "micros_cpu_seconds_total", "counter", "CPU time used by the node process");
        sample(w, "micros_cpu_seconds_total", NULL, (double)cpu_ms / 1000.0);
    }
    if (hal_proc_fds(&fds) == 0)
        gauge1(w, "micros_open_fds", "Open file descriptors of the node process", (double)fds);
    int load = 0;
    if (hal_sys_cpu_load(&load) == 0)
        gauge1(w, "micros_cpu_load_percent", "Machine CPU load, percent", load);
    if (node->tasks)
        gauge1(w, "micros_loop_load_percent", "Event loop lag meter (task show idle), percent",
               node->tasks->load);
}

static void render_transports(struct w *w)
{
    by_transport(w, "micros_connections_total", "counter", "Connections accepted, by transport",
                 METRICS_CONN);
    by_transport(w, "micros_connections_open", "gauge", "Connections open now, by transport",
                 METRICS_OPEN);
    by_transport(w, "micros_requests_total", "counter", "Requests or commands served, by transport",
                 METRICS_REQ);
    by_transport(w, "micros_errors_total", "counter", "Requests answered with an error",
                 METRICS_ERR);
    by_transport(w, "micros_auth_failures_total", "counter", "Failed logins, by transport",
                 METRICS_AUTHFAIL);
}

static void render_tasks(struct w *w, struct node *node)
{
    if (!node->tasks)
        return;
    const struct tasks *t = node->tasks;
    unsigned active = 0, done = 0;
    for (size_t i = 0; i < TASK_MAX; i++) {
        const struct task *k = &t->slot[i];
        if (k->kind == TASK_FREE || k->is_killed)
            continue;
        if (k->is_done)
            done++;
        else
            active++;
    }
    family(w, "micros_tasks", "gauge", "Tasks in the task manager, by state");
    sample(w, "micros_tasks", "state=\"active\"", active);
    sample(w, "micros_tasks", "state=\"done\"", done);
    gauge1(w, "micros_task_queue_limit", "Task queue limit (aioqueue)", (double)t->limit);
    family(w, "micros_tasks_started_total", "counter", "Tasks started, by kind");
    sample(w, "micros_tasks_started_total", "kind=\"lm\"", (double)t->count.spawned);
    sample(w, "micros_tasks_started_total", "kind=\"native\"", (double)t->count.natives);
    family(w, "micros_tasks_failed_total", "counter", "LM tasks ended by a failed call");
    sample(w, "micros_tasks_failed_total", NULL, (double)t->count.failed);
    family(w, "micros_tasks_refused_total", "counter", "Task starts refused (queue full)");
    sample(w, "micros_tasks_refused_total", NULL, (double)t->count.queue_full);
    family(w, "micros_task_runs_total", "counter", "LM task iterations started");
    sample(w, "micros_task_runs_total", NULL, (double)t->stats.runs);
}

static void render_cron(struct w *w, struct node *node)
{
    family(w, "micros_cron_runs_total", "counter", "Cron jobs run");
    sample(w, "micros_cron_runs_total", NULL, (double)metrics_state.cron_runs);
    const char *h = "micros_cron_lateness_seconds";
    family(w, h, "histogram", "How late cron jobs started after their second");
    uint64_t cum = 0;
    for (size_t i = 0; i < METRICS_LATE_BUCKETS; i++) {
        cum += metrics_state.cron_bucket[i];
        char extra[48];
        snprintf(extra, sizeof extra, "le=\"%g\"", (double)metrics_late_le_ms[i] / 1000.0);
        sample(w, "micros_cron_lateness_seconds_bucket", extra, (double)cum);
    }
    sample(w, "micros_cron_lateness_seconds_bucket", "le=\"+Inf\"", (double)metrics_state.cron_runs);
    sample(w, "micros_cron_lateness_seconds_sum", NULL, (double)metrics_state.cron_late_sum_ms / 1000.0);
    sample(w, "micros_cron_lateness_seconds_count", NULL, (double)metrics_state.cron_runs);
    if (node->sched) {
        family(w, "micros_cron_clock_jumps_total", "counter", "Wall-clock jumps cron noticed");
        sample(w, "micros_cron_clock_jumps_total", NULL, (double)node->sched->cron.stats.jumps);
    }
}

/* ---- measurement functions ---- */

/* A number from a reply value: int, float, bool or a string that starts with a number. */
static bool value_number(const struct val *v, double *out)
{
    if (!v)
        return false;
    switch (v->type) {
    case VAL_INT: *out = (double)v->u.i; return true;
    case VAL_FLOAT: *out = v->u.f; return true;
    case VAL_BOOL: *out = v->u.b ? 1 : 0; return true;
    case VAL_STR: {
        char tmp[64];
        if (v->u.s.len == 0 || v->u.s.len >= sizeof tmp)
            return false;
        memcpy(tmp, v->u.s.p, v->u.s.len);
        tmp[v->u.s.len] = '\0';
        char *end;
        double d = strtod(tmp, &end);
        if (end == tmp)
            return false;
        *out = d;
        return true;
    }
    default: return false;
    }
}

static void measure_sample(struct w *w, const char *mod, const char *fn,
                           const struct lm_measure *m, double v)
{
    if (w->rc == 0)
        w->rc = buf_puts(w->out, "micros_measure{node=\"");
    if (w->rc == 0)
        w->rc = metrics_label_value(w->out, w->node, strlen(w->node));
    if (w->rc == 0)
        w->rc = buf_printf(w->out, "\",module=\"%s\",function=\"%s\",key=\"", mod, fn);
    if (w->rc == 0)
        w->rc = metrics_label_value(w->out, m->key, strlen(m->key));
    if (w->rc == 0)
        w->rc = buf_puts(w->out, "\",unit=\"");
    if (w->rc == 0 && m->unit)
        w->rc = metrics_label_value(w->out, m->unit, strlen(m->unit));
    if (w->rc == 0)
        w->rc = buf_printf(w->out, "\"} %.15g\n", v);
}

/* Runs every loaded module's measurement functions into the cache. */
static int measure_all(struct node *node, const char *devfid)
{
    static char mem[MEASURE_ARENA];
    struct arena a;
    buf_clear(&s_c.measures);
    struct w w = {&s_c.measures, devfid, 0};
    for (uint32_t i = 0; i < node->nloaded && w.rc == 0; i++) {
        const struct lm_module *mod = node->modules[node->load_order[i]];
        for (const struct lm_func *f = mod->funcs; f->name && w.rc == 0; f++) {
            if (!f->measures)
                continue;
            char line[128];
            int n = snprintf(line, sizeof line, "%s %s", mod->name, f->name);
            if (n < 0 || (size_t)n >= sizeof line)
                continue;
            arena_init(&a, mem, sizeof mem);
            struct exec_result res;
            exec_run(node, (struct str){line, (size_t)n}, EXEC_REST, &a, &res);
            s_c.measure_runs++;
            if (!res.ok || res.text || !res.value) {
                s_c.measure_errors++;
                continue;
            }
            for (const struct lm_measure *m = f->measures; m->key; m++) {
                const struct val *v = m->key[0] ? (res.value->type == VAL_DICT
                                                       ? val_dict_get(res.value, m->key)
                                                       : NULL)
                                                : res.value;
                double d;
                if (value_number(v, &d))
                    measure_sample(&w, mod->name, f->name, m, d);
                else
                    s_c.measure_errors++;
            }
        }
    }
    return w.rc;
}

static void render_measures(struct w *w, struct node *node)
{
    uint64_t now = node->loop ? ev_now(node->loop) : 0;
    if (!s_c.has_measures || now - s_c.measured_ms >= METRICS_CACHE_MS || now < s_c.measured_ms) {
        if (!s_c.measures.max)
            buf_init(&s_c.measures, METRICS_TEXT_MAX / 2);
        if (measure_all(node, w->node) < 0)
            buf_clear(&s_c.measures);
        s_c.measured_ms = now;
        s_c.has_measures = true;
    }
    family(w, "micros_measure", "gauge",
           "Readings of the loaded modules' measurement functions (module, function, key)");
    if (w->rc == 0)
        w->rc = buf_append(w->out, s_c.measures.p, s_c.measures.len);
    family(w, "micros_measure_calls_total", "counter", "Measurement function calls for metrics");
    sample(w, "micros_measure_calls_total", NULL, (double)s_c.measure_runs);
    family(w, "micros_measure_errors_total", "counter",
           "Measurement calls that failed or gave no number for a declared key");
    sample(w, "micros_measure_errors_total", NULL, (double)s_c.measure_errors);
}

int metrics_render(struct node *node, struct buf *out)
{
    if (metrics_state.collect)
        metrics_state.collect(metrics_state.collect_arg);
    const char *devfid = node->cfg ? cfg_get_str(node->cfg, "devfid") : "node";
    struct w w = {out, devfid, 0};
    render_process(&w, node);
    render_transports(&w);
    render_tasks(&w, node);
    render_cron(&w, node);
    render_measures(&w, node);
    family(&w, "micros_metrics_dropped_total", "counter",
           "Counter updates dropped (too many transport names)");
    sample(&w, "micros_metrics_dropped_total", NULL, (double)metrics_state.dropped);
    return w.rc;
}

/* ---- GET /metrics ---- */

static bool is_authorized(struct node *node, const struct endpoint_req *req)
{
    if (!cfg_get_bool(node->cfg, "metrics_auth"))
        return true;
    const char *pwd = cfg_get_str(node->cfg, "appwd");
    struct str hdr = endpoint_header(req, "x-micros-auth");
    if (hdr.p && pwd[0] && endpoint_password_ok(pwd, hdr))
        return true;
    const char *token = cfg_get_str(node->cfg, "metrics_token");
    struct str az = endpoint_header(req, "authorization");
    if (az.p && token[0] && strcmp(token, "n/a") && str_starts(az, "Bearer ") &&
        endpoint_password_ok(token, str_trim(str_from(az, 7))))
        return true;
    return false;
}

static int on_metrics(struct node *node, const struct endpoint_req *req,
                      struct endpoint_reply *rep, void *arg)
{
    (void)arg;
    if (!is_authorized(node, req)) {
        metrics_add("http", METRICS_AUTHFAIL, 1);
        rep->status = 401;
        rep->content_type = "text/plain; charset=utf-8";
        return buf_puts(rep->body, "metrics: x-micros-auth or a bearer token is needed\n");
    }
    rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
    int rc = metrics_render(node, rep->body);
    return rc < 0 ? rc : 0;
}

int metrics_endpoint_register(struct endpoints *eps, struct node *node)
{
    (void)node;
    return endpoint_add(eps, "metrics", EP_GET, EP_UNLISTED, on_metrics, NULL);
}
