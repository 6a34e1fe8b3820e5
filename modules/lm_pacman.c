/* lm_pacman.c - Load Module `pacman` (COMPAT Part C.3): the node's files, its Load Modules,
 * and packages. Every path is taken inside the node's data folder ("/" is the data folder;
 * ".." is refused), and config/ (it holds the secrets) is protected: `cat` refuses it, `rm`
 * needs force (sudo). Packages are installed from http(s):// URLs by
 * modules/pacman_pkg.c. */
#include "../core/buf.h"
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../svc/lm.h"
#include "pacman_pkg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 1024
#define CAT_MAX  (32 * 1024) /* cat shows at most this much (the reply must fit the arena) */
#define LIST_MAX 256         /* entries listed */
#define RM_DEPTH 8           /* rmdir force: folder depth */
#define PKG_DIR  "packages"  /* <data>/packages/<name>/pacman.json: what install wrote */
#define NOT_YET                                                                                    \
    "needs the node's HTTP client, not in this build yet: copy the files with the file server "    \
    "(POST /fs/files) or `microsctl put` instead"

/* Resolves a user path to <data>/<path>. Returns false (and an error reply) when it leaves
 * the data folder. rel gets the path relative to the data folder ("" = the folder). */
static bool resolve(struct lm_ctx *ctx, const char *path, char *out, size_t cap, const char **rel)
{
    if (!path)
        path = "/";
    while (*path == '/')
        path++;
    struct str p = str_c(path);
    bool bad = memchr(p.p, '\\', p.len) != NULL;
    for (size_t i = 0; !bad && i <= p.len;) {
        size_t j = i;
        while (j < p.len && p.p[j] != '/')
            j++;
        bad = j - i == 2 && p.p[i] == '.' && p.p[i + 1] == '.';
        i = j + 1;
    }
    int w = snprintf(out, cap, "%s%s%s", ctx->node->data_dir, p.len ? "/" : "", path);
    if (bad || w < 0 || (size_t)w >= cap) {
        lm_error(ctx, "path outside the data folder: %s", path);
        return false;
    }
    if (rel)
        *rel = path;
    return true;
}

static bool is_protected(const char *rel)
{
    return strncmp(rel, "config", 6) == 0 && (rel[6] == '\0' || rel[6] == '/');
}

struct entries {
    char name[LIST_MAX][128];
    bool is_dir[LIST_MAX];
    size_t n;
};

static void on_entry(const char *name, bool is_dir, void *arg)
{
    struct entries *e = arg;
    if (e->n == LIST_MAX || strlen(name) >= sizeof e->name[0])
        return;
    snprintf(e->name[e->n], sizeof e->name[0], "%s", name);
    e->is_dir[e->n++] = is_dir;
}

/* Lists dir into a sorted entries (heap; caller frees). */
static struct entries *list_sorted(const char *dir, int *rc)
{
    struct entries *e = calloc(1, sizeof *e);
    if (!e) {
        *rc = ERR_NOMEM;
        return NULL;
    }
    *rc = hal_fs_list(dir, on_entry, e);
    /* insertion sort, names and kinds together (at most LIST_MAX entries) */
    for (size_t i = 1; i < e->n; i++)
        for (size_t k = i; k > 0 && strcmp(e->name[k - 1], e->name[k]) > 0; k--) {
            char t[128];
            memcpy(t, e->name[k], sizeof t);
            memcpy(e->name[k], e->name[k - 1], sizeof t);
            memcpy(e->name[k - 1], t, sizeof t);
            bool d = e->is_dir[k];
            e->is_dir[k] = e->is_dir[k - 1];
            e->is_dir[k - 1] = d;
        }
    return e;
}

static bool selected(const char *name, const char *select)
{
    if (!select || strcmp(select, "*") == 0)
        return true;
    return strncmp(name, select, strlen(select)) == 0 && name[strlen(select)] == '_';
}

