/* bundle.c - update bundles: the upload (checked, unpacked and staged as it streams) and the
 * rollback request (svc/bundle.h; docs/files.md). The switch at start is svc/bundle_apply.c. */
#include "bundle.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/tar.h"
#include "../hal/hal_fs.h"
#include "bundle_priv.h"
#include "../core/sha256.h"
#include "cfg.h"
#include "syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MICROS_HAVE_ZLIB
#include <zlib.h>
#endif

#define ZOUT (32 * 1024)

static struct {
    bool is_busy;    /* an upload in progress */
    bool is_pending; /* an accepted bundle waits for the restart */
} s_b;

/* --- the upload --- */

struct bup {
    struct node *node;
    struct sha256 sha;
    char want[65];
    int kind; /* -1 not known yet, 0 tar, 1 tar.gz */
#ifdef MICROS_HAVE_ZLIB
    z_stream z;
    bool is_z_init, is_z_end;
    uint64_t after_end; /* bytes unpacked after the tar's end blocks */
    unsigned char *zout;
#endif
    struct tar tar;
    int fd;                    /* the staging file being written, or -1 */
    char cur[BUNDLE_PATH_CAP]; /* its path */
    unsigned files, nmod, nweb;
    uint64_t total, size;
    struct buf manifest; /* "+modules/LM_x.lua\n" ... */
    int status;          /* a refusal: HTTP status and text */
    char why[400];
    bool is_committed;
    char stage[BUNDLE_PATH_CAP];
};

static int set_refusal(struct bup *u, int status, const char *fmt, const char *a)
{
    if (!u->status) {
        u->status = status;
        snprintf(u->why, sizeof u->why, fmt, a);
    }
    return ERR_PERM;
}

static int on_entry(void *arg, const char *name, int type, uint64_t size)
{
    struct bup *u = arg;
    char rel[TAR_NAME_MAX + 1], why[300];
    int rc = bundle_name_check(name, type, rel, sizeof rel, why, sizeof why);
    if (rc < 0)
        return set_refusal(u, 400, "Bundle refused: %s; nothing changed", why);
    u->cur[0] = '\0';
    if (rc == 0)
        return 0;
    if (++u->files > BUNDLE_FILES_MAX)
        return set_refusal(u, 413, "Bundle refused: more than %s files; nothing changed",
                           BUNDLE_STR(BUNDLE_FILES_MAX));
    if (size > BUNDLE_FILE_MAX) {
        snprintf(why, sizeof why, "%.200s: %llu bytes, more than the %u MiB a file may have", rel,
                 (unsigned long long)size, (unsigned)(BUNDLE_FILE_MAX >> 20));
        return set_refusal(u, 413, "Bundle refused: %s; nothing changed", why);
    }
    u->total += size;
    if (u->total > BUNDLE_UNPACKED_MAX)
        return set_refusal(u, 413, "Bundle refused: more than %s MiB unpacked; nothing changed",
                           BUNDLE_STR(BUNDLE_UNPACKED_MAX_MIB));
    /* the node's own tree: a folder where the file goes, or a file where a folder goes */
    const char *data = u->node->data_dir;
    char p[BUNDLE_PATH_CAP];
    for (size_t i = 0; rel[i]; i++) {
        if (rel[i] != '/')
            continue;
        rel[i] = '\0';
        bool dir = true;
        int e =
            bundle__path2(p, data, rel, NULL) == 0 ? hal_fs_info(p, NULL, NULL, &dir) : ERR_TOOBIG;
        rel[i] = '/';
        if (e == 0 && !dir) {
            snprintf(why, sizeof why, "%.200s: a folder on its way is a file on the node", rel);
            return set_refusal(u, 409, "Bundle refused: %s; nothing changed", why);
        }
    }
    bool dir = false;
    if (bundle__path2(p, data, rel, NULL) < 0)
        return set_refusal(u, 400, "Bundle refused: %s: path too long; nothing changed", rel);
    if (hal_fs_info(p, NULL, NULL, &dir) == 0 && dir)
        return set_refusal(u, 409, "Bundle refused: %s is a folder on the node; nothing changed",
                           rel);
    int w = snprintf(u->cur, sizeof u->cur, "%s/%s", u->stage, rel);
    if (w < 0 || (size_t)w >= sizeof u->cur)
        return set_refusal(u, 400, "Bundle refused: %s: path too long; nothing changed", rel);
    if (bundle__mkdir_parent(u->cur) < 0)
        return set_refusal(u, 400,
                           "Bundle refused: %s: a folder on its way is a file in the bundle; "
                           "nothing changed",
                           rel);
    u->fd = hal_fs_create(u->cur, false);
    if (u->fd == ERR_EXIST)
        return set_refusal(u, 400, "Bundle refused: %s appears twice; nothing changed", rel);
    if (u->fd < 0) {
        snprintf(why, sizeof why, "%.200s: %s", rel, err_str(u->fd));
        return set_refusal(u, u->fd == ERR_NOSPC ? 507 : 500,
                           "Bundle refused: cannot stage %s; nothing changed", why);
    }
    buf_printf(&u->manifest, "+%s\n", rel);
    if (strncmp(rel, "modules/", 8) == 0)
        u->nmod++;
    else
        u->nweb++;
    return 0;
}

