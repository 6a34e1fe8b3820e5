/* status.c - 'microsctl status': devToolKit's -stat table (COMPAT §11), every node in parallel. */
#include "../core/err.h"
#include "batch.h"
#include "ctl.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One session per node: hello (mode), version (timed), then the feature flags in conf mode. */
static const char *const s_script[] = {"hello",  "version", "conf",   "webui",
                                       "espnow", "cron",    "timirq", "noconf"};
enum { S_HELLO, S_VERSION, S_CONF, S_WEBUI, S_ESPNOW, S_CRON, S_TIMIRQ, S_NOCONF, S_N };

#define C_OK    "\033[92m"
#define C_WARN  "\033[93m"
#define C_HEAD  "\033[95m"
#define C_BLUE  "\033[94m\033[1m"
#define C_RESET "\033[0m"

struct row {
    struct cache_dev dev;
    char status[12], version[32], mode[12], comm[16], flag[4][4];
    double comm_sec; /* < 0: n/a */
};

/* First line of reply i of job j, trimmed, or "n/a". */
static void first_line(const struct batch_job *j, size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "n/a");
    if (i >= j->ndone || !j->replies[i])
        return;
    const char *r = j->replies[i];
    while (*r == ' ' || *r == '\n')
        r++;
    size_t n = strcspn(r, "\r\n");
    while (n > 0 && r[n - 1] == ' ')
        n--;
    if (n)
        snprintf(out, cap, "%.*s", (int)n, r);
}

static void fill_row(struct row *w, const struct batch_job *j)
{
    if (j->err == 0 || (j->prompt[0] && j->err != ERR_PERM))
        snprintf(w->status, sizeof w->status, j->err ? "ERROR" : "ONLINE");
    else if (j->err == ERR_PERM)
        snprintf(w->status, sizeof w->status, "LOCKED");
    else if (j->err == ERR_BUSY)
        snprintf(w->status, sizeof w->status, "BUSY");
    else if (j->err == ERR_TIMEOUT && j->c.msg[0] && strstr(j->msg, "no prompt"))
        snprintf(w->status, sizeof w->status, "NOSHELL");
    else
        snprintf(w->status, sizeof w->status, "OFFLINE");
    char hello[256];
    first_line(j, S_HELLO, hello, sizeof hello);
    snprintf(w->mode, sizeof w->mode, "n/a");
    if (!strncmp(hello, "hello:", 6)) {
        const char *m = strrchr(hello, ':');
        snprintf(w->mode, sizeof w->mode, "%s", m + 1);
    }
    first_line(j, S_VERSION, w->version, sizeof w->version);
    w->comm_sec = j->ndone > S_VERSION ? (double)(j->t_done[S_VERSION] - j->t_start) / 1e6 : -1;
    if (w->comm_sec >= 0)
        snprintf(w->comm, sizeof w->comm, "%.3f", w->comm_sec);
    else
        snprintf(w->comm, sizeof w->comm, "n/a");
    for (int f = 0; f < 4; f++) {
        char v[64];
        first_line(j, (size_t)(S_WEBUI + f), v, sizeof v);
        snprintf(w->flag[f], sizeof w->flag[f], "%s",
                 !strcmp(v, "True")  ? "ON"
                 : !strcmp(v, "n/a") ? "n/a"
                                     : "OFF");
    }
}

static void pad(const char *text, const char *color, int width, bool is_color)
{
    int n = (int)strlen(text);
    if (is_color && color)
        printf("%s%s%s", color, text, C_RESET);
    else
        fputs(text, stdout);
    printf("%*s", n < width ? width - n : 1, "");
}

