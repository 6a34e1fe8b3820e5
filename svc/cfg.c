/* cfg.c - the configuration store: schema defaults, node_config.json, conf-mode get/set/dump. */
#include "cfg.h"
#include "cfg_rules.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"

#include <cjson/cJSON.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_FILE_NAME  "node_config.json"
#define CFG_FILE_FIRST (64u * 1024)       /* first read buffer for the config file */
#define CFG_FILE_MAX   (4u * 1024 * 1024) /* a larger file is treated as corrupt */
#define CFG_MARKER     "..."              /* value of an offloaded key in the JSON file */
#define CFG_DUMP_PAD   10                 /* key column width of dump */
#define CFG_PWD_MSG                                                                                \
    "node_config write error: Password must include [0-9] both [a-z][A-Z] and length between "     \
    "8-64 char."

static const char *const s_folders[] = {"config", "modules", "web", "data", "logs"};

/* ---- small helpers ---- */

/* The id of a key name, or -1 (names from users and files only; code uses CFG_K_*). */
static int key_index(struct str key)
{
    for (size_t i = 0; i < cfg_schema_len; i++)
        if (str_eqc(key, cfg_schema[i].name))
            return (int)i;
    return -1;
}

static enum cfg_key_id key_id(const struct cfg_key *k)
{
    return (enum cfg_key_id)(k - cfg_schema);
}

static bool contains(struct str hay, struct str needle)
{
    if (needle.len == 0)
        return true;
    for (size_t i = 0; i + needle.len <= hay.len; i++)
        if (memcmp(hay.p + i, needle.p, needle.len) == 0)
            return true;
    return false;
}

static char *dup_str(struct str s)
{
    char *p = malloc(s.len + 1);
    if (p)
        str_copy(p, s.len + 1, s);
    return p;
}

static void offload_path(const struct cfg *cfg, const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s/.%s.key", cfg->dir, key);
}

/* Reads an offloaded value into a heap string (caller frees); NULL when missing or unreadable. */
static char *offload_read(const struct cfg *cfg, const char *key)
{
    char path[600];
    offload_path(cfg, key, path, sizeof path);
    char *text = malloc(CFG_STR_MAX + 1);
    if (!text)
        return NULL;
    long n = hal_fs_read(path, text, CFG_STR_MAX + 1);
    if (n < 0) {
        if (n != ERR_NOENT)
            LOG_W("cfg: cannot read %s: %s", path, err_str((int)n));
        free(text);
        return NULL;
    }
    return text;
}

static int offload_write(struct cfg *cfg, const char *key, struct str v)
{
    char path[600];
    offload_path(cfg, key, path, sizeof path);
    int rc = hal_fs_write_atomic(path, v.p, v.len);
    if (rc < 0) {
        cfg->write_errors++;
        LOG_E("cfg: cannot write %s: %s", path, err_str(rc));
    }
    return rc;
}

/* ---- the file ---- */

/* Writes every key, in schema order, to node_config.json. Counts and logs a failure. */
static int save(struct cfg *cfg)
{
    cJSON *root = cJSON_CreateObject();
    int rc = root ? 0 : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < cfg_schema_len; i++) {
        const struct cfg_key *k = &cfg_schema[i];
        const struct cfg_value *v = &cfg->values[i];
        cJSON *item = NULL;
        if (k->type == CFG_BOOL) {
            item = cJSON_AddBoolToObject(root, k->name, v->b);
        } else if (k->type == CFG_INT) {
            char num[32];
            snprintf(num, sizeof num, "%" PRId64, v->i);
            item = cJSON_AddRawToObject(root, k->name, num);
        } else {
            item = cJSON_AddStringToObject(root, k->name, v->s);
        }
        if (!item)
            rc = ERR_NOMEM;
    }
    char *text = rc == 0 ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (rc == 0 && !text)
        rc = ERR_NOMEM;
    if (rc == 0) {
        size_t n = strlen(text);
        text[n] = '\n'; /* replaces the NUL; the length below says where the data ends */
        rc = hal_fs_write_atomic(cfg->path, text, n + 1);
        if (rc == 0) {
            /* The last good copy a damaged file falls back to (fail closed). */
            char good[sizeof cfg->path + 8];
            snprintf(good, sizeof good, "%s.good", cfg->path);
            if (hal_fs_write_atomic(good, text, n + 1) < 0)
                LOG_W("cfg: cannot write %s", good);
        }
        text[n] = '\0';
    }
    cJSON_free(text);
    if (rc < 0) {
        cfg->write_errors++;
        LOG_E("cfg: cannot write %s: %s", cfg->path, err_str(rc));
    }
    return rc;
}

