/* cfg.h - the node's configuration store (config/node_config.json).
 *
 * One list, svc/cfg_keys.def, gives every key of micrOS (COMPAT §4) plus our new ones
 * (webport, geoloc, tz, ...) its type, default, flags and help, in micrOS's dump order; the
 * schema table (cfg_schema.c) and enum cfg_key_id below are made of it. Code names a key by
 * its id (CFG_K_devfid), so a misspelt key is a compile error and a get is an array index;
 * names are looked up (cfg_find) only where they come from users (conf mode, REST /config,
 * the JSON file, Lua, microsctl). Values live in struct cfg; every successful set rewrites the file
 * atomically, and a copy as node_config.json.good. A damaged file fails closed (see
 * cfg_problem); keys missing from the file are added. Values set at run time take
 * effect in memory even when the write fails (the failure is logged, and cfg_set still
 * replies CFG_SAVED, as micrOS does, with "node_config write error: <reason>" in msg). */
#ifndef CFG_H
#define CFG_H

#include "../core/buf.h"
#include "../core/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfg_type { CFG_BOOL, CFG_INT, CFG_STR };

#define CFG_LIVE    1u  /* takes effect at once (else: after reboot or on a new connection) */
#define CFG_SECRET  2u  /* never logged, shown as CFG_SECRET_SHOWN in every reply */
#define CFG_SYSTEM  4u  /* maintained by the node (version, hwuid, devip) */
#define CFG_OFFLOAD 8u  /* value kept in config/.<key>.key, shown as "..." (guimeta) */
#define CFG_NOWEB   16u /* hidden from the web /config page (COMPAT §3.4) */

/* What a secret value looks like in replies (dump, conf-mode get, GET /config); each
 * ';'-separated part of stapwd is shown as one. Written back by a client (the web config page
 * posts every key it got) it leaves the stored value as it is. "n/a" is shown as it is. */
#define CFG_SECRET_SHOWN "********"

#ifndef CFG_STR_MAX
#define CFG_STR_MAX 4096 /* longest string value, bytes */
#endif

/* Every key's id: its index in cfg_schema (CFG_K_<name>), then the number of keys. */
enum cfg_key_id {
#define X(name, type, def, flags, help) CFG_K_##name,
#include "cfg_keys.def"
#undef X
    CFG_KEY_COUNT
};

struct cfg_key {
    const char *name;
    enum cfg_type type;
    const char *def; /* default, as text: "True", "9008", "node01" */
    unsigned flags;
    const char *help; /* one line for docs and the web config page */
};

/* The schema, in dump order, indexed by enum cfg_key_id; cfg_schema_len (CFG_KEY_COUNT)
 * entries. */
extern const struct cfg_key cfg_schema[];
extern const size_t cfg_schema_len;

struct cfg_value {
    bool b;
    int64_t i;
    char *s; /* heap copy for CFG_STR (the offload marker "..." for offloaded keys) */
};

struct cfg;
/* Called after a key changed (live keys such as crontasks watch this). */
typedef void cfg_change_fn(struct cfg *cfg, enum cfg_key_id key, void *arg);

/* Checks a value before cfg_set stores it: returns 0 to accept, or a negative ERR_* code with
 * a one-line reason in msg (cap bytes), printed before "Failed to save". */
typedef int cfg_validate_fn(enum cfg_key_id key, struct str value, char *msg, size_t cap,
                            void *arg);

#ifndef CFG_HOOKS_MAX
#define CFG_HOOKS_MAX 8 /* validators, and extra observers, per store */
#endif

struct cfg_hook {
    int key; /* validators: the enum cfg_key_id checked; observers: -1 */
    cfg_validate_fn *validate;
    cfg_change_fn *change;
    void *arg;
};

struct cfg {
    char path[512];           /* .../config/node_config.json */
    char dir[512];            /* .../config */
    struct cfg_value *values; /* cfg_schema_len entries */
    cfg_change_fn *on_change;
    void *on_change_arg;
    uint32_t write_errors;                /* failed file writes since start */
    struct cfg_hook hooks[CFG_HOOKS_MAX]; /* validators and extra observers */
    size_t nhooks;
    char problem[400]; /* a damaged config this run works around (cfg_problem), or "" */
};

