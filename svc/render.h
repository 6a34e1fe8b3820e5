/* render.h - turn a value into shell text (micrOS's renderings) or JSON.
 *
 * Shell text (COMPAT §2.3): a dict becomes one " key: value" line per item
 * (top-level str values unquoted, nested values as Python repr); the result
 * of a module's help becomes " item," lines; a str is written as is; every
 * other value as its Python repr (True, None, 5, [1, 2], ('NoAP', '')).
 * An empty dict is an empty line. No trailing newline is written.
 *
 * JSON uses micrOS's separators ", " and ": "; tuples become arrays, None
 * null, floats the shortest text that reads back the same. */
#ifndef RENDER_H
#define RENDER_H

#include "../core/buf.h"
#include "val.h"

#include <stdbool.h>

/* Appends the shell text of v to out; is_help selects the " item," layout for
 * lists and tuples. Returns 0 or ERR_FULL/ERR_NOMEM. */
int render_text(struct buf *out, const struct val *v, bool is_help);
/* Appends the Python repr of v (strings single-quoted as Python does). */
int render_repr(struct buf *out, const struct val *v);
/* Appends the Python str() of v: strings raw, everything else as repr. */
int render_str(struct buf *out, const struct val *v);
/* Appends v as JSON text. */
int render_json(struct buf *out, const struct val *v);
/* Appends s as a JSON string literal (quoted and escaped). */
int render_json_string(struct buf *out, const char *s, size_t len);

#endif