static int set_str_value(struct cfg_value *v, struct str s)
{
    char *p = dup_str(s);
    if (!p)
        return ERR_NOMEM;
    free(v->s);
    v->s = p;
    return 0;
}

/* True when d is a whole number within +-2^53 (range checked before the cast). */
static bool is_exact_int(double d)
{
    return d <= (double)CFG_INT_LIMIT && d >= -(double)CFG_INT_LIMIT && d == (double)(int64_t)d;
}

/* Merges one file value over the default. Returns 0 (taken as is), 1 (converted: the file
 * needs a rewrite) or -1 (not convertible: the default stays). */
static int merge(struct cfg *cfg, size_t i, const cJSON *item)
{
    const struct cfg_key *k = &cfg_schema[i];
    struct cfg_value *v = &cfg->values[i];
    switch (k->type) {
    case CFG_BOOL:
        if (cJSON_IsBool(item)) {
            v->b = cJSON_IsTrue(item);
            return 0;
        }
        if (cJSON_IsNumber(item) && (item->valuedouble == 0 || item->valuedouble == 1)) {
            v->b = item->valuedouble == 1;
            return 1;
        }
        if (cJSON_IsString(item) && cfg_parse_bool(str_c(item->valuestring), &v->b))
            return 1;
        return -1;
    case CFG_INT: {
        int64_t n = 0;
        int r = -1;
        char why[64];
        if (cJSON_IsNumber(item)) {
            double d = item->valuedouble;
            if (is_exact_int(d)) {
                n = (int64_t)d;
                r = 0;
            }
        } else if (cJSON_IsBool(item)) {
            n = cJSON_IsTrue(item) ? 1 : 0;
            r = 1;
        } else if (cJSON_IsString(item) && cfg_parse_int(str_trim(str_c(item->valuestring)), &n)) {
            r = 1;
        }
        if (r < 0 || cfg_int_out_of_range((enum cfg_key_id)i, n, why, sizeof why))
            return -1;
        v->i = n;
        return r;
    }
    case CFG_STR: break;
    }

    char num[40];
    struct str s;
    int converted = 0;
    if (cJSON_IsString(item)) {
        s = str_c(item->valuestring);
    } else if (cJSON_IsBool(item)) {
        s = str_c(cJSON_IsTrue(item) ? "True" : "False");
        converted = 1;
    } else if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (is_exact_int(d))
            snprintf(num, sizeof num, "%" PRId64, (int64_t)d);
        else
            snprintf(num, sizeof num, "%.17g", d);
        s = str_c(num);
        converted = 1;
    } else {
        return -1;
    }
    if (s.len > CFG_STR_MAX)
        return -1;
    if (s.len == 0) { /* micrOS convention: empty is "n/a" */
        s = STR_LIT("n/a");
        converted = 1;
    }
    if (k->flags & CFG_OFFLOAD) {
        if (str_eqc(s, CFG_MARKER))
            return converted;
        /* A value kept inline (hand-edited file): move it to the .key file. */
        if (offload_write(cfg, k->name, s) < 0)
            return -1;
        return 1;
    }
    if (str_eqc(s, CFG_MARKER))
        return -1; /* "..." is never a value of a normal key */
    if (!str_eqc(s, k->def) && cfg_str_rule(key_id(k), s))
        return -1;
    if (set_str_value(v, s) < 0)
        return -1;
    return converted;
}

/* Reads the whole file into a heap buffer (caller frees). Returns the length or ERR_*. */
static long read_file(const char *path, char **out)
{
    size_t cap = CFG_FILE_FIRST;
    for (;;) {
        char *text = malloc(cap);
        if (!text)
            return ERR_NOMEM;
        long n = hal_fs_read(path, text, cap);
        if (n >= 0) {
            *out = text;
            return n;
        }
        free(text);
        if (n != ERR_TOOBIG || cap >= CFG_FILE_MAX)
            return n;
        cap *= 2;
    }
}

