/* cfg.c - the configuration store: schema defaults, node_config.json, conf-mode get/set/dump. */
#include "cfg.h"

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
#define CFG_INT_LIMIT  9007199254740992LL /* 2^53: JSON numbers are read back as doubles */
#define CFG_MARKER     "..."              /* value of an offloaded key in the JSON file */
#define CFG_DUMP_PAD   10                 /* key column width of dump */
#define CFG_PWD_MSG                                                                                \
    "node_config write error: Password must include [0-9] both [a-z][A-Z] and length between "     \
    "8-64 char."

static const char *const s_folders[] = {"config", "modules", "web", "data", "logs"};

/* ---- small helpers ---- */

static int key_index(struct str key)
{
    for (size_t i = 0; i < cfg_schema_len; i++)
        if (str_eqc(key, cfg_schema[i].name))
            return (int)i;
    return -1;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(struct str a, const char *c)
{
    size_t n = strlen(c);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a.p[i]) != lower(c[i]))
            return false;
    return true;
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

/* Python's int() on a decimal literal: optional sign, digits only. Values beyond 2^53 are
 * refused so that what we write is what we read back (JSON numbers are doubles in cJSON). */
static bool parse_int(struct str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < s.len && (s.p[i] == '+' || s.p[i] == '-')) {
        neg = s.p[i] == '-';
        i++;
    }
    if (i == s.len)
        return false;
    int64_t v = 0;
    for (; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (s.p[i] - '0');
        if (v > CFG_INT_LIMIT)
            return false;
    }
    *out = neg ? -v : v;
    return true;
}

static bool parse_bool(struct str s, bool *out)
{
    if (eq_nocase(s, "true"))
        *out = true;
    else if (eq_nocase(s, "false"))
        *out = false;
    else
        return false;
    return true;
}

/* COMPAT A11: 8-64 characters with a digit, a lower- and an upper-case letter. */
static bool password_ok(struct str s)
{
    bool digit = false, low = false, up = false;
    if (s.len < 8 || s.len > 64)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        digit |= c >= '0' && c <= '9';
        low |= c >= 'a' && c <= 'z';
        up |= c >= 'A' && c <= 'Z';
    }
    return digit && low && up;
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
        if (cJSON_IsString(item) && parse_bool(str_c(item->valuestring), &v->b))
            return 1;
        return -1;
    case CFG_INT:
        if (cJSON_IsNumber(item)) {
            double d = item->valuedouble;
            if (!is_exact_int(d))
                return -1;
            v->i = (int64_t)d;
            return 0;
        }
        if (cJSON_IsBool(item)) {
            v->i = cJSON_IsTrue(item) ? 1 : 0;
            return 1;
        }
        if (cJSON_IsString(item) && parse_int(str_trim(str_c(item->valuestring)), &v->i))
            return 1;
        return -1;
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

/* Loads the file over the defaults. Returns true when the file must be (re)written. */
static bool load(struct cfg *cfg)
{
    char *text = NULL;
    long n = read_file(cfg->path, &text);
    if (n == ERR_NOENT) {
        LOG_I("cfg: no %s, writing defaults", cfg->path);
        return true;
    }
    if (n < 0 && n != ERR_TOOBIG) {
        /* Unreadable but maybe fine: run on defaults and leave it alone. */
        LOG_E("cfg: cannot read %s: %s; using defaults", cfg->path, err_str((int)n));
        return false;
    }
    cJSON *root = n >= 0 ? cJSON_ParseWithLength(text, (size_t)n) : NULL;
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        char bad[sizeof cfg->path + 8];
        snprintf(bad, sizeof bad, "%s.bad", cfg->path);
        int rc = hal_fs_rename(cfg->path, bad);
        LOG_E("cfg: %s is corrupt, kept as %s (%s); using defaults", cfg->path, bad, err_str(rc));
        return true;
    }

    bool dirty = false;
    for (size_t i = 0; i < cfg_schema_len; i++) {
        const struct cfg_key *k = &cfg_schema[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, k->name);
        if (!item) {
            LOG_I("cfg: key %s missing, added with its default", k->name);
            dirty = true;
            continue;
        }
        int r = merge(cfg, i, item);
        if (r < 0)
            LOG_W("cfg: key %s has an unusable value, default kept", k->name);
        if (r != 0)
            dirty = true;
    }
    /* Unknown keys are dropped. micrOS purges them only after an OTA update (/.cleanup) and
     * otherwise carries them forever; we have no OTA step, so we drop them at load, with a
     * warning, to keep the file equal to the schema. */
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        if (key_index(str_c(item->string)) < 0) {
            LOG_W("cfg: unknown key %s dropped", item->string);
            dirty = true;
        }
    }
    cJSON_Delete(root);
    return dirty;
}

static int set_default(struct cfg_value *v, const struct cfg_key *k)
{
    struct str def = str_c(k->def);
    switch (k->type) {
    case CFG_BOOL: v->b = str_eqc(def, "True"); return 0;
    case CFG_INT: return parse_int(def, &v->i) ? 0 : ERR_INVAL;
    case CFG_STR: return set_str_value(v, def);
    }
    return ERR_INVAL;
}

struct stale_ctx {
    const struct cfg *cfg;
    unsigned removed;
};

