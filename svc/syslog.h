/* syslog.h - the node's persistent log in logs/<tag>.sys.log (COMPAT §7.3).
 *
 * A line starting with a tag [ERR], [WARN], [BOOT] or [INFO] goes to
 * logs/{err,warn,boot,info}.sys.log, any other to logs/user.sys.log, stamped
 * "Y.M.D-h:m:s " (unpadded, local time). Each file keeps its last
 * SYSLOG_KEEP_LINES lines. Every line is also echoed to the console log. */
#ifndef SYSLOG_H
#define SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SYSLOG_KEEP_LINES
#define SYSLOG_KEEP_LINES 50
#endif
#ifndef SYSLOG_LINE_MAX
#define SYSLOG_LINE_MAX 512 /* longest message, bytes; longer ones are cut */
#endif

struct syslog {
    char dir[512];        /* .../logs */
    int64_t utc_offset_s; /* added to UTC for the stamp (set by the clock service) */
    uint32_t write_errors;
};

/* Points the log at data_dir/logs (the folder must exist). */
void syslog_init(struct syslog *log, const char *data_dir);
/* Appends one line (formatted) to the file its tag selects. Returns 0 or ERR_*. */
int syslog_write(struct syslog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
