/* conn.c - buffered non-blocking connections. */
#include "conn.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"

#include <stdio.h>
#include <string.h>

#define CONN_READ_CHUNK 4096

static void finish(struct conn *c)
{
    if (c->is_closed)
        return;
    c->is_closed = true;
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
    if (!c->is_read_paused && !c->is_draining)
        ev |= EV_READ;
    if (c->out.len > 0)
        ev |= EV_WRITE;
    ev_io_modify(c->loop, c->fd, ev);
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

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    struct conn *c = arg;
    if (events & EV_WRITE) {
        if (flush(c) < 0) {
            finish(c);
            return;
        }
        if (c->out.len == 0) {
            if (c->is_draining) {
                finish(c);
                return;
            }
            c->cb(c, CONN_EV_DRAIN, c->arg);
            if (c->is_closed)
                return;
        }
    }
    if ((events & (EV_READ | EV_ERROR)) && !c->is_draining && !c->is_read_paused) {
        char chunk[CONN_READ_CHUNK];
        long n = hal_sock_recv(c->fd, chunk, sizeof chunk);
        if (n == ERR_AGAIN)
            goto out;
        if (n < 0) {
            finish(c);
            return;
        }
        c->bytes_in += (uint64_t)n;
        c->last_io_ms = ev_now(c->loop);
        if (buf_append(&c->in, chunk, (size_t)n) < 0) {
            LOG_W("conn %s: input limit reached, closing", c->peer);
            finish(c);
            return;
        }
        c->cb(c, CONN_EV_READ, c->arg);
        if (c->is_closed)
            return;
    } else if ((events & EV_ERROR) && c->is_draining) {
        finish(c);
        return;
    }
out:
    update_watch(c);
}

int conn_open(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
              size_t out_max, conn_fn *cb, void *arg)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->loop = loop;
    c->cb = cb;
    c->arg = arg;
    c->last_io_ms = ev_now(loop);
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "?");
    buf_init(&c->in, in_max);
    buf_init(&c->out, out_max);
    int rc = ev_io_start(loop, fd, EV_READ, on_io, c);
    if (rc < 0) {
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
        LOG_W("conn %s: output limit reached (client not reading), closing", c->peer);
        finish(c);
        return rc;
    }
    rc = flush(c);
    if (rc < 0) {
        finish(c);
        return rc;
    }
    if (c->out.len == 0 && c->is_draining) {
        finish(c);
        return 0;
    }
    update_watch(c);
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
        finish(c);
    else
        update_watch(c);
}

void conn_close(struct conn *c)
{
    finish(c);
}

void conn_pause_read(struct conn *c, bool pause)
{
    if (c->is_closed || c->is_read_paused == pause)
        return;
    c->is_read_paused = pause;
    update_watch(c);
}
