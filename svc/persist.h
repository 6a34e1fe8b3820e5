/* persist.h - write-behind for small state files (module caches such as data/rgb.cache).
 *
 * A slider drag calls `rgb color` fifty times a second; writing each value durably (write,
 * fsync, rename, fsync the folder: tens of ms on an SD card) on the only thread would stall
 * every client. persist_write keeps the newest content per path in a fixed pool and writes
 * it (hal_fs_write_atomic, durable) once the path has been quiet for delay_ms, and at the
 * latest PERSIST_MAX_DELAY_FACTOR * delay_ms after its first unsaved change; persist_flush
 * writes everything now (exit, reboot, update). A write that fails in the background is
 * logged as an alarm ("[ERR] persist: ...") and returned by the next persist_write of that
 * path, so the caller still reports it. delay_ms 0, a NULL store, content larger than
 * PERSIST_DATA_MAX or a full pool: written through at once, as before.
 *
 * Trade-off: up to PERSIST_MAX_DELAY_FACTOR * delay_ms of state changes can be lost on a
 * power cut (never a torn file). The node's configuration is not written here: a "Saved"
 * config value is on disk when the reply leaves (docs/reliability.md). */
#ifndef PERSIST_H
#define PERSIST_H

#include "../core/ev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PERSIST_MAX
#define PERSIST_MAX 16 /* paths with unsaved content at once */
#endif
#ifndef PERSIST_DATA_MAX
#define PERSIST_DATA_MAX 1024 /* largest content kept; larger is written through */
#endif
#ifndef PERSIST_PATH_MAX
#define PERSIST_PATH_MAX 512
#endif
#define PERSIST_MAX_DELAY_FACTOR 10

struct syslog;

struct persist_entry {
    char path[PERSIST_PATH_MAX];
    char data[PERSIST_DATA_MAX];
    size_t len;
    bool is_used;
    bool is_dirty;
    int last_error;    /* a background write failed: returned by the next persist_write */
    uint64_t first_ms; /* first unsaved change */
    uint64_t last_ms;  /* newest change */
};

struct persist_stats {
    uint64_t puts;          /* persist_write calls */
    uint64_t writes;        /* files written (each: two fsyncs) */
    uint64_t write_through; /* written at once (no store, too big, pool full, delay 0) */
    uint64_t errors;        /* failed writes */
};

struct persist {
    struct ev_loop *loop;
    struct syslog *log; /* alarms; may be NULL */
    uint64_t delay_ms;
    struct ev_timer timer;
    struct persist_entry e[PERSIST_MAX];
    struct persist_stats stats;
};

/* Prepares p on loop with the write-behind delay (0 = write through). Allocates nothing. */
void persist_init(struct persist *p, struct ev_loop *loop, struct syslog *log, uint64_t delay_ms);
/* Replaces path's content with data (written later, see above). Returns 0, or the ERR_* of a
 * write-through or of an earlier background write of path that failed (reported once). p may
 * be NULL (write through). */
int persist_write(struct persist *p, const char *path, const void *data, size_t len);
/* Writes every unsaved path now. Returns 0 or the first ERR_*. Safe on NULL. */
int persist_flush(struct persist *p);
/* Flushes and stops the timer. Safe on NULL or a zeroed store. */
void persist_deinit(struct persist *p);

#endif
