/* batch.h - runs a short command script on many nodes at once: one poll(2) loop, no threads, at
 * most `parallel` connections open at a time (search and status use it). */
#ifndef BATCH_H
#define BATCH_H

#include "conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BATCH_CMDS_MAX     16
#define BATCH_PARALLEL_MAX 512

struct batch_job {
    struct sockaddr_in addr;         /* in: the node */
    const char *const *cmds;         /* in: commands, run in order on one connection */
    size_t ncmds;                    /* in: at most BATCH_CMDS_MAX */
    const char *pwd;                 /* in: password for a locked node, or NULL */
    void *user;                      /* in: caller data */
    int err;                         /* out: 0 or ERR_* (the first failure) */
    char msg[256];                   /* out: the failure for a person */
    char prompt[CONN_PROMPT_MAX];    /* out: "node01 $" */
    bool is_locked;                  /* out: the node wants a password and none was given */
    size_t ndone;                    /* out: commands answered */
    char *replies[BATCH_CMDS_MAX];   /* out: reply texts (heap, NUL-terminated) */
    uint64_t t_start;                /* out: monotonic us when the connect started */
    uint64_t t_done[BATCH_CMDS_MAX]; /* out: monotonic us when each reply was complete */
    /* internal */
    struct conn c;
    size_t sent;
    bool is_started, is_finished, is_login_sent;
};

/* Called when a job finished (successfully or not). */
typedef void batch_done_fn(struct batch_job *job, void *arg);

/* Runs every job with at most parallel (1..BATCH_PARALLEL_MAX) open at once. Returns 0 or
 * ERR_INVAL. */
int batch_run(struct batch_job *jobs, size_t n, size_t parallel, unsigned timeout_ms,
              unsigned reply_timeout_ms, batch_done_fn *done, void *arg);
/* Frees the replies of a job. */
void batch_job_free(struct batch_job *job);

#endif
