/* persist.c - write-behind for small state files. */
#include "persist.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "syslog.h"

#include <stdio.h>
#include <string.h>

void persist_init(struct persist *p, struct ev_loop *loop, struct syslog *log, uint64_t delay_ms)
{
    memset(p, 0, sizeof *p);
    p->loop = loop;
    p->log = log;
    p->delay_ms = delay_ms;
    p->timer.arg = p;
}

/* Writes one entry durably; a failure becomes an alarm and the entry's last_error. */
static int write_entry(struct persist *p, struct persist_entry *e)
{
    e->is_dirty = false;
    int rc = hal_fs_write_atomic(e->path, e->data, e->len);
    p->stats.writes++;
    if (rc < 0) {
        p->stats.errors++;
        e->last_error = rc;
        LOG_E("persist: cannot write %s: %s", e->path, err_str(rc));
        if (p->log)
            syslog_write(p->log, "[ERR] persist: cannot write %s: %s", e->path, err_str(rc));
    }
    return rc;
}

/* Arms the timer for the earliest due entry (quiet for delay_ms, or the cap reached). */
static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t);

static void arm(struct persist *p)
{
    uint64_t due = UINT64_MAX;
    for (size_t i = 0; i < PERSIST_MAX; i++) {
        struct persist_entry *e = &p->e[i];
        if (!e->is_dirty)
            continue;
        uint64_t cap = e->first_ms + PERSIST_MAX_DELAY_FACTOR * p->delay_ms;
        uint64_t quiet = e->last_ms + p->delay_ms;
        uint64_t d = quiet < cap ? quiet : cap;
        if (d < due)
            due = d;
    }
    if (due == UINT64_MAX)
        ev_timer_stop(p->loop, &p->timer);
    else if (!p->timer.is_active || p->timer.due_ms != due)
        ev_timer_start_at(p->loop, &p->timer, due, on_timer);
}

static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t)
{
    struct persist *p = t->arg;
    (void)loop;
    /* The timer fires only when the path changed last delay_ms ago or its cap came: write
     * every unsaved path then (they are few and small). */
    persist_flush(p);
    return EV_DONE;
}

int persist_write(struct persist *p, const char *path, const void *data, size_t len)
{
    if (p)
        p->stats.puts++;
    struct persist_entry *e = NULL, *free_e = NULL;
    for (size_t i = 0; p && i < PERSIST_MAX && !e; i++) {
        if (p->e[i].is_used && strcmp(p->e[i].path, path) == 0)
            e = &p->e[i];
        else if (!p->e[i].is_used && !free_e)
            free_e = &p->e[i];
    }
    int earlier = 0;
    if (e) {
        earlier = e->last_error;
        e->last_error = 0;
    }
    if (!p || !p->loop || p->delay_ms == 0 || len > PERSIST_DATA_MAX ||
        strlen(path) >= PERSIST_PATH_MAX || (!e && !free_e)) {
        if (p)
            p->stats.write_through++;
        if (e)
            e->is_dirty = false; /* the newer content wins */
        int rc = hal_fs_write_atomic(path, data, len);
        if (p && rc < 0)
            p->stats.errors++;
        return rc < 0 ? rc : earlier;
    }
    uint64_t now = ev_now(p->loop);
    if (!e) {
        e = free_e;
        memset(e, 0, sizeof *e);
        e->is_used = true;
        snprintf(e->path, sizeof e->path, "%s", path);
    }
    if (!e->is_dirty)
        e->first_ms = now;
    e->last_ms = now;
    memcpy(e->data, data, len);
    e->len = len;
    e->is_dirty = true;
    arm(p);
    return earlier;
}

int persist_flush(struct persist *p)
{
    if (!p)
        return 0;
    int first = 0;
    for (size_t i = 0; i < PERSIST_MAX; i++) {
        struct persist_entry *e = &p->e[i];
        if (!e->is_dirty)
            continue;
        int rc = write_entry(p, e);
        if (rc < 0 && first == 0)
            first = rc;
    }
    if (p->loop)
        ev_timer_stop(p->loop, &p->timer);
    return first;
}

void persist_deinit(struct persist *p)
{
    if (!p || !p->loop)
        return;
    persist_flush(p);
    p->loop = NULL;
}
