/* sched.c - clock, cron, timirq, irq inputs and boothook, wired to config and exec_pipe. */
#include "sched.h"

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/log.h"
#include "cfg.h"
#include "exec.h"
#include "sun.h"
#include "syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_RECHECK_MS (3600 * 1000) /* the stamp offset is re-read at least hourly */
#define BOOTHOOK_MAX  4096          /* boothook after $pwd substitution, bytes */

/* ---- clock from config ---- */

static void configure_clock(struct sched *s)
{
    const char *tz = cfg_get_str(s->node->cfg, CFG_K_tz);
    char err[128];
    if (strcmp(tz, "n/a") != 0 && clock_set_tz(&s->clock, tz, err, sizeof err) == 0)
        return;
    if (strcmp(tz, "n/a") != 0)
        syslog_write(s->node->log, "[WARN] tz '%s' ignored: %s; using utc", tz, err);
    clock_set_utc_minutes(&s->clock, cfg_get_int(s->node->cfg, CFG_K_utc));
}

static int64_t on_tz_timer(struct ev_loop *loop, struct ev_timer *t);

/* Updates the syslog stamp offset and arms the timer for the next offset change. */
static void update_offset(struct sched *s)
{
    int64_t now = clock_now(&s->clock);
    if (s->node->log)
        s->node->log->utc_offset_s = clock_offset(&s->clock, now);
    int64_t next = clock_tz_next_change(&s->clock.tz, now);
    uint64_t wait = TZ_RECHECK_MS;
    if (next != INT64_MAX && (next - now) * 1000 < (int64_t)TZ_RECHECK_MS)
        wait = (uint64_t)((next - now) * 1000);
    ev_timer_start(s->node->loop, &s->tz_timer, wait, on_tz_timer);
}

static int64_t on_tz_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    update_offset(t->arg);
    return EV_DONE;
}

static void configure_geoloc(struct sched *s)
{
    double lat = 0, lon = 0;
    bool has = sun_parse_geoloc(cfg_get_str(s->node->cfg, CFG_K_geoloc), &lat, &lon);
    cron_set_geoloc(&s->cron, has, lat, lon);
}

/* ---- validators ---- */

static int validate_crontasks(enum cfg_key_id key, struct str value, char *msg, size_t cap,
                              void *arg)
{
    (void)key;
    (void)arg;
    char *text = malloc(value.len + 1);
    if (!text)
        return ERR_NOMEM;
    str_copy(text, value.len + 1, value);
    int rc = cron_validate(text, msg, cap);
    free(text);
    return rc;
}

static int validate_tz(enum cfg_key_id key, struct str value, char *msg, size_t cap, void *arg)
{
    (void)key;
    (void)arg;
    char text[CLOCK_TZ_MAX], err[128];
    if (value.len == 0 || str_eqc(value, "n/a"))
        return 0;
    if (value.len >= sizeof text) {
        snprintf(msg, cap, "tz: rule longer than %d bytes", CLOCK_TZ_MAX - 1);
        return ERR_SYNTAX;
    }
    str_copy(text, sizeof text, value);
    struct clock_tz tz;
    if (clock_tz_parse(text, &tz, err, sizeof err) < 0) {
        snprintf(msg, cap, "tz '%s': %s (e.g. CET-1CEST,M3.5.0,M10.5.0/3)", text, err);
        return ERR_SYNTAX;
    }
    return 0;
}

static int validate_geoloc(enum cfg_key_id key, struct str value, char *msg, size_t cap, void *arg)
{
    (void)key;
    (void)arg;
    char text[128];
    double lat, lon;
    if (value.len == 0 || str_eqc(value, "n/a"))
        return 0;
    str_copy(text, sizeof text, value);
    if (value.len >= sizeof text || !sun_parse_geoloc(text, &lat, &lon)) {
        snprintf(msg, cap, "geoloc must be \"<lat>,<lon>\" in degrees, e.g. 47.4979,19.0402");
        return ERR_SYNTAX;
    }
    return 0;
}