enum load_rc {
    LOAD_OK,       /* every value taken as it is */
    LOAD_FIXED,    /* some values converted or refused (defaults kept); auth/appwd fine */
    LOAD_CRITICAL, /* auth or appwd unusable: never run on this file */
    LOAD_CORRUPT,  /* unreadable or not a JSON object */
    LOAD_MISSING,  /* no such file */
};

/* Merges the file at path over the current values. why receives the problem (key names or
 * the parse error, never values); *dirty tells whether a rewrite would change the file. */
static enum load_rc load_file(struct cfg *cfg, const char *path, char *why, size_t cap, bool *dirty)
{
    why[0] = '\0';
    *dirty = false;
    char *text = NULL;
    long n = read_file(path, &text);
    if (n == ERR_NOENT)
        return LOAD_MISSING;
    if (n < 0) {
        snprintf(why, cap, "cannot be read (%s)", err_str((int)n));
        return LOAD_CORRUPT;
    }
    cJSON *root = cJSON_ParseWithLength(text, (size_t)n);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(why, cap, "is not a JSON object");
        return LOAD_CORRUPT;
    }
    enum load_rc rc = LOAD_OK;
    size_t wl = 0;
    for (size_t i = 0; i < cfg_schema_len; i++) {
        const struct cfg_key *k = &cfg_schema[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, k->name);
        if (!item) {
            LOG_I("cfg: key %s missing, added with its default", k->name);
            *dirty = true;
            continue;
        }
        int r = merge(cfg, i, item);
        if (r < 0) {
            LOG_W("cfg: key %s has an unusable value, default kept", k->name);
            bool is_critical = i == CFG_K_auth || i == CFG_K_appwd;
            if (is_critical)
                rc = LOAD_CRITICAL;
            else if (rc == LOAD_OK)
                rc = LOAD_FIXED;
            int w =
                snprintf(why + wl, cap - wl, "%s%s", wl ? ", " : "unusable value for: ", k->name);
            if (w > 0 && (size_t)w < cap - wl)
                wl += (size_t)w;
        } else if (r == 1 && rc == LOAD_OK) {
            rc = LOAD_FIXED; /* converted (e.g. "True" for a bool): rewritten after a backup */
        }
        if (r != 0)
            *dirty = true;
    }
    /* Unknown keys are dropped. micrOS purges them only after an OTA update (/.cleanup) and
     * otherwise carries them forever; we have no OTA step, so we drop them at load, with a
     * warning, to keep the file equal to the schema. */
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        if (key_index(str_c(item->string)) < 0) {
            LOG_W("cfg: unknown key %s dropped", item->string);
            *dirty = true;
        }
    }
    cJSON_Delete(root);
    return rc;
}

/* Copies the file at from to to (atomically). Returns 0 or ERR_*. */
static int copy_file(const char *from, const char *to)
{
    char *text = NULL;
    long n = read_file(from, &text);
    if (n < 0)
        return (int)n;
    int rc = hal_fs_write_atomic(to, text, (size_t)n);
    free(text);
    return rc;
}

static void side_path(const struct cfg *cfg, const char *suffix, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", cfg->path, suffix);
}

static int set_default(struct cfg_value *v, const struct cfg_key *k);

static void reset_defaults(struct cfg *cfg)
{
    for (size_t i = 0; i < cfg_schema_len; i++)
        set_default(&cfg->values[i], &cfg_schema[i]);
}

/* Keeps the problem in config/node_config.json.problem too, so that it is still reported
 * after a restart until the operator saves a key. */
static void problem_keep(struct cfg *cfg)
{
    char path[sizeof cfg->path + 16];
    side_path(cfg, ".problem", path, sizeof path);
    if (hal_fs_write_atomic(path, cfg->problem, strlen(cfg->problem)) < 0)
        LOG_W("cfg: cannot write %s", path);
}

static void problem_load(struct cfg *cfg)
{
    char path[sizeof cfg->path + 16];
    side_path(cfg, ".problem", path, sizeof path);
    long n = hal_fs_read(path, cfg->problem, sizeof cfg->problem);
    cfg->problem[n > 0 ? (size_t)n : 0] = '\0';
}

