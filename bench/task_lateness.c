/* task_lateness.c - bench: firing lateness of N concurrent periodic tasks while shell clients
 * hammer the node.
 *
 * A real node (app_init: event loop, task manager, shell on a free loopback port) runs N
 * `bench fNNN &&<period>` tasks, started through exec_run like a shell command. The node's
 * queue limit (aioqueue, 5..20) is raised with task_set_limit; this program is built with
 * -DTASK_MAX=256 so the slot pool holds them (see CMakeLists.txt). C child processes connect
 * to the shell and send `system info` / `task list` without a newline, each waiting for the
 * prompt, as fast as the node answers, for the whole run.
 *
 * Lateness = actual start of a run - its due time (start + k*period). Two views:
 *  - the task manager's own statistics (the loop's us clock, whole run);
 *  - the bench function's own clock reading in microseconds against the task's due time,
 *    which it reads from the task slot (a bench-only look inside struct task), after warm-up;
 *    and the loop's own part of it: start - the later of the due time and the moment the
 *    loop's wait returned (what the machine's wake-up latency leaves out).
 *
 * Usage: bench_task_lateness [tasks=100] [period_ms=20] [seconds=10] [clients=2] */
#include "app/app.h"
#include "core/err.h"
#include "hal/hal_time.h"
#include "modules/modules.h"
#include "svc/exec.h"
#include "svc/lm.h"
#include "svc/task.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TASKS  120
#define US_BUCKETS 100000 /* 1 us buckets up to 100 ms */

extern const struct lm_module lm_system;

static struct app s_app;
static char s_names[MAX_TASKS][8];
static struct lm_func s_funcs[MAX_TASKS + 1];
static struct task *s_slot[MAX_TASKS];
static uint32_t s_hist_us[US_BUCKETS + 1];
static uint32_t s_hist_own[US_BUCKETS + 1]; /* the loop's own part: now - max(due, wake-up) */
static uint64_t s_runs, s_sum_us, s_max_us;
static bool s_is_measuring;

/* One bench function: finds its task once, then records now - due in microseconds. */
static int fn_bench(struct lm_ctx *ctx)
{
    uint64_t now = hal_mono_us();
    size_t i = (size_t)(ctx->fn - s_funcs);
    if (!s_slot[i]) {
        char tag[32];
        snprintf(tag, sizeof tag, "bench.%s", s_names[i]);
        for (size_t k = 0; k < TASK_MAX; k++)
            if (s_app.tasks->slot[k].kind == TASK_LM && strcmp(s_app.tasks->slot[k].tag, tag) == 0)
                s_slot[i] = &s_app.tasks->slot[k];
    }
    if (s_slot[i] && s_is_measuring) {
        uint64_t due = s_slot[i]->due_us;
        uint64_t late = now > due ? now - due : 0;
        s_hist_us[late < US_BUCKETS ? late : US_BUCKETS]++;
        uint64_t from = due > s_app.loop.wake_us ? due : s_app.loop.wake_us;
        uint64_t own = now > from ? now - from : 0;
        s_hist_own[own < US_BUCKETS ? own : US_BUCKETS]++;
        s_runs++;
        s_sum_us += late;
        if (late > s_max_us)
            s_max_us = late;
    }
    return lm_ret_int(ctx, (int64_t)i);
}

static const struct lm_module s_bench = {"bench", s_funcs, NULL};
static const struct lm_module *s_modules[] = {&lm_system, &s_bench, NULL};

/* The permille-th per-mille of a microsecond histogram (500 = median). */
static uint64_t pct_of(const uint32_t *hist, unsigned permille)
{
    uint64_t want = (s_runs * permille + 999) / 1000, seen = 0;
    for (size_t b = 0; b <= US_BUCKETS; b++) {
        seen += hist[b];
        if (seen >= want && want > 0)
            return b;
    }
    return 0;
}

static uint64_t pct_us(unsigned permille)
{
    return pct_of(s_hist_us, permille);
}

/* A shell client: commands without a newline, each answered up to the prompt. */
static void client_run(uint16_t port, double seconds, int wfd)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint64_t n = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        char buf[8192];
        uint64_t end = hal_mono_us() + (uint64_t)(seconds * 1e6);
        (void)recv(fd, buf, sizeof buf, 0); /* the greeting prompt */
        static const char *const cmds[] = {"system info", "task list", "hello"};
        while (hal_mono_us() < end) {
            const char *c = cmds[n % 3];
            if (send(fd, c, strlen(c), MSG_NOSIGNAL) < 0)
                break;
            size_t len = 0;
            for (;;) {
                ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
                if (r <= 0)
                    goto done;
                len += (size_t)r;
                if (len >= 2 && buf[len - 2] == '$' && buf[len - 1] == ' ')
                    break;
                if (len > sizeof buf - 64)
                    len = 0;
            }
            n++;
        }
    }
