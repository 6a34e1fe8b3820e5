/* val.c - structured values in an arena. */
#include "val.h"

#include <stdarg.h>
#include <string.h>

static struct val *val_new(struct arena *a, enum val_type type)
{
    struct val *v = arena_alloc(a, sizeof(*v));
    if (!v)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->type = type;
    return v;
}

struct val *val_none(struct arena *a)
{
    return val_new(a, VAL_NONE);
}

struct val *val_bool(struct arena *a, bool b)
{
    struct val *v = val_new(a, VAL_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

struct val *val_int(struct arena *a, int64_t i)
{
    struct val *v = val_new(a, VAL_INT);
    if (v)
        v->u.i = i;
    return v;
}

struct val *val_float(struct arena *a, double f)
{
    struct val *v = val_new(a, VAL_FLOAT);
    if (v)
        v->u.f = f;
    return v;
}

struct val *val_str(struct arena *a, const char *s)
{
    return val_strn(a, s ? s : "", s ? strlen(s) : 0);
}

struct val *val_strn(struct arena *a, const char *s, size_t n)
{
    struct val *v = val_new(a, VAL_STR);
    if (!v)
        return NULL;
    v->u.s.p = arena_strndup(a, s, n);
    if (!v->u.s.p)
        return NULL;
    v->u.s.len = n;
    return v;
}

struct val *val_strf(struct arena *a, const char *fmt, ...)
{
    struct val *v = val_new(a, VAL_STR);
    if (!v)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    v->u.s.p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    if (!v->u.s.p)
        return NULL;
    v->u.s.len = strlen(v->u.s.p);
    return v;
}

struct val *val_list(struct arena *a)
{
    return val_new(a, VAL_LIST);
}

struct val *val_tuple(struct arena *a)
{
    return val_new(a, VAL_TUPLE);
}

struct val *val_dict(struct arena *a)
{
    return val_new(a, VAL_DICT);
}

/* Links item at the end of container's item list. */
static void link_tail(struct val *c, struct val *item)
{
    item->next = NULL;
    if (c->u.c.tail)
        c->u.c.tail->next = item;
    else
        c->u.c.head = item;
    c->u.c.tail = item;
    c->u.c.n++;
}

struct val *val_append(struct val *container, struct val *item)
{
    if (!container || !item)
        return NULL;
    if (container->type != VAL_LIST && container->type != VAL_TUPLE)
        return NULL;
    item->key = NULL;
    link_tail(container, item);
    return container;
}

static bool key_matches(const struct val *k, const char *s, size_t len, bool is_int, int64_t i)
{
    if (!k)
        return false;
    if (is_int)
        return k->type == VAL_INT && k->u.i == i;
    return k->type == VAL_STR && k->u.s.len == len && memcmp(k->u.s.p, s, len) == 0;
}

/* Finds the item of d whose key matches; *prev gets the item before it (NULL for the head). */
static struct val *dict_find(const struct val *d, const char *s, size_t len, bool is_int, int64_t i,
                             struct val **prev)
{
    *prev = NULL;
    for (struct val *it = d->u.c.head; it; *prev = it, it = it->next)
        if (key_matches(it->key, s, len, is_int, i))
            return it;
    return NULL;
}

/* Puts v where old was in d, taking over old's key and position. */
static void dict_replace(struct val *d, struct val *prev, struct val *old, struct val *v)
{
    v->key = old->key;
    v->next = old->next;
    if (prev)
        prev->next = v;
    else
        d->u.c.head = v;
    if (d->u.c.tail == old)
        d->u.c.tail = v;
}

struct val *val_dict_set(struct arena *a, struct val *d, const char *key, struct val *v)
{
    if (!d || !v || !key || d->type != VAL_DICT)
        return NULL;
    size_t len = strlen(key);
    struct val *prev;
    struct val *old = dict_find(d, key, len, false, 0, &prev);
    if (old) {
        if (old != v)
            dict_replace(d, prev, old, v);
        return d;
    }
    struct val *k = val_strn(a, key, len);
    if (!k)
        return NULL;
    link_tail(d, v);
    v->key = k;
    return d;
}

struct val *val_dict_set_ikey(struct arena *a, struct val *d, int64_t key, struct val *v)
{
    if (!d || !v || d->type != VAL_DICT)
        return NULL;
    struct val *prev;
    struct val *old = dict_find(d, NULL, 0, true, key, &prev);
    if (old) {
        if (old != v)
            dict_replace(d, prev, old, v);
        return d;
    }
    struct val *k = val_int(a, key);
    if (!k)
        return NULL;
    link_tail(d, v);
    v->key = k;
    return d;
}

struct val *val_dict_get(const struct val *d, const char *key)
{
    if (!d || !key || d->type != VAL_DICT)
        return NULL;
    size_t len = strlen(key);
    for (struct val *it = d->u.c.head; it; it = it->next)
        if (key_matches(it->key, key, len, false, 0))
            return it;
    return NULL;
}

bool val_is_none(const struct val *v)
{
    return v && v->type == VAL_NONE;
}

bool val_truthy(const struct val *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case VAL_NONE: return false;
    case VAL_BOOL: return v->u.b;
    case VAL_INT: return v->u.i != 0;
    case VAL_FLOAT: return v->u.f != 0.0; /* NaN is true in Python, and NaN != 0.0 */
    case VAL_STR: return v->u.s.len != 0;
    case VAL_LIST:
    case VAL_TUPLE:
    case VAL_DICT: return v->u.c.n != 0;
    }
    return false;
}

const char *val_type_name(const struct val *v)
{
    if (!v)
        return "NoneType";
    switch (v->type) {
    case VAL_NONE: return "NoneType";
    case VAL_BOOL: return "bool";
    case VAL_INT: return "int";
    case VAL_FLOAT: return "float";
    case VAL_STR: return "str";
    case VAL_LIST: return "list";
    case VAL_TUPLE: return "tuple";
    case VAL_DICT: return "dict";
    }
    return "object";
}