static void print_table(const struct row *rows, size_t n, bool is_color)
{
    if (is_color)
        fputs(C_BLUE, stdout);
    printf("%-24s%-22s%-16s%-11s%-12s%-9s%-11s%s\n", "[ UID ]", "[ FUID ]", "[ IP ]", "[ STATUS ]",
           "[ VERSION ]", "[ MODE ]", "[COMM SEC]", "[WEBUI | ESPNOW | CRON | TIMIRQ]");
    if (is_color)
        fputs(C_RESET, stdout);
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        char ip[96];
        if (w->dev.port == CTL_DEFAULT_PORT)
            snprintf(ip, sizeof ip, "%s", w->dev.ip);
        else
            snprintf(ip, sizeof ip, "%s:%u", w->dev.ip, w->dev.port);
        pad(w->dev.uid, NULL, 24, is_color);
        pad(w->dev.fuid, C_HEAD, 22, is_color);
        pad(ip, NULL, 16, is_color);
        pad(w->status, !strcmp(w->status, "ONLINE") ? C_OK : C_WARN, 11, is_color);
        pad(w->version, NULL, 12, is_color);
        pad(w->mode, NULL, 9, is_color);
        pad(w->comm, NULL, 11, is_color);
        /* Flags under "[WEBUI | ESPNOW | CRON | TIMIRQ]". */
        static const int widths[4] = {8, 9, 7, 0};
        for (int f = 0; f < 4; f++) {
            const char *v = w->flag[f];
            if (f < 3)
                pad(v, !strcmp(v, "ON") ? C_OK : NULL, widths[f], is_color);
            else if (is_color && !strcmp(v, "ON"))
                printf("%s%s%s", C_OK, v, C_RESET);
            else
                fputs(v, stdout);
        }
        putchar('\n');
    }
}

int ctl_status(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    size_t total = cache_count(&o->cache), n = 0;
    struct batch_job *jobs = calloc(total ? total : 1, sizeof *jobs);
    struct row *rows = calloc(total ? total : 1, sizeof *rows);
    if (!jobs || !rows) {
        free(jobs);
        free(rows);
        fprintf(stderr, "microsctl status: out of memory\n");
        return CTL_EXIT_FAIL;
    }
    for (size_t i = 0; i < total; i++) {
        struct cache_dev d;
        char msg[256];
        if (cache_get(&o->cache, i, &d) || !strcmp(d.uid, "__devuid__"))
            continue;
        struct batch_job *j = &jobs[n];
        char name[96];
        snprintf(name, sizeof name, "%s:%u", d.ip, d.port);
        if (cache_resolve(NULL, name, d.port, &j->addr, NULL, msg, sizeof msg)) {
            fprintf(stderr, "microsctl status: %s: %s\n", d.uid, msg);
            continue;
        }
        rows[n].dev = d;
        j->cmds = s_script;
        j->ncmds = S_N;
        j->pwd = o->password;
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "microsctl status: no devices in %s: run 'microsctl search' first\n",
                o->cache.path);
        free(jobs);
        free(rows);
        return CTL_EXIT_FAIL;
    }
    batch_run(jobs, n, o->parallel, o->timeout_ms, o->reply_timeout_ms, NULL, NULL);
    size_t online = 0;
    for (size_t i = 0; i < n; i++) {
        fill_row(&rows[i], &jobs[i]);
        online += !strcmp(rows[i].status, "ONLINE");
    }
    if (o->is_json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            const struct row *w = &rows[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "uid", w->dev.uid);
            cJSON_AddStringToObject(e, "fuid", w->dev.fuid);
            cJSON_AddStringToObject(e, "ip", w->dev.ip);
            cJSON_AddNumberToObject(e, "port", w->dev.port);
            cJSON_AddStringToObject(e, "status", w->status);
            cJSON_AddStringToObject(e, "version", w->version);
            cJSON_AddStringToObject(e, "mode", w->mode);
            if (w->comm_sec >= 0)
                cJSON_AddNumberToObject(e, "comm_sec", w->comm_sec);
            else
                cJSON_AddNullToObject(e, "comm_sec");
            static const char *const names[4] = {"webui", "espnow", "cron", "timirq"};
            for (int f = 0; f < 4; f++) {
                if (!strcmp(w->flag[f], "n/a"))
                    cJSON_AddNullToObject(e, names[f]);
                else
                    cJSON_AddBoolToObject(e, names[f], !strcmp(w->flag[f], "ON"));
            }
            cJSON_AddStringToObject(e, "error", jobs[i].err ? jobs[i].msg : "");
            cJSON_AddItemToArray(arr, e);
        }
        char *s = cJSON_Print(arr);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(arr);
    } else {
        print_table(rows, n, o->is_color);
        for (size_t i = 0; i < n; i++)
            if (jobs[i].err && jobs[i].err != ERR_CONNREFUSED)
                fprintf(stderr, "  %s: %s\n", rows[i].dev.uid, jobs[i].msg);
        fprintf(stderr, "%zu of %zu online\n", online, n);
    }
    for (size_t i = 0; i < n; i++)
        batch_job_free(&jobs[i]);
    free(jobs);
    free(rows);
    return CTL_EXIT_OK;
}
