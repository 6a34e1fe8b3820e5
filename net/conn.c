/* conn.c - buffered non-blocking connections, gathered output written once per pass. */
#include "conn.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"

#include <stdio.h>
#include <string.h>

#define CONN_READ_CHUNK 16384

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
    buf_free(&c->in);
    buf_free(&c->out);
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
        char chunk[CONN_READ_CHUNK];
        long n = hal_sock_recv(c->fd, chunk, sizeof chunk);
        if (n == ERR_AGAIN)
            goto out;
        if (n < 0) {
            finish(c, (int)n);
            return;
        }
        c->bytes_in += (uint64_t)n;
        c->last_io_ms = ev_now(c->loop);
        if (buf_append(&c->in, chunk, (size_t)n) < 0) {
            LOG_W("conn %s: input limit reached, closing", c->peer);
            finish(c, ERR_FULL);
            return;
        }
        c->cb(c, CONN_EV_READ, c->arg);
        if (c->is_closed)
            return;
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
}

int conn_open(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
              size_t out_max, conn_fn *cb, void *arg)
{
    init(c, loop, fd, peer, in_max, out_max, cb, arg);
    c->watched = EV_READ;
    int rc = ev_io_start(loop, fd, EV_READ, on_io, c);
    if (rc < 0) {
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
    int rc = buf_append(&c->out, data, len);
    if (rc < 0) {
        LOG_W("conn %s: output limit reached (peer not reading), closing", c->peer);
        finish(c, rc);
        return rc;
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
