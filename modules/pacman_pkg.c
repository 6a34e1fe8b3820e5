/* pacman_pkg.c - `pacman install/upgrade/uninstall` of mip-style packages from an http(s)://
 * URL (COMPAT C.3; docs/files.md): package.json ({"urls": [[dest, src], ...], "version": ...})
 * is fetched with the node's non-blocking HTTP client, every destination is checked to stay
 * inside the data folder (and out of config/), every file is fetched into "<dest>.pkgpart" and
 * all are renamed into place only when every one arrived, so a failed install leaves nothing.
 * The record <data>/packages/<name>/pacman.json says what was installed from where. One install
 * runs at a time; the command answers at once and `pacman inspect <name>` shows the outcome. */
#include "pacman_pkg.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_httpc.h"
#include "../svc/syslog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKG_FILES_MAX 32
#define PKG_JSON_MAX  (64 * 1024)
#define PKG_FILE_MAX  (1024 * 1024) /* one file */
#define PKG_TIMEOUT   15000
#define PATH_CAP      1100

static struct {
    bool is_busy;
    struct node *node;
    char name[64];
    char ref[HAL_HTTPC_MAX_URL];
    char base[HAL_HTTPC_MAX_URL]; /* ref without its last segment, ends with '/' */
    char dest[PKG_FILES_MAX][256];
    char src[PKG_FILES_MAX][HAL_HTTPC_MAX_URL];
    size_t n, at;
    char *pkg_json;
} s_pkg;

/* True when dest is a safe relative path inside the data folder (and not config/). */
static bool dest_ok(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n >= 200 || d[0] == '/' || strncmp(d, "config", 6) == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = d[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/'))
            return false;
        if (c == '.' && (i == 0 || d[i - 1] == '/') && i + 1 < n && d[i + 1] == '.')
            return false; /* a ".." segment */
    }
    return d[n - 1] != '/';
}

static void record(const char *state)
{
    char dir[PATH_CAP], path[PATH_CAP + 16];
    snprintf(dir, sizeof dir, "%s/packages/%s", s_pkg.node->data_dir, s_pkg.name);
    hal_fs_mkdir(dir);
    snprintf(path, sizeof path, "%s/pacman.json", dir);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "name", s_pkg.name);
    cJSON_AddStringToObject(r, "ref", s_pkg.ref);
    cJSON_AddStringToObject(r, "state", state);
    cJSON *files = cJSON_AddArrayToObject(r, "files");
    for (size_t i = 0; i < s_pkg.n; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(s_pkg.dest[i]));
    cJSON *pkg = s_pkg.pkg_json ? cJSON_Parse(s_pkg.pkg_json) : NULL;
    if (pkg)
        cJSON_AddItemToObject(r, "package", pkg);
    char *text = cJSON_PrintUnformatted(r);
    if (text)
        hal_fs_write_atomic(path, text, strlen(text));
    free(text);
    cJSON_Delete(r);
}

static void part_path(size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.pkgpart", s_pkg.node->data_dir, s_pkg.dest[i]);
}

static void finish(const char *state)
{
    if (strncmp(state, "installed", 9) != 0)
        for (size_t i = 0; i < s_pkg.n; i++) {
            char p[PATH_CAP];
            part_path(i, p, sizeof p);
            hal_fs_remove(p);
        }
    record(state);
    syslog_write(s_pkg.node->log, "[%s] pacman: %s %s: %s",
                 strncmp(state, "installed", 9) == 0 ? "INFO" : "WARN", s_pkg.name, s_pkg.ref,
                 state);
    free(s_pkg.pkg_json);
    s_pkg.pkg_json = NULL;
    s_pkg.is_busy = false;
}

static void fetch_next(void);

static void on_file(void *arg, const struct hal_httpc_reply *r)
{
    (void)arg;
    char state[300];
    if (r->err < 0 || r->status != 200) {
        if (r->err < 0)
            snprintf(state, sizeof state, "failed: %.200s: %.80s", s_pkg.src[s_pkg.at], r->errtext);
        else
            snprintf(state, sizeof state, "failed: %.200s: HTTP %d", s_pkg.src[s_pkg.at],
                     r->status);
        finish(state);
        return;
    }
    char p[PATH_CAP], dir[PATH_CAP];
    part_path(s_pkg.at, p, sizeof p);
    snprintf(dir, sizeof dir, "%s", p);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    hal_fs_mkdir(dir);
    int rc = hal_fs_write_atomic(p, r->body, r->body_len);
    if (rc < 0) {
        snprintf(state, sizeof state, "failed: writing %s: %s", s_pkg.dest[s_pkg.at], err_str(rc));
        finish(state);
        return;
    }
    s_pkg.at++;
    fetch_next();
}

