/* bundle_apply.c - update bundles: entry-name rules, the state file, and the switch at start,
 * a journal that rolls forward (svc/bundle.h; docs/files.md explains why a kill at any step
 * leaves the old or the new set). */
#include "bundle.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/tar.h"
#include "../hal/hal_fs.h"
#include "bundle_priv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_MAX 128 /* longest folder or file name in a path */

/* --- paths and small file helpers --- */

int bundle__path2(char *out, const char *data_dir, const char *a, const char *b)
{
    int w =
        snprintf(out, BUNDLE_PATH_CAP, "%s/%s%s%s", data_dir, a, b && b[0] ? "/" : "", b ? b : "");
    return w > 0 && w < BUNDLE_PATH_CAP ? 0 : ERR_TOOBIG;
}

/* out = a/b (BUNDLE_PATH_CAP). Returns 0 or ERR_TOOBIG. */
int bundle__join(char *out, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb >= BUNDLE_PATH_CAP)
        return ERR_TOOBIG;
    memmove(out, a, la);
    out[la] = '/';
    memmove(out + la + 1, b, lb + 1);
    return 0;
}

/* Creates the folder that will hold path. */
int bundle__mkdir_parent(const char *path)
{
    char dir[BUNDLE_PATH_CAP];
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
int bundle__rm_tree(const char *dir, int depth)
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
        char p[BUNDLE_PATH_CAP];
        rc = bundle__join(p, dir, line + 1);
        if (rc == 0)
            rc = line[0] == 'd' ? bundle__rm_tree(p, depth + 1) : hal_fs_remove(p);
        line = nl + 1;
    }
    buf_free(&n.text);
    return rc < 0 ? rc : hal_fs_rmdir(dir);
}

void bundle__write_status(const char *data_dir, const char *phase, const char *result)
{
    char dir[BUNDLE_PATH_CAP], path[BUNDLE_PATH_CAP];
    if (bundle__path2(dir, data_dir, "update", NULL) < 0 ||
        bundle__path2(path, data_dir, "update/bundle.state", NULL) < 0)
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
    char path[BUNDLE_PATH_CAP], text[1024];
    if (bundle__path2(path, data_dir, "update/bundle.state", NULL) < 0)
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
    char src[BUNDLE_PATH_CAP], dst[BUNDLE_PATH_CAP], old[BUNDLE_PATH_CAP];
    if (bundle__join(src, ready, rel) < 0 || bundle__join(old, prev, rel) < 0 ||
        bundle__path2(dst, data_dir, rel, NULL) < 0)
        return ERR_TOOBIG;
    bool has_src = op == '+' && hal_fs_exists(src);
    if (op == '+' && !has_src)
        return 0; /* done before */
    int rc = 0;
    /* keep the file it replaces (once: a second pass finds it kept already) */
    if (hal_fs_exists(dst) && !hal_fs_exists(old)) {
        bundle__mkdir_parent(old);
        rc = hal_fs_rename(dst, old);
        if (rc < 0)
            return rc;
        step_done();
    }
    if (!has_src)
        return 0;
    bundle__mkdir_parent(dst);
    rc = hal_fs_rename(src, dst);
    if (rc == 0)
        step_done();
    return rc;
}

/* The apply is complete: removes what is left of the ready folder, records the result. */
static void finish(const char *data_dir, const char *ready, unsigned files)
{
    bundle__rm_tree(ready, 0);
    char ph[32], prior[300], r[400];
    bundle_status(data_dir, ph, sizeof ph, prior, sizeof prior);
    const char *what = strncmp(prior, "rollback", 8) == 0 ? "rolled back" : "applied";
    snprintf(r, sizeof r, "%s: %u files (the files they replaced are kept in update/bundle.prev)",
             what, files);
    bundle__write_status(data_dir, "applied", r);
    LOG_I("bundle: %s", r);
}

void bundle_boot(const char *data_dir)
{
    const char *crash = getenv("MICROS_TEST_BUNDLE_CRASH_AT");
    s_crash_step = crash ? atol(crash) : 0;
    s_step = 0;
    char stage[BUNDLE_PATH_CAP], ready[BUNDLE_PATH_CAP], prev[BUNDLE_PATH_CAP],
        mpath[BUNDLE_PATH_CAP], mark[BUNDLE_PATH_CAP];
    if (bundle__path2(stage, data_dir, "update/bundle.stage", NULL) < 0 ||
        bundle__path2(ready, data_dir, "update/bundle.ready", NULL) < 0 ||
        bundle__path2(prev, data_dir, "update/bundle.prev", NULL) < 0)
        return;
    bundle__rm_tree(stage, 0); /* an upload that never finished */
    if (!hal_fs_exists(ready))
        return;
    bundle__join(mpath, ready, ".manifest");
    bundle__join(mark, ready, ".applying");
    char *man = malloc(BUNDLE_MANIFEST_CAP);
    long n = man ? hal_fs_read(mpath, man, BUNDLE_MANIFEST_CAP) : ERR_NOMEM;
    if (n < 0) {
        /* the manifest already moved to prev: the apply had finished but for the clean-up */
        free(man);
        if (!hal_fs_exists(mark)) {
            LOG_W("bundle: a staged bundle without its manifest: removed");
            bundle__rm_tree(ready, 0);
            return;
        }
        LOG_I("bundle: finishing the clean-up of the last apply");
        char pm[BUNDLE_PATH_CAP], text[64 * 1024];
        bundle__join(pm, prev, ".manifest");
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
            char p[BUNDLE_PATH_CAP];
            bundle__join(p, ready, line + 1);
            if (line[0] == '+')
                hal_fs_sync(p);
            *nl = '\n';
            line = nl + 1;
        }
        hal_fs_sync(ready);
        bundle__rm_tree(prev, 0);
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
        char pm[BUNDLE_PATH_CAP];
        bundle__join(pm, prev, ".manifest");
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
        bundle__write_status(data_dir, "failed", r);
        LOG_E("bundle: applying failed: %s; the next start tries again", err_str(rc));
        return;
    }
    finish(data_dir, ready, files);
}
