/* admit.h - the client table that shell and HTTP connections share (COMPAT §1.6).
 *
 * At most `limit` clients are admitted at once (micrOS: max(1, aioqueue)). When the table
 * is full, a newcomer takes the place of a client chosen by admit_victim, so that cheap
 * attacks from other addresses cannot lock the owner out (docs/security.md):
 *   - a client we are working for (is_busy: a request being answered, output queued) is
 *     never closed;
 *   - an authenticated client (is_authed: logged in with appwd) is kept until it has been
 *     idle owner_grace_ms (soctout, as micrOS does);
 *   - a client of another address is closed when that address holds more places than the
 *     newcomer's would (per-address fairness; the least recently active first), whatever it
 *     is doing with its request (a silent or trickling connection included), once it has
 *     had ADMIT_YOUNG_MS to send its request;
 *   - a client of the newcomer's own address gives way once idle (nothing pending either
 *     way) for grace_ms (micrOS waits for soctout; see docs/compat.md).
 * A client counts as busy while its owner says so (admit_touch). */
#ifndef ADMIT_H
#define ADMIT_H

#include "../core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ADMIT_YOUNG_MS
#define ADMIT_YOUNG_MS 500 /* a newcomer cannot be pushed out by another address before this */
#endif

/* Closes an admitted client silently (no "Bye!"): called on eviction. */
typedef void admit_evict_fn(void *owner);

struct admit_slot {
    bool is_used;
    bool is_busy;   /* we owe it work or output */
    bool has_input; /* it sent part of a request */
    bool is_authed; /* logged in with appwd */
    char kind;      /* 'S' shell, 'W' web */
    char id[48];    /* micrOS client id: S/W + last two IPv4 octets + ":" + port */
    char ip[48];    /* the peer address without the port */
    uint64_t last_active_ms;
    uint64_t admitted_ms;
    admit_evict_fn *evict;
    void *owner;
};

struct admit {
    struct admit_slot *slots;
    size_t limit;
    uint64_t grace_ms;       /* same-address idle clients give way after this */
    uint64_t owner_grace_ms; /* authenticated clients are kept this long idle (soctout) */
    uint64_t evicted;        /* clients closed to make room */
    uint64_t evicted_fair;   /* of which: for a newcomer of another address */
    uint64_t refused;        /* newcomers sent away busy */
};

/* Allocates a table of limit slots; authenticated clients are kept owner_grace_ms idle.
 * Returns 0 or ERR_NOMEM. */
int admit_init(struct admit *t, size_t limit, uint64_t grace_ms, uint64_t owner_grace_ms);
/* Frees the table. */
void admit_deinit(struct admit *t);
/* Returns the slot a newcomer from peer ("ip:port") may take over at time now, among the
 * clients of kind (0 = any kind), following the rules above with same_grace_ms for clients
 * of the newcomer's address; clients of other addresses only when may_take_others (a newcomer
 * of a protocol where the client speaks first has sent something). -1 when none may. */
int admit_victim(const struct admit *t, char kind, const char *peer, uint64_t now,
                 uint64_t same_grace_ms, bool may_take_others);
/* Closes the client in slot (its evict callback) and frees the slot. */
void admit_evict(struct admit *t, int slot, const char *peer);
/* Admits a client of kind 'S' (shell) or 'W' (web) from peer "ip:port" at time now,
 * evicting admit_victim's choice (may_take_others as there) when full. Returns the slot index, or
 * ERR_FULL. */
int admit_take(struct admit *t, char kind, const char *peer, uint64_t now, bool may_take_others,
               admit_evict_fn *evict, void *owner);
/* Records activity at time now, whether the client is busy and whether it has sent part of
 * a request. */
void admit_touch(struct admit *t, int slot, uint64_t now, bool is_busy, bool has_input);
/* Marks the client in slot as logged in. */
void admit_set_authed(struct admit *t, int slot);
/* Frees a slot. Safe on -1. */
void admit_release(struct admit *t, int slot);
/* Appends the comma-joined ids of admitted clients ("S0.1:51234, W0.1:40010"). */
int admit_ids(const struct admit *t, struct buf *out);
/* Returns the number of admitted clients. */
size_t admit_count(const struct admit *t);

#endif
