/* http_parse.c - WebCli request parsing (http_parser callbacks, limits and their statuses),
 * request-target splitting and the served-path check: pure functions on a buffer, so the
 * fuzz target tests/fuzz/fuzz_http.c drives exactly what the server runs. */
#include "../core/err.h"
#include "http_priv.h"

#include <http_parser.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* --- parsing: incremental. The parser state lives in struct http_pstate between reads and
 *     only new bytes are fed; every view points into the connection's contiguous input
 *     buffer, and is moved when that buffer moves (it grows by realloc) --- */

#define pctx http_pstate

static struct http_req *req_of(http_parser *p)
{
    return &((struct pctx *)p->data)->req;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);
    if (!r->url.p)
        r->url.p = at;
    r->url.len += len;
    if (r->url.len > HTTP_URL_MAX) {
        r->error = 414;
        return -1;
    }
    return 0;
}

static int add_header_bytes(struct http_req *r, size_t len)
{
    r->hdr_bytes += len;
    if (r->hdr_bytes > HTTP_HEADER_MAX) {
        r->error = 431;
        return -1;
    }
    return 0;
}

/* True when the head before in[fed] (after the request line) is already over a limit: more
 * than HTTP_HEADER_MAX bytes, or a line begun past HTTP_MAX_HEADERS header lines. http_parser
 * hands a header span to its callback only when the span ends (or the input does), so a head
 * that is both too long and malformed would be 431 or 400 depending on where the input was
 * split; on a parse error this rule decides, the same way for every split (fuzz_http_stream).
 * It is true whenever the callbacks' own limits (add_header_bytes, on_header_field) fired. */
static bool head_over_limit(const struct buf *in, size_t fed)
{
    const char *nl = fed ? memchr(in->p, '\n', fed) : NULL;
    if (!nl)
        return false;
    const char *end = in->p + fed;
    if ((size_t)(end - (nl + 1)) > HTTP_HEADER_MAX)
        return true;
    size_t lines = 0; /* newlines after the request line's */
    for (const char *q = nl + 1; q < end; q++)
        lines += *q == '\n';
    return lines >= HTTP_MAX_HEADERS;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);
    if (r->headers_done) /* a trailer of a chunked body: counted, never a header */
        return add_header_bytes(r, len);
    if (r->nhdr == 0 || r->in_value) {
        if (r->nhdr == HTTP_MAX_HEADERS) {
            r->error = 431;
            return -1;
        }
        r->hdr[r->nhdr].name = (struct str){at, 0};
        r->hdr[r->nhdr].value = (struct str){at, 0};
        r->nhdr++;
        r->in_value = false;
    }
    r->hdr[r->nhdr - 1].name.len += len;
    return add_header_bytes(r, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_req *r = req_of(p);
    if (r->headers_done)
        return add_header_bytes(r, len);
    struct endpoint_header *h = &r->hdr[r->nhdr - 1];
    if (!r->in_value) {
        h->value = (struct str){at, 0};
        r->in_value = true;
    }
    h->value.len += len;
    return add_header_bytes(r, len);
}

