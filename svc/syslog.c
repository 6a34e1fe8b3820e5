/* syslog.c - the node's persistent log: logs/<tag>.sys.log, last SYSLOG_KEEP_LINES lines. */
#include "syslog.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAMP_MAX 48 /* "Y.M.D-h:m:s " with a 64-bit year */

static const struct route {
    const char *tag;
    const char *file;
    enum log_level level;
} s_routes[] = {
    {.tag = "[ERR]", .file = "err", .level = LOG_ERR},
    {.tag = "[WARN]", .file = "warn", .level = LOG_WARN},
    {.tag = "[BOOT]", .file = "boot", .level = LOG_INFO},
    {.tag = "[INFO]", .file = "info", .level = LOG_INFO},
};
static const struct route s_user = {.tag = "", .file = "user", .level = LOG_INFO};

void syslog_init(struct syslog *log, const char *data_dir)
{
    memset(log, 0, sizeof *log);
    snprintf(log->dir, sizeof log->dir, "%s/logs", data_dir);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Calendar date of a day count since 1970-01-01. Any 400 Gregorian years hold exactly
 * 146097 days, so whole cycles are stepped first and at most 400 years are walked. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    static const int month_len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t cycles = floor_div(days, 146097);
    int64_t year = 1970 + 400 * cycles;
    days -= cycles * 146097;
    for (;;) {
        int len = is_leap(year) ? 366 : 365;
        if (days < len)
            break;
        days -= len;
        year++;
    }
    int month = 0;
    for (;;) {
        int len = month_len[month] + (month == 1 && is_leap(year));
        if (days < len)
            break;
        days -= len;
        month++;
    }
    *y = year;
    *m = month + 1;
    *d = (int)days + 1;
}

/* Formats "Y.M.D-h:m:s " (unpadded, micrOS style) for local epoch seconds t. */
static int format_stamp(int64_t t, char *out, size_t cap)
{
    int64_t days = floor_div(t, 86400);
    int64_t sec = t - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    return snprintf(out, cap, "%lld.%d.%d-%d:%d:%d ", (long long)y, m, d, (int)(sec / 3600),
                    (int)(sec / 60 % 60), (int)(sec % 60));
}

/* Appends line (ending in '\n') to path, keeping the file at SYSLOG_KEEP_LINES lines: when
 * the cap would be passed, the oldest lines are dropped and the file is replaced atomically. */
static int append_capped(const char *path, const char *line, size_t line_len)
{
    size_t cap = (size_t)SYSLOG_KEEP_LINES * (SYSLOG_LINE_MAX + STAMP_MAX + 1) + 1;
    char *text = malloc(cap + line_len + 1);
    if (!text)
        return ERR_NOMEM;
    long n = hal_fs_read(path, text, cap);
    bool must_rewrite = false;
    if (n == ERR_NOENT) {
        n = 0;
    } else if (n == ERR_TOOBIG) {
        /* Not written by us: bigger than this log ever grows. Start it again. */
        LOG_W("syslog: %s too large, restarted", path);
        n = 0;
        must_rewrite = true;
    } else if (n < 0) {
        free(text);
        return (int)n;
    }
    size_t len = (size_t)n;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    bool is_torn = len > 0 && text[len - 1] != '\n'; /* last line cut off (power loss) */
    if (is_torn)
        lines++;
    must_rewrite |= is_torn || lines + 1 > SYSLOG_KEEP_LINES;
    int rc;
    if (!must_rewrite) {
        rc = hal_fs_append(path, line, line_len);
    } else {
        if (is_torn)
            text[len++] = '\n';
        size_t start = 0;
        for (size_t drop = lines + 1 > SYSLOG_KEEP_LINES ? lines + 1 - SYSLOG_KEEP_LINES : 0;
             drop > 0 && start < len; start++)
            if (text[start] == '\n')
                drop--;
        memmove(text, text + start, len - start);
        len -= start;
        memcpy(text + len, line, line_len);
        rc = hal_fs_write_atomic(path, text, len + line_len);
    }
    free(text);
    return rc;
}

int syslog_write(struct syslog *log, const char *fmt, ...)
{
    char msg[SYSLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_filter(msg, sizeof msg); /* secrets masked (svc/secret.h) */
    /* One record is one line: a message's own line breaks would split it. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    const struct route *r = &s_user;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (strncmp(msg, s_routes[i].tag, strlen(s_routes[i].tag)) == 0)
            r = &s_routes[i];
    log_printf(r->level, "%s", msg);

    char line[STAMP_MAX + SYSLOG_LINE_MAX + 1];
    int w = format_stamp(hal_wall_s() + log->utc_offset_s, line, sizeof line);
    w += snprintf(line + w, sizeof line - (size_t)w, "%s\n", msg);
    char path[sizeof log->dir + 24];
    snprintf(path, sizeof path, "%s/%s.sys.log", log->dir, r->file);
    int rc = append_capped(path, line, (size_t)w);
    if (rc < 0) {
        log->write_errors++;
        LOG_E("syslog: cannot write %s: %s", path, err_str(rc));
    }
    return rc;
}
