/* http_body.c - request bodies that stream to an endpoint (uploads) and replies that stream
 * from one (downloads, chunked, multipart/x-mixed-replace). Memory stays constant: the body
 * passes through the connection's input buffer piece by piece, a reply is produced as the
 * client takes it. */
#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "http_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTINUE      "HTTP/1.1 100 Continue\r\n\r\n"
#define STREAM_PIECE  (64 * 1024)  /* asked from a stream per call */
#define STREAM_ROUND  (512 * 1024) /* sent per event before giving others a turn */
#define STREAM_QUEUED (128 * 1024) /* wait for the client to take this much first */

bool http_xfer_busy(const struct http_xfer *x)
{
    return x->up || x->st;
}

/* Parses a content-length value. Returns false when it is not a plain decimal number. */
static bool parse_len(struct str v, uint64_t *out)
{
    v = str_trim(v);
    if (v.len == 0 || v.len > 19)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    *out = n;
    return true;
}

static bool wants_keep_alive(const struct http_req *req)
{
    struct str c = http_req_header(req, "connection");
    /* req->minor: the version is known once the head was parsed */
    if (req->minor == 0)
        return str_contains(c, "keep-alive") || str_contains(c, "Keep-Alive");
    return !(str_contains(c, "close") || str_contains(c, "Close"));
}

static void reply_rep(struct http_server *srv, const struct endpoint_reply *rep, bool ka)
{
    if (rep->status >= 500)
        srv->stats.errors_5xx++;
    else if (rep->status >= 400)
        srv->stats.errors_4xx++;
    http_reply(&srv->resp, rep->status, rep->content_type, rep->headers, srv->body.p, srv->body.len,
               ka, false);
}

static int refuse(struct http_server *srv, int status, const char *text, const char *extra)
{
    if (status >= 500)
        srv->stats.errors_5xx++;
    else
        srv->stats.errors_4xx++;
    srv->stats.upload_refused++;
    http_reply_error(&srv->resp, status, text, extra, false, false);
    return -1;
}

int http_upload_start(struct http_xfer *x, struct http_server *srv, struct conn *c,
                      const struct http_req *req, const struct endpoint *ep, struct str dpath,
                      size_t head_len)
{
    srv->stats.requests++;
    uint64_t len = 0;
    struct str te = http_req_header(req, "transfer-encoding");
    struct str cl = http_req_header(req, "content-length");
    if (te.p)
        return refuse(srv, 411, "Uploads need a content-length (no chunked bodies)", NULL);
    if (cl.p && !parse_len(cl, &len))
        return refuse(srv, 400, "Bad request", NULL);
    if (len > srv->upload_max) {
        char t[96];
        snprintf(t, sizeof t, "Upload too large: %llu bytes, limit %llu (upload_max)",
                 (unsigned long long)len, (unsigned long long)srv->upload_max);
        LOG_W("http: %s from %s", t, c->peer);
        srv->stats.upload_refused++;
        srv->stats.errors_4xx++;
        http_reply_error(&srv->resp, 413, t, NULL, false, false);
        return -1;
    }
    if (srv->uploads >= HTTP_UPLOADS_MAX) {
        char ra[48];
        snprintf(ra, sizeof ra, "retry-after: %d\r\n", HTTP_RETRY_AFTER_S);
        return refuse(srv, 503, "Too many uploads at once, try again", ra);
    }
    struct endpoint_req er = {
        .peer = c->peer,
        .method = EP_POST,
        .path = dpath,
        .query = req->query,
        .headers = req->hdr,
        .nheaders = req->nhdr,
        .body = STR_LIT(""),
    };
    buf_clear(&srv->body);
    struct endpoint_reply rep = {.status = 200, .content_type = "text/plain", .body = &srv->body};
    if (!endpoint_allowed(srv->node, ep, &er, &rep)) {
        reply_rep(srv, &rep, false);
        return -1;
    }
    void *state = NULL;
    int rc = ep->body->begin(srv->node, &er, len, &state, &rep, ep->body_arg);
    if (rc != 0) {
        if (rc < 0) {
            buf_clear(&srv->body);
            return refuse(srv, 500, NULL, NULL);
        }
        if (state)
            ep->body->close(state);
        reply_rep(srv, &rep, false);
        return -1;
    }
    if (str_contains(http_req_header(req, "expect"), "100-continue"))
        buf_puts(&srv->resp, CONTINUE);
    memset(x, 0, sizeof *x);
    x->srv = srv;
    x->conn = c;
    x->up = ep->body;
    x->up_state = state;
    x->left = len;
    x->up_keep_alive = wants_keep_alive(req);
    buf_consume(&c->in, head_len);
    srv->uploads++;
    srv->stats.uploads++;
    return 1;
}

static void upload_end(struct http_xfer *x)
{
    x->up->close(x->up_state);
    x->up = NULL;
    x->up_state = NULL;
    x->srv->uploads--;
}

