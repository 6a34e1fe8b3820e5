/* log.h - console diagnostics (stderr on Linux).
 *
 * This is the developer's log. The node's persistent syslog with micrOS's
 * tags ([ERR], [WARN], ...) lives in svc/syslog.h and also echoes here. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void log_sink_fn(enum log_level level, const char *line, void *arg);

/* Sets where lines go (NULL = drop them) and the most verbose level written. */
void log_set_sink(log_sink_fn *fn, void *arg, enum log_level max_level);
/* Rewrites a line in place before it is written (e.g. masks secrets); cap is the buffer size. */
typedef void log_filter_fn(char *line, size_t cap, void *arg);
/* Sets the filter every line passes through (NULL = none). */
void log_set_filter(log_filter_fn *fn, void *arg);
/* Runs the filter on line (cap bytes): for writers that bypass log_printf (svc/syslog.c). */
void log_filter(char *line, size_t cap);
/* Writes one formatted line (no newline needed) at level. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_E(...) log_printf(LOG_ERR, __VA_ARGS__)
#define LOG_W(...) log_printf(LOG_WARN, __VA_ARGS__)
#define LOG_I(...) log_printf(LOG_INFO, __VA_ARGS__)
#define LOG_D(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