/* Loads node_config.json over the defaults, failing closed (see cfg.h). Returns true when
 * the file must be (re)written. */
static bool load(struct cfg *cfg)
{
    char why[200], gwhy[200], good[sizeof cfg->path + 8], bad[sizeof cfg->path + 8],
        bak[sizeof cfg->path + 8];
    side_path(cfg, ".good", good, sizeof good);
    side_path(cfg, ".bad", bad, sizeof bad);
    side_path(cfg, ".bak", bak, sizeof bak);
    problem_load(cfg);
    bool dirty = false, gdirty = false;
    enum load_rc rc = load_file(cfg, cfg->path, why, sizeof why, &dirty);
    if (rc == LOAD_MISSING) {
        if (hal_fs_exists(good) && load_file(cfg, good, gwhy, sizeof gwhy, &gdirty) <= LOAD_FIXED) {
            LOG_W("cfg: no %s, restored from the last good copy", cfg->path);
            return true;
        }
        reset_defaults(cfg);
        LOG_I("cfg: no %s, writing defaults", cfg->path);
        return true;
    }
    if (rc == LOAD_OK) {
        if (!dirty)
            copy_file(cfg->path, good);
        return dirty;
    }
    if (rc == LOAD_FIXED) {
        /* Backup first, always: the user's own file is kept as .bak before the rewrite. */
        int brc = copy_file(cfg->path, bak);
        if (why[0]) {
            snprintf(cfg->problem, sizeof cfg->problem,
                     "%s had an %s: defaults used; the file was kept as %s (%s)", CFG_FILE_NAME,
                     why, CFG_FILE_NAME ".bak", brc == 0 ? "saved" : err_str(brc));
            problem_keep(cfg);
        }
        return true;
    }
    /* Corrupt, or auth/appwd unusable: never run on it (it might turn auth off). */
    int brc = copy_file(cfg->path, bad);
    reset_defaults(cfg);
    if (hal_fs_exists(good) && load_file(cfg, good, gwhy, sizeof gwhy, &gdirty) <= LOAD_FIXED) {
        snprintf(cfg->problem, sizeof cfg->problem,
                 "%s %s: running on the last good copy; the damaged file was kept as %s (%s)",
                 CFG_FILE_NAME, why, CFG_FILE_NAME ".bad", brc == 0 ? "saved" : err_str(brc));
    } else {
        reset_defaults(cfg);
        cfg->values[CFG_K_auth].b = true; /* fail closed */
        snprintf(cfg->problem, sizeof cfg->problem,
                 "%s %s and there is no last good copy: running on defaults with auth on; the "
                 "damaged file was kept as %s (%s)",
                 CFG_FILE_NAME, why, CFG_FILE_NAME ".bad", brc == 0 ? "saved" : err_str(brc));
    }
    LOG_E("cfg: %s", cfg->problem);
    problem_keep(cfg);
    return true;
}

static int set_default(struct cfg_value *v, const struct cfg_key *k)
{
    struct str def = str_c(k->def);
    switch (k->type) {
    case CFG_BOOL: v->b = str_eqc(def, "True"); return 0;
    case CFG_INT: return cfg_parse_int(def, &v->i) ? 0 : ERR_INVAL;
    case CFG_STR: return set_str_value(v, def);
    }
    return ERR_INVAL;
}

struct stale_ctx {
    const char *dir;
    unsigned removed;
};

/* Removes a temporary file of an atomic write that a power cut interrupted (".tmp.XXXXXX"). */
static void remove_stale(const char *name, bool is_dir, void *arg)
{
    struct stale_ctx *ctx = arg;
    if (is_dir || !strstr(name, ".tmp."))
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ctx->dir, name);
    if (hal_fs_remove(path) == 0)
        ctx->removed++;
}

