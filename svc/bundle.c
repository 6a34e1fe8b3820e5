/* bundle.c - update bundles of modules and web files (svc/bundle.h; docs/files.md). */
#include "bundle.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../core/tar.h"
#include "../hal/hal_fs.h"
#include "cfg.h"
#include "syslog.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MICROS_HAVE_ZLIB
#include <zlib.h>
#endif

#define PATH_CAP     1200
#define ZOUT         (32 * 1024)
#define SEG_MAX      128 /* longest folder or file name in a path */
#define MANIFEST_CAP ((size_t)BUNDLE_FILES_MAX * (TAR_NAME_MAX + 3) + 1)

static struct {
    bool is_busy;    /* an upload in progress */
    bool is_pending; /* an accepted bundle waits for the restart */
} s_b;

/* --- paths and small file helpers --- */

static int path2(char *out, const char *data_dir, const char *a, const char *b)
{
    int w = snprintf(out, PATH_CAP, "%s/%s%s%s", data_dir, a, b && b[0] ? "/" : "", b ? b : "");
    return w > 0 && w < PATH_CAP ? 0 : ERR_TOOBIG;
}

/* out = a/b (PATH_CAP). Returns 0 or ERR_TOOBIG. */
static int join(char *out, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb >= PATH_CAP)
        return ERR_TOOBIG;
    memmove(out, a, la);
    out[la] = '/';
    memmove(out + la + 1, b, lb + 1);
    return 0;
}

/* Creates the folder that will hold path. */
static int mkdir_parent(const char *path)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return hal_fs_mkdir(dir);
}

struct names {
    struct buf text; /* "d name\n" / "f name\n" */
};

static void collect(const char *name, bool is_dir, void *arg)
{
    struct names *n = arg;
    buf_printf(&n->text, "%c%s\n", is_dir ? 'd' : 'f', name);
}

/* Removes dir and everything below it (our own staging folders: no links there). */
static int rm_tree(const char *dir, int depth)
{
    if (depth > 16)
        return ERR_RANGE;
    if (!hal_fs_exists(dir))
        return 0;
    struct names n;
    buf_init(&n.text, 1024);
    int rc = hal_fs_list(dir, collect, &n);
    if (rc < 0) {
        buf_free(&n.text);
        return hal_fs_remove(dir); /* a file, not a folder */
    }
    char *text = n.text.len ? n.text.p : NULL;
    for (char *line = text; rc >= 0 && line && line < n.text.p + n.text.len;) {
        char *nl = memchr(line, '\n', (size_t)(n.text.p + n.text.len - line));
        if (!nl)
            break;
        *nl = '\0';
        char p[PATH_CAP];
        rc = join(p, dir, line + 1);
        if (rc == 0)
            rc = line[0] == 'd' ? rm_tree(p, depth + 1) : hal_fs_remove(p);
        line = nl + 1;
    }
    buf_free(&n.text);
    return rc < 0 ? rc : hal_fs_rmdir(dir);
}

static void write_status(const char *data_dir, const char *phase, const char *result)
{
    char dir[PATH_CAP], path[PATH_CAP];
    if (path2(dir, data_dir, "update", NULL) < 0 ||
        path2(path, data_dir, "update/bundle.state", NULL) < 0)
        return;
    hal_fs_mkdir(dir);
    char text[1024];
    int n = snprintf(text, sizeof text, "phase=%s\nresult=%s\n", phase, result);
    if (n > 0)
        hal_fs_write_atomic(path, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void bundle_status(const char *data_dir, char *phase, size_t pcap, char *result, size_t rcap)
{
    phase[0] = result[0] = '\0';
    char path[PATH_CAP], text[1024];
    if (path2(path, data_dir, "update/bundle.state", NULL) < 0)
        return;
    long n = hal_fs_read(path, text, sizeof text);
    if (n <= 0)
        return;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "phase=", 6) == 0)
            snprintf(phase, pcap, "%s", line + 6);
        else if (strncmp(line, "result=", 7) == 0)
            snprintf(result, rcap, "%s", line + 7);
        line = nl ? nl + 1 : NULL;
    }
}

