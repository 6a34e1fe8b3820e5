/* lobby.c - the waiting room in front of the client table. */
#include "lobby.h"

#include "../core/err.h"
#include "../hal/hal_net.h"

#include <stdio.h>
#include <string.h>

static int64_t on_poll(struct ev_loop *loop, struct ev_timer *t)
{
    struct lobby *l = t->arg;
    uint64_t now = ev_now(loop);
    bool any = false;
    for (size_t i = 0; i < LOBBY_MAX; i++) {
        struct lobby_entry *e = &l->entries[i];
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

int lobby_add(struct lobby *l, int fd, const char *peer)
{
    /* Full: the newcomer takes the place of the one waiting longest (sent away busy), so a
     * flood of connections cannot keep everyone else out of the waiting room. */
    size_t oldest = 0;
    bool is_full = true;
    for (size_t i = 0; i < LOBBY_MAX && is_full; i++) {
        is_full = l->entries[i].fd >= 0;
        if (l->entries[i].deadline_ms < l->entries[oldest].deadline_ms)
            oldest = i;
    }
    if (is_full) {
        int old = l->entries[oldest].fd;
        l->entries[oldest].fd = -1;
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