done:
    close(fd);
    (void)!write(wfd, &n, sizeof n);
    _exit(0);
}

static int64_t on_start_measuring(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    s_is_measuring = true;
    return EV_DONE;
}

static int64_t on_stop(struct ev_loop *loop, struct ev_timer *t)
{
    (void)t;
    ev_stop(loop);
    return EV_DONE;
}

int main(int argc, char **argv)
{
    int ntasks = argc > 1 ? atoi(argv[1]) : 100;
    int period = argc > 2 ? atoi(argv[2]) : 20;
    double seconds = argc > 3 ? atof(argv[3]) : 10.0;
    int nclients = argc > 4 ? atoi(argv[4]) : 2;
    if (ntasks < 1 || ntasks > MAX_TASKS || (size_t)ntasks * 2 > TASK_MAX || period < 20 ||
        seconds < 2 || nclients < 0 || nclients > 16) {
        fprintf(stderr, "usage: %s [tasks 1-%d] [period_ms >= 20] [seconds >= 2] [clients 0-16]\n",
                argv[0], MAX_TASKS);
        return 2;
    }
    for (int i = 0; i < ntasks; i++) {
        snprintf(s_names[i], sizeof s_names[i], "f%03d", i);
        s_funcs[i] = (struct lm_func){.name = s_names[i], .fn = fn_bench};
    }

    char dir[] = "/tmp/micros-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct app_options opt = {.data_dir = dir, .bind_addr = "127.0.0.1", .port = 0, .webport = 0};
    if (app_init(&s_app, &opt) < 0) {
        fprintf(stderr, "app_init failed\n");
        return 1;
    }
    s_app.node.modules = s_modules;
    task_set_limit(s_app.tasks, ntasks);

    int pfd[2];
    if (pipe(pfd) < 0)
        return 1;
    pid_t kids[16];
    for (int c = 0; c < nclients; c++) {
        kids[c] = fork();
        if (kids[c] == 0)
            client_run(s_app.shell.port, seconds - 0.5, pfd[1]);
    }

    /* Tasks are due at start + k*period: start from the current time, not the boot pass. */
    ev_update_now(&s_app.loop);
    static char mem[64 * 1024];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    for (int i = 0; i < ntasks; i++) {
        char line[64];
        snprintf(line, sizeof line, "bench %.7s &&%d", s_names[i], period);
        struct exec_result res;
        arena_reset(&a);
        exec_run(&s_app.node, str_c(line), EXEC_SHELL, &a, &res);
        if (!res.ok) {
            fprintf(stderr, "cannot start task %d: %s\n", i, res.text ? res.text : "?");
            return 1;
        }
    }
    /* Measure after a 1 s warm-up (clients connected, every task armed). */
    struct ev_timer warm = {0}, stop = {0};
    ev_timer_start(&s_app.loop, &warm, 1000, on_start_measuring);
    ev_timer_start(&s_app.loop, &stop, (uint64_t)(seconds * 1000), on_stop);
    app_run(&s_app);

    uint64_t requests = 0;
    for (int c = 0; c < nclients; c++) {
        uint64_t n = 0;
        if (read(pfd[0], &n, sizeof n) == (ssize_t)sizeof n)
            requests += n;
        waitpid(kids[c], NULL, 0);
    }
    struct task_stats st;
    task_stats_get(s_app.tasks, NULL, &st);
    printf("tasks %d, period %d ms, %.1f s, %d shell clients (%llu requests, %.0f req/s)\n", ntasks,
           period, seconds, nclients, (unsigned long long)requests,
           (double)requests / (seconds - 0.5));
    printf("task manager (us clock, whole run): runs %llu skipped %llu p50 %llu us p99 %llu us "
           "max %llu us\n",
           (unsigned long long)st.runs, (unsigned long long)st.skipped,
           (unsigned long long)task_stats_percentile_us(&st, 50),
           (unsigned long long)task_stats_percentile_us(&st, 99),
           (unsigned long long)st.late_max_us);
    printf("bench clock (us, after warm-up): runs %llu mean %.0f p50 %llu p99 %llu p99.9 %llu "
           "max %llu us\n",
           (unsigned long long)s_runs, s_runs ? (double)s_sum_us / (double)s_runs : 0.0,
           (unsigned long long)pct_us(500), (unsigned long long)pct_us(990),
           (unsigned long long)pct_us(999), (unsigned long long)s_max_us);
    printf("loop's own part (us, start - later of due time and the wait's return): p50 %llu "
           "p99 %llu p99.9 %llu us\n",
           (unsigned long long)pct_of(s_hist_own, 500), (unsigned long long)pct_of(s_hist_own, 990),
           (unsigned long long)pct_of(s_hist_own, 999));
    app_deinit(&s_app);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
    return 0;
}
