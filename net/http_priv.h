/* http_priv.h - shared between the files of the HTTP server (http*.c) only. */
#ifndef HTTP_PRIV_H
#define HTTP_PRIV_H

#include "../core/buf.h"
#include "../core/str.h"
#include "../svc/endpoint.h"
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
    struct buf *chunk; /* where a chunked body is joined (one per connection) */
    size_t fed;        /* bytes of the input already given to the parser */
    const char *base;  /* the input buffer's address when they were given */
    bool is_active;    /* a request is under way */
    uint64_t parsed;   /* bytes given to the parser on this connection, ever */
};

/* Prepares ps; chunk joins chunked bodies (it must not be shared between connections). */
void http_pstate_init(struct http_pstate *ps, struct buf *chunk);
/* Forgets the request under way (the input was cleared). */
void http_pstate_reset(struct http_pstate *ps);
/* Parses what arrived since the last call at the start of in (same rules and results as
 * http_parse; *req points into ps). After a result other than 0 the next call starts a new
 * request at in's start (the caller consumes *used bytes first). */
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

/* Answers GET/HEAD /rest[/...] (path = the URL path after "/rest"). Appends the response to
 * srv->resp. */
void http_rest(struct http_server *srv, const struct http_req *req, struct str path,
               bool keep_alive);
/* Answers a GET/HEAD for a static file (dpath = percent-decoded path without the leading
 * '/'). Appends the response to srv->resp. */
void http_static(struct http_server *srv, const struct http_req *req, struct str dpath,
                 bool keep_alive);

#endif