/* Removes a temporary file of an atomic write that a power cut interrupted (".tmp.XXXXXX"). */
static void remove_stale(const char *name, bool is_dir, void *arg)
{
    struct stale_ctx *ctx = arg;
    if (is_dir || !strstr(name, ".tmp."))
        return;
    char path[sizeof ctx->cfg->dir + 256];
    snprintf(path, sizeof path, "%s/%s", ctx->cfg->dir, name);
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
    struct stale_ctx stale = {cfg, 0};
    hal_fs_list(cfg->dir, remove_stale, &stale);
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

void cfg_deinit(struct cfg *cfg)
{
    if (cfg->values)
        for (size_t i = 0; i < cfg_schema_len; i++)
            free(cfg->values[i].s);
    free(cfg->values);
    cfg->values = NULL;
}

/* ---- getters ---- */

const struct cfg_key *cfg_find(struct str key)
{
    int i = key_index(key);
    return i < 0 ? NULL : &cfg_schema[i];
}

/* Index of key when it exists with the given type, else -1. */
static int typed_index(const struct cfg *cfg, const char *key, enum cfg_type type)
{
    int i = key_index(str_c(key));
    if (i < 0 || cfg_schema[i].type != type || !cfg->values)
        return -1;
    return i;
}

bool cfg_get_bool(const struct cfg *cfg, const char *key)
{
    int i = typed_index(cfg, key, CFG_BOOL);
    return i >= 0 && cfg->values[i].b;
}

int64_t cfg_get_int(const struct cfg *cfg, const char *key)
{
    int i = typed_index(cfg, key, CFG_INT);
    return i < 0 ? 0 : cfg->values[i].i;
}

const char *cfg_get_str(const struct cfg *cfg, const char *key)
{
    int i = typed_index(cfg, key, CFG_STR);
    return i < 0 ? "n/a" : cfg->values[i].s;
}

/* Appends str(value) of key i; offloaded keys show their marker when is_dump. */
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
        cfg->on_change(cfg, cfg_schema[i].name, cfg->on_change_arg);
    for (size_t h = 0; h < cfg->nhooks; h++)
        if (cfg->hooks[h].change)
            cfg->hooks[h].change(cfg, cfg_schema[i].name, cfg->hooks[h].arg);
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

enum cfg_set_result cfg_set(struct cfg *cfg, struct str key, struct str value, char *msg,
                            size_t msgcap)
{
    if (msg && msgcap > 0)
        msg[0] = '\0';
    int i = key_index(key);
    if (i < 0)
        return CFG_INVALID_KEY;
    const struct cfg_key *k = &cfg_schema[i];
    if (str_eqc(value, CFG_MARKER) || (value.len > 0 && memchr(value.p, '\0', value.len)))
        return CFG_FAILED;
    bool b = false;
    int64_t n = 0;
    switch (k->type) {
    case CFG_BOOL:
        if (!parse_bool(value, &b))
            return CFG_FAILED;
        break;
    case CFG_INT:
        if (!parse_int(value, &n))
            return CFG_FAILED;
        break;
    case CFG_STR:
        if (value.len > CFG_STR_MAX)
            return CFG_FAILED;
        if (strcmp(k->name, "appwd") == 0 && !password_ok(value)) {
            if (msg && msgcap > 0)
                snprintf(msg, msgcap, "%s", CFG_PWD_MSG);
            return CFG_FAILED;
        }
        break;
    }
    for (size_t h = 0; h < cfg->nhooks; h++) {
        const struct cfg_hook *hk = &cfg->hooks[h];
        char line[256] = "";
        if (hk->validate && strcmp(hk->key, k->name) == 0 &&
            hk->validate(k->name, value, line, sizeof line, hk->arg) < 0) {
            if (msg && msgcap > 0)
                snprintf(msg, msgcap, "%s", line);
            return CFG_FAILED;
        }
    }
    int wrc = 0;
    int rc = store(cfg, (size_t)i, b, n, value, &wrc);
    if (rc == 0 && wrc < 0)
        rc = wrc;
    /* micrOS keeps a value it could not write and still replies Saved (COMPAT §4); the extra
     * line says why the file was not written (full or read-only data folder). */
    if (rc < 0 && msg && msgcap > 0)
        snprintf(msg, msgcap, "node_config write error: %s", err_str(rc));
    return wrc < 0 || rc == 0 ? CFG_SAVED : CFG_FAILED;
}

/* Index of key for a programmatic set of the given type, or ERR_NOENT/ERR_INVAL. */
static int put_index(const struct cfg *cfg, const char *key, enum cfg_type type)
{
    int i = key_index(str_c(key));
    if (i < 0)
        return ERR_NOENT;
    if (cfg_schema[i].type != type || !cfg->values)
        return ERR_INVAL;
    return i;
}

int cfg_put_bool(struct cfg *cfg, const char *key, bool v)
{
    int i = put_index(cfg, key, CFG_BOOL);
    return i < 0 ? i : store(cfg, (size_t)i, v, 0, STR_NULL, NULL);
}

int cfg_put_int(struct cfg *cfg, const char *key, int64_t v)
{
    int i = put_index(cfg, key, CFG_INT);
    if (i < 0)
        return i;
    if (v > CFG_INT_LIMIT || v < -CFG_INT_LIMIT)
        return ERR_RANGE;
    return store(cfg, (size_t)i, false, v, STR_NULL, NULL);
}

int cfg_put_str(struct cfg *cfg, const char *key, const char *v)
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
    cfg->hooks[cfg->nhooks++] = (struct cfg_hook){NULL, NULL, fn, arg};
    return 0;
}

int cfg_set_validator(struct cfg *cfg, const char *key, cfg_validate_fn *fn, void *arg)
{
    int i = key_index(str_c(key));
    if (i < 0)
        return ERR_NOENT;
    if (cfg->nhooks >= CFG_HOOKS_MAX)
        return ERR_FULL;
    cfg->hooks[cfg->nhooks++] = (struct cfg_hook){cfg_schema[i].name, fn, NULL, arg};
    return 0;
}
