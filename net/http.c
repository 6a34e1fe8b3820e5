/* http.c - WebCli: connections, admission, request parsing, limits and routing. */
#include "http.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"
#include "../svc/cfg.h"
#include "conn.h"
#include "http_fs.h"
#include "http_priv.h"
#include "rest_path.h"

#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MS  250
#define IN_MAX    (HTTP_URL_MAX + HTTP_HEADER_MAX + HTTP_BODY_MAX + 8192)
#define ALLOW_ALL "allow: GET, HEAD, POST, DELETE\r\n"
#define CONTINUE  "HTTP/1.1 100 Continue\r\n\r\n"

struct http_session {
    struct conn conn;
    struct http_server *srv;
    int slot; /* admission slot, -1 once released */
    bool is_used;
    bool is_dead;          /* closed: reusable after the sweep */
    bool has_more;         /* complete requests may still wait in the input */
    bool is_continue_sent; /* "100 Continue" answered for the current request */
    uint64_t req_start_ms; /* when the current incomplete request began, 0 = none */
    uint64_t served;       /* requests answered on this connection */
    struct http_xfer x;    /* an upload or a streamed reply in progress (http_body.c) */
};

static void pump(struct http_session *s);

/* --- routing --- */

static void allow_header(char *out, size_t cap, unsigned methods)
{
    snprintf(out, cap, "allow: %s%s%s\r\n", methods & EP_GET ? "GET, HEAD" : "",
             methods & EP_POST ? (methods & EP_GET ? ", POST" : "POST") : "",
             methods & EP_DELETE ? (methods & (EP_GET | EP_POST) ? ", DELETE" : "DELETE") : "");
}

/* A streamed reply ended with the connection kept: go on with the next request. */
static void stream_done(void *owner)
{
    struct http_session *s = owner;
    conn_pause_read(&s->conn, false);
    if (s->conn.in.len > 0)
        pump(s);
}

static void call_endpoint(struct http_session *s, const struct http_req *req,
                          const struct endpoint *ep, unsigned method, struct str dpath,
                          bool keep_alive)
{
    struct http_server *srv = s->srv;
    struct endpoint_req er = {
        .method = method,
        .path = dpath,
        .query = req->query,
        .headers = req->hdr,
        .nheaders = req->nhdr,
        .body = req->body,
    };
    buf_clear(&srv->body);
    struct endpoint_reply rep = {.body = &srv->body};
    int rc = endpoint_call(srv->node, ep, &er, &rep);
    if (rc < 0) {
        srv->stats.errors_5xx++;
        http_reply_error(&srv->resp, 500, NULL, NULL, keep_alive, req->is_head);
        return;
    }
    if (rep.stream) {
        http_stream_start(&s->x, srv, &s->conn, req, &rep, keep_alive, stream_done, s);
        return;
    }
    http_reply(&srv->resp, rep.status, rep.content_type, rep.headers, srv->body.p, srv->body.len,
               keep_alive, req->is_head);
}

/* GET of a file of the node (its web/ folder, which wins over the built-in UI, or a file
 * server mount), streamed. Returns false when there is none. */
static bool serve_node_file(struct http_session *s, const struct http_req *req, struct str dpath,
                            bool keep_alive)
{
    struct http_server *srv = s->srv;
    struct endpoint_req er = {
        .method = EP_GET,
        .path = dpath,
        .query = req->query,
        .headers = req->hdr,
        .nheaders = req->nhdr,
    };
    buf_clear(&srv->body);
    struct endpoint_reply rep = {.status = 200, .content_type = "text/plain", .body = &srv->body};
    if (!http_fs_file(srv->node, dpath, &er, &rep))
        return false;
    if (rep.stream)
        http_stream_start(&s->x, srv, &s->conn, req, &rep, keep_alive, stream_done, s);
    else
        http_reply(&srv->resp, rep.status, rep.content_type, rep.headers, srv->body.p,
                   srv->body.len, keep_alive, req->is_head);
    return true;
}

/* The endpoint a POST whose head is in req streams its body to, or NULL (dp: scratch for
 * the decoded path). */
