/* sched.h - the node's time services wired to its config and command path: the clock (`utc`,
 * `tz`, live), the syslog stamp offset, cron (`cron` at boot, `crontasks` and `geoloc` live),
 * timirq (`timirq`, `timirqcbf`, `timirqseq` at boot), the irq1..irq4 inputs and boothook.
 * Every job runs through exec_pipe with its source (EXEC_CRON, EXEC_TIMIRQ, EXEC_IRQ,
 * EXEC_BOOT). Config validators refuse a bad `crontasks`, `tz` or `geoloc` with the reason. */
#ifndef SCHED_H
#define SCHED_H

#include "../core/ev.h"
#include "clock.h"
#include "cron.h"
#include "irq.h"
#include "node.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef SCHED_HISTORY
#define SCHED_HISTORY 16 /* recent cron runs kept for `cron history` */
#endif

/* One recent cron run. */
struct sched_run {
    int64_t due_s;   /* the second it was due (UTC) */
    int64_t wall_ms; /* wall clock when it started */
    char entry[96];  /* the crontasks entry (cut) */
    char out[96];    /* the first line of its reply (cut) */
};

struct sched {
    struct node *node;
    struct clock clock;
    struct cron cron;
    bool is_cron; /* `cron` was True at start: the scheduler runs */
    struct irq irq;
    struct ev_timer timirq;
    char *timirq_cbf;         /* captured at start, heap */
    struct ev_timer tz_timer; /* re-reads the offset for the syslog stamp at DST changes */
    struct sched_run history[SCHED_HISTORY];
    uint32_t nhistory; /* runs recorded since start (the ring holds the last SCHED_HISTORY) */
    uint64_t timirq_runs;
};

/* Sets up the clock from `tz`/`utc`, registers the validators and the config observer, loads
 * `crontasks` and starts cron, timirq and the irq inputs as the config asks (gpio may be
 * NULL when the build has no pins). Returns 0 or ERR_* (a timer could not be armed). */
int sched_init(struct sched *s, struct node *node, const struct irq_gpio *gpio);
/* Stops every timer and input and frees the jobs. */
void sched_deinit(struct sched *s);
/* Runs `boothook` through the pipe with "$pwd" replaced by '<appwd>' (quoted). */
void sched_boothook(struct sched *s);
/* Fills tm with the node's local time now. */
void sched_local_now(const struct sched *s, struct clock_tm *tm);
/* Runs cron job index now (as if due). Returns 0 or ERR_RANGE. */
int sched_cron_run(struct sched *s, size_t index);

#endif