/* ---- live config ---- */

static void load_crontasks(struct sched *s)
{
    int rc = cron_set_tasks(&s->cron, cfg_get_str(s->node->cfg, CFG_K_crontasks));
    if (rc < 0)
        syslog_write(s->node->log, "[ERR] cron: crontasks not loaded: %s", err_str(rc));
}

static void on_config(struct cfg *cfg, enum cfg_key_id key, void *arg)
{
    (void)cfg;
    struct sched *s = arg;
    if (key == CFG_K_crontasks) {
        load_crontasks(s);
    } else if (key == CFG_K_geoloc) {
        configure_geoloc(s);
    } else if (key == CFG_K_tz || key == CFG_K_utc) {
        configure_clock(s);
        update_offset(s);
        if (s->is_cron)
            cron_reschedule(&s->cron);
    }
}

/* ---- running commands ---- */

static void on_bad_entry(void *arg, struct str entry, const char *why)
{
    struct sched *s = arg;
    syslog_write(s->node->log, "[WARN] cron entry '%.*s' skipped: %s", STR_FMT(entry), why);
}

struct run_ctx {
    struct sched *s;
    const char *what;
    struct sched_run *rec; /* cron: where the first reply line goes, or NULL */
};

static void on_done(void *arg, struct str cmd, const struct exec_result *res)
{
    struct run_ctx *rc = arg;
    struct buf out;
    buf_init(&out, 4096);
    exec_render_text(res, &out);
    const char *text = out.len ? buf_cstr(&out) : "";
    if (rc->rec && rc->rec->out[0] == '\0') {
        size_t n = strcspn(text, "\n");
        snprintf(rc->rec->out, sizeof rc->rec->out, "%.*s", (int)n, text);
    }
    if (!res->ok)
        syslog_write(rc->s->node->log, "[ERR] %s: %.*s: %.200s", rc->what, STR_FMT(cmd), text);
    buf_free(&out);
}

static void on_cron_run(void *arg, struct str cmd, size_t job)
{
    struct sched *s = arg;
    struct sched_run *rec = &s->history[s->nhistory++ % SCHED_HISTORY];
    const struct cron_job *j = &s->cron.jobs[job];
    rec->due_s = j->last;
    rec->wall_ms = clock_now_ms(&s->clock);
    snprintf(rec->entry, sizeof rec->entry, "%.*s", STR_FMT(j->entry));
    rec->out[0] = '\0';
    struct run_ctx rc = {s, "cron", rec};
    exec_pipe(s->node, cmd, EXEC_CRON, on_done, &rc);
}

static int64_t on_timirq(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct sched *s = t->arg;
    s->timirq_runs++;
    struct run_ctx rc = {s, "timirq", NULL};
    exec_pipe(s->node, str_c(s->timirq_cbf), EXEC_TIMIRQ, on_done, &rc);
    int64_t seq = cfg_get_int(s->node->cfg, CFG_K_timirqseq);
    return seq < 1 ? 1 : seq;
}

static void on_irq(void *arg, int n, const char *cbf)
{
    struct sched *s = arg;
    char what[8];
    snprintf(what, sizeof what, "irq%d", n);
    struct run_ctx rc = {s, what, NULL};
    exec_pipe(s->node, str_c(cbf), EXEC_IRQ, on_done, &rc);
}

/* ---- start and stop ---- */

static int start_timirq(struct sched *s)
{
    struct cfg *cfg = s->node->cfg;
    const char *cbf = cfg_get_str(cfg, CFG_K_timirqcbf);
    if (!cfg_get_bool(cfg, CFG_K_timirq) || strcmp(cbf, "n/a") == 0)
        return 0;
    int64_t seq = cfg_get_int(cfg, CFG_K_timirqseq);
    if (seq < 1) {
        syslog_write(s->node->log, "[WARN] timirqseq %lld ms is below 1 ms: using 1 ms",
                     (long long)seq);
        seq = 1;
    }
    s->timirq_cbf = malloc(strlen(cbf) + 1);
    if (!s->timirq_cbf)
        return ERR_NOMEM;
    strcpy(s->timirq_cbf, cbf);
    s->timirq.arg = s;
    return ev_timer_start(s->node->loop, &s->timirq, (uint64_t)seq, on_timirq);
}

