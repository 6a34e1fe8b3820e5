/* persist.h - module state files in data/ (rgb.cache, switch.cache, ...), with failures
 * reported.
 *
 * Every write of a module's persisted state goes through persist_write: the file is replaced
 * atomically, and a failure (full disk, read-only folder, a directory in the way) is written
 * to the syslog as an [ERR] line (so `system alarms` shows it) and returned to the caller,
 * which tells its own caller (the reply says the state was not saved). A deferred writer
 * (write-behind) calls the same function and keeps its result for the next reply. */
#ifndef PERSIST_H
#define PERSIST_H

#include <stddef.h>

struct node;

/* Replaces <data_dir>/data/<name> with len bytes of data. Returns 0 or ERR_* (logged, with
 * the file name and the reason, never the data). */
int persist_write(struct node *node, const char *name, const void *data, size_t len);
/* Appends len bytes to <data_dir>/data/<name> (loggers). Returns 0 or ERR_* (logged). */
int persist_append(struct node *node, const char *name, const void *data, size_t len);

#endif