static void fetch_next(void)
{
    if (s_pkg.at == s_pkg.n) {
        for (size_t i = 0; i < s_pkg.n; i++) {
            char from[PATH_CAP], to[PATH_CAP];
            part_path(i, from, sizeof from);
            snprintf(to, sizeof to, "%s/%s", s_pkg.node->data_dir, s_pkg.dest[i]);
            hal_fs_rename(from, to);
        }
        char state[64];
        snprintf(state, sizeof state, "installed (%zu files)", s_pkg.n);
        finish(state);
        return;
    }
    struct hal_httpc_req req = {
        .url = s_pkg.src[s_pkg.at], .timeout_ms = PKG_TIMEOUT, .max_reply = PKG_FILE_MAX};
    int id = hal_httpc_request(&req, on_file, NULL);
    if (id < 0) {
        char state[300];
        snprintf(state, sizeof state, "failed: %.200s: %.80s", s_pkg.src[s_pkg.at], err_str(id));
        finish(state);
    }
}

static void on_json(void *arg, const struct hal_httpc_reply *r)
{
    (void)arg;
    char state[400];
    if (r->err < 0 || r->status != 200) {
        if (r->err < 0)
            snprintf(state, sizeof state, "failed: package.json: %s", r->errtext);
        else
            snprintf(state, sizeof state, "failed: package.json: HTTP %d", r->status);
        finish(state);
        return;
    }
    s_pkg.pkg_json = malloc(r->body_len + 1);
    if (s_pkg.pkg_json) {
        memcpy(s_pkg.pkg_json, r->body, r->body_len);
        s_pkg.pkg_json[r->body_len] = '\0';
    }
    cJSON *j = cJSON_Parse(r->body);
    cJSON *urls = cJSON_GetObjectItem(j, "urls");
    if (!cJSON_IsArray(urls) || cJSON_GetArraySize(urls) == 0 ||
        cJSON_GetArraySize(urls) > PKG_FILES_MAX) {
        cJSON_Delete(j);
        snprintf(state, sizeof state, "failed: package.json has no \"urls\" list (1-%d entries)",
                 PKG_FILES_MAX);
        finish(state);
        return;
    }
    s_pkg.n = 0;
    cJSON *u;
    cJSON_ArrayForEach(u, urls)
    {
        cJSON *d = cJSON_GetArrayItem(u, 0), *src = cJSON_GetArrayItem(u, 1);
        if (!cJSON_IsString(d) || !cJSON_IsString(src)) {
            snprintf(state, sizeof state, "failed: an entry of \"urls\" is not [dest, src]");
            goto bad;
        }
        const char *dest = d->valuestring;
        char fixed[256];
        /* a bare Load Module name goes to modules/ */
        if (!strchr(dest, '/') && strncmp(dest, "LM_", 3) == 0)
            snprintf(fixed, sizeof fixed, "modules/%s", dest);
        else
            snprintf(fixed, sizeof fixed, "%s", dest);
        if (!dest_ok(fixed)) {
            snprintf(state, sizeof state,
                     "failed: destination %.200s leaves the data folder (or is config/)", dest);
            goto bad;
        }
        snprintf(s_pkg.dest[s_pkg.n], sizeof s_pkg.dest[0], "%s", fixed);
        const char *sv = src->valuestring;
        int w = strncmp(sv, "http://", 7) == 0 || strncmp(sv, "https://", 8) == 0
                    ? snprintf(s_pkg.src[s_pkg.n], sizeof s_pkg.src[0], "%s", sv)
                    : snprintf(s_pkg.src[s_pkg.n], sizeof s_pkg.src[0], "%s%s", s_pkg.base, sv);
        if (w < 0 || (size_t)w >= sizeof s_pkg.src[0]) {
            snprintf(state, sizeof state, "failed: source URL too long");
            goto bad;
        }
        s_pkg.n++;
    }
    cJSON_Delete(j);
    s_pkg.at = 0;
    fetch_next();
    return;
bad:
    cJSON_Delete(j);
    s_pkg.n = 0;
    finish(state);
}