static int on_data(void *arg, const void *p, size_t n)
{
    struct bup *u = arg;
    if (u->fd < 0)
        return 0; /* a skipped entry (a folder) */
    int rc = hal_fs_write(u->fd, p, n);
    if (rc < 0)
        return set_refusal(u, rc == ERR_NOSPC ? 507 : 500,
                           "Bundle refused: staging failed: %s; nothing changed", err_str(rc));
    return 0;
}

static int on_entry_end(void *arg)
{
    struct bup *u = arg;
    if (u->fd < 0)
        return 0;
    int rc = hal_fs_close(u->fd);
    u->fd = -1;
    if (rc < 0)
        return set_refusal(u, 500, "Bundle refused: staging failed: %s; nothing changed",
                           err_str(rc));
    return 0;
}

static const struct tar_ops s_tar_ops = {on_entry, on_data, on_entry_end};

static int reply_refusal(struct bup *u, struct endpoint_reply *rep)
{
    rep->status = u->status ? u->status : 400;
    rep->content_type = "text/plain";
    buf_clear(rep->body);
    buf_puts(rep->body, u->why[0] ? u->why : "Bundle refused; nothing changed");
    LOG_W("bundle refused: %s", u->why);
    return 1;
}

static int refuse(struct endpoint_reply *rep, int status, const char *text)
{
    rep->status = status;
    rep->content_type = "text/plain";
    buf_clear(rep->body);
    buf_puts(rep->body, text);
    LOG_W("bundle refused: %s", text);
    return 1;
}

/* Password always (as POST /update): a bundle installs code (Lua modules) on the node. */
static bool password_ok(struct node *node, const struct endpoint_req *req)
{
    struct str pwd = endpoint_header(req, "x-micros-auth");
    return pwd.p &&
           endpoint_secret_ok(node, req, cfg_get_str(node->cfg, CFG_K_appwd), str_trim(pwd));
}

static bool ready_is_applying(const char *data_dir)
{
    char p[BUNDLE_PATH_CAP];
    return bundle__path2(p, data_dir, "update/bundle.ready/.applying", NULL) == 0 &&
           hal_fs_exists(p);
}

static int b_begin(struct node *node, const struct endpoint_req *req, uint64_t len, void **state,
                   struct endpoint_reply *rep, void *arg)
{
    (void)arg;
    if (!password_ok(node, req)) {
        endpoint_deny(req, rep);
        return 1;
    }
    struct str want = str_trim(endpoint_header(req, "x-sha256"));
    bool hex = want.len == 64;
    for (size_t i = 0; hex && i < want.len; i++)
        hex = (want.p[i] >= '0' && want.p[i] <= '9') || (want.p[i] >= 'a' && want.p[i] <= 'f') ||
              (want.p[i] >= 'A' && want.p[i] <= 'F');
    if (!hex)
        return refuse(rep, 400,
                      "Bundle needs the x-sha256 header: the file's SHA-256, 64 hex characters");
    if (len == 0)
        return refuse(rep, 400, "Bundle: empty body");
    if (s_b.is_busy || s_b.is_pending)
        return refuse(rep, 409, "Bundle refused: another bundle is in progress");
    if (ready_is_applying(node->data_dir))
        return refuse(rep, 409,
                      "Bundle refused: the previous bundle is not completely applied yet "
                      "(restart the node; see system update)");
    struct bup *u = calloc(1, sizeof *u);
    if (!u)
        return ERR_NOMEM;
    u->node = node;
    u->fd = -1;
    u->kind = -1;
    for (size_t i = 0; i < 64; i++)
        u->want[i] =
            (char)(want.p[i] >= 'A' && want.p[i] <= 'F' ? want.p[i] - 'A' + 'a' : want.p[i]);
    sha256_init(&u->sha);
    tar_init(&u->tar, &s_tar_ops, u);
    buf_init(&u->manifest, 1024);
    if (bundle__path2(u->stage, node->data_dir, "update/bundle.stage", NULL) < 0) {
        free(u);
        return refuse(rep, 500, "Bundle: the data folder's path is too long");
    }
    bundle__rm_tree(u->stage, 0);
    int rc = hal_fs_mkdir(u->stage);
    if (rc < 0) {
        buf_free(&u->manifest);
        free(u);
        return refuse(rep, rc == ERR_NOSPC ? 507 : 500,
                      "Bundle: cannot create the staging folder update/bundle.stage");
    }
    s_b.is_busy = true;
    *state = u;
    return 0;
}

