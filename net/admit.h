/* admit.h - the client table that shell and HTTP connections share (COMPAT §1.6).
 *
 * At most `limit` clients are admitted at once (micrOS: max(1, aioqueue)).
 * When the table is full, a newcomer is admitted by evicting the client that
 * has been idle longest, provided it has been idle for at least grace_ms
 * (micrOS waits for soctout; we do not make a person wait behind an idle
 * connection: see docs/compat.md). A client counts as busy while its owner
 * says so (a request in progress, output still flushing). */
#ifndef ADMIT_H
#define ADMIT_H

#include "../core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Closes an admitted client silently (no "Bye!"): called on eviction. */
typedef void admit_evict_fn(void *owner);

struct admit_slot {
    bool is_used;
    bool is_busy;
    char id[48]; /* micrOS client id: S/W + last two IPv4 octets + ":" + port */
    uint64_t last_active_ms;
    admit_evict_fn *evict;
    void *owner;
};

struct admit {
    struct admit_slot *slots;
    size_t limit;
    uint64_t grace_ms;
    uint64_t evicted; /* clients closed to make room */
    uint64_t refused; /* newcomers sent away busy */
};

/* Allocates a table of limit slots. Returns 0 or ERR_NOMEM. */
int admit_init(struct admit *t, size_t limit, uint64_t grace_ms);
/* Frees the table. */
void admit_deinit(struct admit *t);
/* Admits a client of kind 'S' (shell) or 'W' (web) from peer "ip:port" at time now.
 * Evicts the longest-idle evictable client when full. Returns the slot index, or ERR_FULL
 * when every slot is busy or active within grace_ms. */
int admit_take(struct admit *t, char kind, const char *peer, uint64_t now, admit_evict_fn *evict,
               void *owner);
/* Records activity (and whether the client is busy) at time now. */
void admit_touch(struct admit *t, int slot, uint64_t now, bool is_busy);
/* Frees a slot. Safe on -1. */
void admit_release(struct admit *t, int slot);
/* Appends the comma-joined ids of admitted clients ("S0.1:51234, W0.1:40010"). */
int admit_ids(const struct admit *t, struct buf *out);
/* Returns the number of admitted clients. */
size_t admit_count(const struct admit *t);

#endif
