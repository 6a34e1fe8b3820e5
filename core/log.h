/* log.h - console diagnostics (stderr on Linux).
 *
 * This is the developer's log. The node's persistent syslog with micrOS's
 * tags ([ERR], [WARN], ...) lives in svc/syslog.h and also echoes here. */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void log_sink_fn(enum log_level level, const char *line, void *arg);

/* Sets where lines go (NULL = drop them) and the most verbose level written. */
void log_set_sink(log_sink_fn *fn, void *arg, enum log_level max_level);
/* Writes one formatted line (no newline needed) at level. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_E(...) log_printf(LOG_ERR, __VA_ARGS__)
#define LOG_W(...) log_printf(LOG_WARN, __VA_ARGS__)
#define LOG_I(...) log_printf(LOG_INFO, __VA_ARGS__)
#define LOG_D(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
