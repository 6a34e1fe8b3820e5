/* http_static.c - the packed web UI (COMPAT §3.1, A10); the node's own web/ folder, which wins
 * over it, is streamed by http_fs_file (net/http_fs.c). */
#include "http_priv.h"
#include "web_assets.h"

#include <stdio.h>
#include <string.h>

/* True when Accept-Encoding lists gzip without q=0. */
static bool accepts_gzip(const struct http_req *req)
{
    struct str ae = http_req_header(req, "accept-encoding");
    for (size_t i = 0; ae.p && i + 4 <= ae.len; i++) {
        if (strncmp(ae.p + i, "gzip", 4) != 0)
            continue;
        size_t j = i + 4;
        while (j < ae.len && ae.p[j] == ' ')
            j++;
        if (j < ae.len && ae.p[j] == ';') {
            /* "gzip;q=0" (or 0.0, 0.00, ...) refuses gzip */
            struct str q = str_trim((struct str){ae.p + j + 1, ae.len - j - 1});
            if (str_starts(q, "q=0")) {
                size_t k = 3;
                if (k < q.len && q.p[k] == '.')
                    for (k++; k < q.len && q.p[k] == '0'; k++)
                        ;
                if (k >= q.len || q.p[k] == ',' || q.p[k] == ' ')
                    return false;
            }
        }
        return true;
    }
    return false;
}

/* True when If-None-Match names etag (or is "*"). */
static bool etag_matches(const struct http_req *req, const char *etag)
{
    struct str inm = http_req_header(req, "if-none-match");
    if (!inm.p)
        return false;
    if (str_eqc(str_trim(inm), "*"))
        return true;
    size_t n = strlen(etag);
    for (size_t i = 0; i + n <= inm.len; i++)
        if (memcmp(inm.p + i, etag, n) == 0)
            return true;
    return false;
}

static const struct web_asset *find_asset(struct str path)
{
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (str_eqc(path, a->path))
            return a;
    return NULL;
}

static void serve_asset(struct http_server *srv, const struct http_req *req,
                        const struct web_asset *a, bool keep_alive)
{
    bool gz = a->gz && accepts_gzip(req);
    /* The gzip variant is another representation: its ETag gets a suffix. */
    char etag[96];
    size_t el = a->etag ? strlen(a->etag) : 0;
    if (gz && el >= 2 && a->etag[el - 1] == '"')
        snprintf(etag, sizeof etag, "%.*s-gz\"", (int)(el - 1), a->etag);
    else
        snprintf(etag, sizeof etag, "%s", a->etag ? a->etag : "");
    char extra[256];
    snprintf(extra, sizeof extra, "%s%s%s%scache-control: no-cache\r\n%s", etag[0] ? "etag: " : "",
             etag, etag[0] ? "\r\n" : "", a->gz ? "vary: Accept-Encoding\r\n" : "",
             gz ? "content-encoding: gzip\r\n" : "");
    if (etag[0] && etag_matches(req, etag)) {
        http_reply(&srv->resp, 304, NULL, extra, NULL, 0, keep_alive, true);
        return;
    }
    http_reply(&srv->resp, 200, a->content_type, extra, gz ? a->gz : a->data,
               gz ? a->gz_size : a->size, keep_alive, req->is_head);
}

void http_static(struct http_server *srv, const struct http_req *req, struct str dpath,
                 bool keep_alive)
{
    if (!http_path_is_safe(dpath)) {
        srv->stats.errors_4xx++;
        http_reply_error(&srv->resp, 404, NULL, NULL, keep_alive, req->is_head);
        return;
    }
    /* "/" and folders mean their index.html */
    char name[1024];
    if (dpath.len == 0 || dpath.p[dpath.len - 1] == '/') {
        int w = snprintf(name, sizeof name, "%.*sindex.html", STR_FMT(dpath));
        if (w < 0 || (size_t)w >= sizeof name) {
            http_reply_error(&srv->resp, 404, NULL, NULL, keep_alive, req->is_head);
            return;
        }
        dpath = (struct str){name, (size_t)w};
    }
    const struct web_asset *a = find_asset(dpath);
    if (a) {
        serve_asset(srv, req, a, keep_alive);
        return;
    }
    /* Files of the node's web/ folder were tried first, streamed (http_fs_file): one code
     * path, any size, bounded memory. What is left is not found. */
    srv->stats.errors_4xx++;
    http_reply_error(&srv->resp, 404, NULL, NULL, keep_alive, req->is_head);
}
