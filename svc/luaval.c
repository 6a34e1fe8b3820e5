/* luaval.c - Lua values to and from struct val (the replies and arguments of Lua modules). */
#include "luamod.h"

#ifdef MICROS_HAVE_LUA
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 16

struct item {
    struct val *key; /* VAL_INT or VAL_STR */
    struct val *v;
};

static int item_cmp(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    if (a->key->type != b->key->type)
        return a->key->type == VAL_INT ? -1 : 1;
    if (a->key->type == VAL_INT)
        return a->key->u.i < b->key->u.i ? -1 : a->key->u.i > b->key->u.i;
    return strcmp(a->key->u.s.p, b->key->u.s.p);
}

static struct val *conv(lua_State *L, int idx, struct arena *a, int depth, char *err, size_t cap);

/* A table key as a val: integers stay integers, everything else becomes a string. */
static struct val *key_val(lua_State *L, int idx, struct arena *a)
{
    int isint = 0;
    lua_Integer i = lua_tointegerx(L, idx, &isint);
    if (isint && lua_type(L, idx) == LUA_TNUMBER)
        return val_int(a, i);
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n = 0;
        const char *s = lua_tolstring(L, idx, &n);
        return val_strn(a, s, n);
    }
    case LUA_TNUMBER: return val_strf(a, "%.17g", (double)lua_tonumber(L, idx));
    case LUA_TBOOLEAN: return val_str(a, lua_toboolean(L, idx) ? "True" : "False");
    default: return val_strf(a, "<%s>", lua_typename(L, lua_type(L, idx)));
    }
}

static struct val *table_val(lua_State *L, int idx, struct arena *a, int depth, char *err,
                             size_t cap)
{
    if (!lua_checkstack(L, 4)) {
        snprintf(err, cap, "reply nested too deeply");
        return NULL;
    }
    size_t n = (size_t)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    if (n > 0 && count == n) {
        struct val *l = val_list(a);
        for (size_t i = 1; l && i <= n; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i);
            struct val *v = conv(L, lua_gettop(L), a, depth + 1, err, cap);
            lua_pop(L, 1);
            if (!v || !val_append(l, v))
                return NULL;
        }
        return l;
    }
    struct val *d = val_dict(a);
    struct item *items = count ? arena_alloc(a, count * sizeof *items) : NULL;
    if (!d || (count && !items))
        return NULL;
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (k < count) {
            items[k].key = key_val(L, lua_gettop(L) - 1, a);
            items[k].v = conv(L, lua_gettop(L), a, depth + 1, err, cap);
            if (!items[k].key || !items[k].v) {
                lua_pop(L, 2);
                return NULL;
            }
            k++;
        }
        lua_pop(L, 1);
    }
    qsort(items, k, sizeof *items, item_cmp);
    for (size_t i = 0; i < k; i++) {
        struct val *r = items[i].key->type == VAL_INT
                            ? val_dict_set_ikey(a, d, items[i].key->u.i, items[i].v)
                            : val_dict_set(a, d, items[i].key->u.s.p, items[i].v);
        if (!r)
            return NULL;
    }
    return d;
}

static struct val *conv(lua_State *L, int idx, struct arena *a, int depth, char *err, size_t cap)
{
    if (depth > DEPTH_MAX) {
        snprintf(err, cap, "reply nested deeper than %d tables (a table that holds itself?)",
                 DEPTH_MAX);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
    case LUA_TNONE: return val_none(a);
    case LUA_TBOOLEAN: return val_bool(a, lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return val_int(a, (int64_t)lua_tointeger(L, idx));
        return val_float(a, (double)lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n = 0;
        const char *s = lua_tolstring(L, idx, &n);
        return val_strn(a, s, n);
    }
    case LUA_TTABLE: return table_val(L, lua_absindex(L, idx), a, depth, err, cap);
    default: return val_strf(a, "<%s>", lua_typename(L, lua_type(L, idx)));
    }
}

struct val *luaval_to_val(lua_State *L, int idx, struct arena *a, char *err, size_t cap)
{
    if (cap)
        err[0] = '\0';
    struct val *v = conv(L, lua_absindex(L, idx), a, 0, err, cap);
    if (!v && cap && !err[0])
        snprintf(err, cap, "memory allocation failed");
    return v;
}

void luaval_push(lua_State *L, const struct val *v)
{
    luaL_checkstack(L, 3, "argument nested too deeply");
    if (!v) {
        lua_pushnil(L);
        return;
    }
    switch (v->type) {
    case VAL_NONE: lua_pushnil(L); return;
    case VAL_BOOL: lua_pushboolean(L, v->u.b); return;
    case VAL_INT: lua_pushinteger(L, (lua_Integer)v->u.i); return;
    case VAL_FLOAT: lua_pushnumber(L, (lua_Number)v->u.f); return;
    case VAL_STR: lua_pushlstring(L, v->u.s.p, v->u.s.len); return;
    case VAL_LIST:
    case VAL_TUPLE: {
        lua_newtable(L);
        lua_Integer i = 1;
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            luaval_push(L, it);
            lua_rawseti(L, -2, i++);
        }
        return;
    }
    case VAL_DICT:
        lua_newtable(L);
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            luaval_push(L, it->key);
            luaval_push(L, it);
            lua_rawset(L, -3);
        }
        return;
    }
    lua_pushnil(L);
}
#endif
