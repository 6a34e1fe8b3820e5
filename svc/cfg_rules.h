/* cfg_rules.h - the value rules of the configuration store (svc/cfg.c's private part). Each
 * refusal is one line that says why and never repeats the value. */
#ifndef MICROS_CFG_RULES_H
#define MICROS_CFG_RULES_H

#include "cfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_INT_LIMIT 9007199254740992LL /* 2^53: JSON numbers are read back as doubles */

/* The reason cfg_str_rule gives for a password that breaks COMPAT A11 (compare by address:
 * the caller answers it with micrOS's own message). */
extern const char cfg_pwd_rule[];

/* Parses a decimal integer as Python's int() does, within +-2^53; false when it is not one. */
bool cfg_parse_int(struct str s, int64_t *out);
/* Parses "True"/"False" (any case); false when it is neither. */
bool cfg_parse_bool(struct str s, bool *out);
/* Writes why n is outside key's range into out (cap bytes); false when n is in range or the
 * key has none. */
bool cfg_int_out_of_range(enum cfg_key_id key, int64_t n, char *out, size_t cap);
/* Returns NULL when v may be stored in string key id, else the reason. */
const char *cfg_str_rule(enum cfg_key_id id, struct str v);

#endif
