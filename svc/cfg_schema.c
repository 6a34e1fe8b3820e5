/* cfg_schema.c - the schema table, made from svc/cfg_keys.def (one entry per key, in dump
 * order: micrOS's keys (COMPAT §4), then ours (COMPAT A12)). */
#include "cfg.h"

const struct cfg_key cfg_schema[] = {
#define X(name, type, def, flags, help) [CFG_K_##name] = {#name, CFG_##type, def, flags, help},
#include "cfg_keys.def"
#undef X
};

const size_t cfg_schema_len = sizeof cfg_schema / sizeof cfg_schema[0];

_Static_assert(sizeof cfg_schema / sizeof cfg_schema[0] == CFG_KEY_COUNT,
               "cfg_schema has one entry per cfg_key_id");