int cfg_init(struct cfg *cfg, const char *data_dir)
{
    memset(cfg, 0, sizeof *cfg);
    int w1 = snprintf(cfg->dir, sizeof cfg->dir, "%s/config", data_dir);
    int w2 = snprintf(cfg->path, sizeof cfg->path, "%s/%s", cfg->dir, CFG_FILE_NAME);
    if (w1 < 0 || (size_t)w1 >= sizeof cfg->dir || w2 < 0 || (size_t)w2 >= sizeof cfg->path) {
        LOG_E("cfg: data folder path too long");
        return ERR_INVAL;
    }
    for (size_t i = 0; i < sizeof s_folders / sizeof s_folders[0]; i++) {
        char dir[sizeof cfg->dir];
        snprintf(dir, sizeof dir, "%s/%s", data_dir, s_folders[i]);
        int rc = hal_fs_mkdir(dir);
        if (rc < 0) {
            LOG_E("cfg: cannot create %s: %s", dir, err_str(rc));
            return rc;
        }
    }
    /* Temporary files of atomic writes cut by a power loss or kill -9, in every folder the
     * node writes (config, modules, web, data, logs). */
    struct stale_ctx stale = {NULL, 0};
    for (size_t i = 0; i < sizeof s_folders / sizeof s_folders[0]; i++) {
        char dir[sizeof cfg->dir];
        snprintf(dir, sizeof dir, "%s/%s", data_dir, s_folders[i]);
        stale.dir = dir;
        hal_fs_list(dir, remove_stale, &stale);
    }
    if (stale.removed)
        LOG_W("cfg: removed %u temporary file(s) of interrupted writes", stale.removed);
    cfg->values = calloc(cfg_schema_len, sizeof cfg->values[0]);
    if (!cfg->values)
        return ERR_NOMEM;
    for (size_t i = 0; i < cfg_schema_len; i++) {
        int rc = set_default(&cfg->values[i], &cfg_schema[i]);
        if (rc < 0) {
            cfg_deinit(cfg);
            return rc;
        }
    }
    if (load(cfg))
        save(cfg);
    return 0;
}

const char *cfg_problem(const struct cfg *cfg)
{
    return cfg->problem[0] ? cfg->problem : NULL;
}

void cfg_deinit(struct cfg *cfg)
{
    if (cfg->values)
        for (size_t i = 0; i < cfg_schema_len; i++)
            free(cfg->values[i].s);
    free(cfg->values);
    cfg->values = NULL;
}

/* ---- getters ---- */

int cfg_find(struct str name)
{
    int i = key_index(name);
    return i < 0 ? ERR_NOENT : i;
}

/* True when key is an id of the given type and the store has values. */
static bool is_typed(const struct cfg *cfg, enum cfg_key_id key, enum cfg_type type)
{
    return (unsigned)key < CFG_KEY_COUNT && cfg_schema[key].type == type && cfg->values;
}

bool cfg_get_bool(const struct cfg *cfg, enum cfg_key_id key)
{
    return is_typed(cfg, key, CFG_BOOL) && cfg->values[key].b;
}

int64_t cfg_get_int(const struct cfg *cfg, enum cfg_key_id key)
{
    return is_typed(cfg, key, CFG_INT) ? cfg->values[key].i : 0;
}

const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key)
{
    return is_typed(cfg, key, CFG_STR) ? cfg->values[key].s : "n/a";
}

/* The keys whose value is a ';'-separated list, one secret per part. */
static bool is_secret_list(const struct cfg_key *k)
{
    return key_id(k) == CFG_K_stapwd;
}

/* Appends a secret value as replies show it: "n/a" as it is, else CFG_SECRET_SHOWN (per
 * non-empty part of a list). */
static int put_secret(const struct cfg_key *k, const char *v, struct buf *out)
{
    if (strcmp(v, "n/a") == 0)
        return buf_puts(out, v);
    if (!is_secret_list(k))
        return buf_puts(out, CFG_SECRET_SHOWN);
    int rc = 0;
    for (const char *p = v; rc == 0;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if (n > 0)
            rc = buf_puts(out, CFG_SECRET_SHOWN);
        if (!semi)
            break;
        if (rc == 0)
            rc = buf_putc(out, ';');
        p = semi + 1;
    }
    return rc;
}

/* Replaces the shown mask in a new value of secret key k by what is stored (stored: the
 * current value). Returns the value to store (value itself, or a heap copy in *heap that the
 * caller frees), or NULL with the reason in *why. */
