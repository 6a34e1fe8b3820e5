/* fuzz_cron.c - libFuzzer target: cron expressions. Input: 8 bytes of start time (bounded to
 * 1970..2100), 4 bytes of location, a time-zone line, then a crontasks text. The text goes
 * through cron_validate and cron_set_tasks; then every job's next fire times are computed a
 * few steps ahead with cron_job_next (each call is itself bounded). Oracles: validate and
 * set_tasks agree on bad entries; a next fire is strictly after its start; asking again from
 * one second before it gives it again (nothing skipped); with a zone without DST the fire
 * time's local weekday, hour, minute and second are in the job's masks. */
#include "core/err.h"
#include "svc/clock.h"
#include "svc/cron.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define YEAR_2100 4102444800LL
#define DAY_S     86400

static void no_run(void *arg, struct str cmd, size_t job)
{
    (void)arg;
    (void)cmd;
    (void)job;
}

static void check_masks(const struct cron_job *job, int64_t local)
{
    int64_t day = local >= 0 ? local / DAY_S : (local - DAY_S + 1) / DAY_S;
    int64_t tod = local - day * DAY_S;
    int wd = (int)(((day % 7) + 7 + 3) % 7);
    if (!(job->wd & (1u << wd)) || !(job->hour & (1u << (tod / 3600))) ||
        !(job->minute & (1ull << (tod / 60 % 60))) || !(job->sec & (1ull << (tod % 60))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    uint64_t a = 0;
    for (int i = 0; i < 8; i++)
        a = a << 8 | data[i];
    int64_t after = (int64_t)(a % (uint64_t)YEAR_2100);
    double lat = (double)(int8_t)data[8] * 90.0 / 128.0 + data[9] / 256.0;
    double lon = (double)(int8_t)data[10] * 180.0 / 128.0 + data[11] / 256.0;
    bool has_geo = data[9] & 1;
    data += 12;
    size -= 12;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tzlen = nl ? (size_t)(nl - data) : 0;
    char *tz = malloc(tzlen + 1);
    char *text = malloc(size - tzlen + 1);
    if (!tz || !text)
        abort();
    memcpy(tz, data, tzlen);
    tz[tzlen] = 0;
    size_t tlen = nl ? size - tzlen - 1 : size;
    memcpy(text, nl ? nl + 1 : data, tlen);
    text[tlen] = 0;

    struct clock clk;
    clock_init(&clk);
    char err[128];
    if (tzlen > 0 && clock_set_tz(&clk, tz, err, sizeof err) < 0)
        clock_set_tz(&clk, "UTC", err, sizeof err);
    struct ev_loop loop;
    memset(&loop, 0, sizeof loop);
    struct cron cron;
    cron_init(&cron, &loop, &clk, no_run, NULL);
    cron_set_geoloc(&cron, has_geo, lat, lon);

    char msg[CRON_ERR_MAX + 64];
    int vrc = cron_validate(text, msg, sizeof msg);
    if (vrc != 0 && vrc != ERR_SYNTAX)
        abort();
    int n = cron_set_tasks(&cron, text);
    if (n >= 0 && (vrc == 0) != (cron.stats.bad == 0) && cron.stats.refused == 0)
        abort();
    for (size_t i = 0; n > 0 && i < cron.njobs && i < 8; i++) {
        const struct cron_job *job = &cron.jobs[i];
        int64_t from = after;
        for (int k = 0; k < 3; k++) {
            int64_t r = cron_job_next(&cron, job, from);
            if (r == CRON_NEVER)
                break;
            if (r <= from)
                abort();
            if (job->kind == CRON_AT) {
                if (r - 1 >= from && cron_job_next(&cron, job, r - 1) != r)
                    abort();
                if (!clk.tz.has_dst)
                    check_masks(job, r + clk.tz.std_off);
            }
            from = r;
        }
    }
    cron_deinit(&cron);
    free(tz);
    free(text);
    return 0;
}
