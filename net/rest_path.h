/* rest_path.h - from a REST URL to a command line (COMPAT Part A 9).
 *
 * /rest/<module>/<function>/<args...>?k=v&k2=v2 becomes the command line
 * "<module> <function> <args...> k=v k2=v2": every path segment is fully
 * percent-decoded (RFC 3986) and is exactly one token ('-' does not split,
 * empty segments vanish). A segment that the command parser would not read as
 * one token (whitespace outside quotes, an unbalanced quote) is written as a
 * quoted string, so "/rest/m/f/a%20b" passes the string 'a b'. Query items
 * are decoded the same way and become keyword arguments, placed before any
 * trailing postfix (>json, >>host, &, &&ms). */
#ifndef REST_PATH_H
#define REST_PATH_H

#include "../core/str.h"

#include <stddef.h>

#ifndef REST_LINE_MAX
#define REST_LINE_MAX 4096 /* longest command line a REST URL may build */
#endif

/* Percent-decodes in into out (cap bytes, NUL-terminated). A '%' not followed by two hex
 * digits is kept as it is. Returns the decoded length, or ERR_TOOBIG. */
int rest_pct_decode(struct str in, char *out, size_t cap);

/* Builds the command line for path (the URL path after "/rest", e.g. "/system/info") and
 * query (the text after '?', may be empty) into out (cap bytes, NUL-terminated).
 * Returns the line's length (0: no command, the /rest root), ERR_TOOBIG, or ERR_INVAL
 * (a decoded segment holds a NUL byte). */
int rest_build_line(struct str path, struct str query, char *out, size_t cap);

#endif
