/* server.c - listener, accept, admission, lobby, session pool and deadlines for every
 * protocol. */
#include "server.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"

#include <stdlib.h>
#include <string.h>

void *server_owner(const struct server *srv)
{
    return srv->owner;
}

struct server_sess *server_sess_at(const struct server *srv, size_t i)
{
    return (struct server_sess *)(void *)(srv->pool + i * srv->proto->sess_size);
}

bool server_sess_is_live(const struct server_sess *s)
{
    return s->is_used && !s->is_dead && !s->conn.is_closed && !s->conn.is_draining;
}

size_t server_count(const struct server *srv)
{
    return srv->nopen;
}

void server_touch(struct server_sess *s, bool is_busy)
{
    s->is_busy = is_busy;
    admit_touch(s->srv->admit, s->slot, ev_now(s->srv->loop), is_busy, s->conn.in.len > 0);
}

void server_set_authed(struct server_sess *s)
{
    admit_set_authed(s->srv->admit, s->slot);
}

/* Not busy and nothing queued either way: may give way to a newcomer or time out. */
static bool is_idle(const struct server_sess *s)
{
    return server_sess_is_live(s) && !s->is_busy && s->conn.in.len == 0 && s->conn.out.len == 0;
}

/* --- deferred free and deadlines --- */

static int64_t on_sweep(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct server *srv = t->arg;
    for (size_t i = 0; i < srv->nsessions; i++) {
        struct server_sess *s = server_sess_at(srv, i);
        if (s->is_used && s->is_dead)
            s->is_used = false;
    }
    return EV_DONE;
}

static int64_t on_tick(struct ev_loop *loop, struct ev_timer *t)
{
    struct server *srv = t->arg;
    const struct server_proto *p = srv->proto;
    uint64_t now = ev_now(loop);
    for (size_t i = 0; i < srv->nsessions; i++) {
        struct server_sess *s = server_sess_at(srv, i);
        if (!server_sess_is_live(s))
            continue;
        if (p->tick)
            p->tick(s, now);
        if (p->idle_close_ms && is_idle(s) && now - s->conn.last_io_ms >= p->idle_close_ms)
            conn_close(&s->conn);
    }
    return srv->nopen > 0 ? SERVER_TICK_MS : EV_DONE;
}

static void on_conn(struct conn *c, enum conn_event ev, void *arg)
{
    (void)c;
    struct server_sess *s = arg;
    struct server *srv = s->srv;
    switch (ev) {
    case CONN_EV_READ: srv->proto->data(s); break;
    case CONN_EV_CONNECTED: break; /* inbound only */
    case CONN_EV_DRAIN:
        if (srv->proto->drain)
            srv->proto->drain(s);
        break;
    case CONN_EV_CLOSE:
        admit_release(srv->admit, s->slot);
        s->slot = -1;
        s->is_dead = true;
        srv->nopen--;
        if (srv->proto->close)
            srv->proto->close(s);
        if (!srv->sweep_timer.is_active)
            ev_timer_start(srv->loop, &srv->sweep_timer, 0, on_sweep);
        break;
    }
}

/* --- admission --- */

/* Evicted from the shared table to make room: close without a word (micrOS). */
static void on_evict(void *owner)
{
    struct server_sess *s = owner;
    s->slot = -1;
    s->srv->stats.evicted_idle++;
    LOG_I("%s: evicting idle client %s", s->srv->proto->name, s->conn.peer);
    conn_close(&s->conn);
}

/* At max_sessions: closes the session the admission rules pick among this server's own. */
static bool evict_own(struct server *srv, const char *peer, uint64_t now, bool may_take_others)
{
    int v = admit_victim(srv->admit, srv->proto->kind, peer, now, srv->proto->evict_idle_ms,
                         may_take_others);
    if (v < 0)
        return false;
    admit_evict(srv->admit, v, peer);
    return true;
}

