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

#define MEASURE_ARENA (16 * 1024) /* scratch of one measurement call, allocated per refresh */

#define MEASURE_FUNCS_MAX 64 /* measurement functions per refresh */

/* One measurement function to call, by name (a Lua module may be reloaded by any call, so no
 * module pointer is kept across calls). */
struct measure_call {
    char mod[48], fn[48];
};

/* The measurement cache. A refresh runs one function per event-loop pass into `next` while
 * scrapes keep serving `measures`; only the first fill and a fill after a module was loaded
 * run every function inside the scrape. */
static struct {
    struct buf measures; /* cached measurement lines */
    struct buf next;     /* the refresh being built */
    uint64_t measured_ms;
    bool has_measures;
    uint32_t nloaded; /* modules loaded when the cache was filled */
    uint64_t measure_runs, measure_errors;
    /* background refresh */
    struct node *node;
    struct ev_timer timer;
    struct measure_call *calls;
    size_t ncalls, at;
    char *mem; /* MEASURE_ARENA scratch */
    char devfid[64];
} s_c;

static void refresh_end(void)
{
    if (s_c.node && s_c.node->loop)
        ev_timer_stop(s_c.node->loop, &s_c.timer);
    free(s_c.calls);
    free(s_c.mem);
    s_c.calls = NULL;
    s_c.mem = NULL;
    s_c.ncalls = s_c.at = 0;
}

