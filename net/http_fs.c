/* http_fs.c - the file server (COMPAT Part C.2): folders, listings, streamed uploads with an
 * atomic rename, deletes, usage, and streamed downloads of the node's files. */
#include "http_fs.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../svc/cfg.h"
#include "http_priv.h"
#include "multipart.h"
#include "web_assets.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP   1024
#define READ_PIECE (64 * 1024)
#define WBUF       (256 * 1024)
#define PUBLIC     "web/user_data"
#define TMP        "web/user_data/tmp"

static const struct {
    const char *name, *dir;
} s_mounts[] = {
    {.name = "$modules", .dir = "modules"},
    {.name = "$data", .dir = "data"},
    {.name = "$logs", .dir = "logs"},
};
#define NMOUNTS (sizeof s_mounts / sizeof s_mounts[0])

static unsigned s_upload_seq; /* names temp files uniquely within this run */

bool http_fs_name_ok(struct str n)
{
    if (n.len == 0 || n.len > 128 || str_eqc(n, ".") || str_eqc(n, ".."))
        return false;
    for (size_t i = 0; i < n.len; i++) {
        char c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool mounts_rw(struct node *node)
{
    return cfg_get_bool(node->cfg, CFG_K_fs_mounts_rw);
}

/* True when the request may write (and read mounts): auth off, or the right x-micros-auth. */
static bool auth_ok(struct node *node, const struct endpoint_req *req)
{
    if (!cfg_get_bool(node->cfg, CFG_K_auth))
        return true;
    struct str pwd = endpoint_header(req, "x-micros-auth");
    return pwd.p && endpoint_password_ok(cfg_get_str(node->cfg, CFG_K_appwd), str_trim(pwd));
}

/* Resolves a folder name as clients write it ("", "/", "/user_data", "user_data", "web",
 * "$logs") to its folder under the data folder. Returns the mount index, NMOUNTS for the
 * public folder, or -1. */
static int folder_of(struct str f)
{
    f = str_trim(f);
    while (f.len > 0 && f.p[f.len - 1] == '/')
        f.len--;
    if (f.len == 0 || str_eqc(f, "/user_data") || str_eqc(f, "user_data") || str_eqc(f, "web") ||
        str_eqc(f, "/web") || str_eqc(f, "/web/user_data") || str_eqc(f, "web/user_data"))
        return (int)NMOUNTS;
    for (size_t i = 0; i < NMOUNTS; i++)
        if (str_eqc(f, s_mounts[i].name))
            return (int)i;
    return -1;
}

static const char *folder_dir(int f)
{
    return f == (int)NMOUNTS ? PUBLIC : s_mounts[f].dir;
}

static const char *folder_label(int f)
{
    return f == (int)NMOUNTS ? "/user_data" : s_mounts[f].name;
}

/* Splits "folder/name" (the folder may be missing) into folder index and name. Returns false
 * when the folder is unknown or the name invalid. */
static bool split_path(struct str p, int *folder, struct str *name)
{
    p = str_trim(p);
    size_t slash = p.len;
    while (slash > 0 && p.p[slash - 1] != '/')
        slash--;
    *name = str_from(p, slash);
    *folder = folder_of((struct str){p.p, slash});
    return *folder >= 0 && http_fs_name_ok(*name);
}

static int path_join(char *out, size_t cap, struct node *node, int folder, struct str name)
{
    int w = snprintf(out, cap, "%s/%s%s%.*s", node->data_dir, folder_dir(folder),
                     name.len ? "/" : "", STR_FMT(name));
    return w > 0 && (size_t)w < cap ? 0 : ERR_TOOBIG;
}

static int text_reply(struct endpoint_reply *rep, int status, const char *fmt, struct str arg)
{
    rep->status = status;
    rep->content_type = "text/plain";
    buf_clear(rep->body);
    return buf_printf(rep->body, fmt, STR_FMT(arg));
}

/* --- listings --- */

struct lister {
    struct node *node;
    int folder;
    struct buf *out;
    bool first;
};

static void json_str(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(out, '\\');
        if ((unsigned char)*s < 0x20)
            buf_printf(out, "\\u%04x", (unsigned char)*s);
        else
            buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

static void on_entry(const char *name, bool is_dir, void *arg)
{
    struct lister *l = arg;
    struct str n = str_c(name);
    if (is_dir || str_ends(n, ".mpy") || !http_fs_name_ok(n))
        return;
    char full[PATH_CAP];
    if (path_join(full, sizeof full, l->node, l->folder, n) < 0)
        return;
    uint64_t size = 0;
    int64_t mtime = 0;
    bool dir = false;
    if (hal_fs_info(full, &size, &mtime, &dir) < 0 || dir)
        return;
    char path[300];
    snprintf(path, sizeof path, "%s/%s", folder_label(l->folder), name);
    buf_puts(l->out, l->first ? "{\"path\": " : ", {\"path\": ");
    json_str(l->out, path);
    buf_printf(l->out, ", \"size\": %llu, \"created\": %lld}", (unsigned long long)size,
               (long long)mtime);
    l->first = false;
}

static int list_folder(struct node *node, int folder, struct endpoint_reply *rep)
{
    char dir[PATH_CAP];
    if (path_join(dir, sizeof dir, node, folder, STR_LIT("")) < 0)
        return ERR_TOOBIG;
    struct lister l = {node, folder, rep->body, true};
    buf_putc(rep->body, '[');
    hal_fs_list(dir, on_entry, &l); /* a missing folder lists as empty */
    buf_putc(rep->body, ']');
    return rep->body->is_full ? ERR_FULL : 0;
}

static int on_dirs(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                   void *arg)
{
    (void)req;
    (void)arg;
    const char *m = mounts_rw(node) ? "rw" : "r";
    buf_puts(rep->body, "[[\"/user_data\", \"rw\"]");
    for (size_t i = 0; i < NMOUNTS; i++)
        buf_printf(rep->body, ", [\"%s\", \"%s\"]", s_mounts[i].name, m);
    return buf_putc(rep->body, ']');
}

static int on_list(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                   void *arg)
{
    (void)arg;
    int f = folder_of(req->body);
    if (f < 0)
        return text_reply(rep, 404, "Unknown folder: %.*s", str_trim(req->body));
    if (f != (int)NMOUNTS && !auth_ok(node, req))
        return endpoint_deny(req, rep);
    return list_folder(node, f, rep);
}

static int on_files(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                    void *arg)
{
    (void)arg;
    if (req->method == EP_GET)
        return list_folder(node, (int)NMOUNTS, rep);
    /* DELETE: the path as plain text */
    if (!auth_ok(node, req))
        return endpoint_deny(req, rep);
    int f;
    struct str name;
    struct str p = str_trim(req->body);
    if (!split_path(p, &f, &name))
        return text_reply(rep, 400, "Invalid path: %.*s", p);
    if (f != (int)NMOUNTS && !mounts_rw(node))
        return text_reply(rep, 403, "ReadOnly path: %.*s", p);
    char full[PATH_CAP];
    if (path_join(full, sizeof full, node, f, name) < 0)
        return text_reply(rep, 400, "Invalid path: %.*s", p);
    bool dir = false;
    if (hal_fs_info(full, NULL, NULL, &dir) < 0 || dir)
        return text_reply(rep, 404, "File does not exist: %.*s", p);
    int rc = hal_fs_remove(full);
    if (rc < 0)
        return text_reply(rep, 500, "Delete failed: %.*s", str_c(err_str(rc)));
    LOG_I("fs: deleted %s/%.*s", folder_label(f), STR_FMT(name));
    return text_reply(rep, 200, "ok%.*s", STR_LIT(""));
}

static int on_usage(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                    void *arg)
{
    (void)req;
    (void)arg;
    uint64_t total = 0, used = 0;
    int rc = hal_fs_usage(node->data_dir, &total, &used);
    if (rc < 0)
        return rc;
    return buf_printf(rep->body, "{\"used\": %llu, \"free\": %llu}", (unsigned long long)used,
                      (unsigned long long)(total - used));
}

static int on_ui(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                 void *arg)
{
    (void)req;
    (void)arg;
    rep->content_type = "text/html";
    rep->headers = "cache-control: no-cache\r\n";
    if (http_fs_web_page(node, "filesui.html", rep))
        return 0;
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (strcmp(a->path, "files.html") == 0)
            return buf_append(rep->body, a->data, a->size);
    return text_reply(rep, 404, "No Files page%.*s", STR_LIT(""));
}

/* --- uploads --- */

struct upload {
    struct node *node;
    struct mp mp;
    int fd;              /* the part being written, or -1 */
    char tmp[PATH_CAP];  /* its temp file */
    char dest[PATH_CAP]; /* where it goes when complete */
    char label[300];     /* "$data/x.dat" for messages */
    int status;          /* an error found by a callback, 0 = none */
    char text[400];      /* its reply text */
    unsigned files;      /* files written */
    bool done;           /* the closing boundary was seen */
    size_t wlen;         /* bytes waiting in wbuf */
    char wbuf[WBUF];     /* part data is written in large pieces (it arrives in runs cut at
                            every CR of the content) */
};

static int up_fail(struct upload *u, int status, const char *fmt, const char *arg)
{
    u->status = status;
    snprintf(u->text, sizeof u->text, fmt, arg);
    return 1;
}

static void drop_part(struct upload *u)
{
    u->wlen = 0;
    if (u->fd >= 0) {
        hal_fs_close(u->fd);
        hal_fs_remove(u->tmp);
        u->fd = -1;
    }
}

static int part_begin(void *ctx, const struct mp_part *pt)
{
    struct upload *u = ctx;
    if (pt->has_ext_filename)
        return up_fail(u, 400, "%s", "Percent encoded filenames are not supported");
    if (!pt->has_filename || !pt->filename[0])
        return up_fail(u, 400, "%s", "No valid filename found in part headers");
    int f;
    struct str name;
    if (!split_path(str_c(pt->filename), &f, &name))
        return up_fail(u, 400, "Filename contains invalid characters: %s", pt->filename);
    snprintf(u->label, sizeof u->label, "%s/%.*s", folder_label(f), STR_FMT(name));
    if (f != (int)NMOUNTS && !mounts_rw(u->node))
        return up_fail(u, 403, "ReadOnly path: %s", u->label);
    char dir[PATH_CAP];
    if (path_join(u->dest, sizeof u->dest, u->node, f, name) < 0 ||
        path_join(dir, sizeof dir, u->node, f, STR_LIT("")) < 0)
        return up_fail(u, 400, "Path too long: %s", pt->filename);
    hal_fs_mkdir(dir);
    snprintf(u->tmp, sizeof u->tmp, "%s/%s/%u.part", u->node->data_dir, TMP, ++s_upload_seq);
    hal_fs_remove(u->tmp);
    u->fd = hal_fs_create(u->tmp, false);
    if (u->fd < 0) {
        int rc = u->fd;
        u->fd = -1;
        return up_fail(u, rc == ERR_NOSPC ? 507 : 500, "Cannot write: %s", err_str(rc));
    }
    return 0;
}

/* Writes what waits in wbuf. Returns 0 or ERR_*. */
static int flush_part(struct upload *u)
{
    int rc = u->wlen ? hal_fs_write(u->fd, u->wbuf, u->wlen) : 0;
    u->wlen = 0;
    return rc;
}

static int part_data(void *ctx, const char *p, size_t n)
{
    struct upload *u = ctx;
    int rc = 0;
    if (u->wlen + n > sizeof u->wbuf)
        rc = flush_part(u);
    if (rc == 0 && n >= sizeof u->wbuf) {
        rc = hal_fs_write(u->fd, p, n);
    } else if (rc == 0) {
        memcpy(u->wbuf + u->wlen, p, n);
        u->wlen += n;
    }
    if (rc == 0)
        return 0;
    drop_part(u);
    if (rc == ERR_NOSPC)
        return up_fail(u, 507, "No space left on device: %s not written", u->label);
    return up_fail(u, 500, "Write failed: %s", err_str(rc));
}

static int part_end(void *ctx)
{
    struct upload *u = ctx;
    int rc = flush_part(u);
    if (rc < 0) {
        drop_part(u);
        if (rc == ERR_NOSPC)
            return up_fail(u, 507, "No space left on device: %s not written", u->label);
        return up_fail(u, 500, "Write failed: %s", err_str(rc));
    }
    rc = hal_fs_close(u->fd);
    u->fd = -1;
    if (rc == 0)
        rc = hal_fs_rename(u->tmp, u->dest);
    if (rc < 0) {
        hal_fs_remove(u->tmp);
        return up_fail(u, rc == ERR_NOSPC ? 507 : 500, "Write failed: %s", err_str(rc));
    }
    u->files++;
    LOG_I("fs: uploaded %s", u->label);
    return 0;
}

static const struct mp_callbacks s_mp_cb = {part_begin, part_data, part_end};

/* Upload states (each with its write buffer) come from a fixed pool, allocated on first use
 * and kept: an upload does no malloc. The server admits at most HTTP_UPLOADS_MAX uploads at
 * once (net/http_body.c), so the pool is not expected to run dry; if it does, 503 as there. */
static struct {
    struct upload *u;
    bool is_busy;
} s_up_pool[HTTP_UPLOADS_MAX];

/* Takes a cleared upload state, or NULL when every slot is busy (or out of memory). */
static struct upload *upload_take(void)
{
    for (size_t i = 0; i < HTTP_UPLOADS_MAX; i++) {
        if (s_up_pool[i].is_busy)
            continue;
        if (!s_up_pool[i].u)
            s_up_pool[i].u = malloc(sizeof *s_up_pool[i].u);
        if (!s_up_pool[i].u)
            return NULL;
        s_up_pool[i].is_busy = true;
        struct upload *u = s_up_pool[i].u;
        memset(u, 0, offsetof(struct upload, wbuf)); /* the write buffer needs no clearing */
        return u;
    }
    return NULL;
}

static void upload_give(struct upload *u)
{
    for (size_t i = 0; i < HTTP_UPLOADS_MAX; i++)
        if (s_up_pool[i].u == u)
            s_up_pool[i].is_busy = false;
}

static int up_begin(struct node *node, const struct endpoint_req *req, uint64_t len, void **state,
                    struct endpoint_reply *rep, void *arg)
{
    (void)arg;
    (void)len;
    if (!auth_ok(node, req)) {
        endpoint_deny(req, rep);
        return 1;
    }
    struct str b = mp_boundary(endpoint_header(req, "content-type"));
    if (!b.p) {
        text_reply(rep, 400, "Expected multipart/form-data with a boundary%.*s", STR_LIT(""));
        return 1;
    }
    struct upload *u = upload_take();
    if (!u) {
        LOG_W("fs: upload refused: %d uploads under way", HTTP_UPLOADS_MAX);
        rep->headers = "retry-after: 5\r\n";
        text_reply(rep, 503, "%.*s", STR_LIT("Too many uploads at once, try again"));
        return 1;
    }
    u->node = node;
    u->fd = -1;
    mp_init(&u->mp, b, &s_mp_cb, u);
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s/%s", node->data_dir, TMP);
    hal_fs_mkdir(tmp);
    *state = u;
    return 0;
}

static int up_reply_error(struct upload *u, struct endpoint_reply *rep)
{
    rep->status = u->status;
    rep->content_type = "text/plain";
    buf_clear(rep->body);
    LOG_W("fs: upload refused: %s", u->text);
    return buf_puts(rep->body, u->text) < 0 ? -1 : 1;
}

static int up_data(void *state, const void *p, size_t n, struct endpoint_reply *rep)
{
    struct upload *u = state;
    if (u->done)
        return 0; /* the epilogue */
    int r = mp_feed(&u->mp, p, n);
    if (r == 1)
        u->done = true;
    if (r == -1) {
        u->status = 400;
        snprintf(u->text, sizeof u->text, "Malformed multipart body: %s", u->mp.err);
    }
    if (r < 0) {
        drop_part(u);
        return up_reply_error(u, rep);
    }
    return 0;
}

static int up_end(void *state, struct endpoint_reply *rep)
{
    struct upload *u = state;
    if (!u->done || u->files == 0) {
        drop_part(u);
        u->status = 400;
        snprintf(u->text, sizeof u->text, "%s",
                 u->done ? "No file in the upload" : "Malformed multipart body: incomplete");
        up_reply_error(u, rep);
        return 0;
    }
    return text_reply(rep, 200, "ok%.*s", STR_LIT(""));
}

static void up_close(void *state)
{
    struct upload *u = state;
    drop_part(u);
    upload_give(u);
}

static const struct endpoint_body_ops s_upload_ops = {up_begin, up_data, up_end, up_close};

/* --- downloads --- */

/* A download's state is its file descriptor, kept in the pointer itself (fd + 1, so that a
 * valid state is never NULL): a download allocates nothing, and its memory is what the
 * connection's output buffer holds (bounded by the stream's queue limit). */
static void *fd_state(int fd)
{
    return (void *)((intptr_t)fd + 1);
}

static int state_fd(void *state)
{
    return (int)((intptr_t)state - 1);
}

static int read_next(void *state, struct buf *out, size_t want, uint32_t *again_ms)
{
    (void)again_ms;
    size_t room = 0;
    char *p = buf_space(out, want < READ_PIECE ? want : READ_PIECE, &room);
    if (!p)
        return -1;
    long n = hal_fs_read_some(state_fd(state), p, want < room ? want : room);
    if (n <= 0)
        return -1; /* the end, or an error: the server closes a short reply */
    buf_commit(out, (size_t)n);
    return 1;
}

static void read_close(void *state)
{
    hal_fs_close(state_fd(state));
}

static const struct endpoint_stream_ops s_read_ops = {read_next, read_close};

/* Fills rep to stream the open file fd of size bytes (name gives the content type). */
static void stream_fd(int fd, uint64_t size, struct str name, struct endpoint_reply *rep)
{
    rep->status = 200;
    rep->content_type = http_content_type(name);
    rep->headers = "cache-control: no-cache\r\n";
    rep->stream = &s_read_ops;
    rep->stream_state = fd_state(fd);
    rep->stream_len = (int64_t)size;
}

/* Opens rel under the node's web/ folder: regular files only, no symlinks, FIFOs or devices.
 * Returns the fd or ERR_*. */
static int open_web(struct node *node, struct str rel, uint64_t *size)
{
    char root[PATH_CAP], file[PATH_CAP];
    int w = snprintf(root, sizeof root, "%s/web", node->data_dir);
    int w2 = snprintf(file, sizeof file, "%.*s", STR_FMT(rel));
    if (w < 0 || (size_t)w >= sizeof root || w2 < 0 || (size_t)w2 >= sizeof file)
        return ERR_TOOBIG;
    return hal_fs_open_plain(root, file, size);
}

bool http_fs_web_page(struct node *node, const char *name, struct endpoint_reply *rep)
{
    uint64_t size = 0;
    int fd = open_web(node, str_c(name), &size);
    if (fd < 0)
        return false;
    const char *ct = rep->content_type;
    stream_fd(fd, size, str_c(name), rep);
    if (ct)
        rep->content_type = ct;
    return true;
}

bool http_fs_file(struct node *node, struct str dpath, const struct endpoint_req *req,
                  struct endpoint_reply *rep)
{
    uint64_t size = 0;
    int fd;
    struct str name = dpath;
    char rel[PATH_CAP]; /* name's storage for a web/ file */
    if (dpath.len > 0 && dpath.p[0] == '$') {
        char full[PATH_CAP];
        int f;
        if (!split_path(dpath, &f, &name) || f == (int)NMOUNTS)
            return false;
        if (!auth_ok(node, req)) {
            endpoint_deny(req, rep);
            return true;
        }
        if (path_join(full, sizeof full, node, f, name) < 0)
            return false;
        fd = hal_fs_open_read(full, &size);
    } else {
        /* partial uploads are nobody's business */
        if (str_starts(dpath, "user_data/tmp/"))
            return false;
        bool index = dpath.len == 0 || dpath.p[dpath.len - 1] == '/';
        int w = snprintf(rel, sizeof rel, "%.*s%s", STR_FMT(dpath), index ? "index.html" : "");
        if (w < 0 || (size_t)w >= sizeof rel)
            return false;
        name = (struct str){rel, (size_t)w};
        fd = open_web(node, name, &size);
    }
    if (fd < 0)
        return false;
    stream_fd(fd, size, name, rep);
    return true;
}

/* Removes what a previous run left in the temp folder. */
static void on_stale(const char *name, bool is_dir, void *arg)
{
    struct node *node = arg;
    if (is_dir)
        return;
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/%s/%s", node->data_dir, TMP, name);
    hal_fs_remove(p);
}

int http_fs_register(struct endpoints *eps, struct node *node)
{
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s/%s", node->data_dir, TMP);
    hal_fs_mkdir(tmp);
    hal_fs_list(tmp, on_stale, node);
    int rc = endpoint_add(eps, "fs/dirs", EP_GET, 0, on_dirs, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "fs/list", EP_POST, 0, on_list, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "fs/files", EP_GET | EP_DELETE, 0, on_files, NULL);
    if (rc == 0)
        rc = endpoint_add_body(eps, "fs/files", 0, &s_upload_ops, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "fs/usage", EP_GET, 0, on_usage, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "fs", EP_GET, 0, on_ui, NULL);
    return rc;
}
