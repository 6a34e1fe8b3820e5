/* admit.c - the shared client table with idle eviction. */
#include "admit.h"

#include "../core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admit_init(struct admit *t, size_t limit, uint64_t grace_ms)
{
    memset(t, 0, sizeof *t);
    t->limit = limit ? limit : 1;
    t->grace_ms = grace_ms;
    t->slots = calloc(t->limit, sizeof *t->slots);
    return t->slots ? 0 : ERR_NOMEM;
}

void admit_deinit(struct admit *t)
{
    free(t->slots);
    t->slots = NULL;
}

/* Builds micrOS's client id from "a.b.c.d:port" (IPv6 peers keep their last group). */
static void make_id(char *id, size_t cap, char kind, const char *peer)
{
    const char *colon = strrchr(peer, ':');
    const char *port = colon ? colon + 1 : "0";
    size_t hostlen = colon ? (size_t)(colon - peer) : strlen(peer);
    /* the last two dot-separated labels of the host */
    size_t dots = 0, start = 0;
    for (size_t i = hostlen; i > 0; i--) {
        if (peer[i - 1] == '.' && ++dots == 2) {
            start = i;
            break;
        }
    }
    snprintf(id, cap, "%c%.*s:%s", kind, (int)(hostlen - start), peer + start, port);
}

int admit_take(struct admit *t, char kind, const char *peer, uint64_t now, admit_evict_fn *evict,
               void *owner)
{
    int free_slot = -1, victim = -1;
    uint64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < t->limit; i++) {
        struct admit_slot *s = &t->slots[i];
        if (!s->is_used) {
            free_slot = (int)i;
            break;
        }
        if (!s->is_busy && now - s->last_active_ms >= t->grace_ms && s->last_active_ms < oldest) {
            oldest = s->last_active_ms;
            victim = (int)i;
        }
    }
    if (free_slot < 0 && victim >= 0) {
        struct admit_slot v = t->slots[victim];
        memset(&t->slots[victim], 0, sizeof t->slots[victim]);
        t->evicted++;
        v.evict(v.owner);
        free_slot = victim;
    }
    if (free_slot < 0)
        return ERR_FULL;
    struct admit_slot *s = &t->slots[free_slot];
    memset(s, 0, sizeof *s);
    s->is_used = true;
    s->last_active_ms = now;
    s->evict = evict;
    s->owner = owner;
    make_id(s->id, sizeof s->id, kind, peer);
    return free_slot;
}

void admit_touch(struct admit *t, int slot, uint64_t now, bool is_busy)
{
    if (slot < 0 || (size_t)slot >= t->limit || !t->slots[slot].is_used)
        return;
    t->slots[slot].last_active_ms = now;
    t->slots[slot].is_busy = is_busy;
}

void admit_release(struct admit *t, int slot)
{
    if (slot < 0 || (size_t)slot >= t->limit)
        return;
    memset(&t->slots[slot], 0, sizeof t->slots[slot]);
}

int admit_ids(const struct admit *t, struct buf *out)
{
    int rc = 0;
    bool first = true;
    for (size_t i = 0; rc == 0 && i < t->limit; i++) {
        if (!t->slots[i].is_used)
            continue;
        rc = buf_printf(out, "%s%s", first ? "" : ", ", t->slots[i].id);
        first = false;
    }
    return rc;
}

size_t admit_count(const struct admit *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->limit; i++)
        n += t->slots[i].is_used;
    return n;
}