static int fn_ls(struct lm_ctx *ctx)
{
    char dir[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), dir, sizeof dir, &rel))
        return ERR_INVAL;
    const char *content = lm_str(ctx, "content");
    const char *select = lm_str(ctx, "select");
    bool core = lm_bool(ctx, "core");
    int rc;
    struct entries *e = list_sorted(dir, &rc);
    if (!e || rc < 0) {
        free(e);
        return lm_error(ctx, "%s: %s", dir, err_str(rc));
    }
    struct arena *a = ctx->arena;
    bool raw = lm_bool(ctx, "raw");
    struct val *list = val_list(a);
    struct buf out;
    buf_init(&out, 64 * 1024);
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        const char *type = e->is_dir[i] ? "d" : "f";
        if (content && strcmp(content, "*") != 0 && strcmp(content, type) != 0)
            continue;
        if (!selected(e->name[i], select))
            continue;
        if (!core && rel[0] == '\0' && strcmp(e->name[i], "config") == 0)
            continue; /* the secrets' folder: core=True shows it */
        k++;
        if (raw) {
            struct val *t = val_tuple(a);
            val_append(t, val_str(a, type));
            val_append(t, val_str(a, e->name[i]));
            val_append(list, content && strcmp(content, "*") != 0 ? val_str(a, e->name[i]) : t);
        } else if (content && strcmp(content, "*") != 0) {
            buf_printf(&out, "%zu%*s%s\n", k,
                       (int)(4 - (k > 999  ? 4
                                  : k > 99 ? 3
                                  : k > 9  ? 2
                                           : 1)),
                       "", e->name[i]);
        } else {
            buf_printf(&out, "%zu%*s%s   %s\n", k,
                       (int)(4 - (k > 999  ? 4
                                  : k > 99 ? 3
                                  : k > 9  ? 2
                                           : 1)),
                       "", type, e->name[i]);
        }
    }
    free(e);
    rc = raw ? lm_ret(ctx, list) : lm_ret_str(ctx, buf_cstr(&out) ? buf_cstr(&out) : "");
    buf_free(&out);
    return rc;
}

static int fn_cat(struct lm_ctx *ctx)
{
    char p[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), p, sizeof p, &rel))
        return ERR_INVAL;
    if (is_protected(rel))
        return lm_ret_str(ctx, "Read not allowed");
    char *data = malloc(CAT_MAX + 1);
    if (!data)
        return ERR_NOMEM;
    long n = hal_fs_read(p, data, CAT_MAX + 1);
    int rc;
    if (n == ERR_TOOBIG)
        rc = lm_error(ctx, "%s: larger than %d bytes: download it with the file server", rel,
                      CAT_MAX);
    else if (n < 0)
        rc = lm_error(ctx, "%s: %s", rel, err_str((int)n));
    else
        rc = lm_ret(ctx, val_strn(ctx->arena, data, (size_t)n));
    free(data);
    return rc;
}

static int fn_rm(struct lm_ctx *ctx)
{
    char p[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), p, sizeof p, &rel))
        return ERR_INVAL;
    if (rel[0] == '\0' || (is_protected(rel) && !lm_bool(ctx, "force")))
        return lm_ret_strf(ctx, "Protected path: %s (rm force=True with pwd)", rel);
    bool dir = false;
    if (hal_fs_info(p, NULL, NULL, &dir) < 0)
        return lm_ret_strf(ctx, "Not exists: %s", rel);
    if (dir)
        return lm_ret_strf(ctx, "%s is a folder: use rmdir", rel);
    int rc = hal_fs_remove(p);
    return rc < 0 ? lm_error(ctx, "%s: %s", rel, err_str(rc))
                  : lm_ret_strf(ctx, "Removed: %s", rel);
}

static int remove_tree(const char *dir, int depth)
{
    if (depth > RM_DEPTH)
        return ERR_RANGE;
    int rc;
    struct entries *e = list_sorted(dir, &rc);
    if (!e)
        return rc;
    for (size_t i = 0; rc >= 0 && i < e->n; i++) {
        char p[PATH_CAP];
        int w = snprintf(p, sizeof p, "%s/%s", dir, e->name[i]);
        if (w < 0 || (size_t)w >= sizeof p) {
            rc = ERR_TOOBIG;
            break;
        }
        rc = e->is_dir[i] ? remove_tree(p, depth + 1) : hal_fs_remove(p);
    }
    free(e);
    return rc < 0 ? rc : hal_fs_rmdir(dir);
}

static int fn_rmdir(struct lm_ctx *ctx)
{
    char p[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), p, sizeof p, &rel))
        return ERR_INVAL;
    bool force = lm_bool(ctx, "force");
    if (rel[0] == '\0' || (is_protected(rel) && !force))
        return lm_ret_strf(ctx, "Protected path: %s", rel[0] ? rel : "/");
    int rc = force ? remove_tree(p, 0) : hal_fs_rmdir(p);
    if (rc == ERR_EXIST)
        return lm_ret_strf(ctx, "%s is not empty (rmdir force=True with pwd)", rel);
    return rc < 0 ? lm_error(ctx, "%s: %s", rel, err_str(rc))
                  : lm_ret_strf(ctx, "Removed folder: %s", rel);
}

