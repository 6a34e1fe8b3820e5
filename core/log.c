#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static log_sink_fn *s_sink;
static void *s_sink_arg;
static enum log_level s_max = LOG_INFO;
static log_filter_fn *s_filter;
static void *s_filter_arg;

void log_set_filter(log_filter_fn *fn, void *arg)
{
    s_filter = fn;
    s_filter_arg = arg;
}

void log_filter(char *line, size_t cap)
{
    if (s_filter)
        s_filter(line, cap, s_filter_arg);
}

void log_set_sink(log_sink_fn *fn, void *arg, enum log_level max_level)
{
    s_sink = fn;
    s_sink_arg = arg;
    s_max = max_level;
}

void log_printf(enum log_level level, const char *fmt, ...)
{
    if (!s_sink || level > s_max)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_filter(line, sizeof line);
    s_sink(level, line, s_sink_arg);
}