/* Reply codes of cfg_set (besides negative ERR_* codes for internal failures). */
enum cfg_set_result { CFG_SAVED = 0, CFG_INVALID_KEY = 1, CFG_FAILED = 2 };

/* Creates data_dir's micrOS folders (config modules web data logs), loads the config file or
 * bootstraps it from defaults, adds missing keys, and keeps a corrupt file as .bad.
 * Returns 0 or ERR_* (only for a data folder that cannot be used at all). */
int cfg_init(struct cfg *cfg, const char *data_dir);
/* The config problem the node works around, or NULL: a node_config.json that could not be
 * parsed or whose auth/appwd were unusable (fail closed: the file is copied to .bad and the
 * node runs on node_config.json.good, the last file written or loaded cleanly, or on
 * defaults with auth forced on when there is none), or values of the wrong type that were
 * refused (the file is copied to .bak before it is rewritten). Kept in
 * node_config.json.problem across restarts; cleared when a key is saved. */
const char *cfg_problem(const struct cfg *cfg);
/* Frees the values. */
void cfg_deinit(struct cfg *cfg);

/* Looks a key up by name, for names that come from users (conf mode, REST /config, the JSON
 * file, Lua, microsctl). Returns its enum cfg_key_id (index in cfg_schema) or ERR_NOENT. */
int cfg_find(struct str name);
/* Typed getters, by index; an id out of range or a type mismatch returns false / 0 / "n/a". */
bool cfg_get_bool(const struct cfg *cfg, enum cfg_key_id key);
int64_t cfg_get_int(const struct cfg *cfg, enum cfg_key_id key);
const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key);

/* Conf-mode get: appends str(value) as micrOS prints it (True, 9008, n/a, the offloaded
 * content for guimeta; CFG_SECRET_SHOWN for a secret) to out; an unknown key appends "None". */
int cfg_get_text(const struct cfg *cfg, struct str key, struct buf *out);
/* Conf-mode set with micrOS's conversion rules (bool: true/false any case; int: decimal;
 * str: verbatim; "..." refused; appwd rule of COMPAT A11). For a secret key,
 * CFG_SECRET_SHOWN (for stapwd: a part that is CFG_SECRET_SHOWN) stands for the stored value
 * (part). msg receives an extra line to print before the reply ("node_config write error:
 * ...", or the reason of a refusal), or "". */
enum cfg_set_result cfg_set(struct cfg *cfg, struct str key, struct str value, char *msg,
                            size_t msgcap);
/* cfg_set's checks without storing: CFG_SAVED when cfg_set would accept value. */
enum cfg_set_result cfg_check(struct cfg *cfg, struct str key, struct str value, char *msg,
                              size_t msgcap);
/* Programmatic setters (no conversion); rewrite the file. Return 0 or ERR_*. */
int cfg_put_bool(struct cfg *cfg, enum cfg_key_id key, bool v);
int cfg_put_int(struct cfg *cfg, enum cfg_key_id key, int64_t v);
int cfg_put_str(struct cfg *cfg, enum cfg_key_id key, const char *v);
/* Appends micrOS's dump ("  key       :        value" lines, dump order, secrets as
 * CFG_SECRET_SHOWN); with a non-empty filter only keys containing it. Each line ends with
 * '\n' except the last. */
int cfg_dump(const struct cfg *cfg, struct str filter, struct buf *out);
/* Sets the change observer (one per store). */
void cfg_set_observer(struct cfg *cfg, cfg_change_fn *fn, void *arg);
/* Adds an observer called after any key changed, besides the one of cfg_set_observer.
 * Returns 0 or ERR_FULL (CFG_HOOKS_MAX hooks). */
int cfg_add_observer(struct cfg *cfg, cfg_change_fn *fn, void *arg);
/* Adds a validator cfg_set (conf mode, web config) runs for key before saving; a refusal
 * answers "Failed to save" with the validator's line. Programmatic cfg_put_* are not
 * checked. Returns 0, ERR_NOENT (no such key) or ERR_FULL. */
int cfg_set_validator(struct cfg *cfg, enum cfg_key_id key, cfg_validate_fn *fn, void *arg);

#endif
