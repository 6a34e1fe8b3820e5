/* conn.h - one buffered non-blocking stream connection type, inbound and outbound.
 *
 * The owner keeps struct conn in its own storage. An inbound connection is opened on an
 * accepted fd (conn_open, done by net/server.c); an outbound one with conn_connect (a
 * non-blocking connect with a timeout, reported by CONN_EV_CONNECTED). Input is read into
 * `in` (bounded; one read per readiness report, so a streaming peer cannot hold the loop)
 * and reported with CONN_EV_READ. Output queued with conn_send is gathered and written once
 * at the end of the loop pass (write-before-sleep: a reply assembled from several pieces
 * leaves in one syscall and one segment); past out_max the connection is closed, so a peer
 * that never reads cannot pin memory. CONN_EV_CLOSE is reported once, with c->error saying
 * why, after which the owner may free the struct — but never from inside its own event
 * callback: mark it and free it after the pass.
 *
 * A plain outbound TCP client:
 *     conn_connect(&c, loop, "127.0.0.1", 1883, 3000, 4096, 4096, on_event, me);
 *     on_event: CONN_EV_CONNECTED -> conn_send(...); CONN_EV_READ -> parse c->in, buf_consume;
 *               CONN_EV_CLOSE -> c->error is ERR_CONNREFUSED / ERR_TIMEOUT / ERR_CLOSED (peer
 *               EOF) / ERR_FULL (a limit) / ERR_IO, or 0 after conn_close. */
#ifndef CONN_H
#define CONN_H

#include "../core/buf.h"
#include "../core/ev.h"

#include <stdbool.h>
#include <stdint.h>

enum conn_event {
    CONN_EV_READ,      /* new bytes were appended to c->in */
    CONN_EV_DRAIN,     /* all queued output was written */
    CONN_EV_CLOSE,     /* the connection is closed (see c->error) */
    CONN_EV_CONNECTED, /* an outbound connect completed; queued output now leaves */
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
    bool is_bulk;       /* the last read filled its buffer: read big next time */
    bool is_connecting; /* outbound connect in progress */
    int error;          /* why it closed: 0 (conn_close) or ERR_* */
    unsigned watched;   /* events the loop watches now */
    conn_fn *cb;
    void *arg;
    struct ev_defer flush;              /* queued while output waits for the end of the pass */
    struct ev_timer connect_tmo;        /* outbound connect deadline */
    struct conn *prev_open, *next_open; /* every open connection (node-wide output cap) */
    uint64_t bytes_in, bytes_out;
};

/* Takes over fd (already non-blocking) and starts reading. Returns 0, or ERR_* (fd closed;
 * the callback is never called). */
int conn_open(struct conn *c, struct ev_loop *loop, int fd, const char *peer, size_t in_max,
              size_t out_max, conn_fn *cb, void *arg);
/* Connects to ip:port (an IPv4 or IPv6 literal) without blocking; CONN_EV_CONNECTED follows,
 * or CONN_EV_CLOSE with c->error (ERR_CONNREFUSED, ERR_TIMEOUT after timeout_ms, 0 = no
 * limit). Output queued before the connect completes is sent after it. Returns 0, or ERR_*
 * (the callback is never called). */
int conn_connect(struct conn *c, struct ev_loop *loop, const char *ip, uint16_t port,
                 uint64_t timeout_ms, size_t in_max, size_t out_max, conn_fn *cb, void *arg);
/* Queues bytes, written at the end of the loop pass. Returns 0, or ERR_FULL (the connection
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
/* Sets the node-wide cap on pending output (buffer memory of every connection, bytes; 0 = no
 * cap). Past it the connections holding most are closed (CONN_EV_CLOSE, error ERR_FULL)
 * until the total is under three quarters of the cap. */
void conn_set_out_cap(size_t bytes);
/* Returns the node-wide pending output memory, bytes. */
size_t conn_out_total(void);
/* Returns how many connections the cap closed. */
uint64_t conn_shed_count(void);

#endif