void metrics_reset(void)
{
    refresh_end();
    buf_free(&s_c.measures);
    buf_free(&s_c.next);
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
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == ':';
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
    sample(w, "micros_cron_lateness_seconds_bucket", "le=\"+Inf\"",
           (double)metrics_state.cron_runs);
    sample(w, "micros_cron_lateness_seconds_sum", NULL,
           (double)metrics_state.cron_late_sum_ms / 1000.0);
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

static void measure_sample(struct w *w, const char *mod, const char *fn, const struct lm_measure *m,
                           double v)
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

/* Lists every loaded module's measurement functions (built-in and Lua) into s_c.calls.
 * Returns 0 or ERR_NOMEM. */
static int list_calls(struct node *node)
{
    refresh_end();
    s_c.calls = malloc(MEASURE_FUNCS_MAX * sizeof *s_c.calls);
    s_c.mem = malloc(MEASURE_ARENA);
    if (!s_c.calls || !s_c.mem) {
        refresh_end();
        return ERR_NOMEM;
    }
    for (size_t i = 0, nmod = lm_count(node); i < nmod; i++) {
        const struct lm_module *mod = lm_at(node, i);
        if (!mod || !lm_is_loaded(node, mod))
            continue;
        for (const struct lm_func *f = mod->funcs; f->name; f++) {
            if (!f->measures)
                continue;
            if (s_c.ncalls == MEASURE_FUNCS_MAX || strlen(mod->name) >= sizeof s_c.calls->mod ||
                strlen(f->name) >= sizeof s_c.calls->fn) {
                s_c.measure_errors++;
                continue;
            }
            struct measure_call *c = &s_c.calls[s_c.ncalls++];
            snprintf(c->mod, sizeof c->mod, "%s", mod->name);
            snprintf(c->fn, sizeof c->fn, "%s", f->name);
        }
    }
    s_c.node = node;
    s_c.at = 0;
    if (!s_c.next.max)
        buf_init(&s_c.next, METRICS_TEXT_MAX / 2);
    buf_clear(&s_c.next);
    return 0;
}

/* Runs measurement call k and appends its samples to s_c.next. Returns 0 or ERR_FULL. */
static int run_call(struct node *node, size_t k)
{
    const struct measure_call *c = &s_c.calls[k];
    char line[100];
    int n = snprintf(line, sizeof line, "%s %s", c->mod, c->fn);
    struct arena a;
    arena_init(&a, s_c.mem, MEASURE_ARENA);
    struct exec_result res;
    exec_run(node, (struct str){line, (size_t)n}, EXEC_REST, &a, &res);
    s_c.measure_runs++;
    const struct lm_module *mod = lm_find(node, str_c(c->mod));
    const struct lm_func *f = mod ? lm_func_find(mod, str_c(c->fn)) : NULL;
    if (!res.ok || res.text || !res.value || !f || !f->measures) {
        s_c.measure_errors++;
        return 0;
    }
    struct w w = {&s_c.next, s_c.devfid, 0};
    for (const struct lm_measure *m = f->measures; m->key && w.rc == 0; m++) {
        const struct val *v =
            m->key[0] ? (res.value->type == VAL_DICT ? val_dict_get(res.value, m->key) : NULL)
                      : res.value;
        double d;
        if (value_number(v, &d))
            measure_sample(&w, c->mod, c->fn, m, d);
        else
            s_c.measure_errors++;
    }
    return w.rc;
}

/* The refresh is complete: `next` becomes the served cache. */
static void refresh_publish(struct node *node)
{
    struct buf tmp = s_c.measures;
    s_c.measures = s_c.next;
    s_c.next = tmp;
    buf_clear(&s_c.next);
    s_c.measured_ms = node->loop ? ev_now(node->loop) : 0;
    s_c.has_measures = true;
    refresh_end();
}

/* One measurement function per loop pass, so a refresh never holds the loop for long. */
static int64_t on_refresh(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (!s_c.calls)
        return EV_DONE;
    if (s_c.at < s_c.ncalls && run_call(s_c.node, s_c.at) < 0)
        s_c.at = s_c.ncalls; /* cache full: publish what fits */
    else
        s_c.at++;
    if (s_c.at < s_c.ncalls)
        return 0;
    refresh_publish(s_c.node);
    return EV_DONE;
}

/* Fills the cache now, every function inside this call (first fill, module newly loaded). */
static void refresh_now(struct node *node)
{
    if (list_calls(node) < 0)
        return;
    for (size_t k = 0; k < s_c.ncalls; k++)
        if (run_call(node, k) < 0)
            break;
    refresh_publish(node);
}

static void render_measures(struct w *w, struct node *node)
{
    uint64_t now = node->loop ? ev_now(node->loop) : 0;
    snprintf(s_c.devfid, sizeof s_c.devfid, "%s", w->node);
    if (!s_c.measures.max)
        buf_init(&s_c.measures, METRICS_TEXT_MAX / 2);
    uint32_t nloaded = 0;
    for (size_t i = 0, n = lm_count(node); i < n; i++) {
        const struct lm_module *mod = lm_at(node, i);
        nloaded += mod && lm_is_loaded(node, mod);
    }
    if (!s_c.has_measures || s_c.nloaded != nloaded || !node->loop) {
        /* A module loaded since the last fill (built-in or Lua) is measured at once. */
        s_c.nloaded = nloaded;
        refresh_now(node);
    } else if (!s_c.calls && (now - s_c.measured_ms >= METRICS_CACHE_MS || now < s_c.measured_ms)) {
        /* Stale: serve what we have, refresh in the background. */
        if (list_calls(node) == 0 && ev_timer_start(node->loop, &s_c.timer, 0, on_refresh) < 0)
            refresh_end();
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
    family(w, "micros_measure_age_seconds", "gauge", "Age of the readings served");
    sample(w, "micros_measure_age_seconds", NULL,
           now >= s_c.measured_ms ? (double)(now - s_c.measured_ms) / 1000.0 : 0);
}

int metrics_render(struct node *node, struct buf *out)
{
    if (metrics_state.collect)
        metrics_state.collect(metrics_state.collect_arg);
    const char *devfid = node->cfg ? cfg_get_str(node->cfg, CFG_K_devfid) : "node";
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
    if (!cfg_get_bool(node->cfg, CFG_K_metrics_auth))
        return true;
    const char *pwd = cfg_get_str(node->cfg, CFG_K_appwd);
    struct str hdr = endpoint_header(req, "x-micros-auth");
    if (hdr.p && pwd[0] && endpoint_secret_ok(node, req, pwd, hdr)) /* with the back-off */
        return true;
    const char *token = cfg_get_str(node->cfg, CFG_K_metrics_token);
    struct str az = endpoint_header(req, "authorization");
    if (az.p && token[0] && strcmp(token, "n/a") && str_starts(az, "Bearer ") &&
        endpoint_secret_ok(node, req, token, str_trim(str_from(az, 7))))
        return true;
    return false;
}

static int on_metrics(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                      void *arg)
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
