/* conn.c - buffered non-blocking connections, gathered output written once per pass. */
#include "conn.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"

#include <stdio.h>
#include <string.h>

#define CONN_READ_CHUNK 16384
#ifndef CONN_READ_BULK
#define CONN_READ_BULK (128 * 1024) /* one read of a bulk transfer (an upload), into c->in */
#endif
#define CONN_KEEP_CAP 16384 /* a drained buffer larger than this is given back */

/* Node-wide pending output (one loop per process): the capacity of every connection's
 * output buffer, and the cap past which the biggest holders are closed. */
static size_t s_out_total, s_out_cap;
static uint64_t s_shed;
static struct conn *s_open; /* every open connection, for conn_shed */

void conn_set_out_cap(size_t bytes)
{
    s_out_cap = bytes;
}

size_t conn_out_total(void)
{
    return s_out_total;
}

uint64_t conn_shed_count(void)
{
    return s_shed;
}

static void list_add(struct conn *c)
{
    c->prev_open = NULL;
    c->next_open = s_open;
    if (s_open)
        s_open->prev_open = c;
    s_open = c;
}

static void list_remove(struct conn *c)
{
    if (c->prev_open)
        c->prev_open->next_open = c->next_open;
    else if (s_open == c)
        s_open = c->next_open;
    if (c->next_open)
        c->next_open->prev_open = c->prev_open;
    c->prev_open = c->next_open = NULL;
}

/* Gives the output buffer's memory back (its content is gone or sent). */
static void out_release(struct conn *c)
{
    s_out_total -= c->out.cap;
    buf_free(&c->out);
}

static void finish(struct conn *c, int error);

/* Over the node-wide cap: closes the connections holding most pending output until the
 * total is back under three quarters of the cap. */
static void shed(void)
{
    while (s_out_cap && s_out_total > s_out_cap / 4 * 3) {
        struct conn *big = NULL;
        for (struct conn *c = s_open; c; c = c->next_open)
            if (!big || c->out.cap > big->out.cap)
                big = c;
        if (!big || big->out.cap == 0)
            return;
        s_shed++;
        LOG_W("conn %s: closed, holds %zu bytes of unread output (node-wide cap %zu reached)",
              big->peer, big->out.cap, s_out_cap);
        finish(big, ERR_FULL);
    }
}

static void finish(struct conn *c, int error)
{
    if (c->is_closed)
        return;
    c->is_closed = true;
    c->error = error;
    ev_defer_cancel(c->loop, &c->flush);
    ev_timer_stop(c->loop, &c->connect_tmo);
    ev_io_stop(c->loop, c->fd);
    hal_sock_close(c->fd);
    c->fd = -1;
    list_remove(c);
    buf_free(&c->in);
    out_release(c);
    c->cb(c, CONN_EV_CLOSE, c->arg);
}

static void update_watch(struct conn *c)
{
    unsigned ev = 0;
    if (c->is_connecting)
        ev = EV_WRITE;
    else {
        if (!c->is_read_paused && !c->is_draining)
            ev |= EV_READ;
        /* Output waits for EV_WRITE only when a write found the socket full; otherwise the
         * end-of-pass flush writes it. */
        if (c->out.len > 0 && !c->flush.is_queued)
            ev |= EV_WRITE;
    }
    if (ev != c->watched) {
        c->watched = ev;
        ev_io_modify(c->loop, c->fd, ev);
    }
}

/* Writes queued output; returns 0, or ERR_* when the connection broke. */
static int flush(struct conn *c)
{
    while (c->out.len > 0) {
        long n = hal_sock_send(c->fd, c->out.p, c->out.len);
        if (n == ERR_AGAIN)
            break;
        if (n < 0)
            return (int)n;
        buf_consume(&c->out, (size_t)n);
        c->bytes_out += (uint64_t)n;
        c->last_io_ms = ev_now(c->loop);
    }
    return 0;
}

/* Writes what is queued; reports DRAIN (or finishes a draining close) once it is all out.
 * Returns false when the connection closed. */
static bool write_out(struct conn *c)
{
    int rc = flush(c);
    if (rc < 0) {
        finish(c, rc);
        return false;
    }
    if (c->out.len == 0) {
        if (c->is_draining) {
            finish(c, 0);
            return false;
        }
        if (c->out.cap > CONN_KEEP_CAP)
            out_release(c);
        c->cb(c, CONN_EV_DRAIN, c->arg);
        if (c->is_closed)
            return false;
    }
    return true;
}

static void on_flush(struct ev_loop *loop, struct ev_defer *d)
{
    (void)loop;
    struct conn *c = d->arg;
    if (c->is_closed || c->is_connecting)
        return;
    if (write_out(c))
        update_watch(c);
}