static int fn_makedir(struct lm_ctx *ctx)
{
    char p[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), p, sizeof p, &rel))
        return ERR_INVAL;
    int rc = hal_fs_mkdir(p);
    return rc < 0 ? lm_ret_strf(ctx, "%s failed to create: %s", rel, err_str(rc))
                  : lm_ret_strf(ctx, "%s dir created.", rel);
}

static int fn_dirtree(struct lm_ctx *ctx)
{
    char dir[PATH_CAP];
    const char *rel;
    if (!resolve(ctx, lm_str(ctx, "path"), dir, sizeof dir, &rel))
        return ERR_INVAL;
    int rc;
    struct entries *e = list_sorted(dir, &rc);
    if (!e || rc < 0) {
        free(e);
        return lm_error(ctx, "%s: %s", rel, err_str(rc));
    }
    struct arena *a = ctx->arena;
    bool raw = lm_bool(ctx, "raw");
    struct val *d = val_dict(a);
    struct buf out;
    buf_init(&out, 64 * 1024);
    for (size_t i = 0; i < e->n; i++) {
        if (!e->is_dir[i] ||
            (!lm_bool(ctx, "core") && rel[0] == '\0' && !strcmp(e->name[i], "config")))
            continue;
        char sub[PATH_CAP], label[PATH_CAP];
        int w1 = snprintf(sub, sizeof sub, "%s/%s", dir, e->name[i]);
        int w2 = snprintf(label, sizeof label, "/%s%s%s/", rel, rel[0] ? "/" : "", e->name[i]);
        if (w1 < 0 || (size_t)w1 >= sizeof sub || w2 < 0 || (size_t)w2 >= sizeof label)
            continue;
        int r2;
        struct entries *s = list_sorted(sub, &r2);
        struct val *items = val_list(a);
        buf_printf(&out, "%s\n", label);
        for (size_t k = 0; s && k < s->n; k++) {
            struct val *t = val_tuple(a);
            val_append(t, val_str(a, s->is_dir[k] ? "d" : "f"));
            val_append(t, val_str(a, s->name[k]));
            val_append(items, t);
            buf_printf(&out, "\t%s   %s\n", s->is_dir[k] ? "d" : "f", s->name[k]);
        }
        free(s);
        val_dict_set(a, d, label, items);
    }
    free(e);
    rc = raw ? lm_ret(ctx, d) : lm_ret_str(ctx, buf_cstr(&out) ? buf_cstr(&out) : "");
    buf_free(&out);
    return rc;
}

/* --- Load Modules: built-in C ones, and files in <data>/modules --- */

static bool is_module_file(const char *n)
{
    size_t len = strlen(n);
    return strncmp(n, "LM_", 3) == 0 &&
           ((len > 7 && !strcmp(n + len - 4, ".lua")) || (len > 6 && !strcmp(n + len - 3, ".py")) ||
            (len > 7 && !strcmp(n + len - 4, ".mpy")));
}

static int fn_listmods(struct lm_ctx *ctx)
{
    struct arena *a = ctx->arena;
    struct val *list = val_list(a);
    for (size_t i = 0; ctx->node->modules && ctx->node->modules[i]; i++)
        val_append(list, val_strf(a, "   %s (built-in C)", ctx->node->modules[i]->name));
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/modules", ctx->node->data_dir);
    int rc;
    struct entries *e = list_sorted(dir, &rc);
    for (size_t i = 0; e && i < e->n; i++)
        if (!e->is_dir[i] && is_module_file(e->name[i]))
            val_append(list, val_strf(a, "   %s", e->name[i] + 3));
    free(e);
    return lm_ret(ctx, list);
}