static const struct endpoint *body_route(struct http_server *srv, struct http_req *req,
                                         const struct buf *in, char *dp, size_t cap,
                                         struct str *dpath)
{
    if (!srv->eps || in->len < 5 || memcmp(in->p, "POST ", 5) != 0 || !http_split_url(req))
        return NULL;
    /* a head stopped at the body limit (413) was not normalised yet: lower-case the names */
    for (size_t i = 0; i < req->nhdr; i++) {
        char *n = (char *)req->hdr[i].name.p;
        for (size_t k = 0; k < req->hdr[i].name.len; k++)
            if (n[k] >= 'A' && n[k] <= 'Z')
                n[k] = (char)(n[k] - 'A' + 'a');
        req->hdr[i].value = str_trim(req->hdr[i].value);
    }
    int dn = rest_pct_decode(req->path, dp, cap);
    if (dn <= 1)
        return NULL;
    *dpath = (struct str){dp + 1, (size_t)dn - 1};
    if (!http_path_is_safe(*dpath))
        return NULL;
    const struct endpoint *ep = endpoint_find(srv->eps, *dpath);
    return ep && ep->body ? ep : NULL;
}

/* Bytes of the request head at the start of in (through the empty line), or 0. */
static size_t head_length(const struct buf *in)
{
    for (size_t i = 0; i + 1 < in->len; i++) {
        if (in->p[i] != '\n')
            continue;
        if (in->p[i + 1] == '\n')
            return i + 2;
        if (i + 2 < in->len && in->p[i + 1] == '\r' && in->p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static void handle(struct http_session *s, struct http_req *req)
{
    struct http_server *srv = s->srv;
    struct buf *o = &srv->resp;
    bool ka = req->keep_alive;
    srv->stats.requests++;
    if (s->served++ > 0)
        srv->stats.keepalive_reuse++;
    unsigned method = req->method == HTTP_GET || req->method == HTTP_HEAD ? EP_GET
                      : req->method == HTTP_POST                          ? EP_POST
                      : req->method == HTTP_DELETE                        ? EP_DELETE
                                                                          : 0;
    if (!method) {
        srv->stats.errors_4xx++;
        http_reply_error(o, 405, NULL, ALLOW_ALL, ka, req->is_head);
        return;
    }
    if (!http_split_url(req)) {
        srv->stats.errors_4xx++;
        http_reply_error(o, 400, "Bad request", NULL, ka, req->is_head);
        return;
    }
    struct str path = req->path;
    if (method == EP_GET && (str_eqc(path, "/rest") || str_starts(path, "/rest/"))) {
        http_rest(srv, req, str_from(path, 5), ka);
        return;
    }
    char dp[HTTP_URL_MAX + 1];
    int dn = rest_pct_decode(path, dp, sizeof dp);
    struct str dpath = dn > 0 ? (struct str){dp + 1, (size_t)dn - 1} : STR_LIT("");
    if (dn < 0 || !http_path_is_safe(dpath)) {
        srv->stats.errors_4xx++;
        http_reply_error(o, 404, NULL, NULL, ka, req->is_head);
        return;
    }
    const struct endpoint *ep = srv->eps && dpath.len ? endpoint_find(srv->eps, dpath) : NULL;
    if (ep && (ep->methods & method) && (method != EP_POST || !ep->body)) {
        call_endpoint(s, req, ep, method, dpath, ka);
    } else if (ep) {
        char allow[80];
        allow_header(allow, sizeof allow, ep->methods);
        srv->stats.errors_4xx++;
        http_reply_error(o, 405, NULL, allow, ka, req->is_head);
    } else if (method == EP_GET) {
        if (!serve_node_file(s, req, dpath, ka))
            http_static(srv, req, dpath, ka);
    } else {
        srv->stats.errors_4xx++;
        http_reply_error(o, 404, NULL, NULL, ka, req->is_head);
    }
}

/* --- sessions --- */

static void sweep_later(struct http_server *srv)
{
    ev_timer_start(srv->loop, &srv->sweep_timer, 0, srv->sweep_timer.cb);
}

static void work_later(struct http_server *srv)
{
    if (!srv->work_timer.is_active)
        ev_timer_start(srv->loop, &srv->work_timer, 0, srv->work_timer.cb);
}

/* Answers the complete requests waiting in the input, at most HTTP_PIPELINE_BURST. */
static void pump(struct http_session *s)
{
    struct http_server *srv = s->srv;
    struct conn *c = &s->conn;
    uint64_t now = ev_now(srv->loop);
    bool close_after = false;
    int done = 0;
    buf_clear(&srv->resp);
    s->has_more = false;
    while (!c->is_closed && !c->is_draining && (c->in.len > 0 || s->x.up)) {
        if (s->x.st)
            break; /* a streamed reply holds the connection until it ends */
        if (s->x.up) {
            int u = http_upload_feed(&s->x);
            if (u == 0) {
                s->req_start_ms = now ? now : 1; /* an upload times out when it stalls */
                break;
            }
            s->req_start_ms = 0;
            s->is_continue_sent = false;
            done++;
            if (u < 0) {
                close_after = true;
                break;
            }
            continue;
        }
        if (done == HTTP_PIPELINE_BURST || c->out.len + srv->resp.len > HTTP_OUT_PAUSE) {
            s->has_more = true;
            break;
        }
        struct http_req req;
        size_t used = 0;
        int status = 400;
        const char *text = NULL;
        int r = http_parse(&s->conn.in, &s->srv->chunk, &req, &used, &status, &text);
        char bdp[HTTP_URL_MAX + 1];
        struct str bpath;
        const struct endpoint *bep = req.headers_done && (r >= 0 || status == 413 || status == 400)
                                         ? body_route(srv, &req, &c->in, bdp, sizeof bdp, &bpath)
                                         : NULL;
        if (bep) {
            if (s->served++ > 0)
                srv->stats.keepalive_reuse++;
            if (http_upload_start(&s->x, srv, c, &req, bep, bpath, head_length(&c->in)) < 0) {
                close_after = true;
                break;
            }
            s->req_start_ms = now ? now : 1;
            continue;
        }
        if (r == 0) {
            if (!s->req_start_ms)
                s->req_start_ms = now ? now : 1;
            struct str expect = http_req_header(&req, "expect");
            if (req.headers_done && !s->is_continue_sent && str_contains(expect, "100-continue")) {
                buf_puts(&srv->resp, CONTINUE);
                s->is_continue_sent = true;
            }
            break;
        }
        if (r < 0) {
            if (status >= 500)
                srv->stats.errors_5xx++;
            else
                srv->stats.errors_4xx++;
            http_reply_error(&srv->resp, status, text, status == 405 ? ALLOW_ALL : NULL, false,
                             false);
            close_after = true;
            break;
        }
        handle(s, &req);
        buf_consume(&c->in, used);
        if (s->x.st) {
            s->req_start_ms = 0;
            conn_pause_read(c, true);
            if (srv->resp.len > 0)
                conn_send(c, srv->resp.p, srv->resp.len);
            buf_clear(&srv->resp);
            if (!c->is_closed)
                http_stream_pump(&s->x);
            return;
        }
        s->req_start_ms = 0;
        s->is_continue_sent = false;
        done++;
        if (!req.keep_alive) {
            close_after = true;
            break;
        }
    }
    if (srv->resp.len > 0 && !c->is_closed)
        conn_send(c, srv->resp.p, srv->resp.len);
    if (c->is_closed)
        return;
    if (close_after) {
        buf_clear(&c->in);
        s->has_more = false;
        conn_drain_close(c);
        return;
    }
    admit_touch(srv->admit, s->slot, now, c->in.len > 0 || c->out.len > 0);
    conn_pause_read(c, s->has_more);
    if (s->has_more && c->out.len <= HTTP_OUT_PAUSE)
        work_later(srv);
}

static int64_t on_work(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct http_server *srv = t->arg;
    bool again = false;
    for (size_t i = 0; i < srv->nsessions; i++) {
        struct http_session *s = &srv->sessions[i];
        if (!s->is_used || s->is_dead || !s->has_more || s->conn.out.len > HTTP_OUT_PAUSE)
            continue;
        pump(s);
        again |= s->is_used && !s->is_dead && s->has_more;
    }
    return again ? 0 : EV_DONE;
}

static void on_conn(struct conn *c, enum conn_event ev, void *arg)
{
    struct http_session *s = arg;
    struct http_server *srv = s->srv;
    switch (ev) {
    case CONN_EV_READ:
        if (!s->has_more)
            pump(s);
        break;
    case CONN_EV_DRAIN:
        if (s->x.st)
            http_stream_pump(&s->x);
        else if (s->has_more)
            pump(s);
        else
            admit_touch(srv->admit, s->slot, ev_now(srv->loop), c->in.len > 0);
        break;
    case CONN_EV_CLOSE:
        http_xfer_abort(&s->x);
        admit_release(srv->admit, s->slot);
        s->slot = -1;
        s->is_dead = true;
        s->has_more = false;
        sweep_later(srv);
        break;
    }
}

/* Frees closed sessions; answers 408 to requests that take too long; closes idle
 * keep-alive connections. */
static int64_t on_sweep(struct ev_loop *loop, struct ev_timer *t)
{
    struct http_server *srv = t->arg;
    uint64_t now = ev_now(loop);
    bool any = false;
    for (size_t i = 0; i < srv->nsessions; i++) {
        struct http_session *s = &srv->sessions[i];
        if (!s->is_used)
            continue;
        if (s->is_dead) {
            s->is_used = false;
            continue;
        }
        any = true;
        struct conn *c = &s->conn;
        if (c->is_draining)
            continue;
        if (s->req_start_ms && now - s->req_start_ms >= HTTP_REQUEST_TIMEOUT_MS) {
            srv->stats.timeouts_408++;
            char head[160];
            int n = snprintf(head, sizeof head,
                             "HTTP/1.1 408 Request Timeout\r\ncontent-length: 15\r\ncontent-type: "
                             "text/plain\r\nconnection: close\r\n\r\nRequest Timeout");
            buf_clear(&c->in);
            if (conn_send(c, head, (size_t)n) == 0)
                conn_drain_close(c);
        } else if (!s->req_start_ms && c->in.len == 0 && c->out.len == 0 &&
                   !http_xfer_busy(&s->x) && now - c->last_io_ms >= HTTP_KEEPALIVE_MS) {
            conn_close(c);
        }
    }
    return any ? SWEEP_MS : EV_DONE;
}

/* Evicted from the shared table to make room: close without a word. */
static void on_evict(void *owner)
{
    struct http_session *s = owner;
    s->slot = -1;
    s->srv->stats.evicted_idle++;
    conn_close(&s->conn);
}

static bool is_idle(const struct http_session *s)
{
    return s->is_used && !s->is_dead && !s->has_more && !s->req_start_ms &&
           !http_xfer_busy(&s->x) && s->conn.in.len == 0 && s->conn.out.len == 0 &&
           !s->conn.is_draining;
}

size_t http_count(const struct http_server *srv)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->nsessions; i++)
        n += srv->sessions[i].is_used && !srv->sessions[i].is_dead;
    return n;
}

/* At max_con: closes the HTTP client idle longest (at least HTTP_EVICT_IDLE_MS). */
static bool evict_idle(struct http_server *srv, uint64_t now)
{
    struct http_session *victim = NULL;
    for (size_t i = 0; i < srv->nsessions; i++) {
        struct http_session *s = &srv->sessions[i];
        if (is_idle(s) && now - s->conn.last_io_ms >= HTTP_EVICT_IDLE_MS &&
            (!victim || s->conn.last_io_ms < victim->conn.last_io_ms))
            victim = s;
    }
    if (!victim)
        return false;
    srv->stats.evicted_idle++;
    conn_close(&victim->conn);
    return true;
}

/* Opens a session for fd when there is room. Returns true when it took fd over. */
static bool try_open(void *owner, int fd, const char *peer)
{
    struct http_server *srv = owner;
    uint64_t now = ev_now(srv->loop);
    if (http_count(srv) >= srv->max_con && !evict_idle(srv, now))
        return false;
    struct http_session *s = NULL;
    for (size_t i = 0; i < srv->nsessions && !s; i++)
        if (!srv->sessions[i].is_used)
            s = &srv->sessions[i];
    if (!s)
        return false;
    int slot = admit_take(srv->admit, 'W', peer, now, on_evict, NULL);
    if (slot < 0)
        return false;
    memset(s, 0, sizeof *s);
    s->is_used = true;
    s->srv = srv;
    s->slot = slot;
    srv->admit->slots[slot].owner = s;
    if (conn_open(&s->conn, srv->loop, fd, peer, IN_MAX, HTTP_OUT_MAX, on_conn, s) < 0) {
        admit_release(srv->admit, slot);
        s->is_used = false;
        return true; /* conn_open closed fd */
    }
    srv->stats.accepted++;
    if (!srv->sweep_timer.is_active)
        ev_timer_start(srv->loop, &srv->sweep_timer, SWEEP_MS, on_sweep);
    return true;
}

/* No room after the wait: 503 with Retry-After (never micrOS's raw busy text). */
static void refuse_busy(void *owner, int fd)
{
    struct http_server *srv = owner;
    char scratch[4096];
    hal_sock_recv(fd, scratch, sizeof scratch); /* read the request so close sends no RST */
    int n = snprintf(scratch, sizeof scratch,
                     "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\nretry-after: "
                     "%d\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nService "
                     "Unavailable",
                     HTTP_RETRY_AFTER_S);
    hal_sock_send(fd, scratch, (size_t)n);
    hal_sock_close(fd);
    srv->stats.busy_503++;
    srv->admit->refused++;
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    struct http_server *srv = arg;
    for (int n = 0; n < 64; n++) {
        char peer[64];
        int cfd = hal_tcp_accept(srv->lfd, peer, sizeof peer);
        if (cfd == ERR_AGAIN)
            return;
        if (cfd < 0) {
            LOG_W("http: accept failed: %s", err_str(cfd));
            return;
        }
        if (try_open(srv, cfd, peer))
            continue;
        if (lobby_add(&srv->lobby, cfd, peer) < 0)
            refuse_busy(srv, cfd);
    }
}

int http_start(struct http_server *srv, struct node *node, struct admit *admit,
               struct endpoints *eps, const char *addr, uint16_t port, size_t max_con)
{
    memset(srv, 0, sizeof *srv);
    srv->node = node;
    srv->admit = admit;
    srv->loop = node->loop;
    srv->eps = eps;
    srv->lfd = -1;
    srv->max_con = max_con ? max_con : 1;
    srv->is_auth = cfg_get_bool(node->cfg, "auth");
    int64_t um = cfg_get_int(node->cfg, "upload_max");
    srv->upload_max = (uint64_t)(um > 0 ? um : 64) * 1024 * 1024;
    srv->sweep_timer.arg = srv;
    srv->sweep_timer.cb = on_sweep;
    srv->work_timer.arg = srv;
    srv->work_timer.cb = on_work;
    buf_init(&srv->body, HTTP_OUT_MAX);
    buf_init(&srv->resp, HTTP_OUT_MAX + 4096);
    buf_init(&srv->chunk, HTTP_BODY_MAX + 1);
    lobby_init(&srv->lobby, srv->loop, HTTP_BUSY_WAIT_MS, try_open, refuse_busy, srv);
    srv->nsessions = 2 * srv->max_con + 8;
    srv->sessions = calloc(srv->nsessions, sizeof *srv->sessions);
    srv->arena_mem = malloc(CMD_ARENA_SIZE);
    if (!srv->sessions || !srv->arena_mem) {
        http_stop(srv);
        return ERR_NOMEM;
    }
    arena_init(&srv->arena, srv->arena_mem, CMD_ARENA_SIZE);
    int lfd = hal_tcp_listen(addr, port, 128);
    if (lfd < 0) {
        http_stop(srv);
        return lfd;
    }
    srv->lfd = lfd;
    srv->port = hal_sock_port(lfd);
    int rc = ev_io_start(srv->loop, lfd, EV_READ, on_accept, srv);
    if (rc < 0) {
        http_stop(srv);
        return rc;
    }
    return 0;
}

void http_stop(struct http_server *srv)
{
    if (!srv->node)
        return;
    for (size_t i = 0; srv->sessions && i < srv->nsessions; i++) {
        struct http_session *s = &srv->sessions[i];
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
    ev_timer_stop(srv->loop, &srv->work_timer);
    free(srv->sessions);
    srv->sessions = NULL;
    free(srv->arena_mem);
    srv->arena_mem = NULL;
    buf_free(&srv->body);
    buf_free(&srv->resp);
    buf_free(&srv->chunk);
    srv->node = NULL;
}