/* Opens a session for fd when there is room. Returns true when it took fd over. */
static bool try_open(void *owner, int fd, const char *peer)
{
    struct server *srv = owner;
    const struct server_proto *p = srv->proto;
    uint64_t now = ev_now(srv->loop);
    /* Where the client speaks first, a silent newcomer (a connection flood) may take a free
     * place or one of its own address, never another address's. Whether it spoke is asked
     * (one ioctl) only when there is no free place, the only case where it matters. */
    bool is_full = (srv->has_own_limit && srv->nopen >= srv->max_sessions) ||
                   admit_count(srv->admit) >= srv->admit->limit;
    bool may_take_others = !p->is_client_first || (is_full && hal_sock_pending(fd) > 0);
    if (srv->has_own_limit && srv->nopen >= srv->max_sessions &&
        !evict_own(srv, peer, now, may_take_others))
        return false;
    struct server_sess *s = NULL;
    for (size_t i = 0; i < srv->nsessions && !s; i++)
        if (!server_sess_at(srv, i)->is_used)
            s = server_sess_at(srv, i);
    if (!s)
        return false;
    int slot = admit_take(srv->admit, p->kind, peer, now, may_take_others, on_evict, s);
    if (slot < 0)
        return false;
    memset(s, 0, p->sess_size);
    s->is_used = true;
    s->srv = srv;
    s->slot = slot;
    if (conn_open(&s->conn, srv->loop, fd, peer, p->in_max, p->out_max, on_conn, s) < 0) {
        admit_release(srv->admit, slot);
        s->is_used = false;
        return true; /* conn_open closed fd */
    }
    srv->nopen++;
    srv->stats.accepted++;
    if (!srv->tick_timer.is_active)
        ev_timer_start(srv->loop, &srv->tick_timer, SERVER_TICK_MS, on_tick);
    p->open(s);
    return true;
}

/* True when a newcomer can be opened without closing anyone. */
static bool has_free_place(const struct server *srv)
{
    if (srv->has_own_limit && srv->nopen >= srv->max_sessions)
        return false;
    return admit_count(srv->admit) < srv->admit->limit;
}

static void refuse(void *owner, int fd)
{
    struct server *srv = owner;
    if (srv->proto->refuse)
        srv->proto->refuse(srv, fd);
    hal_sock_close(fd);
    srv->stats.refused++;
    srv->admit->refused++;
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct server *srv = arg;
    srv->stats.accept_batches++;
    for (int n = 0; n < SERVER_ACCEPT_BATCH; n++) {
        char peer[64];
        int cfd = hal_tcp_accept(srv->lfd, peer, sizeof peer);
        if (cfd == ERR_AGAIN)
            return;
        if (cfd < 0) {
            LOG_W("%s: accept failed: %s", srv->proto->name, err_str(cfd));
            return;
        }
        /* While others wait for a place to be made, a newcomer that would have to make one
         * queues with them (the lobby serves the lone client of an address first), so a
         * churning crowd cannot win every evictable place at accept; a free place is taken. */
        if ((lobby_count(&srv->lobby) == 0 || has_free_place(srv)) && try_open(srv, cfd, peer))
            continue;
        /* Full: wait up to busy_wait_ms for a slot (micrOS), then the busy reply. */
        if (lobby_add(&srv->lobby, cfd, peer) < 0)
            refuse(srv, cfd);
    }
}

int server_start(struct server *srv, const struct server_proto *proto, void *owner,
                 struct ev_loop *loop, struct admit *admit, const char *addr, uint16_t port,
                 size_t max_sessions)
{
    memset(srv, 0, sizeof *srv);
    srv->proto = proto;
    srv->owner = owner;
    srv->loop = loop;
    srv->admit = admit;
    srv->lfd = -1;
    srv->has_own_limit = max_sessions > 0;
    srv->max_sessions = max_sessions ? max_sessions : admit->limit;
    srv->sweep_timer.arg = srv;
    srv->tick_timer.arg = srv;
    lobby_init(&srv->lobby, loop, proto->busy_wait_ms, try_open, refuse, srv);
    /* Room for every open session plus as many closed ones waiting for the sweep: an
     * eviction frees an admission slot before its session memory. */
    srv->nsessions = 2 * srv->max_sessions + 8;
    srv->pool = calloc(srv->nsessions, proto->sess_size);
    if (!srv->pool) {
        server_stop(srv);
        return ERR_NOMEM;
    }
    int lfd = hal_tcp_listen(addr, port, 128);
    if (lfd < 0) {
        server_stop(srv);
        return lfd;
    }
    srv->lfd = lfd;
    srv->port = hal_sock_port(lfd);
    int rc = ev_io_start(loop, lfd, EV_READ, on_accept, srv);
    if (rc < 0) {
        server_stop(srv);
        return rc;
    }
    return 0;
}

void server_stop(struct server *srv)
{
    if (!srv->proto)
        return; /* never started */
    for (size_t i = 0; srv->pool && i < srv->nsessions; i++) {
        struct server_sess *s = server_sess_at(srv, i);
        if (s->is_used && !s->conn.is_closed)
            conn_close(&s->conn);
    }
    lobby_deinit(&srv->lobby);
    if (srv->lfd >= 0) {
        ev_io_stop(srv->loop, srv->lfd);
        hal_sock_close(srv->lfd);
        srv->lfd = -1;
    }
    ev_timer_stop(srv->loop, &srv->sweep_timer);
    ev_timer_stop(srv->loop, &srv->tick_timer);
    free(srv->pool);
    srv->pool = NULL;
    srv->proto = NULL;
}