static struct str unmask(const struct cfg_key *k, const char *stored, struct str value, char **heap,
                         const char **why)
{
    *heap = NULL;
    struct str mask = STR_LIT(CFG_SECRET_SHOWN);
    if (!str_contains(value, CFG_SECRET_SHOWN))
        return value;
    bool has_stored = strcmp(stored, "n/a") != 0;
    if (!is_secret_list(k)) {
        if (!str_eq(value, mask))
            return value; /* a longer password that merely contains the mask */
        if (!has_stored) {
            *why = "the hidden value " CFG_SECRET_SHOWN " stands for a stored password, and none "
                   "is stored";
            return STR_NULL;
        }
        return str_c(stored);
    }
    size_t cap = value.len + strlen(stored) + 1;
    char *out = malloc(cap);
    if (!out) {
        *why = "out of memory";
        return STR_NULL;
    }
    size_t len = 0;
    struct str rest = value;
    for (size_t idx = 0;; idx++) {
        const char *semi = memchr(rest.p, ';', rest.len);
        size_t plen = semi ? (size_t)(semi - rest.p) : rest.len;
        struct str part = {rest.p, plen};
        if (str_eq(part, mask)) {
            /* the stored part at the same place */
            const char *sp = has_stored ? stored : NULL;
            for (size_t j = 0; sp && j < idx; j++) {
                sp = strchr(sp, ';');
                sp = sp ? sp + 1 : NULL;
            }
            if (!sp) {
                free(out);
                *why = "a part is the hidden value " CFG_SECRET_SHOWN " but no password is "
                       "stored at that place";
                return STR_NULL;
            }
            const char *end = strchr(sp, ';');
            part = (struct str){sp, end ? (size_t)(end - sp) : strlen(sp)};
        }
        memcpy(out + len, part.p, part.len);
        len += part.len;
        if (!semi)
            break;
        out[len++] = ';';
        rest = str_from(rest, plen + 1);
    }
    out[len] = '\0';
    *heap = out;
    return (struct str){out, len};
}

/* Appends str(value) of key i; offloaded keys show their marker when is_dump, secrets their
 * mask. */
static int put_value(const struct cfg *cfg, size_t i, bool is_dump, struct buf *out)
{
    const struct cfg_key *k = &cfg_schema[i];
    const struct cfg_value *v = &cfg->values[i];
    switch (k->type) {
    case CFG_BOOL: return buf_puts(out, v->b ? "True" : "False");
    case CFG_INT: return buf_printf(out, "%" PRId64, v->i);
    case CFG_STR: break;
    }
    if ((k->flags & CFG_OFFLOAD) && !is_dump) {
        char *text = offload_read(cfg, k->name);
        int rc = buf_puts(out, text ? text : "n/a");
        free(text);
        return rc;
    }
    if (k->flags & CFG_SECRET)
        return put_secret(k, v->s, out);
    return buf_puts(out, v->s);
}

int cfg_get_text(const struct cfg *cfg, struct str key, struct buf *out)
{
    int i = key_index(key);
    if (i < 0)
        return buf_puts(out, "None");
    return put_value(cfg, (size_t)i, false, out);
}

int cfg_dump(const struct cfg *cfg, struct str filter, struct buf *out)
{
    bool first = true;
    for (size_t i = 0; i < cfg_schema_len; i++) {
        struct str name = str_c(cfg_schema[i].name);
        if (!contains(name, filter))
            continue;
        int pad = name.len < CFG_DUMP_PAD ? (int)(CFG_DUMP_PAD - name.len) : 0;
        int rc = buf_printf(out, "%s  %s%*s:        ", first ? "" : "\n", name.p, pad, "");
        if (rc == 0)
            rc = put_value(cfg, i, true, out);
        if (rc < 0)
            return rc;
        first = false;
    }
    return 0;
}

/* ---- setters ---- */

static void notify(struct cfg *cfg, size_t i)
{
    if (cfg->on_change)
        cfg->on_change(cfg, (enum cfg_key_id)i, cfg->on_change_arg);
    for (size_t h = 0; h < cfg->nhooks; h++)
        if (cfg->hooks[h].change)
            cfg->hooks[h].change(cfg, (enum cfg_key_id)i, cfg->hooks[h].arg);
}

