/* val.h - structured values: what a Load Module function returns.
 *
 * A value is None, bool, int, float, str, list, tuple or dict, the types of a
 * micrOS (Python) return value. Values live in an arena (core/arena.h) and
 * die with it: nothing here is freed one by one. Every constructor returns
 * NULL when the arena is full and every container function accepts NULL
 * (and then does nothing), so a builder can check arena.is_full once at the end.
 * Strings are copied into the arena and are NUL-terminated. */
#ifndef VAL_H
#define VAL_H

#include "../core/arena.h"
#include "../core/str.h"

#include <stdbool.h>
#include <stdint.h>

enum val_type { VAL_NONE, VAL_BOOL, VAL_INT, VAL_FLOAT, VAL_STR, VAL_LIST, VAL_TUPLE, VAL_DICT };

struct val {
    enum val_type type;
    struct val *next; /* next item of the parent container */
    struct val *key;  /* key of a dict item (a str or int value), else NULL */
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *p;
            size_t len;
        } s;
        struct {
            struct val *head, *tail;
            size_t n;
        } c; /* list, tuple, dict: items in insertion order */
    } u;
};

struct val *val_none(struct arena *a);
struct val *val_bool(struct arena *a, bool b);
struct val *val_int(struct arena *a, int64_t i);
struct val *val_float(struct arena *a, double f);
/* A copy of the NUL-terminated s. */
struct val *val_str(struct arena *a, const char *s);
/* A copy of n bytes of s. */
struct val *val_strn(struct arena *a, const char *s, size_t n);
/* A formatted string. */
struct val *val_strf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct val *val_list(struct arena *a);
struct val *val_tuple(struct arena *a);
struct val *val_dict(struct arena *a);

/* Appends item to a list or tuple. Returns container (NULL if either is NULL). */
struct val *val_append(struct val *container, struct val *item);
/* Sets d[key] = v (replacing an existing key in place). Returns d, or NULL on failure. */
struct val *val_dict_set(struct arena *a, struct val *d, const char *key, struct val *v);
/* Sets d[key] = v for an integer key (micrOS uses them, e.g. {2: 'builtin'}). */
struct val *val_dict_set_ikey(struct arena *a, struct val *d, int64_t key, struct val *v);
/* Returns the value stored under the string key, or NULL. */
struct val *val_dict_get(const struct val *d, const char *key);

/* Returns true for VAL_NONE. */
bool val_is_none(const struct val *v);
/* Python truthiness: None, False, 0, 0.0, "" and empty containers are false. */
bool val_truthy(const struct val *v);
/* Returns the Python type name ("int", "str", "NoneType", ...). */
const char *val_type_name(const struct val *v);

#endif