int sched_init(struct sched *s, struct node *node, const struct irq_gpio *gpio)
{
    memset(s, 0, sizeof *s);
    s->node = node;
    s->tz_timer.arg = s;
    clock_init(&s->clock);
    configure_clock(s);
    update_offset(s);
    cron_init(&s->cron, node->loop, &s->clock, on_cron_run, s);
    cron_set_bad_fn(&s->cron, on_bad_entry, s);
    configure_geoloc(s);
    load_crontasks(s);

    struct cfg *cfg = node->cfg;
    int rc = cfg_set_validator(cfg, CFG_K_crontasks, validate_crontasks, s);
    if (rc == 0)
        rc = cfg_set_validator(cfg, CFG_K_tz, validate_tz, s);
    if (rc == 0)
        rc = cfg_set_validator(cfg, CFG_K_geoloc, validate_geoloc, s);
    if (rc == 0)
        rc = cfg_add_observer(cfg, on_config, s);
    if (rc < 0) {
        LOG_E("sched: config hooks: %s", err_str(rc));
        return rc;
    }

    s->is_cron = cfg_get_bool(cfg, CFG_K_cron);
    if (s->is_cron) {
        rc = cron_start(&s->cron);
        if (rc < 0) {
            LOG_E("cron: %s", err_str(rc));
            return rc;
        }
        LOG_I("cron: %zu jobs", s->cron.njobs);
    }
    rc = start_timirq(s);
    if (rc < 0) {
        LOG_E("timirq: %s", err_str(rc));
        return rc;
    }
    int n = irq_start(&s->irq, node->loop, gpio, cfg, on_irq, s);
    if (n > 0)
        LOG_I("irq: %d inputs", n);
    return 0;
}

void sched_deinit(struct sched *s)
{
    if (!s->node)
        return;
    irq_stop(&s->irq);
    ev_timer_stop(s->node->loop, &s->timirq);
    ev_timer_stop(s->node->loop, &s->tz_timer);
    cron_deinit(&s->cron);
    free(s->timirq_cbf);
    s->timirq_cbf = NULL;
}

void sched_boothook(struct sched *s)
{
    const char *hook = cfg_get_str(s->node->cfg, CFG_K_boothook);
    const char *pwd = cfg_get_str(s->node->cfg, CFG_K_appwd);
    struct buf b;
    buf_init(&b, BOOTHOOK_MAX);
    int rc = 0;
    for (const char *p = hook; *p && rc == 0;) {
        if (strncmp(p, "$pwd", 4) == 0) {
            rc = buf_printf(&b, "'%s'", pwd);
            p += 4;
        } else {
            rc = buf_putc(&b, *p++);
        }
    }
    if (rc < 0) {
        syslog_write(s->node->log, "[ERR] boothook longer than %d bytes: not run", BOOTHOOK_MAX);
    } else if (b.len) {
        struct run_ctx ctx = {s, "boothook", NULL};
        exec_pipe(s->node, (struct str){b.p, b.len}, EXEC_BOOT, on_done, &ctx);
    }
    buf_free(&b);
}

void sched_local_now(const struct sched *s, struct clock_tm *tm)
{
    clock_local(&s->clock, clock_now(&s->clock), tm);
}

int sched_cron_run(struct sched *s, size_t index)
{
    if (index >= s->cron.njobs)
        return ERR_RANGE;
    struct cron_job *j = &s->cron.jobs[index];
    j->last = clock_now(&s->clock);
    j->runs++;
    on_cron_run(s, j->cmd, index);
    return 0;
}
