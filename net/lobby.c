/* lobby.c - the waiting room in front of the client table. */
#include "lobby.h"

#include "../core/err.h"
#include "../hal/hal_net.h"

#include <stdio.h>
#include <string.h>

void lobby_init(struct lobby *l, struct ev_loop *loop, uint64_t wait_ms, lobby_try_fn *try_admit,
                lobby_refuse_fn *refuse, void *owner)
{
    memset(l, 0, sizeof *l);
    l->loop = loop;
    l->wait_ms = wait_ms;
    l->try_admit = try_admit;
    l->refuse = refuse;
    l->owner = owner;
    l->timer.arg = l;
    for (size_t i = 0; i < LOBBY_MAX; i++)
        l->entries[i].fd = -1;
}

/* True when peers a and b ("ip:port") have the same address. */
static bool same_ip(const char *a, const char *b)
{
    const char *ca = strrchr(a, ':'), *cb = strrchr(b, ':');
    size_t na = ca ? (size_t)(ca - a) : strlen(a), nb = cb ? (size_t)(cb - b) : strlen(b);
    return na == nb && memcmp(a, b, na) == 0;
}

/* Entries of the lobby from peer's address, plus is_newcomer for the one arriving. */
static int ip_count(const struct lobby *l, const char *peer, bool is_newcomer)
{
    int n = is_newcomer;
    for (size_t i = 0; i < LOBBY_MAX; i++)
        n += l->entries[i].fd >= 0 && same_ip(l->entries[i].peer, peer);
    return n;
}

/* The entry to send away when the lobby is full and peer arrives: the longest waiting one of
 * the address with the most entries (the newcomer counted with its own). So an address
 * churning connections evicts its own, never the one waiter of another address (before: the
 * longest waiter overall, and under churn that was always the legitimate client). */
static size_t victim(const struct lobby *l, const char *peer)
{
    size_t best = 0;
    int best_n = -1;
    for (size_t i = 0; i < LOBBY_MAX; i++) {
        const struct lobby_entry *e = &l->entries[i];
        int n = ip_count(l, e->peer, same_ip(e->peer, peer));
        if (n > best_n || (n == best_n && e->deadline_ms < l->entries[best].deadline_ms)) {
            best = i;
            best_n = n;
        }
    }
    return best;
}

/* One pass over the waiters, in order of fairness: those whose address has the fewest
 * waiters first, the newest first among equals. A place that frees (or a victim that becomes
 * evictable) thus goes to the lone client of an address before the crowd of an address that
 * churns connections, whatever their slots in the array; within one address the newest is
 * most likely the person trying now, the oldest a leftover of a flood (test_load's idle
 * flood from the person's own address). */
static int64_t on_poll(struct ev_loop *loop, struct ev_timer *t)
{
    struct lobby *l = t->arg;
    uint64_t now = ev_now(loop);
    size_t order[LOBBY_MAX] = {0}, n = 0;
    int count[LOBBY_MAX] = {0};
    for (size_t i = 0; i < LOBBY_MAX; i++) {
        if (l->entries[i].fd < 0)
            continue;
        count[i] = ip_count(l, l->entries[i].peer, false);
        size_t j = n++;
        /* insertion by (count, deadline): LOBBY_MAX is small */
        while (j > 0 && (count[order[j - 1]] > count[i] ||
                         (count[order[j - 1]] == count[i] &&
                          l->entries[order[j - 1]].deadline_ms < l->entries[i].deadline_ms))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        struct lobby_entry *e = &l->entries[order[k]];
        if (e->fd < 0)
            continue;
        int fd = e->fd;
        if (l->try_admit(l->owner, fd, e->peer)) {
            e->fd = -1;
        } else if (now >= e->deadline_ms) {
            e->fd = -1;
            l->refuse(l->owner, fd);
        } else {
            any = true;
        }
    }
    return any ? LOBBY_POLL_MS : EV_DONE;
}

int lobby_add(struct lobby *l, int fd, const char *peer)
{
    /* Full: the newcomer takes the place of the longest waiter of the address holding most of
     * the room (sent away busy), so a flood of connections cannot keep everyone else out. */
    bool is_full = true;
    for (size_t i = 0; i < LOBBY_MAX && is_full; i++)
        is_full = l->entries[i].fd >= 0;
    if (is_full) {
        size_t v = victim(l, peer);
        int old = l->entries[v].fd;
        l->entries[v].fd = -1;
        l->refuse(l->owner, old);
    }
    for (size_t i = 0; i < LOBBY_MAX; i++) {
        struct lobby_entry *e = &l->entries[i];
        if (e->fd >= 0)
            continue;
        e->fd = fd;
        snprintf(e->peer, sizeof e->peer, "%s", peer);
        e->deadline_ms = ev_now(l->loop) + l->wait_ms;
        if (!l->timer.is_active && ev_timer_start(l->loop, &l->timer, LOBBY_POLL_MS, on_poll) < 0) {
            e->fd = -1;
            return ERR_FULL;
        }
        return 0;
    }
    return ERR_FULL;
}

int lobby_count(const struct lobby *l)
{
    int n = 0;
    for (size_t i = 0; i < LOBBY_MAX; i++)
        n += l->entries[i].fd >= 0;
    return n;
}

void lobby_deinit(struct lobby *l)
{
    if (!l->loop)
        return;
    for (size_t i = 0; i < LOBBY_MAX; i++)
        if (l->entries[i].fd >= 0) {
            hal_sock_close(l->entries[i].fd);
            l->entries[i].fd = -1;
        }
    ev_timer_stop(l->loop, &l->timer);
}
