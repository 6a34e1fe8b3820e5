/* http_priv.h - shared between the files of the HTTP server (http*.c) only. */
#ifndef HTTP_PRIV_H
#define HTTP_PRIV_H

#include "../core/buf.h"
#include "../core/str.h"
#include "../svc/endpoint.h"
#include "conn.h"
#include "http.h"

#include <http_parser.h>
#include <stdbool.h>

/* One parsed request; every view points into the connection's input buffer (or, for a
 * chunked body, into srv->chunk). */
struct http_req {
    int method; /* enum http_method of http_parser */
    bool is_head;
    int major, minor;
    struct str url;   /* raw request target */
    struct str path;  /* raw path part of url (starts with '/') */
    struct str query; /* raw text after '?', without the fragment */
    struct endpoint_header hdr[HTTP_MAX_HEADERS];
    size_t nhdr;
    size_t hdr_bytes;
    bool in_value; /* the parser is inside a header value */
    struct str body;
    bool is_chunked_copy; /* body lives in srv->chunk */
    bool headers_done;
    bool complete;
    bool keep_alive;
    int error; /* a limit status (413, 414, 431, 505) found by a callback */
};

/* A transfer that outlives one pass over the input: an upload whose body streams to an
 * endpoint (endpoint_body_ops), or a reply that streams from one (endpoint_stream_ops).
 * Embedded in the session (net/http_body.c). */
struct http_xfer {
    struct http_server *srv;
    struct conn *conn;
    /* upload */
    const struct endpoint_body_ops *up;
    void *up_state;
    uint64_t left; /* body bytes still to come */
    bool up_keep_alive;
    /* streamed reply */
    const struct endpoint_stream_ops *st;
    void *st_state;
    int64_t out_left; /* content-length still to send, -1 = chunked or close-delimited */
    bool chunked;
    bool close_at_end;
    bool is_head;
    struct ev_timer timer;
    void (*done)(void *owner); /* the stream ended and the connection stays open */
    void *owner;
};

/* Starts an upload to ep (a POST with body ops) whose head (head_len bytes, already parsed
 * into req) opens c->in: checks framing, limits and auth, calls begin, consumes the head.
 * Returns 1 (started: feed it), or -1 (an error reply was appended to srv->resp: close). */
int http_upload_start(struct http_xfer *x, struct http_server *srv, struct conn *c,
                      const struct http_req *req, const struct endpoint *ep, struct str dpath,
                      size_t head_len);
/* Hands the body bytes waiting in c->in to the endpoint. Returns 0 (needs more), 1 (done:
 * the reply was appended to srv->resp; x->up_keep_alive says whether to go on) or -1 (an
 * error reply was appended: close after it). */
int http_upload_feed(struct http_xfer *x);
/* Appends the head of a streamed reply rep to srv->resp and arms x. done(owner) is called
 * when the stream ended and the connection stays open. */
void http_stream_start(struct http_xfer *x, struct http_server *srv, struct conn *c,
                       const struct http_req *req, struct endpoint_reply *rep, bool keep_alive,
                       void (*done)(void *owner), void *owner);
/* Sends more of a streamed reply (call when the connection drained). */
void http_stream_pump(struct http_xfer *x);
/* True while x holds an upload or a streamed reply. */
bool http_xfer_busy(const struct http_xfer *x);
/* Ends whatever x holds (the connection closed): the endpoint's close is called. */
void http_xfer_abort(struct http_xfer *x);

/* Returns the value of header name (lower-case), or a view with p NULL. */
struct str http_req_header(const struct http_req *req, const char *name);

/* Returns the reason phrase of status ("Not Found"). */
const char *http_status_text(int status);
/* Appends a whole response: status line, content-length (unless 304), the extra header
 * lines (already "name: value\r\n"), content-type (when not NULL), connection, then the
 * body unless is_head. Returns 0 or ERR_FULL/ERR_NOMEM. */
int http_reply(struct buf *out, int status, const char *content_type, const char *extra,
               const void *body, size_t len, bool keep_alive, bool is_head);
/* Appends an error response with a short text/plain body (text NULL = the reason phrase). */
int http_reply_error(struct buf *out, int status, const char *text, const char *extra,
                     bool keep_alive, bool is_head);
/* Returns the content type for a file name by its extension (COMPAT §3.1). */
const char *http_content_type(struct str name);

/* The parse state of one connection, kept between reads: only new input is parsed. */
struct http_pstate {
    http_parser p;
    struct http_req req;
    struct buf *chunk;  /* where a chunked body is joined (one per connection) */
    size_t fed;         /* bytes of the input already given to the parser */
    const char *base;   /* the input buffer's address when they were given */
    bool is_active;     /* a request is under way */
    uint64_t parsed;    /* bytes given to the parser on this connection, ever */
    bool is_post_pause; /* stop after the head of every POST (the server routes it first) */
    bool is_paused;     /* stopped there: head_len is known, the body is not parsed yet */
    size_t head_len;    /* bytes of the paused request's head (through the empty line) */
};

/* Prepares ps; chunk joins chunked bodies (it must not be shared between connections). */
void http_pstate_init(struct http_pstate *ps, struct buf *chunk);
/* Forgets the request under way (the input was cleared). */
void http_pstate_reset(struct http_pstate *ps);
/* Parses what arrived since the last call at the start of in (same rules and results as
 * http_parse; *req points into ps). After a result other than 0 the next call starts a new
 * request at in's start (the caller consumes *used bytes first). With ps->is_post_pause set,
 * a POST stops after its head: 0 with ps->is_paused and ps->head_len; the caller either takes
 * the body itself (then http_pstate_reset) or calls again to have it parsed here. */
int http_parse_more(struct http_pstate *ps, struct buf *in, struct http_req **req, size_t *used,
                    int *status, const char **text);
/* Parses the next request at the start of in (header names are lower-cased in place; a
 * chunked body is joined in chunk). Returns 1 (complete, *used bytes long), 0 (needs more
 * input) or -1 (*status and *text, NULL = the reason phrase, describe the error to answer). */
int http_parse(struct buf *in, struct buf *chunk, struct http_req *req, size_t *used, int *status,
               const char **text);
/* Splits req->url into req->path and req->query (absolute-form URLs lose their authority).
 * Returns false when the target is neither origin- nor absolute-form. */
bool http_split_url(struct http_req *req);

/* True when a decoded path may be served: no ".." segment, no NUL, no backslash. */
bool http_path_is_safe(struct str p);

/* Answers GET/HEAD /rest[/...] (path = the URL path after "/rest") for the client at peer
 * ("ip:port": the pwd= back-off of sudo functions). Appends the response to srv->resp. */
void http_rest(struct http_server *srv, const struct http_req *req, struct str path,
               bool keep_alive, const char *peer);
/* Answers a GET/HEAD for a static file (dpath = percent-decoded path without the leading
 * '/'). Appends the response to srv->resp. */
void http_static(struct http_server *srv, const struct http_req *req, struct str dpath,
                 bool keep_alive);

#endif
