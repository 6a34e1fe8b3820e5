/* admit.c - the shared client table with idle eviction. */
#include "admit.h"

#include "../core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admit_init(struct admit *t, size_t limit, uint64_t grace_ms, uint64_t owner_grace_ms)
{
    memset(t, 0, sizeof *t);
    t->limit = limit ? limit : 1;
    t->grace_ms = grace_ms;
    t->owner_grace_ms = owner_grace_ms;
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

/* Writes the address part of "ip:port" ("[v6]:port" loses its brackets). */
static void peer_ip(const char *peer, char *ip, size_t cap)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
        peer++;
        n -= 2;
    }
    snprintf(ip, cap, "%.*s", (int)n, peer);
}

/* Returns how many places address ip holds. */
static size_t holds(const struct admit *t, const char *ip)
{
    size_t n = 0;
    for (size_t i = 0; i < t->limit; i++)
        n += t->slots[i].is_used && strcmp(t->slots[i].ip, ip) == 0;
    return n;
}

/* A few addresses' place counts, so one choice costs O(limit) for the usual case (all from
 * one or a few addresses) instead of O(limit^2). */
struct holds_cache {
    const char *ip[8];
    size_t n[8];
    size_t next;
};

static size_t holds_cached(const struct admit *t, struct holds_cache *c, const char *ip)
{
    for (size_t i = 0; i < 8; i++)
        if (c->ip[i] && strcmp(c->ip[i], ip) == 0)
            return c->n[i];
    size_t n = holds(t, ip);
    c->ip[c->next] = ip;
    c->n[c->next] = n;
    c->next = (c->next + 1) % 8;
    return n;
}

int admit_victim(const struct admit *t, char kind, const char *peer, uint64_t now,
                 uint64_t same_grace_ms, bool may_take_others)
{
    char ip[48];
    peer_ip(peer, ip, sizeof ip);
    size_t mine = holds(t, ip);
    struct holds_cache cache = {0};
    int best = -1;
    size_t best_holds = 0;
    uint64_t best_active = UINT64_MAX;
    for (size_t i = 0; i < t->limit; i++) {
        const struct admit_slot *s = &t->slots[i];
        if (!s->is_used || s->is_busy || (kind && s->kind != kind))
            continue;
        uint64_t idle = now - s->last_active_ms;
        bool is_same = strcmp(s->ip, ip) == 0;
        size_t h = mine;
        if (s->is_authed) {
            if (idle < t->owner_grace_ms)
                continue;
            h = is_same ? mine : holds_cached(t, &cache, s->ip);
        } else if (is_same) {
            if (s->has_input || idle < same_grace_ms)
                continue;
        } else {
            if (!may_take_others || now - s->admitted_ms < ADMIT_YOUNG_MS)
                continue;
            h = holds_cached(t, &cache, s->ip);
            if (h < mine + 1)
                continue; /* that address holds no more than the newcomer's would */
        }
        /* Prefer the address holding most, then the least recently active. */
        if (best < 0 || h > best_holds || (h == best_holds && s->last_active_ms < best_active)) {
            best = (int)i;
            best_holds = h;
            best_active = s->last_active_ms;
        }
    }
    return best;
}

void admit_evict(struct admit *t, int slot, const char *peer)
{
    struct admit_slot v = t->slots[slot];
    char ip[48];
    peer_ip(peer, ip, sizeof ip);
    memset(&t->slots[slot], 0, sizeof t->slots[slot]);
    t->evicted++;
    if (strcmp(v.ip, ip) != 0)
        t->evicted_fair++;
    v.evict(v.owner);
}

int admit_take(struct admit *t, char kind, const char *peer, uint64_t now, bool may_take_others,
               admit_evict_fn *evict, void *owner)
{
    int free_slot = -1;
    for (size_t i = 0; i < t->limit && free_slot < 0; i++)
        if (!t->slots[i].is_used)
            free_slot = (int)i;
    if (free_slot < 0) {
        free_slot = admit_victim(t, 0, peer, now, t->grace_ms, may_take_others);
        if (free_slot >= 0)
            admit_evict(t, free_slot, peer);
    }
    if (free_slot < 0)
        return ERR_FULL;
    struct admit_slot *s = &t->slots[free_slot];
    memset(s, 0, sizeof *s);
    s->is_used = true;
    s->kind = kind;
    s->last_active_ms = now;
    s->admitted_ms = now;
    s->evict = evict;
    s->owner = owner;
    make_id(s->id, sizeof s->id, kind, peer);
    peer_ip(peer, s->ip, sizeof s->ip);
    return free_slot;
}

void admit_touch(struct admit *t, int slot, uint64_t now, bool is_busy, bool has_input)
{
    if (slot < 0 || (size_t)slot >= t->limit || !t->slots[slot].is_used)
        return;
    t->slots[slot].last_active_ms = now;
    t->slots[slot].is_busy = is_busy;
    t->slots[slot].has_input = has_input;
}

void admit_set_authed(struct admit *t, int slot)
{
    if (slot >= 0 && (size_t)slot < t->limit && t->slots[slot].is_used)
        t->slots[slot].is_authed = true;
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
