/* server.h - one TCP server type for every protocol the node serves (shell, HTTP).
 *
 * A server owns everything a protocol should not have to write again: the listener, the
 * batched accept, admission through the node's client table (net/admit.h), the lobby where a
 * newcomer waits for a slot, the session pool, the per-session deadlines and idle timeout,
 * and the deferred free (a closed session's memory is reused only after the pass in which it
 * closed, so no callback ever runs on freed memory).
 *
 * A protocol describes itself with a struct server_proto and keeps its per-connection state
 * in a struct that starts with struct server_sess (the pool allocates proto->sess_size bytes
 * per session). The server calls:
 *   open   once the session is admitted and its connection is open (greet here);
 *   data   when new bytes are in s->conn.in;
 *   drain  when all queued output was written;
 *   close  once, when the connection closed (stop the protocol's own timers here);
 *   tick   every SERVER_TICK_MS for each open session (the protocol's own deadlines);
 *   refuse when a newcomer finds no room after proto->busy_wait_ms (write a busy reply on the
 *          raw fd; the server closes it).
 * Output goes through conn_send on s->conn and is written once per loop pass (net/conn.h).
 *
 * Admission: a session is "busy" while the protocol says so (server_touch); an idle session
 * (not busy, nothing queued either way) gives way to a newcomer after proto->evict_idle_ms
 * when the protocol's own limit (max_sessions) is reached, and the shared table evicts the
 * client idle longest when it is full. */
#ifndef SERVER_H
#define SERVER_H

#include "../core/ev.h"
#include "admit.h"
#include "conn.h"
#include "lobby.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SERVER_TICK_MS
#define SERVER_TICK_MS 250 /* how often deadlines are checked */
#endif
#ifndef SERVER_ACCEPT_BATCH
#define SERVER_ACCEPT_BATCH 64 /* connections accepted per readiness report */
#endif

struct server;
struct server_sess;

struct server_proto {
    const char *name;       /* "shell", "http": log lines */
    char kind;              /* admission id prefix: 'S' shell, 'W' web (micrOS) */
    size_t sess_size;       /* bytes per session; the struct starts with struct server_sess */
    size_t in_max, out_max; /* per-connection input and pending output limits */
    uint64_t busy_wait_ms;  /* a newcomer waits this long in the lobby for room */
    uint64_t evict_idle_ms; /* at max_sessions, a session idle this long gives way */
    uint64_t idle_close_ms; /* an idle session is closed after this (0 = never) */
    void (*open)(struct server_sess *s);
    void (*data)(struct server_sess *s);
    void (*drain)(struct server_sess *s);
    void (*close)(struct server_sess *s);
    void (*tick)(struct server_sess *s, uint64_t now);
    void (*refuse)(struct server *srv, int fd);
};

/* The server's part of every session. Protocols read these fields, never write them. */
struct server_sess {
    struct conn conn;
    struct server *srv;
    int slot; /* admission slot, -1 once released */
    bool is_used;
    bool is_dead; /* closed: reusable after the sweep */
    bool is_busy; /* the protocol's last server_touch */
};

struct server_stats {
    uint64_t accepted, refused, evicted_idle, accept_batches;
};

struct server {
    const struct server_proto *proto;
    struct ev_loop *loop;
    struct admit *admit;
    void *owner; /* the protocol's server object */
    int lfd;
    uint16_t port;
    size_t max_sessions; /* the protocol's own limit on open sessions */
    bool has_own_limit;  /* false: only the admission table limits sessions */
    unsigned char *pool; /* nsessions * proto->sess_size bytes */
    size_t nsessions;
    size_t nopen;
    struct lobby lobby;
    struct ev_timer sweep_timer; /* deferred free, right after the pass a session closed in */
    struct ev_timer tick_timer;  /* deadlines */
    struct server_stats stats;
};

/* Listens on addr:port (0 = any free port, see srv->port) with at most max_sessions open
 * sessions (0 = as many as the admission table holds), admitted through admit. owner is the
 * protocol's object (server_owner). Returns 0, or ERR_ADDRINUSE / ERR_PERM / ERR_NOMEM. */
int server_start(struct server *srv, const struct server_proto *proto, void *owner,
                 struct ev_loop *loop, struct admit *admit, const char *addr, uint16_t port,
                 size_t max_sessions);
/* Closes every session (close callbacks run), the lobby and the listener. Safe on a zeroed
 * or stopped server. */
void server_stop(struct server *srv);
/* Returns the protocol's object given to server_start. */
void *server_owner(const struct server *srv);
/* Records activity now and whether the session is busy (a request in progress). */
void server_touch(struct server_sess *s, bool is_busy);
/* Returns the number of open sessions. */
size_t server_count(const struct server *srv);
/* Returns session i of the pool (0 <= i < srv->nsessions), for iteration; check is_used and
 * is_dead. */
struct server_sess *server_sess_at(const struct server *srv, size_t i);
/* True when s is open (not closed, not closing). */
bool server_sess_is_live(const struct server_sess *s);

#endif
