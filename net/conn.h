/* conn.h - a buffered non-blocking stream connection on the event loop.
 *
 * The owner keeps struct conn in its own storage. Input is read into `in`
 * (bounded) and reported with CONN_EV_READ; output queued with conn_send is
 * flushed as the socket allows (bounded: past out_max the connection is
 * closed, so a client that never reads cannot pin memory). CONN_EV_CLOSE is
 * reported once, after which the owner may free the struct — but never from
 * inside its own event callback: mark it and free it after the pass. */
#ifndef CONN_H
#define CONN_H

#include "../core/buf.h"
#include "../core/ev.h"

#include <stdbool.h>
#include <stdint.h>

enum conn_event {
    CONN_EV_READ,  /* new bytes were appended to c->in */
    CONN_EV_DRAIN, /* all queued output was written */
    CONN_EV_CLOSE, /* the connection is closed (peer EOF, error, or conn_close) */
};

struct conn;
typedef void conn_fn(struct conn *c, enum conn_event ev, void *arg);

struct conn {
    int fd;
    struct ev_loop *loop;
    struct buf in, out;
    char peer[64];       /* "ip:port" */
    uint64_t last_io_ms; /* last time bytes moved either way */
    bool is_draining;    /* close once out is flushed */
    bool is_closed;
    bool is_read_paused;
    conn_fn *cb;
    void *arg;
    uint64_t bytes_in, bytes_out;
};

/* Takes over fd (already non-blocking) and starts reading. Returns 0, or ERR_* (fd closed;
 * the callback is never called). */
int conn_open(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
              size_t out_max, conn_fn *cb, void *arg);
/* Queues bytes and writes what the socket takes now. Returns 0, or ERR_FULL (the connection
 * is then closed) or ERR_CLOSED. */
int conn_send(struct conn *c, const void *data, size_t len);
/* Queues a NUL-terminated string. */
int conn_puts(struct conn *c, const char *s);
/* Closes once all queued output is written; further input is ignored. */
void conn_drain_close(struct conn *c);
/* Closes now (queued output is dropped) and reports CONN_EV_CLOSE. Safe to call twice. */
void conn_close(struct conn *c);
/* Stops or resumes reading (pipelining back-pressure). */
void conn_pause_read(struct conn *c, bool pause);

#endif
