/* fuzz_http.c - libFuzzer target: the HTTP server's request handling up to the handlers, on
 * any bytes as one connection's input. Byte 0 picks a split point: the input first arrives
 * cut there (the server re-parses from the start on every read), then whole; a complete
 * request seen early must parse the same later. Every request, pipelined back to back, is
 * parsed (http_parse), its target split (http_split_url), then routed as http.c does:
 * /rest paths to rest_build_line, others percent-decoded and checked (http_path_is_safe);
 * errors are answered with http_reply_error. Oracles: every view lies inside the input (or
 * the joined chunk body), header names are lower-case, limits hold, the statuses are the
 * documented ones, built lines fit, and every reply has a status line and a head end. */
#include "core/buf.h"
#include "core/err.h"
#include "net/http_priv.h"
#include "net/rest_path.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *s_lo, *s_hi;   /* the input buffer */
static const char *s_clo, *s_chi; /* the chunk buffer */

static void check_view(struct str v, bool may_chunk)
{
    if (!v.p || v.len == 0)
        return;
    bool in_input = v.p >= s_lo && v.p + v.len <= s_hi;
    bool in_chunk = may_chunk && v.p >= s_clo && v.p + v.len <= s_chi;
    if (!in_input && !in_chunk)
        abort();
}

static void check_reply(struct buf *out)
{
    if (out->len < 12 || memcmp(out->p, "HTTP/1.1 ", 9) != 0)
        abort();
    const char *end = NULL;
    for (size_t i = 0; i + 4 <= out->len && !end; i++)
        if (memcmp(out->p + i, "\r\n\r\n", 4) == 0)
            end = out->p + i;
    if (!end)
        abort();
    buf_clear(out);
}

static void route(struct http_req *req, struct buf *out)
{
    if (!http_split_url(req)) {
        http_reply_error(out, 400, "Bad request", NULL, req->keep_alive, req->is_head);
        check_reply(out);
        return;
    }
    if (req->path.len == 0 || req->path.p[0] != '/')
        abort();
    if (req->path.len > 1) /* an absolute-form URL without a path gets a literal "/" */
        check_view(req->path, false);
    check_view(req->query, false);
    struct str path = req->path;
    if (str_eqc(path, "/rest") || str_starts(path, "/rest/")) {
        char line[REST_LINE_MAX];
        int n = rest_build_line(str_from(path, 5), req->query, line, sizeof line);
        if (n >= (int)sizeof line || (n >= 0 && strlen(line) != (size_t)n))
            abort();
        if (n < 0 && n != ERR_TOOBIG && n != ERR_INVAL)
            abort();
    } else {
        char dp[HTTP_URL_MAX + 1];
        int dn = rest_pct_decode(path, dp, sizeof dp);
        if (dn >= (int)sizeof dp)
            abort();
        struct str dpath = dn > 0 ? (struct str){dp + 1, (size_t)dn - 1} : STR_LIT("");
        if (dn >= 0 && http_path_is_safe(dpath)) {
            /* a served path never climbs out of the web root */
            for (size_t i = 0; i + 1 < dpath.len; i++)
                if (dpath.p[i] == '.' && dpath.p[i + 1] == '.' &&
                    (i == 0 || dpath.p[i - 1] == '/') &&
                    (i + 2 == dpath.len || dpath.p[i + 2] == '/'))
                    abort();
            if (memchr(dpath.p, '\0', dpath.len) || memchr(dpath.p, '\\', dpath.len))
                abort();
        }
    }
    http_reply(out, 200, "application/json", NULL, "{}", 2, req->keep_alive, req->is_head);
    check_reply(out);
}

/* Parses every request in in; returns the bytes used by the first complete one (0 if none). */
static size_t walk(struct buf *in, struct buf *chunk, struct buf *out)
{
    size_t first = 0;
    for (int steps = 0; in->len > 0; steps++) {
        if (steps > 100000)
            abort();
        struct http_req req;
        size_t used = 0;
        int status = 400;
        const char *text = NULL;
        s_lo = in->p;
        s_hi = in->p + in->len;
        int r = http_parse(in, chunk, &req, &used, &status, &text);
        s_clo = chunk->p;
        s_chi = chunk->p ? chunk->p + chunk->len : NULL;
        if (r == 0)
            break;
        if (r < 0) {
            if (status != 400 && status != 405 && status != 413 && status != 414 && status != 431 &&
                status != 505)
                abort();
            http_reply_error(out, status, text, NULL, false, false);
            check_reply(out);
            break;
        }
        if (r != 1 || used == 0 || used > in->len || !req.complete || !req.headers_done)
            abort();
        if (req.nhdr > HTTP_MAX_HEADERS || req.url.len > HTTP_URL_MAX ||
            req.body.len > HTTP_BODY_MAX || req.major != 1)
            abort();
        check_view(req.url, false);
        check_view(req.body, true);
        for (size_t i = 0; i < req.nhdr; i++) {
            check_view(req.hdr[i].name, false);
            check_view(req.hdr[i].value, false);
            for (size_t k = 0; k < req.hdr[i].name.len; k++)
                if (req.hdr[i].name.p[k] >= 'A' && req.hdr[i].name.p[k] <= 'Z')
                    abort();
        }
        (void)http_req_header(&req, "expect");
        if (!first)
            first = used;
        route(&req, out);
        buf_consume(in, used);
        if (!req.keep_alive)
            break;
    }
    return first;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cut = size > 1 ? data[0] % size : 0;
    data++;
    size--;
    struct buf in, chunk, out;
    buf_init(&in, size + 1);
    buf_init(&chunk, HTTP_BODY_MAX + 1);
    buf_init(&out, 1 << 20);
    size_t early = 0;
    if (cut > 0 && cut < size) {
        if (buf_append(&in, data, cut) < 0)
            abort();
        early = walk(&in, &chunk, &out);
        buf_clear(&in);
    }
    if (size > 0 && buf_append(&in, data, size) < 0)
        abort();
    size_t whole = walk(&in, &chunk, &out);
    /* a complete first request does not change when more bytes follow it */
    if (early && whole != early)
        abort();
    buf_free(&in);
    buf_free(&chunk);
    buf_free(&out);
    return 0;
}