/* --- entry names --- */

static bool seg_ok(const char *s, size_t n)
{
    if (n == 0 || n > SEG_MAX || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int refuse_name(char *why, size_t wcap, const char *name, const char *reason)
{
    snprintf(why, wcap, "%.200s: %s", name, reason);
    return ERR_PERM;
}

int bundle_name_check(const char *name, int type, char *out, size_t cap, char *why, size_t wcap)
{
    const char *n = name;
    while (n[0] == '.' && n[1] == '/') /* "tar -C dir ." writes ./modules/... */
        n += 2;
    size_t len = strlen(n);
    bool is_dir = type == TAR_DIR;
    while (is_dir && len > 0 && n[len - 1] == '/')
        len--;
    if (type == '2')
        return refuse_name(why, wcap, name, "a symbolic link (bundles hold plain files only)");
    if (type == '1')
        return refuse_name(why, wcap, name, "a hard link (bundles hold plain files only)");
    if (type == '3' || type == '4' || type == '6')
        return refuse_name(why, wcap, name, "a device or FIFO (bundles hold plain files only)");
    if (type != TAR_FILE && !is_dir)
        return refuse_name(why, wcap, name, "an entry of an unsupported kind (plain files only)");
    if (name[0] == '/')
        return refuse_name(why, wcap, name, "an absolute path");
    if (is_dir && (len == 0 || (len == 1 && n[0] == '.')))
        return 0; /* the archive's own top folder */
    if (len == 0 || len >= cap)
        return refuse_name(why, wcap, name, "an empty or too long name");
    /* check every segment */
    size_t nseg = 0, first_len = 0, second_at = 0, second_len = 0;
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && n[j] != '/')
            j++;
        if ((j - i == 2 && n[i] == '.' && n[i + 1] == '.'))
            return refuse_name(why, wcap, name, "a path with '..' (leaves its folder)");
        if (!seg_ok(n + i, j - i))
            return refuse_name(why, wcap, name,
                               "a name outside [A-Za-z0-9._-] (or an empty or '.' part)");
        if (nseg == 0)
            first_len = j - i;
        if (nseg == 1) {
            second_at = i;
            second_len = j - i;
        }
        nseg++;
        i = j + 1;
    }
    bool mods = first_len == 7 && strncmp(n, "modules", 7) == 0;
    bool web = first_len == 3 && strncmp(n, "web", 3) == 0;
    if (!mods && !web)
        return refuse_name(why, wcap, name,
                           "outside modules/ and web/ (a bundle updates only those folders)");
    if (nseg == 1) {
        if (is_dir)
            return 0;
        return refuse_name(why, wcap, name, "a file where a folder belongs");
    }
    if (mods && (nseg > 2 || is_dir))
        return refuse_name(why, wcap, name, "a subfolder of modules/ (modules/ is flat)");
    if (web && second_len == 9 && strncmp(n + second_at, "user_data", 9) == 0)
        return refuse_name(why, wcap, name,
                           "inside web/user_data, the users' upload folder (not part of a bundle)");
    if (nseg > BUNDLE_DEPTH_MAX)
        return refuse_name(why, wcap, name, "folders nested too deep");
    if (is_dir)
        return 0;
    memcpy(out, n, len);
    out[len] = '\0';
    return 1;
}

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
    int fd;             /* the staging file being written, or -1 */
    char cur[PATH_CAP]; /* its path */
    unsigned files, nmod, nweb;
    uint64_t total, size;
    struct buf manifest; /* "+modules/LM_x.lua\n" ... */
    int status;          /* a refusal: HTTP status and text */
    char why[400];
    bool is_committed;
    char stage[PATH_CAP];
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
    char p[PATH_CAP];
    for (size_t i = 0; rel[i]; i++) {
        if (rel[i] != '/')
            continue;
        rel[i] = '\0';
        bool dir = true;
        int e = path2(p, data, rel, NULL) == 0 ? hal_fs_info(p, NULL, NULL, &dir) : ERR_TOOBIG;
        rel[i] = '/';
        if (e == 0 && !dir) {
            snprintf(why, sizeof why, "%.200s: a folder on its way is a file on the node", rel);
            return set_refusal(u, 409, "Bundle refused: %s; nothing changed", why);
        }
    }
    bool dir = false;
    if (path2(p, data, rel, NULL) < 0)
        return set_refusal(u, 400, "Bundle refused: %s: path too long; nothing changed", rel);
    if (hal_fs_info(p, NULL, NULL, &dir) == 0 && dir)
        return set_refusal(u, 409, "Bundle refused: %s is a folder on the node; nothing changed",
                           rel);
    int w = snprintf(u->cur, sizeof u->cur, "%s/%s", u->stage, rel);
    if (w < 0 || (size_t)w >= sizeof u->cur)
        return set_refusal(u, 400, "Bundle refused: %s: path too long; nothing changed", rel);
    mkdir_parent(u->cur);
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
    char p[PATH_CAP];
    return path2(p, data_dir, "update/bundle.ready/.applying", NULL) == 0 && hal_fs_exists(p);
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
    if (path2(u->stage, node->data_dir, "update/bundle.stage", NULL) < 0) {
        free(u);
        return refuse(rep, 500, "Bundle: the data folder's path is too long");
    }
    rm_tree(u->stage, 0);
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
    char p[PATH_CAP], ready[PATH_CAP];
    join(p, u->stage, ".manifest");
    int rc = hal_fs_write_atomic(p, u->manifest.p, u->manifest.len);
    if (rc == 0 && path2(ready, u->node->data_dir, "update/bundle.ready", NULL) == 0) {
        rm_tree(ready, 0); /* an accepted bundle never applied (no restart happened) */
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
    write_status(u->node->data_dir, "accepted", result);
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
        rm_tree(u->stage, 0);
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
    char prev[PATH_CAP], mpath[PATH_CAP], ready[PATH_CAP];
    path2(prev, node->data_dir, "update/bundle.prev", NULL);
    path2(ready, node->data_dir, "update/bundle.ready", NULL);
    join(mpath, prev, ".manifest");
    char *old = malloc(MANIFEST_CAP);
    struct buf m;
    buf_init(&m, 1024);
    long n = old ? hal_fs_read(mpath, old, MANIFEST_CAP) : ERR_NOMEM;
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
            char p[PATH_CAP];
            join(p, prev, line + 1);
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
        rm_tree(ready, 0);
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
    write_status(node->data_dir, "accepted", result);
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

/* --- the apply at start: a journal that rolls forward --- */

static long s_step;       /* steps done (the crash test hook counts them) */
static long s_crash_step; /* MICROS_TEST_BUNDLE_CRASH_AT: die at this step (tests) */

/* One durable step of the apply is done. The test hook kills the process right here, as a
 * kill -9 or a power cut at this point would (tests/blackbox/test_bundle.py). */
static void step_done(void)
{
    if (++s_step == s_crash_step)
        raise(SIGKILL);
}

/* Moves one path of the manifest into place. Returns 0 or ERR_*. */
static int apply_one(const char *data_dir, const char *ready, const char *prev, char op,
                     const char *rel)
{
    char src[PATH_CAP], dst[PATH_CAP], old[PATH_CAP];
    if (join(src, ready, rel) < 0 || join(old, prev, rel) < 0 ||
        path2(dst, data_dir, rel, NULL) < 0)
        return ERR_TOOBIG;
    bool has_src = op == '+' && hal_fs_exists(src);
    if (op == '+' && !has_src)
        return 0; /* done before */
    int rc = 0;
    /* keep the file it replaces (once: a second pass finds it kept already) */
    if (hal_fs_exists(dst) && !hal_fs_exists(old)) {
        mkdir_parent(old);
        rc = hal_fs_rename(dst, old);
        if (rc < 0)
            return rc;
        step_done();
    }
    if (!has_src)
        return 0;
    mkdir_parent(dst);
    rc = hal_fs_rename(src, dst);
    if (rc == 0)
        step_done();
    return rc;
}

/* The apply is complete: removes what is left of the ready folder, records the result. */
static void finish(const char *data_dir, const char *ready, unsigned files)
{
    rm_tree(ready, 0);
    char ph[32], prior[300], r[400];
    bundle_status(data_dir, ph, sizeof ph, prior, sizeof prior);
    const char *what = strncmp(prior, "rollback", 8) == 0 ? "rolled back" : "applied";
    snprintf(r, sizeof r, "%s: %u files (the files they replaced are kept in update/bundle.prev)",
             what, files);
    write_status(data_dir, "applied", r);
    LOG_I("bundle: %s", r);
}

void bundle_boot(const char *data_dir)
{
    const char *crash = getenv("MICROS_TEST_BUNDLE_CRASH_AT");
    s_crash_step = crash ? atol(crash) : 0;
    s_step = 0;
    char stage[PATH_CAP], ready[PATH_CAP], prev[PATH_CAP], mpath[PATH_CAP], mark[PATH_CAP];
    if (path2(stage, data_dir, "update/bundle.stage", NULL) < 0 ||
        path2(ready, data_dir, "update/bundle.ready", NULL) < 0 ||
        path2(prev, data_dir, "update/bundle.prev", NULL) < 0)
        return;
    rm_tree(stage, 0); /* an upload that never finished */
    if (!hal_fs_exists(ready))
        return;
    join(mpath, ready, ".manifest");
    join(mark, ready, ".applying");
    char *man = malloc(MANIFEST_CAP);
    long n = man ? hal_fs_read(mpath, man, MANIFEST_CAP) : ERR_NOMEM;
    if (n < 0) {
        /* the manifest already moved to prev: the apply had finished but for the clean-up */
        free(man);
        if (!hal_fs_exists(mark)) {
            LOG_W("bundle: a staged bundle without its manifest: removed");
            rm_tree(ready, 0);
            return;
        }
        LOG_I("bundle: finishing the clean-up of the last apply");
        char pm[PATH_CAP], text[64 * 1024];
        join(pm, prev, ".manifest");
        long k = hal_fs_read(pm, text, sizeof text);
        unsigned files = 0;
        for (long i = 0; i < k; i++)
            files += text[i] == '\n';
        finish(data_dir, ready, files);
        return;
    }
    int rc = 0;
    unsigned files = 0;
    if (!hal_fs_exists(mark)) {
        /* first pass: make the staged files durable, empty the previous backup, then mark
         * the start (from here on every start completes the apply) */
        for (char *line = man; line < man + n;) {
            char *nl = memchr(line, '\n', (size_t)(man + n - line));
            if (!nl)
                break;
            *nl = '\0';
            char p[PATH_CAP];
            join(p, ready, line + 1);
            if (line[0] == '+')
                hal_fs_sync(p);
            *nl = '\n';
            line = nl + 1;
        }
        hal_fs_sync(ready);
        rm_tree(prev, 0);
        rc = hal_fs_mkdir(prev);
        if (rc == 0)
            rc = hal_fs_write_atomic(mark, "1\n", 2);
        if (rc == 0)
            step_done();
    }
    for (char *line = man; rc == 0 && line < man + n;) {
        char *nl = memchr(line, '\n', (size_t)(man + n - line));
        if (!nl)
            break;
        *nl = '\0';
        if ((line[0] == '+' || line[0] == '-') && line[1]) {
            rc = apply_one(data_dir, ready, prev, line[0], line + 1);
            if (rc < 0)
                LOG_E("bundle: %s: %s", line + 1, err_str(rc));
            files++;
        }
        *nl = '\n';
        line = nl + 1;
    }
    if (rc == 0) {
        char pm[PATH_CAP];
        join(pm, prev, ".manifest");
        rc = hal_fs_write_atomic(pm, man, (size_t)n);
        if (rc == 0) {
            step_done();
            hal_fs_remove(mpath);
            step_done();
        }
    }
    free(man);
    if (rc < 0) {
        char r[200];
        snprintf(r, sizeof r, "failed: %s (tried again at the next start)", err_str(rc));
        write_status(data_dir, "failed", r);
        LOG_E("bundle: applying failed: %s; the next start tries again", err_str(rc));
        return;
    }
    finish(data_dir, ready, files);
}