static int fn_delmod(struct lm_ctx *ctx)
{
    const char *mod = lm_str(ctx, "mod");
    if (!mod || !*mod)
        return lm_error(ctx, "delmod mod=<module>.lua|.py|.mpy");
    size_t len = strlen(mod);
    const char *dot = strrchr(mod, '.');
    size_t base = dot ? (size_t)(dot - mod) : len;
    for (size_t i = 0; ctx->node->modules && ctx->node->modules[i]; i++) {
        const char *n = ctx->node->modules[i]->name;
        if (strlen(n) == base && !strncmp(n, mod, base) && (!dot || !strcmp(dot, ".c")))
            return lm_ret_strf(ctx,
                               "Cannot delete: %s: a built-in C module (compiled into micros; "
                               "rebuild without it)",
                               mod);
    }
    if (!dot || !(strcmp(dot, ".py") == 0 || strcmp(dot, ".mpy") == 0 || strcmp(dot, ".lua") == 0))
        return lm_ret_strf(ctx, "Invalid %s, must end with .lua, .py or .mpy", mod);
    for (size_t i = 0; i < len; i++)
        if (mod[i] == '/' || mod[i] == '\\')
            return lm_ret_strf(ctx, "Invalid %s: a module name, not a path", mod);
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/modules/LM_%s", ctx->node->data_dir, mod);
    int rc = hal_fs_remove(p);
    if (rc == ERR_NOENT)
        return lm_ret_strf(ctx, "Cannot delete: %s: not found", mod);
    return rc < 0 ? lm_ret_strf(ctx, "Cannot delete: %s: %s", mod, err_str(rc))
                  : lm_ret_strf(ctx, "Removed: modules/LM_%s", mod);
}

/* --- data dumps --- */

static int dump_ext(struct lm_ctx *ctx, const char *ext, bool as_dict)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/data", ctx->node->data_dir);
    int rc;
    struct entries *e = list_sorted(dir, &rc);
    struct arena *a = ctx->arena;
    struct val *out = as_dict ? val_dict(a) : val_list(a);
    char *data = malloc(4096);
    for (size_t i = 0; e && data && i < e->n; i++) {
        size_t nl = strlen(e->name[i]), el = strlen(ext);
        if (e->is_dir[i] || nl <= el || strcmp(e->name[i] + nl - el, ext) != 0)
            continue;
        char p[PATH_CAP];
        int w = snprintf(p, sizeof p, "%s/%s", dir, e->name[i]);
        if (w < 0 || (size_t)w >= sizeof p)
            continue;
        long n = hal_fs_read(p, data, 4096);
        const char *text = n >= 0 ? data : "<too large or unreadable>";
        if (as_dict)
            val_dict_set(a, out, e->name[i], val_str(a, text));
        else
            val_append(out, val_strf(a, "data/%s: %s", e->name[i], text));
    }
    free(data);
    free(e);
    return lm_ret(ctx, out);
}

static int fn_cachedump(struct lm_ctx *ctx)
{
    const char *del = lm_str(ctx, "delete");
    const char *ext = lm_str(ctx, "ext");
    if (!del)
        return dump_ext(ctx, ".cache", false);
    if (strchr(del, '/') || strstr(del, ".."))
        return lm_ret_strf(ctx, "%s.%s not exists", del, ext ? ext : "cache");
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/data/%s.%s", ctx->node->data_dir, del, ext ? ext : "cache");
    int rc = hal_fs_remove(p);
    return rc < 0 ? lm_ret_strf(ctx, "%s.%s not exists", del, ext ? ext : "cache")
                  : lm_ret_strf(ctx, "data/%s.%s delete done.", del, ext ? ext : "cache");
}

static int fn_datdump(struct lm_ctx *ctx)
{
    return dump_ext(ctx, ".dat", true);
}

/* --- packages --- */

static int fn_install(struct lm_ctx *ctx)
{
    char msg[600];
    int rc = pacman_pkg_install(ctx->node, lm_str(ctx, "ref"), msg, sizeof msg);
    return rc < 0 ? lm_error(ctx, "install: %s", msg) : lm_ret_str(ctx, msg);
}

static int fn_upgrade(struct lm_ctx *ctx)
{
    const char *name = lm_str(ctx, "name");
    char ref[2048], msg[600];
    if (pacman_pkg_ref(ctx->node, name, ref, sizeof ref) < 0)
        return lm_ret_strf(ctx, "Package not installed: %s", name ? name : "None");
    int rc = pacman_pkg_install(ctx->node, ref, msg, sizeof msg);
    return rc < 0 ? lm_error(ctx, "upgrade: %s", msg) : lm_ret_str(ctx, msg);
}

/* The installed packages (pkg NULL), or pkg's pacman.json. */
static int inspect(struct lm_ctx *ctx, const char *pkg)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/%s", ctx->node->data_dir, PKG_DIR);
    if (!pkg) {
        int rc;
        struct entries *e = list_sorted(dir, &rc);
        struct val *list = val_list(ctx->arena);
        for (size_t i = 0; e && i < e->n; i++)
            if (e->is_dir[i])
                val_append(list, val_str(ctx->arena, e->name[i]));
        free(e);
        return lm_ret(ctx, list);
    }
    if (strchr(pkg, '/') || strstr(pkg, ".."))
        return lm_error(ctx, "invalid package name: %s", pkg);
    char p[PATH_CAP];
    int w = snprintf(p, sizeof p, "%s/%s/pacman.json", dir, pkg);
    if (w < 0 || (size_t)w >= sizeof p)
        return lm_error(ctx, "invalid package name: %s", pkg);
    char buf[4096];
    long n = hal_fs_read(p, buf, sizeof buf);
    if (n < 0)
        return lm_ret_strf(ctx, "Package not installed: %s", pkg);
    return lm_ret(ctx, val_strn(ctx->arena, buf, (size_t)n));
}

