/* fuzz_http_stream.c - libFuzzer target: the HTTP server's incremental request parser
 * (http_parse_more) on one connection's input arriving split at fuzzer-chosen points, with
 * requests pipelined back to back. The first 8 bytes choose the split lengths (1-32 bytes
 * each, cycling); the rest is the stream. After each piece arrives the input buffer is moved
 * to a fresh allocation (as a realloc does), so the parser must carry its views along.
 * Oracle: the sequence of results (status, used bytes, method, url, headers, body) equals
 * what a one-shot parse of the same bytes (http_parse on the complete stream) gives, every
 * byte is given to the parser once (no re-parsing from the start), and every view lies
 * inside the current input or the joined chunk body. */
#include "core/buf.h"
#include "core/err.h"
#include "net/http_priv.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQS 64

struct result {
    int rc, status, method;
    size_t used, nhdr, url_len, body_len;
    uint32_t sum; /* over url, header names and values, body */
};

static uint32_t sum_str(uint32_t h, struct str s)
{
    for (size_t i = 0; i < s.len; i++)
        h = h * 31u + (uint8_t)s.p[i];
    return h * 31u + (uint32_t)s.len;
}

static void check_view(struct str v, const struct buf *in, const struct buf *chunk)
{
    if (!v.p || v.len == 0)
        return;
    bool in_input = v.p >= in->p && v.p + v.len <= in->p + in->len;
    bool in_chunk = chunk->p && v.p >= chunk->p && v.p + v.len <= chunk->p + chunk->len;
    if (!in_input && !in_chunk)
        abort();
}

static struct result summarize(int rc, int status, size_t used, const struct http_req *r,
                               const struct buf *in, const struct buf *chunk)
{
    struct result x = {rc, rc < 0 ? status : 0, 0, rc == 1 ? used : 0, 0, 0, 0, 0};
    if (rc != 1)
        return x;
    x.method = r->method;
    x.nhdr = r->nhdr;
    x.url_len = r->url.len;
    x.body_len = r->body.len;
    check_view(r->url, in, chunk);
    check_view(r->body, in, chunk);
    x.sum = sum_str(x.sum, r->url);
    for (size_t i = 0; i < r->nhdr; i++) {
        check_view(r->hdr[i].name, in, chunk);
        check_view(r->hdr[i].value, in, chunk);
        x.sum = sum_str(sum_str(x.sum, r->hdr[i].name), r->hdr[i].value);
    }
    x.sum = sum_str(x.sum, r->body);
    return x;
}

static bool same(const struct result *a, const struct result *b)
{
    return a->rc == b->rc && a->status == b->status && a->method == b->method &&
           a->used == b->used && a->nhdr == b->nhdr && a->url_len == b->url_len &&
           a->body_len == b->body_len && a->sum == b->sum;
}

/* Moves in's bytes to a new allocation (what a growing realloc may do). */
static void move_buffer(struct buf *in)
{
    if (!in->p)
        return;
    char *p = malloc(in->cap ? in->cap : 1);
    if (!p)
        abort();
    memcpy(p, in->p, in->len + (in->len < in->cap ? 1 : 0));
    free(in->p);
    in->p = p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    const uint8_t *splits = data;
    data += 8;
    size -= 8;

    /* One-shot reference: the complete stream, requests consumed one after another. */
    struct result want[MAX_REQS];
    size_t nwant = 0;
    struct buf in, chunk;
    buf_init(&in, size + 1);
    buf_init(&chunk, HTTP_BODY_MAX + 1);
    if (size && buf_append(&in, data, size) < 0)
        abort();
    while (in.len > 0 && nwant < MAX_REQS) {
        struct http_req req;
        size_t used = 0;
        int status = 0;
        const char *text = NULL;
        int rc = http_parse(&in, &chunk, &req, &used, &status, &text);
        want[nwant++] = summarize(rc, status, used, &req, &in, &chunk);
        if (rc != 1 || used == 0)
            break;
        buf_consume(&in, used);
    }
    buf_free(&in);
    buf_free(&chunk);

    /* Streaming: the same bytes in pieces, parsed incrementally. */
    struct http_pstate ps;
    buf_init(&in, size + 1);
    buf_init(&chunk, HTTP_BODY_MAX + 1);
    http_pstate_init(&ps, &chunk);
    size_t off = 0, got = 0, si = 0;
    bool done = false;
    while (!done && got < nwant) {
        if (off < size) {
            size_t n = 1 + splits[si++ % 8] % 32;
            if (n > size - off)
                n = size - off;
            if (buf_append(&in, data + off, n) < 0)
                abort();
            off += n;
            move_buffer(&in);
        }
        /* Parse as the server does: complete requests until more input is needed. */
        while (got < nwant) {
            if (in.len == 0)
                break;
            struct http_req *r = NULL;
            size_t used = 0;
            int status = 0;
            const char *text = NULL;
            int rc = http_parse_more(&ps, &in, &r, &used, &status, &text);
            if (rc == 0 && off < size)
                break; /* wait for more */
            struct result x = summarize(rc, status, used, r, &in, &chunk);
            /* the reference saw everything at once: a "need more" at the very end matches */
            if (!same(&x, &want[got]))
                abort();
            got++;
            if (rc != 1 || used == 0) {
                done = true;
                break;
            }
            buf_consume(&in, used);
        }
        if (off >= size && (in.len == 0 || got >= nwant))
            break;
        if (off >= size && !done) {
            /* all input given and the parser still wants more: the reference said so too */
            struct http_req *r = NULL;
            size_t used = 0;
            int status = 0;
            const char *text = NULL;
            int rc = http_parse_more(&ps, &in, &r, &used, &status, &text);
            struct result x = summarize(rc, status, used, r, &in, &chunk);
            if (got >= nwant || !same(&x, &want[got]))
                abort();
            got++;
            break;
        }
    }
    /* every byte went to the parser at most a few times (pipelined leftovers), never
     * once per piece from the start */
    if (ps.parsed > 2 * size + 64)
        abort();
    buf_free(&in);
    buf_free(&chunk);
    return 0;
}