static void on_connected(struct conn *c)
{
    int rc = hal_tcp_connect_result(c->fd);
    if (rc < 0) {
        finish(c, rc);
        return;
    }
    c->is_connecting = false;
    ev_timer_stop(c->loop, &c->connect_tmo);
    c->last_io_ms = ev_now(c->loop);
    c->cb(c, CONN_EV_CONNECTED, c->arg);
    if (c->is_closed)
        return;
    if (c->out.len > 0)
        ev_defer(c->loop, &c->flush, on_flush);
    update_watch(c);
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    struct conn *c = arg;
    if (c->is_connecting) {
        on_connected(c);
        return;
    }
    if ((events & EV_WRITE) && c->out.len > 0) {
        if (!write_out(c))
            return;
    }
    if ((events & (EV_READ | EV_ERROR)) && !c->is_draining && !c->is_read_paused) {
        /* Small reads go through a chunk on the stack, so an idle or chatty connection never
         * holds a big buffer. A read that filled its chunk means a bulk transfer (an upload):
         * the next reads take up to CONN_READ_BULK straight into the input buffer (one
         * syscall and one event per 128 KB instead of 8, and no copy). */
        char chunk[CONN_READ_CHUNK];
        size_t room = sizeof chunk;
        char *dst = chunk;
        if (c->is_bulk) {
            dst = buf_space(&c->in, CONN_READ_BULK, &room);
            if (!dst) {
                LOG_W("conn %s: input limit reached, closing", c->peer);
                finish(c, ERR_FULL);
                return;
            }
        }
        long n = hal_sock_recv(c->fd, dst, room);
        if (n == ERR_AGAIN)
            goto out;
        if (n < 0) {
            finish(c, (int)n);
            return;
        }
        c->bytes_in += (uint64_t)n;
        c->last_io_ms = ev_now(c->loop);
        c->is_bulk = (size_t)n == room;
        if (dst != chunk) {
            buf_commit(&c->in, (size_t)n);
        } else if (buf_append(&c->in, chunk, (size_t)n) < 0) {
            LOG_W("conn %s: input limit reached, closing", c->peer);
            finish(c, ERR_FULL);
            return;
        }
        c->cb(c, CONN_EV_READ, c->arg);
        if (c->is_closed)
            return;
        if (c->in.len == 0 && c->in.cap > CONN_KEEP_CAP)
            buf_free(&c->in);
    } else if ((events & EV_ERROR) && c->is_draining) {
        finish(c, ERR_CLOSED);
        return;
    }
out:
    update_watch(c);
}

static void init(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
                 size_t out_max, conn_fn *cb, void *arg)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->loop = loop;
    c->cb = cb;
    c->arg = arg;
    c->flush.arg = c;
    c->connect_tmo.arg = c;
    c->last_io_ms = ev_now(loop);
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "?");
    buf_init(&c->in, in_max);
    buf_init(&c->out, out_max);
    list_add(c);
}

int conn_open(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
              size_t out_max, conn_fn *cb, void *arg)
{
    init(c, loop, fd, peer, in_max, out_max, cb, arg);
    c->watched = EV_READ;
    int rc = ev_io_start(loop, fd, EV_READ, on_io, c);
    if (rc < 0) {
        list_remove(c);
        hal_sock_close(fd);
        c->fd = -1;
        c->is_closed = true;
        return rc;
    }
    return 0;
}

static int64_t on_connect_timeout(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    finish(t->arg, ERR_TIMEOUT);
    return EV_DONE;
}

int conn_connect(struct conn *c, struct ev_loop *loop, const char *ip, uint16_t port,
                 uint64_t timeout_ms, size_t in_max, size_t out_max, conn_fn *cb, void *arg)
{
    int fd = hal_tcp_connect(ip, port);
    if (fd < 0)
        return fd;
    char peer[64];
    snprintf(peer, sizeof peer, strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
    init(c, loop, fd, peer, in_max, out_max, cb, arg);
    c->is_connecting = true;
    c->watched = EV_WRITE;
    int rc = ev_io_start(loop, fd, EV_WRITE, on_io, c);
    if (rc == 0 && timeout_ms > 0)
        rc = ev_timer_start(loop, &c->connect_tmo, timeout_ms, on_connect_timeout);
    if (rc < 0) {
        list_remove(c);
        ev_io_stop(loop, fd);
        hal_sock_close(fd);
        c->fd = -1;
        c->is_closed = true;
        return rc;
    }
    return 0;
}

int conn_send(struct conn *c, const void *data, size_t len)
{
    if (c->is_closed)
        return ERR_CLOSED;
    size_t cap = c->out.cap;
    int rc = buf_append(&c->out, data, len);
    s_out_total += c->out.cap - cap;
    if (rc < 0) {
        LOG_W("conn %s: output limit reached (peer not reading), closing", c->peer);
        finish(c, rc);
        return rc;
    }
    if (s_out_cap && s_out_total > s_out_cap) {
        shed();
        if (c->is_closed)
            return ERR_FULL;
    }
    if (!c->is_connecting)
        ev_defer(c->loop, &c->flush, on_flush);
    return 0;
}

int conn_puts(struct conn *c, const char *s)
{
    return conn_send(c, s, strlen(s));
}

void conn_drain_close(struct conn *c)
{
    if (c->is_closed)
        return;
    c->is_draining = true;
    if (c->out.len == 0)
        finish(c, 0);
    else
        update_watch(c);
}

void conn_close(struct conn *c)
{
    finish(c, 0);
}

void conn_pause_read(struct conn *c, bool pause)
{
    if (c->is_closed || c->is_read_paused == pause)
        return;
    c->is_read_paused = pause;
    update_watch(c);
}