static int fn_inspect(struct lm_ctx *ctx)
{
    return inspect(ctx, lm_str(ctx, "package"));
}

static int fn_uninstall(struct lm_ctx *ctx)
{
    const char *name = lm_str(ctx, "name");
    if (!name) /* the installed packages (uninstall declares no "package") */
        return inspect(ctx, NULL);
    char msg[300];
    pacman_pkg_uninstall(ctx->node, name, msg, sizeof msg);
    return lm_ret_str(ctx, msg);
}

static int fn_unload(struct lm_ctx *ctx)
{
    const char *m = lm_str(ctx, "module");
    if (!m || (strncmp(m, "LM_", 3) != 0 && strncmp(m, "IO_", 3) != 0))
        return lm_ret_strf(ctx, "Invalid module: %s (LM_ or IO_ names only)", m ? m : "None");
    return lm_ret_strf(ctx,
                       "Module unload %s: built-in C modules stay loaded; a Lua module is "
                       "reloaded when its file changes",
                       m);
}

static int fn_checksum(struct lm_ctx *ctx)
{
    return lm_ret_strf(ctx, "micrOS version: %s", ctx->node->version);
}

static const struct lm_func s_funcs[] = {
    {.name = "ls",
     .fn = fn_ls,
     .params = LM_PARAMS({"path", LM_STR, "'/'", NULL}, {"content", LM_STR, "'*'", "*,f,d"},
                         {"raw", LM_BOOL, "False", NULL}, {"select", LM_STR, "'*'", "*,LM,IO"},
                         {"core", LM_BOOL, "False", NULL})},
    {.name = "rm",
     .fn = fn_rm,
     .params = LM_PARAMS({"path", LM_STR, NULL, NULL}, {"force", LM_BOOL, "False", NULL}),
     .flags = LM_SUDO_FORCE},
    {.name = "rmdir",
     .fn = fn_rmdir,
     .params = LM_PARAMS({"path", LM_STR, NULL, NULL}, {"force", LM_BOOL, "False", NULL}),
     .flags = LM_SUDO_FORCE},
    {.name = "dirtree",
     .fn = fn_dirtree,
     .params = LM_PARAMS({"path", LM_STR, "'/'", NULL}, {"raw", LM_BOOL, "False", NULL},
                         {"core", LM_BOOL, "False", NULL})},
    {.name = "cat", .fn = fn_cat, .params = LM_PARAMS({"path", LM_STR, NULL, NULL})},
    {.name = "makedir", .fn = fn_makedir, .params = LM_PARAMS({"path", LM_STR, NULL, NULL})},
    {.name = "install", .fn = fn_install, .params = LM_PARAMS({"ref", LM_STR, "None", NULL})},
    {.name = "uninstall", .fn = fn_uninstall, .params = LM_PARAMS({"name", LM_STR, "None", NULL})},
    {.name = "upgrade",
     .fn = fn_upgrade,
     .params = LM_PARAMS({"name", LM_STR, NULL, NULL}, {"force", LM_BOOL, "False", NULL})},
    {.name = "inspect", .fn = fn_inspect, .params = LM_PARAMS({"package", LM_STR, "None", NULL})},
    {.name = "unload", .fn = fn_unload, .params = LM_PARAMS({"module", LM_STR, NULL, NULL})},
    {.name = "cachedump",
     .fn = fn_cachedump,
     .params = LM_PARAMS({"delete", LM_STR, "None", NULL}, {"ext", LM_STR, "'cache'", NULL})},
    {.name = "datdump", .fn = fn_datdump},
    {.name = "listmods", .fn = fn_listmods},
    {.name = "delmod", .fn = fn_delmod, .params = LM_PARAMS({"mod", LM_STR, NULL, NULL})},
    {.name = "micros_checksum", .fn = fn_checksum},
    {.name = NULL},
};

const struct lm_module lm_pacman = {.name = "pacman", .funcs = s_funcs};