/* Feeds tar bytes (after gunzip); fills a refusal on error. Returns 0 or 1 (refused). */
static int feed_tar(struct bup *u, const void *p, size_t n, struct endpoint_reply *rep)
{
    if (tar_done(&u->tar))
        return 0; /* tar's record padding */
    int rc = tar_feed(&u->tar, p, n);
    if (rc == ERR_INVAL && !u->status)
        set_refusal(u, 400, "Bundle refused: not a valid tar archive: %s; nothing changed",
                    u->tar.err);
    return rc < 0 ? reply_refusal(u, rep) : 0;
}

static int b_data(void *state, const void *p, size_t n, struct endpoint_reply *rep)
{
    struct bup *u = state;
    sha256_update(&u->sha, p, n);
    u->size += n;
    if (u->kind < 0) {
        u->kind = ((const unsigned char *)p)[0] == 0x1f ? 1 : 0;
#ifdef MICROS_HAVE_ZLIB
        if (u->kind == 1) {
            u->zout = malloc(ZOUT);
            if (!u->zout || inflateInit2(&u->z, 16 + 15) != Z_OK)
                return refuse(rep, 500, "Bundle: out of memory for gunzip");
            u->is_z_init = true;
        }
#else
        if (u->kind == 1)
            return refuse(rep, 415,
                          "Bundle refused: this build reads .tar bundles only (no zlib): "
                          "send the .tar uncompressed");
#endif
    }
    if (u->kind == 0)
        return feed_tar(u, p, n, rep);
#ifdef MICROS_HAVE_ZLIB
    if (u->is_z_end)
        return 0; /* the rest is hashed, not unpacked */
    u->z.next_in = (unsigned char *)(uintptr_t)p;
    u->z.avail_in = (uInt)n;
    while (u->z.avail_in > 0 && !u->is_z_end) {
        u->z.next_out = u->zout;
        u->z.avail_out = ZOUT;
        int zr = inflate(&u->z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return refuse(rep, 400, "Bundle refused: not a valid gzip file; nothing changed");
        if (zr == Z_STREAM_END)
            u->is_z_end = true;
        size_t made = ZOUT - u->z.avail_out;
        if (tar_done(&u->tar)) {
            /* after the archive's end only tar's record padding may follow (and the
             * gzip trailer must, for its CRC check): a bounded amount */
            u->after_end += made;
            if (u->after_end > (1u << 20))
                return refuse(rep, 400,
                              "Bundle refused: more than 1 MiB after the end of the archive; "
                              "nothing changed");
        } else if (made && feed_tar(u, u->zout, made, rep)) {
            return 1;
        }
        if (zr == Z_BUF_ERROR && made == 0)
            break;
    }
#endif
    return 0;
}

static int b_end(void *state, struct endpoint_reply *rep)
{
    struct bup *u = state;
    uint8_t d[32];
    char got[65];
    sha256_final(&u->sha, d);
    sha256_hex(d, got);
    if (strcmp(got, u->want) != 0) {
        char why[300];
        snprintf(why, sizeof why, "got %s, expected %s", got, u->want);
        set_refusal(u, 400, "Bundle refused: SHA-256 mismatch (%s); nothing changed", why);
        return reply_refusal(u, rep);
    }
#ifdef MICROS_HAVE_ZLIB
    if (u->kind == 1 && !u->is_z_end) {
        set_refusal(u, 400, "%s",
                    "Bundle refused: truncated (the gzip stream does not end); nothing changed");
        return reply_refusal(u, rep);
    }
#endif
    if (!tar_done(&u->tar)) {
        set_refusal(u, 400, "%s",
                    "Bundle refused: truncated (the archive has no end-of-archive blocks); "
                    "nothing changed");
        return reply_refusal(u, rep);
    }
    if (u->files == 0)
        return refuse(rep, 400, "Bundle refused: no files under modules/ or web/; nothing changed");
    char p[BUNDLE_PATH_CAP], ready[BUNDLE_PATH_CAP];
    bundle__join(p, u->stage, ".manifest");
    int rc = hal_fs_write_atomic(p, u->manifest.p, u->manifest.len);
    if (rc == 0 && bundle__path2(ready, u->node->data_dir, "update/bundle.ready", NULL) == 0) {
        bundle__rm_tree(ready, 0); /* an accepted bundle never applied (no restart happened) */
        rc = hal_fs_rename(u->stage, ready);
    }
    if (rc < 0)
        return refuse(rep, rc == ERR_NOSPC ? 507 : 500,
                      "Bundle refused: cannot keep it for the restart; nothing changed");
    u->is_committed = true;
    s_b.is_pending = true;
    char result[300];
    snprintf(result, sizeof result,
             "accepted: %u files (%u modules, %u web), %llu bytes, sha256 %.16s..., applied at "
             "the restart",
             u->files, u->nmod, u->nweb, (unsigned long long)u->size, got);
    bundle__write_status(u->node->data_dir, "accepted", result);
    rep->status = 200;
    rep->content_type = "text/plain";
    buf_printf(rep->body,
               "Bundle accepted: %u files (%u modules, %u web files), sha256 %s. Restarting to "
               "apply it.",
               u->files, u->nmod, u->nweb, got);
    syslog_write(u->node->log, "[BOOT] update bundle accepted (%u files, sha256 %.16s...)",
                 u->files, got);
    if (u->node->reboot)
        u->node->reboot(u->node, false);
    return 0;
}

static void b_close(void *state)
{
    struct bup *u = state;
    if (u->fd >= 0)
        hal_fs_close(u->fd);
#ifdef MICROS_HAVE_ZLIB
    if (u->is_z_init)
        inflateEnd(&u->z);
    free(u->zout);
#endif
    if (!u->is_committed)
        bundle__rm_tree(u->stage, 0);
    buf_free(&u->manifest);
    s_b.is_busy = false;
    free(u);
}

static const struct endpoint_body_ops s_ops = {b_begin, b_data, b_end, b_close};

/* --- rollback: the previous files become a bundle of their own --- */

static int b_rollback(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                      void *arg)
{
    (void)arg;
    if (!password_ok(node, req))
        return endpoint_deny(req, rep);
    if (s_b.is_busy || s_b.is_pending || ready_is_applying(node->data_dir)) {
        refuse(rep, 409, "Rollback refused: a bundle is in progress");
        return 0;
    }
    char prev[BUNDLE_PATH_CAP], mpath[BUNDLE_PATH_CAP], ready[BUNDLE_PATH_CAP];
    bundle__path2(prev, node->data_dir, "update/bundle.prev", NULL);
    bundle__path2(ready, node->data_dir, "update/bundle.ready", NULL);
    bundle__join(mpath, prev, ".manifest");
    char *old = malloc(BUNDLE_MANIFEST_CAP);
    struct buf m;
    buf_init(&m, 1024);
    long n = old ? hal_fs_read(mpath, old, BUNDLE_MANIFEST_CAP) : ERR_NOMEM;
    if (n <= 0) {
        free(old);
        buf_free(&m);
        refuse(rep, 404, "Rollback refused: no previous bundle to go back from");
        return 0;
    }
    /* each path of the last bundle: put the previous file back, or remove the file when
     * there was none before */
    unsigned put = 0, del = 0;
    for (char *line = old; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if ((line[0] == '+' || line[0] == '-') && line[1]) {
            char p[BUNDLE_PATH_CAP];
            bundle__join(p, prev, line + 1);
            bool there = hal_fs_exists(p);
            buf_printf(&m, "%c%s\n", there ? '+' : '-', line + 1);
            put += there;
            del += !there;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(old);
    int rc = hal_fs_write_atomic(mpath, m.p, m.len);
    buf_free(&m);
    if (rc == 0) {
        bundle__rm_tree(ready, 0);
        rc = hal_fs_rename(prev, ready);
    }
    if (rc < 0) {
        refuse(rep, 500, "Rollback failed: cannot stage the previous files");
        return 0;
    }
    s_b.is_pending = true;
    char result[200];
    snprintf(result, sizeof result,
             "rollback accepted: %u files back, %u removed, applied at the restart", put, del);
    bundle__write_status(node->data_dir, "accepted", result);
    rep->content_type = "text/plain";
    buf_printf(rep->body, "Rollback accepted: %u files back, %u removed. Restarting to apply it.",
               put, del);
    syslog_write(node->log, "[BOOT] update bundle rollback accepted");
    if (node->reboot)
        node->reboot(node, false);
    return 0;
}

int bundle_register(struct endpoints *eps, struct node *node)
{
    (void)node;
    int rc = endpoint_add_body(eps, "update/bundle", EP_UNLISTED, &s_ops, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "update/bundle/rollback", EP_POST, EP_UNLISTED, b_rollback, NULL);
    return rc;
}
