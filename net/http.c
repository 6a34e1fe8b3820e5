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
#include "server.h"
#include "rest_path.h"

#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_MAX    (HTTP_URL_MAX + HTTP_HEADER_MAX + HTTP_BODY_MAX + 8192)
#define ALLOW_ALL "allow: GET, HEAD, POST, DELETE\r\n"
#define CONTINUE  "HTTP/1.1 100 Continue\r\n\r\n"

struct http_session {
    struct server_sess b; /* first: the server's part */
    struct http_server *srv;
    bool has_more;         /* complete requests may still wait in the input */
    bool is_continue_sent; /* "100 Continue" answered for the current request */
    uint64_t req_start_ms; /* when the current incomplete request began, 0 = none */
    uint64_t served;       /* requests answered on this connection */
    struct http_pstate ps; /* the request under way, parsed incrementally */
    struct buf chunk;      /* its chunked body, joined */
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
    conn_pause_read(&s->b.conn, false);
    server_touch(&s->b, s->b.conn.in.len > 0);
    if (s->b.conn.in.len > 0)
        pump(s);
}

static void call_endpoint(struct http_session *s, const struct http_req *req,
                          const struct endpoint *ep, unsigned method, struct str dpath,
                          bool keep_alive, const char *peer)
{
    struct http_server *srv = s->srv;
    struct endpoint_req er = {
        .peer = peer,
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
        http_stream_start(&s->x, srv, &s->b.conn, req, &rep, keep_alive, stream_done, s);
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
        .peer = s->b.conn.peer,
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
        http_stream_start(&s->x, srv, &s->b.conn, req, &rep, keep_alive, stream_done, s);
    else
        http_reply(&srv->resp, rep.status, rep.content_type, rep.headers, srv->body.p,
                   srv->body.len, keep_alive, req->is_head);
    return true;
}

/* The endpoint a POST whose head is in req (the parser stopped before its body, header names
 * already lower-cased) streams its body to, or NULL (dp: scratch for the decoded path). */
static const struct endpoint *body_route(struct http_server *srv, struct http_req *req,
                                         const struct buf *in, char *dp, size_t cap,
                                         struct str *dpath)
{
    if (!srv->eps || in->len < 5 || memcmp(in->p, "POST ", 5) != 0 || !http_split_url(req))
        return NULL;
    int dn = rest_pct_decode(req->path, dp, cap);
    if (dn <= 1)
        return NULL;
    *dpath = (struct str){dp + 1, (size_t)dn - 1};
    if (!http_path_is_safe(*dpath))
        return NULL;
    const struct endpoint *ep = endpoint_find(srv->eps, *dpath);
    return ep && ep->body ? ep : NULL;
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
        http_rest(srv, req, str_from(path, 5), ka, s->b.conn.peer);
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
        call_endpoint(s, req, ep, method, dpath, ka, s->b.conn.peer);
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

static void work_later(struct http_server *srv)
{
    if (!srv->work_timer.is_active)
        ev_timer_start(srv->loop, &srv->work_timer, 0, srv->work_timer.cb);
}

/* Answers the complete requests waiting in the input (at most the pass budget's share) and
 * feeds an upload under way. */
static void pump(struct http_session *s)
{
    struct http_server *srv = s->srv;
    struct conn *c = &s->b.conn;
    uint64_t now = ev_now(srv->loop);
    bool close_after = false;
    int done = 0;
    /* Connections with requests waiting share a budget per loop pass: with many of them each
     * gets fewer requests per turn (at least one), so a crowd of pipelining clients cannot
     * keep the loop from accepting, and a newcomer's request waits one pass at most. */
    size_t backlog = srv->backlog > 0 ? srv->backlog : 1;
    int burst = (int)(HTTP_PASS_BUDGET / backlog);
    burst = burst < 1 ? 1 : burst > HTTP_PIPELINE_BURST ? HTTP_PIPELINE_BURST : burst;
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
            http_pstate_reset(&s->ps);
            done++;
            if (u < 0) {
                close_after = true;
                break;
            }
            continue;
        }
        if (done == burst || c->out.len + srv->resp.len > HTTP_OUT_PAUSE) {
            s->has_more = true;
            break;
        }
        struct http_req *rq = NULL;
        size_t used = 0;
        int status = 400;
        const char *text = NULL;
        uint64_t parsed = s->ps.parsed;
        s->ps.is_post_pause = true;
        int r = http_parse_more(&s->ps, &s->b.conn.in, &rq, &used, &status, &text);
        if (r == 0 && s->ps.is_paused) {
            /* A POST's head is complete and its body not parsed: a streaming-body endpoint
             * takes the body straight from the input; any other goes on parsing it. */
            char bdp[HTTP_URL_MAX + 1];
            struct str bpath;
            const struct endpoint *bep = body_route(srv, rq, &c->in, bdp, sizeof bdp, &bpath);
            if (bep) {
                srv->stats.parsed_bytes += s->ps.parsed - parsed;
                size_t head_len = s->ps.head_len;
                http_pstate_reset(&s->ps);
                if (s->served++ > 0)
                    srv->stats.keepalive_reuse++;
                if (http_upload_start(&s->x, srv, c, rq, bep, bpath, head_len) < 0) {
                    close_after = true;
                    break;
                }
                s->req_start_ms = now ? now : 1;
                continue;
            }
            r = http_parse_more(&s->ps, &s->b.conn.in, &rq, &used, &status, &text);
        }
        srv->stats.parsed_bytes += s->ps.parsed - parsed;
        struct http_req req = *rq;
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
            server_touch(&s->b, true);
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
        http_pstate_reset(&s->ps);
        s->has_more = false;
        conn_drain_close(c);
        return;
    }
    server_touch(&s->b, c->out.len > 0 || s->has_more || http_xfer_busy(&s->x));
    conn_pause_read(c, s->has_more);
    if (s->has_more && c->out.len <= HTTP_OUT_PAUSE)
        work_later(srv);
}