/* Stores a new value for key i (type already checked), rewrites the file and notifies the
 * observer when the value changed. A failed file write is counted and logged but the runtime
 * value stays changed (micrOS's cfgput behaviour). Returns 0 or ERR_NOMEM (nothing changed). */
/* Sets the value and rewrites the file. Returns 0 when the value is in effect (*write_rc, when
 * not NULL, then tells whether the file was written), or ERR_* when it is not. */
static int store(struct cfg *cfg, size_t i, bool b, int64_t n, struct str s, int *write_rc)
{
    const struct cfg_key *k = &cfg_schema[i];
    struct cfg_value *v = &cfg->values[i];
    bool changed = false;
    if (k->type == CFG_STR && s.len == 0)
        s = STR_LIT("n/a");
    switch (k->type) {
    case CFG_BOOL:
        changed = v->b != b;
        v->b = b;
        break;
    case CFG_INT:
        changed = v->i != n;
        v->i = n;
        break;
    case CFG_STR:
        if (k->flags & CFG_OFFLOAD) {
            /* The value lives only in the .key file: without it nothing changed. */
            int rc = offload_write(cfg, k->name, s);
            if (rc < 0)
                return rc;
            notify(cfg, i);
            return 0;
        }
        changed = !str_eqc(s, v->s);
        if (changed && set_str_value(v, s) < 0)
            return ERR_NOMEM;
        break;
    }
    int rc = save(cfg); /* the value is in effect even when the write fails */
    if (changed)
        notify(cfg, i);
    if (write_rc)
        *write_rc = rc;
    return 0;
}

/* cfg_set after the key and the mask: converts, checks and stores value for key i. */
static enum cfg_set_result set_checked(struct cfg *cfg, size_t i, struct str value, char *msg,
                                       size_t msgcap, bool is_dry)
{
    const struct cfg_key *k = &cfg_schema[i];
    bool b = false;
    int64_t n = 0;
    const char *why = NULL;
    char range[64];
    switch (k->type) {
    case CFG_BOOL: /* micrOS answers a bare "Failed to save"; we say why (issue 13) */
        if (!cfg_parse_bool(value, &b))
            why = "expects True or False";
        break;
    case CFG_INT:
        if (!cfg_parse_int(value, &n))
            why = "expects a whole number";
        else if (cfg_int_out_of_range((enum cfg_key_id)i, n, range, sizeof range))
            why = range;
        break;
    case CFG_STR: why = cfg_str_rule(key_id(k), value); break;
    }
    if (why) {
        if (msg && msgcap > 0) {
            if (why == cfg_pwd_rule)
                snprintf(msg, msgcap, "%s", CFG_PWD_MSG);
            else
                snprintf(msg, msgcap, "%s: %s", k->name, why);
        }
        return CFG_FAILED;
    }
    for (size_t h = 0; h < cfg->nhooks; h++) {
        const struct cfg_hook *hk = &cfg->hooks[h];
        char line[256] = "";
        if (hk->validate && (size_t)hk->key == i &&
            hk->validate((enum cfg_key_id)i, value, line, sizeof line, hk->arg) < 0) {
            if (msg && msgcap > 0)
                snprintf(msg, msgcap, "%s", line);
            return CFG_FAILED;
        }
    }
    if (is_dry)
        return CFG_SAVED;
    int wrc = 0;
    int rc = store(cfg, i, b, n, value, &wrc);
    if (rc == 0 && wrc == 0 && cfg->problem[0]) {
        LOG_W("cfg: config problem cleared by saving %s", k->name);
        cfg->problem[0] = '\0'; /* the operator acted: the file is whole again */
        char path[sizeof cfg->path + 16];
        side_path(cfg, ".problem", path, sizeof path);
        hal_fs_remove(path);
    }
    if (rc == 0 && wrc < 0)
        rc = wrc;
    /* micrOS keeps a value it could not write and still replies Saved (COMPAT §4); the extra
     * line says why the file was not written (full or read-only data folder). */
    if (rc < 0 && msg && msgcap > 0)
        snprintf(msg, msgcap, "node_config write error: %s", err_str(rc));
    return wrc < 0 || rc == 0 ? CFG_SAVED : CFG_FAILED;
}