int http_upload_feed(struct http_xfer *x)
{
    struct http_server *srv = x->srv;
    struct conn *c = x->conn;
    buf_clear(&srv->body);
    struct endpoint_reply rep = {.status = 200, .content_type = "text/plain", .body = &srv->body};
    size_t n = c->in.len < x->left ? c->in.len : (size_t)x->left;
    if (n > 0) {
        int rc = x->up->data(x->up_state, c->in.p, n, &rep);
        buf_consume(&c->in, n);
        x->left -= n;
        srv->stats.upload_bytes += n;
        if (rc != 0) {
            upload_end(x);
            if (rc < 0)
                return refuse(srv, 500, NULL, NULL);
            reply_rep(srv, &rep, false);
            return -1;
        }
    }
    if (x->left > 0)
        return 0;
    int rc = x->up->end(x->up_state, &rep);
    upload_end(x);
    if (rc < 0)
        return refuse(srv, 500, NULL, NULL);
    reply_rep(srv, &rep, x->up_keep_alive && rep.status < 400);
    return rep.status < 400 && x->up_keep_alive ? 1 : -1;
}

/* --- streamed replies --- */

static void stream_end(struct http_xfer *x)
{
    ev_timer_stop(x->srv->loop, &x->timer);
    if (x->st)
        x->st->close(x->st_state);
    x->st = NULL;
    x->st_state = NULL;
}

void http_xfer_abort(struct http_xfer *x)
{
    if (x->up)
        upload_end(x);
    if (x->st)
        stream_end(x);
}

static int64_t on_stream_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    http_stream_pump(t->arg);
    return EV_DONE;
}

void http_stream_start(struct http_xfer *x, struct http_server *srv, struct conn *c,
                       const struct http_req *req, struct endpoint_reply *rep, bool keep_alive,
                       void (*done)(void *owner), void *owner)
{
    memset(x, 0, sizeof *x);
    x->srv = srv;
    x->conn = c;
    x->st = rep->stream;
    x->st_state = rep->stream_state;
    x->out_left = rep->stream_len;
    x->is_head = req->is_head;
    x->done = done;
    x->owner = owner;
    x->timer.arg = x;
    x->timer.cb = on_stream_timer;
    struct buf *o = &srv->resp;
    buf_printf(o, "HTTP/1.1 %d %s\r\n", rep->status, http_status_text(rep->status));
    if (rep->stream_len >= 0) {
        buf_printf(o, "content-length: %lld\r\n", (long long)rep->stream_len);
    } else if (req->minor >= 1) {
        x->chunked = true;
        buf_puts(o, "transfer-encoding: chunked\r\n");
    } else {
        keep_alive = false; /* HTTP/1.0: the end of the body is the end of the connection */
    }
    if (rep->headers)
        buf_puts(o, rep->headers);
    if (rep->content_type)
        buf_printf(o, "content-type: %s\r\n", rep->content_type);
    buf_puts(o, keep_alive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n");
    x->close_at_end = !keep_alive;
    if (x->is_head) {
        x->out_left = 0;
        x->chunked = false;
    }
}

static void stream_finish(struct http_xfer *x)
{
    struct conn *c = x->conn;
    if (x->chunked)
        conn_send(c, "0\r\n\r\n", 5);
    bool close = x->close_at_end || x->out_left > 0; /* a short stream cannot keep framing */
    stream_end(x);
    if (c->is_closed)
        return;
    if (close)
        conn_drain_close(c);
    else if (x->done)
        x->done(x->owner);
}

void http_stream_pump(struct http_xfer *x)
{
    struct conn *c = x->conn;
    struct http_server *srv = x->srv;
    size_t round = 0;
    while (x->st && !c->is_closed && c->out.len < STREAM_QUEUED) {
        if (x->is_head || x->out_left == 0) {
            stream_finish(x);
            return;
        }
        if (round >= STREAM_ROUND) {
            ev_timer_start(srv->loop, &x->timer, 0, on_stream_timer);
            return;
        }
        size_t want = STREAM_PIECE;
        if (x->out_left > 0 && (uint64_t)x->out_left < want)
            want = (size_t)x->out_left;
        buf_clear(&srv->body);
        uint32_t again = 100;
        int r = x->st->next(x->st_state, &srv->body, want, &again);
        if (r < 0) {
            stream_finish(x);
            return;
        }
        if (r == 0 || srv->body.len == 0) {
            ev_timer_start(srv->loop, &x->timer, again, on_stream_timer);
            return;
        }
        size_t n = srv->body.len;
        if (x->out_left > 0) {
            if ((uint64_t)n > (uint64_t)x->out_left)
                n = (size_t)x->out_left;
            x->out_left -= (int64_t)n;
        }
        if (x->chunked) {
            char h[24];
            int w = snprintf(h, sizeof h, "%zx\r\n", n);
            conn_send(c, h, (size_t)w);
        }
        conn_send(c, srv->body.p, n);
        if (x->chunked)
            conn_send(c, "\r\n", 2);
        round += n;
    }
}
