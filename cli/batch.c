/* batch.c - parallel command scripts over one poll loop (see batch.h). */
#include "batch.h"

#include "../core/err.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void job_finish(struct batch_job *j, batch_done_fn *done, void *arg)
{
    if (j->c.state == CONN_FAILED && !j->err) {
        j->err = j->c.err;
        snprintf(j->msg, sizeof j->msg, "%s", j->c.msg);
    }
    conn_close(&j->c);
    j->is_finished = true;
    if (done)
        done(j, arg);
}

/* Moves a READY job on: keep the reply, log in, send the next command, or finish. */
static void job_advance(struct batch_job *j, batch_done_fn *done, void *arg)
{
    struct conn *c = &j->c;
    if (j->prompt[0] == '\0')
        snprintf(j->prompt, sizeof j->prompt, "%s", c->prompt);
    if (j->sent > j->ndone) {
        size_t len;
        const char *r = conn_reply(c, &len);
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, r, len);
            copy[len] = '\0';
        }
        j->replies[j->ndone] = copy;
        j->t_done[j->ndone] = conn_now_us();
        j->ndone++;
    }
    if (c->is_locked) {
        if (!j->pwd || j->is_login_sent) {
            j->is_locked = true;
            j->err = ERR_PERM;
            snprintf(j->msg, sizeof j->msg, "the node asks for a password");
            job_finish(j, done, arg);
            return;
        }
        j->is_login_sent = true;
        conn_login(c, j->pwd);
        return;
    }
    if (j->ndone >= j->ncmds) {
        job_finish(j, done, arg);
        return;
    }
    if (conn_send(c, j->cmds[j->sent]) == 0)
        j->sent++;
    else if (c->state != CONN_FAILED) {
        j->err = ERR_INVAL;
        snprintf(j->msg, sizeof j->msg, "cannot send '%s'", j->cmds[j->sent]);
        job_finish(j, done, arg);
    }
}

int batch_run(struct batch_job *jobs, size_t n, size_t parallel, unsigned timeout_ms,
              unsigned reply_timeout_ms, batch_done_fn *done, void *arg)
{
    if (parallel < 1 || parallel > BATCH_PARALLEL_MAX)
        return ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (jobs[i].ncmds > BATCH_CMDS_MAX)
            return ERR_INVAL;
    struct pollfd pfd[BATCH_PARALLEL_MAX];
    struct batch_job *act[BATCH_PARALLEL_MAX];
    size_t next = 0, nact = 0;
    while (next < n || nact > 0) {
        /* Fill the free slots. */
        while (nact < parallel && next < n) {
            struct batch_job *j = &jobs[next++];
            conn_init(&j->c, timeout_ms, reply_timeout_ms);
            j->is_started = true;
            j->t_start = conn_now_us();
            conn_start(&j->c, &j->addr);
            if (j->c.state == CONN_FAILED)
                job_finish(j, done, arg);
            else
                act[nact++] = j;
        }
        if (nact == 0)
            continue;
        uint64_t now = conn_now_ms(), first = UINT64_MAX;
        for (size_t i = 0; i < nact; i++) {
            pfd[i].fd = act[i]->c.fd;
            pfd[i].events = conn_events(&act[i]->c);
            pfd[i].revents = 0;
            if (act[i]->c.deadline < first)
                first = act[i]->c.deadline;
        }
        int ms = first > now ? (int)(first - now) : 0;
        int r = poll(pfd, (nfds_t)nact, ms);
        if (r < 0 && errno != EINTR)
            return ERR_IO;
        now = conn_now_ms();
        size_t keep = 0;
        for (size_t i = 0; i < nact; i++) {
            struct batch_job *j = act[i];
            conn_step(&j->c, r > 0 ? pfd[i].revents : 0, now);
            if (j->c.state == CONN_READY)
                job_advance(j, done, arg);
            if (!j->is_finished && j->c.state == CONN_FAILED)
                job_finish(j, done, arg);
            if (!j->is_finished)
                act[keep++] = j;
        }
        nact = keep;
    }
    return 0;
}

void batch_job_free(struct batch_job *job)
{
    for (size_t i = 0; i < BATCH_CMDS_MAX; i++) {
        free(job->replies[i]);
        job->replies[i] = NULL;
    }
}