int pacman_pkg_install(struct node *node, const char *ref, char *msg, size_t cap)
{
    if (!ref || (strncmp(ref, "http://", 7) != 0 && strncmp(ref, "https://", 8) != 0)) {
        snprintf(msg, cap, "install takes the http:// URL of a package.json (or its folder)");
        return ERR_INVAL;
    }
    if (s_pkg.is_busy) {
        snprintf(msg, cap, "another install is running (%s)", s_pkg.name);
        return ERR_BUSY;
    }
    memset(&s_pkg, 0, sizeof s_pkg);
    s_pkg.node = node;
    size_t rl = strlen(ref);
    bool is_json = rl > 5 && strcmp(ref + rl - 5, ".json") == 0;
    int w = snprintf(s_pkg.ref, sizeof s_pkg.ref, "%s%s%s", ref,
                     is_json || ref[rl - 1] == '/' ? "" : "/", is_json ? "" : "package.json");
    if (w < 0 || (size_t)w >= sizeof s_pkg.ref) {
        snprintf(msg, cap, "URL too long");
        return ERR_INVAL;
    }
    snprintf(s_pkg.base, sizeof s_pkg.base, "%s", s_pkg.ref);
    char *slash = strrchr(s_pkg.base, '/');
    if (slash)
        slash[1] = '\0';
    /* the name: the folder holding package.json */
    char tmp[HAL_HTTPC_MAX_URL];
    snprintf(tmp, sizeof tmp, "%s", s_pkg.base);
    size_t tl = strlen(tmp);
    if (tl && tmp[tl - 1] == '/')
        tmp[--tl] = '\0';
    const char *nm = strrchr(tmp, '/');
    nm = nm ? nm + 1 : tmp;
    size_t k = 0;
    for (; *nm && k + 1 < sizeof s_pkg.name; nm++)
        if ((*nm >= 'a' && *nm <= 'z') || (*nm >= 'A' && *nm <= 'Z') ||
            (*nm >= '0' && *nm <= '9') || *nm == '_' || *nm == '-' || *nm == '.')
            s_pkg.name[k++] = *nm;
    if (k == 0 || strchr(s_pkg.name, ':'))
        snprintf(s_pkg.name, sizeof s_pkg.name, "package");
    struct hal_httpc_req req = {
        .url = s_pkg.ref, .timeout_ms = PKG_TIMEOUT, .max_reply = PKG_JSON_MAX};
    int id = hal_httpc_request(&req, on_json, NULL);
    if (id < 0) {
        snprintf(msg, cap, "cannot start the download: %s", err_str(id));
        return id;
    }
    s_pkg.is_busy = true;
    record("installing");
    snprintf(msg, cap, "Installing %s from %s: started; `pacman inspect %s` shows the result",
             s_pkg.name, s_pkg.ref, s_pkg.name);
    return 0;
}

int pacman_pkg_uninstall(struct node *node, const char *name, char *msg, size_t cap)
{
    if (!name || strchr(name, '/') || strstr(name, "..") || !*name) {
        snprintf(msg, cap, "invalid package name");
        return ERR_INVAL;
    }
    char path[PATH_CAP], text[PKG_JSON_MAX];
    snprintf(path, sizeof path, "%s/packages/%s/pacman.json", node->data_dir, name);
    long n = hal_fs_read(path, text, sizeof text);
    if (n < 0) {
        snprintf(msg, cap, "Package not installed: %s", name);
        return ERR_NOENT;
    }
    cJSON *j = cJSON_Parse(text);
    cJSON *files = cJSON_GetObjectItem(j, "files"), *f;
    int removed = 0;
    cJSON_ArrayForEach(f, files)
    {
        if (!cJSON_IsString(f) || !dest_ok(f->valuestring))
            continue;
        char p[PATH_CAP];
        snprintf(p, sizeof p, "%s/%s", node->data_dir, f->valuestring);
        removed += hal_fs_remove(p) == 0;
    }
    cJSON_Delete(j);
    hal_fs_remove(path);
    snprintf(path, sizeof path, "%s/packages/%s", node->data_dir, name);
    hal_fs_rmdir(path);
    snprintf(msg, cap, "Uninstalled %s (%d files removed)", name, removed);
    return 0;
}

int pacman_pkg_ref(struct node *node, const char *name, char *ref, size_t cap)
{
    if (!name || strchr(name, '/') || strstr(name, ".."))
        return ERR_INVAL;
    char path[PATH_CAP], text[PKG_JSON_MAX];
    snprintf(path, sizeof path, "%s/packages/%s/pacman.json", node->data_dir, name);
    if (hal_fs_read(path, text, sizeof text) < 0)
        return ERR_NOENT;
    cJSON *j = cJSON_Parse(text);
    cJSON *r = cJSON_GetObjectItem(j, "ref");
    int rc = cJSON_IsString(r) ? 0 : ERR_NOENT;
    if (rc == 0)
        snprintf(ref, cap, "%s", r->valuestring);
    cJSON_Delete(j);
    return rc;
}