/* cfg_set, or with is_dry only its checks. */
static enum cfg_set_result set_or_check(struct cfg *cfg, struct str key, struct str value,
                                        char *msg, size_t msgcap, bool is_dry)
{
    if (msg && msgcap > 0)
        msg[0] = '\0';
    int i = key_index(key);
    if (i < 0)
        return CFG_INVALID_KEY;
    const struct cfg_key *k = &cfg_schema[i];
    const char *why = NULL;
    if (str_eqc(value, CFG_MARKER))
        why = "'" CFG_MARKER "' is reserved (it marks an offloaded value)";
    else if (value.len > 0 && memchr(value.p, '\0', value.len))
        why = "NUL bytes are not allowed";
    if (why) {
        if (msg && msgcap > 0)
            snprintf(msg, msgcap, "%s: %s", k->name, why);
        return CFG_FAILED;
    }
    char *unmasked = NULL;
    if ((k->flags & CFG_SECRET) && k->type == CFG_STR && cfg->values) {
        value = unmask(k, cfg->values[i].s, value, &unmasked, &why);
        if (why) {
            if (msg && msgcap > 0)
                snprintf(msg, msgcap, "%s: %s", k->name, why);
            return CFG_FAILED;
        }
    }
    enum cfg_set_result r = set_checked(cfg, (size_t)i, value, msg, msgcap, is_dry);
    free(unmasked);
    return r;
}

enum cfg_set_result cfg_set(struct cfg *cfg, struct str key, struct str value, char *msg,
                            size_t msgcap)
{
    return set_or_check(cfg, key, value, msg, msgcap, false);
}

enum cfg_set_result cfg_check(struct cfg *cfg, struct str key, struct str value, char *msg,
                              size_t msgcap)
{
    return set_or_check(cfg, key, value, msg, msgcap, true);
}

/* Index of key for a programmatic set of the given type, or ERR_NOENT/ERR_INVAL. */
static int put_index(const struct cfg *cfg, enum cfg_key_id key, enum cfg_type type)
{
    if ((unsigned)key >= CFG_KEY_COUNT)
        return ERR_NOENT;
    if (cfg_schema[key].type != type || !cfg->values)
        return ERR_INVAL;
    return (int)key;
}

int cfg_put_bool(struct cfg *cfg, enum cfg_key_id key, bool v)
{
    int i = put_index(cfg, key, CFG_BOOL);
    return i < 0 ? i : store(cfg, (size_t)i, v, 0, STR_NULL, NULL);
}

int cfg_put_int(struct cfg *cfg, enum cfg_key_id key, int64_t v)
{
    int i = put_index(cfg, key, CFG_INT);
    if (i < 0)
        return i;
    if (v > CFG_INT_LIMIT || v < -CFG_INT_LIMIT)
        return ERR_RANGE;
    return store(cfg, (size_t)i, false, v, STR_NULL, NULL);
}

int cfg_put_str(struct cfg *cfg, enum cfg_key_id key, const char *v)
{
    int i = put_index(cfg, key, CFG_STR);
    if (i < 0)
        return i;
    struct str s = str_c(v);
    if (s.len > CFG_STR_MAX)
        return ERR_TOOBIG;
    if (str_eqc(s, CFG_MARKER))
        return ERR_INVAL;
    return store(cfg, (size_t)i, false, 0, s, NULL);
}

void cfg_set_observer(struct cfg *cfg, cfg_change_fn *fn, void *arg)
{
    cfg->on_change = fn;
    cfg->on_change_arg = arg;
}

int cfg_add_observer(struct cfg *cfg, cfg_change_fn *fn, void *arg)
{
    if (cfg->nhooks >= CFG_HOOKS_MAX)
        return ERR_FULL;
    cfg->hooks[cfg->nhooks++] = (struct cfg_hook){.key = -1, .change = fn, .arg = arg};
    return 0;
}

int cfg_set_validator(struct cfg *cfg, enum cfg_key_id key, cfg_validate_fn *fn, void *arg)
{
    if ((unsigned)key >= CFG_KEY_COUNT)
        return ERR_NOENT;
    if (cfg->nhooks >= CFG_HOOKS_MAX)
        return ERR_FULL;
    cfg->hooks[cfg->nhooks++] = (struct cfg_hook){.key = (int)key, .validate = fn, .arg = arg};
    return 0;
}