static int on_headers_complete(http_parser *p)
{
    struct http_req *r = req_of(p);
    r->headers_done = true;
    r->major = p->http_major;
    r->minor = p->http_minor;
    if (p->http_major != 1) {
        /* "GET /rest" (no version) parses as HTTP/0.9: micrOS calls that a bad request */
        r->error = p->http_major == 0 && p->http_minor == 9 ? 400 : 505;
        return -1;
    }
    /* Header names are case-insensitive: lower-case them in place (micrOS does too). */
    for (size_t i = 0; i < r->nhdr; i++) {
        char *n = (char *)r->hdr[i].name.p;
        for (size_t k = 0; k < r->hdr[i].name.len; k++)
            if (n[k] >= 'A' && n[k] <= 'Z')
                n[k] = (char)(n[k] - 'A' + 'a');
        r->hdr[i].value = str_trim(r->hdr[i].value);
    }
    struct pctx *pc = p->data;
    if (pc->is_post_pause && p->method == HTTP_POST) {
        /* Stop before the body: the caller decides whether it streams to an endpoint (then
         * the parser never sees it) or is parsed here (the limit is checked on resume). */
        r->method = (int)p->method;
        pc->is_paused = true;
        http_parser_pause(p, 1);
        return 0;
    }
    if (p->content_length != ULLONG_MAX && p->content_length > HTTP_BODY_MAX) {
        r->error = 413;
        return -1;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct pctx *pc = p->data;
    struct http_req *r = &pc->req;
    if (!r->body.p) {
        r->body = (struct str){at, len};
    } else if (!r->is_chunked_copy && r->body.p + r->body.len == at) {
        r->body.len += len;
    } else {
        /* chunked: join the pieces in the server's chunk buffer */
        if (!r->is_chunked_copy) {
            buf_clear(pc->chunk);
            if (buf_append(pc->chunk, r->body.p, r->body.len) < 0)
                goto too_big;
            r->is_chunked_copy = true;
        }
        if (buf_append(pc->chunk, at, len) < 0)
            goto too_big;
        r->body = (struct str){pc->chunk->p, pc->chunk->len};
    }
    if (r->body.len <= HTTP_BODY_MAX)
        return 0;
too_big:
    r->error = 413;
    return -1;
}

static int on_message_complete(http_parser *p)
{
    struct http_req *r = req_of(p);
    r->complete = true;
    r->keep_alive = http_should_keep_alive(p) != 0;
    r->method = (int)p->method;
    r->is_head = p->method == HTTP_HEAD;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings s_settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* True when the request starts with a word of letters: an unknown method, not garbage. */
static bool starts_with_word(const struct buf *in)
{
    size_t i = 0;
    while (i < in->len && i < 24 &&
           ((in->p[i] >= 'A' && in->p[i] <= 'Z') || (in->p[i] >= 'a' && in->p[i] <= 'z')))
        i++;
    return i > 0 && i < in->len && in->p[i] == ' ';
}

void http_pstate_init(struct http_pstate *ps, struct buf *chunk)
{
    memset(ps, 0, sizeof *ps);
    ps->chunk = chunk;
}

void http_pstate_reset(struct http_pstate *ps)
{
    ps->is_active = false;
}

/* Moves a view from the old input buffer to the new one (same offset). */
static void move_view(struct str *v, const char *old, const char *now)
{
    if (v->p)
        v->p = now + ((uintptr_t)v->p - (uintptr_t)old);
}

/* The input buffer moved (realloc): every view into it follows. */
static void rebase(struct http_pstate *ps, const char *now)
{
    struct http_req *r = &ps->req;
    move_view(&r->url, ps->base, now);
    for (size_t i = 0; i < r->nhdr; i++) {
        move_view(&r->hdr[i].name, ps->base, now);
        move_view(&r->hdr[i].value, ps->base, now);
    }
    if (!r->is_chunked_copy)
        move_view(&r->body, ps->base, now);
    ps->base = now;
}

/* True when the input holds enough to tell a method word from garbage (starts_with_word). */
static bool method_word_known(const struct buf *in)
{
    size_t i = 0;
    while (i < in->len && i < 24 &&
           ((in->p[i] >= 'A' && in->p[i] <= 'Z') || (in->p[i] >= 'a' && in->p[i] <= 'z')))
        i++;
    return i < in->len;
}

int http_parse_more(struct http_pstate *ps, struct buf *in, struct http_req **out, size_t *used,
                    int *status, const char **text)
{
    struct http_req *req = &ps->req;
    *out = req;
    *text = NULL;
    if (!ps->is_active || ps->fed > in->len) {
        memset(req, 0, sizeof *req);
        http_parser_init(&ps->p, HTTP_REQUEST);
        ps->p.data = ps;
        ps->fed = 0;
        ps->base = in->p;
        ps->is_active = true;
        ps->is_paused = false;
        ps->head_len = 0;
    } else if (in->p != ps->base) {
        rebase(ps, in->p);
    }
    if (ps->is_paused) {
        /* resumed after the head of a POST: its body is parsed here, within the limit */
        ps->is_paused = false;
        http_parser_pause(&ps->p, 0);
        if (ps->p.content_length != ULLONG_MAX && ps->p.content_length > HTTP_BODY_MAX) {
            ps->is_active = false;
            *status = 413;
            return -1;
        }
    }
    size_t n = ps->fed < in->len
                   ? http_parser_execute(&ps->p, &s_settings, in->p + ps->fed, in->len - ps->fed)
                   : 0;
    ps->fed += n;
    ps->parsed += n;
    enum http_errno e = HTTP_PARSER_ERRNO(&ps->p);
    if (req->complete) {
        *used = ps->fed;
        ps->is_active = false;
        return 1;
    }
    if (e == HPE_PAUSED && ps->is_paused) {
        /* the parser stopped on the head's last '\n' (it is parsed again on resume) */
        ps->head_len = ps->fed + 1;
        return 0;
    }
    if (e == HPE_OK) {
        if (req->headers_done)
            return 0;
        bool has_line = memchr(in->p, '\n', in->len) != NULL;
        if (!has_line && in->len > HTTP_URL_MAX) {
            *status = 414;
            ps->is_active = false;
            return -1;
        }
        if (in->len > HTTP_URL_MAX + HTTP_HEADER_MAX) {
            *status = 431;
            ps->is_active = false;
            return -1;
        }
        return 0;
    }
    ps->is_active = false;
    if (e == HPE_INVALID_METHOD && !req->error && !method_word_known(in))
        return 0; /* 400 or 405 depends on bytes not here yet: decide when they are */
    if (!req->error && !req->headers_done && head_over_limit(in, ps->fed))
        req->error = 431;
    if (req->error) {
        *status = req->error;
        *text = req->error == 400 ? "Bad request" : NULL;
        return -1;
    }
    *status = 400;
    switch (e) {
    case HPE_INVALID_METHOD:
        if (starts_with_word(in))
            *status = 405;
        else
            *text = "Bad request";
        break;
    case HPE_INVALID_VERSION: *status = 505; break;
    case HPE_HEADER_OVERFLOW: *status = 431; break;
    default:
        *text = req->nhdr > 0 || e == HPE_INVALID_HEADER_TOKEN ? "Invalid headers" : "Bad request";
    }
    return -1;
}

int http_parse(struct buf *in, struct buf *chunk, struct http_req *req, size_t *used, int *status,
               const char **text)
{
    struct http_pstate ps;
    http_pstate_init(&ps, chunk);
    struct http_req *r = NULL;
    int rc = http_parse_more(&ps, in, &r, used, status, text);
    *req = *r;
    return rc;
}

/* --- the request target --- */

/* Splits the request target into path and query (absolute-form URLs lose their authority). */
bool http_split_url(struct http_req *req)
{
    struct str u = req->url;
    if (str_starts(u, "http://") || str_starts(u, "https://")) {
        size_t i = str_starts(u, "http://") ? 7 : 8;
        while (i < u.len && u.p[i] != '/' && u.p[i] != '?')
            i++;
        u = str_from(u, i);
        if (u.len == 0 || u.p[0] != '/') {
            req->path = STR_LIT("/");
            req->query = u.len ? str_from(u, 1) : STR_NULL;
            return true;
        }
    }
    if (u.len == 0 || u.p[0] != '/')
        return false;
    size_t q = 0;
    while (q < u.len && u.p[q] != '?' && u.p[q] != '#')
        q++;
    req->path = (struct str){u.p, q};
    req->query = STR_NULL;
    if (q < u.len && u.p[q] == '?') {
        size_t f = q + 1;
        while (f < u.len && u.p[f] != '#')
            f++;
        req->query = (struct str){u.p + q + 1, f - q - 1};
    }
    return true;
}

/* A path is served only when no segment is "..", and it holds no NUL or backslash. */
bool http_path_is_safe(struct str p)
{
    if (memchr(p.p, '\0', p.len) || memchr(p.p, '\\', p.len))
        return false;
    size_t i = 0;
    while (i <= p.len) {
        size_t j = i;
        while (j < p.len && p.p[j] != '/')
            j++;
        if (j - i == 2 && p.p[i] == '.' && p.p[i + 1] == '.')
            return false;
        i = j + 1;
    }
    return true;
}
