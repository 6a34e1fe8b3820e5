/* http.h - WebCli: the node's HTTP/1.1 server (COMPAT Part A 8-10, Part B §3).
 *
 * Serves, in this order: GET/HEAD /rest and /rest/<module>/<function>/<args...>
 * (the REST API, JSON), the endpoints modules registered (svc/endpoint.h), then
 * GET/HEAD static files: the packed web UI (net/web_assets.h) and the node's own
 * web/ folder. Keep-alive by default, HTTP/1.0, HEAD, pipelining (answered in
 * order, at most HTTP_PIPELINE_BURST requests per event so the shell is never
 * starved), content-length on every reply, lower-case header names.
 *
 * Every limit has its status: request line > HTTP_URL_MAX -> 414, header block >
 * HTTP_HEADER_MAX or more than HTTP_MAX_HEADERS lines -> 431, body > HTTP_BODY_MAX ->
 * 413, a request not complete within HTTP_REQUEST_TIMEOUT_MS -> 408, an unknown method
 * -> 405, a version other than 1.x -> 505, anything malformed -> 400. Connections: at most
 * max_con HTTP clients (webui_max_con) and a slot in the client table shared with the
 * shell; a newcomer that finds no room waits up to HTTP_BUSY_WAIT_MS, then gets 503 with
 * Retry-After. Idle keep-alive connections are closed after HTTP_KEEPALIVE_MS, and sooner
 * (after HTTP_EVICT_IDLE_MS idle) when a newcomer needs their place. */
#ifndef HTTP_H
#define HTTP_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/ev.h"
#include "../svc/endpoint.h"
#include "../svc/node.h"
#include "admit.h"
#include "server.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef HTTP_URL_MAX
#define HTTP_URL_MAX 4096 /* request line, bytes -> 414 */
#endif
#ifndef HTTP_HEADER_MAX
#define HTTP_HEADER_MAX 8192 /* header block after the request line, bytes -> 431 */
#endif
#ifndef HTTP_MAX_HEADERS
#define HTTP_MAX_HEADERS 48 /* header lines -> 431 */
#endif
#ifndef HTTP_BODY_MAX
#define HTTP_BODY_MAX (64 * 1024) /* request body -> 413 */
#endif
#ifndef HTTP_OUT_MAX
#define HTTP_OUT_MAX (4 * 1024 * 1024) /* pending output per connection (client not reading) */
#endif
#ifndef HTTP_OUT_PAUSE
#define HTTP_OUT_PAUSE (256 * 1024) /* stop reading new requests while this much is pending */
#endif
#ifndef HTTP_REQUEST_TIMEOUT_MS
#define HTTP_REQUEST_TIMEOUT_MS                                                                    \
    10000 /* a started request (head and body) must be complete by                                 \
             then -> 408; the head alone by http_head_ms */
#endif
#ifndef HTTP_FIRST_BYTE_MS
#define HTTP_FIRST_BYTE_MS                                                                         \
    2000 /* without a config: a connection silent this long is closed                              \
            (config key http_first_ms) */
#endif
#ifndef HTTP_HEAD_MS
#define HTTP_HEAD_MS                                                                               \
    2000 /* without a config: a request head must be complete by then -> 408                       \
            (config key http_head_ms) */
#endif
#ifndef HTTP_KEEPALIVE_MS
#define HTTP_KEEPALIVE_MS 30000 /* idle keep-alive connections are closed after this */
#endif
#ifndef HTTP_EVICT_IDLE_MS
#define HTTP_EVICT_IDLE_MS 200 /* an idle keep-alive client gives way to a newcomer after this */
#endif
#ifndef HTTP_BUSY_WAIT_MS
/* A newcomer waits this long for room, then 503: under 5 s, so a client reading with a 5 s
 * timeout gets the 503 rather than a timeout. */
#define HTTP_BUSY_WAIT_MS 4500
#endif
#ifndef HTTP_RETRY_AFTER_S
#define HTTP_RETRY_AFTER_S 5 /* Retry-After of a 503 */
#endif
#ifndef HTTP_PIPELINE_BURST
#define HTTP_PIPELINE_BURST 16 /* requests answered per connection per event */
#endif

#ifndef HTTP_PASS_BUDGET
#define HTTP_PASS_BUDGET 64 /* requests per loop pass shared by connections with a backlog */
#endif

struct http_session;

struct http_stats {
    uint64_t accepted, requests, keepalive_reuse, busy_503, timeouts_408, errors_4xx, errors_5xx,
        evicted_idle, uploads, upload_bytes, upload_refused;
    uint64_t parsed_bytes; /* bytes given to the request parser (each byte once: incremental) */
};

struct http_server {
    struct node *node;
    struct admit *admit;
    struct ev_loop *loop;
    struct endpoints *eps;
    uint16_t port;
    size_t max_con;             /* webui_max_con */
    struct server srv;          /* listener, admission, sessions */
    size_t backlog;             /* connections with requests waiting, counted each work pass */
    struct ev_timer work_timer; /* continues pipelined requests left over by a burst */
    struct arena arena;         /* one command's scratch */
    void *arena_mem;
    struct buf body;     /* one reply body */
    struct buf resp;     /* the replies of one burst */
    struct buf chunk;    /* a chunked request body, joined */
    bool is_auth;        /* config auth at start (REST gate, COMPAT §3.3) */
    uint64_t upload_max; /* bytes per upload (config upload_max, MiB) */
    size_t uploads;      /* uploads in flight (at most HTTP_UPLOADS_MAX) */
    struct http_stats stats;
};

/* Listens on addr:port (0 = any free port, see srv->port) and serves HTTP with at most
 * max_con connections, admitted through the shared table. eps may be NULL (no module
 * endpoints). Returns 0, or ERR_ADDRINUSE / ERR_PERM / ERR_NOMEM / ERR_FULL. */
int http_start(struct http_server *srv, struct node *node, struct admit *admit,
               struct endpoints *eps, const char *addr, uint16_t port, size_t max_con);
/* Closes every connection and the listener; safe on a zeroed or stopped server. */
void http_stop(struct http_server *srv);
/* Returns the number of open HTTP connections. */
size_t http_count(const struct http_server *srv);

#endif