static int64_t on_work(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct http_server *srv = t->arg;
    bool again = false;
    size_t n = srv->node ? srv->srv.nsessions : 0;
    size_t backlog = 0;
    for (size_t i = 0; i < n; i++) {
        struct http_session *s = (struct http_session *)server_sess_at(&srv->srv, i);
        backlog += server_sess_is_live(&s->b) && s->has_more;
    }
    srv->backlog = backlog;
    for (size_t i = 0; i < n; i++) {
        struct http_session *s = (struct http_session *)server_sess_at(&srv->srv, i);
        if (!server_sess_is_live(&s->b) || !s->has_more || s->b.conn.out.len > HTTP_OUT_PAUSE)
            continue;
        pump(s);
        again |= server_sess_is_live(&s->b) && s->has_more;
    }
    return again ? 0 : EV_DONE;
}

/* --- the server's callbacks --- */

static void on_open(struct server_sess *b)
{
    struct http_session *s = (struct http_session *)b;
    s->srv = server_owner(b->srv);
    s->srv->stats.accepted++;
    buf_init(&s->chunk, HTTP_BODY_MAX + 1);
    http_pstate_init(&s->ps, &s->chunk);
}

static void on_data(struct server_sess *b)
{
    struct http_session *s = (struct http_session *)b;
    if (!s->has_more)
        pump(s);
}

static void on_drain(struct server_sess *b)
{
    struct http_session *s = (struct http_session *)b;
    if (s->x.st) {
        server_touch(b, true);
        http_stream_pump(&s->x);
    } else if (s->has_more)
        work_later(s->srv); /* not here: the end-of-pass flush must stay short */
    else
        server_touch(b, false);
}

static void on_close(struct server_sess *b)
{
    struct http_session *s = (struct http_session *)b;
    s->has_more = false;
    http_xfer_abort(&s->x);
    buf_free(&s->chunk);
}

/* A config key in ms, or def without a config. */
static uint64_t cfg_ms(const struct http_server *srv, enum cfg_key_id key, uint64_t def)
{
    int64_t v = srv->node && srv->node->cfg ? cfg_get_int(srv->node->cfg, key) : 0;
    return v > 0 ? (uint64_t)v : def;
}

/* A connection silent since it opened is closed after http_first_ms; a request whose head is
 * not complete http_head_ms after its first byte, or that is not complete at all
 * HTTP_REQUEST_TIMEOUT_MS after it (an upload: without progress), is answered 408 and the
 * connection closed. Short head deadlines free the places slowloris clients hold: a browser
 * or client on a LAN sends its whole head in one write, within milliseconds. */
static void on_tick(struct server_sess *b, uint64_t now)
{
    struct http_session *s = (struct http_session *)b;
    struct conn *c = &b->conn;
    if (c->bytes_in == 0 &&
        now - c->last_io_ms >= cfg_ms(s->srv, CFG_K_http_first_ms, HTTP_FIRST_BYTE_MS)) {
        conn_close(c); /* connected and silent: nothing to answer */
        return;
    }
    if (!s->req_start_ms)
        return;
    bool is_head_done = s->x.up || s->ps.req.headers_done || s->ps.is_paused;
    uint64_t limit =
        is_head_done ? HTTP_REQUEST_TIMEOUT_MS : cfg_ms(s->srv, CFG_K_http_head_ms, HTTP_HEAD_MS);
    if (now - s->req_start_ms < limit)
        return;

    s->srv->stats.timeouts_408++;
    static const char head[] =
        "HTTP/1.1 408 Request Timeout\r\ncontent-length: 15\r\ncontent-type: "
        "text/plain\r\nconnection: close\r\n\r\nRequest Timeout";
    buf_clear(&c->in);
    http_pstate_reset(&s->ps);
    if (conn_send(c, head, sizeof head - 1) == 0)
        conn_drain_close(c);
}

size_t http_count(const struct http_server *srv)
{
    return srv->node ? server_count(&srv->srv) : 0;
}

/* No room after the wait: 503 with Retry-After (never micrOS's raw busy text). */
static void refuse_busy(struct server *server, int fd)
{
    struct http_server *srv = server_owner(server);
    char scratch[4096];
    hal_sock_recv(fd, scratch, sizeof scratch); /* read the request so close sends no RST */
    int n = snprintf(scratch, sizeof scratch,
                     "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\nretry-after: "
                     "%d\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nService "
                     "Unavailable",
                     HTTP_RETRY_AFTER_S);
    hal_sock_send(fd, scratch, (size_t)n);
    srv->stats.busy_503++;
}

static const struct server_proto s_proto = {
    .name = "http",
    .kind = 'W',
    .sess_size = sizeof(struct http_session),
    .in_max = IN_MAX,
    .out_max = HTTP_OUT_MAX,
    .busy_wait_ms = HTTP_BUSY_WAIT_MS,
    .evict_idle_ms = HTTP_EVICT_IDLE_MS,
    .idle_close_ms = HTTP_KEEPALIVE_MS,
    .is_client_first = true,
    .open = on_open,
    .data = on_data,
    .drain = on_drain,
    .close = on_close,
    .tick = on_tick,
    .refuse = refuse_busy,
};

int http_start(struct http_server *srv, struct node *node, struct admit *admit,
               struct endpoints *eps, const char *addr, uint16_t port, size_t max_con)
{
    memset(srv, 0, sizeof *srv);
    srv->node = node;
    srv->admit = admit;
    srv->loop = node->loop;
    srv->eps = eps;
    srv->max_con = max_con ? max_con : 1;
    srv->is_auth = cfg_get_bool(node->cfg, CFG_K_auth);
    int64_t um = cfg_get_int(node->cfg, CFG_K_upload_max);
    srv->upload_max = (uint64_t)(um > 0 ? um : 64) * 1024 * 1024;
    srv->work_timer.arg = srv;
    srv->work_timer.cb = on_work;
    buf_init(&srv->body, HTTP_OUT_MAX);
    buf_init(&srv->resp, HTTP_OUT_MAX + 4096);
    buf_init(&srv->chunk, HTTP_BODY_MAX + 1);
    srv->arena_mem = malloc(CMD_ARENA_SIZE);
    if (!srv->arena_mem) {
        http_stop(srv);
        return ERR_NOMEM;
    }
    arena_init(&srv->arena, srv->arena_mem, CMD_ARENA_SIZE);
    int rc = server_start(&srv->srv, &s_proto, srv, srv->loop, admit, addr, port, srv->max_con);
    if (rc < 0) {
        http_stop(srv);
        return rc;
    }
    srv->port = srv->srv.port;
    return 0;
}

void http_stop(struct http_server *srv)
{
    if (!srv->node)
        return;
    LOG_I("http: %llu requests, %llu bytes parsed", (unsigned long long)srv->stats.requests,
          (unsigned long long)srv->stats.parsed_bytes);
    server_stop(&srv->srv);
    ev_timer_stop(srv->loop, &srv->work_timer);
    free(srv->arena_mem);
    srv->arena_mem = NULL;
    buf_free(&srv->body);
    buf_free(&srv->resp);
    buf_free(&srv->chunk);
    srv->node = NULL;
}
