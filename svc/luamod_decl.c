/* luamod_decl.c - a Lua module's declarations: the module table, __help and __decl ->
 * struct lm_func[] (names, parameters, types, defaults, widgets, measures). */
#include "luamod.h"

#ifdef MICROS_HAVE_LUA
#include "luamod_priv.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- declarations: the module table -> struct lm_func[] ---- */

struct fn_found {
    const char *name;
    int line;
};

static int fn_line_cmp(const void *pa, const void *pb)
{
    const struct fn_found *a = pa, *b = pb;
    return a->line != b->line ? (a->line < b->line ? -1 : 1) : strcmp(a->name, b->name);
}

static char *decl_str(lua_State *L, struct luamod *m, const char *s)
{
    char *p = arena_strndup(&m->decl, s, strlen(s));
    if (!p)
        luaL_error(L, "declarations larger than %d bytes", LUAMOD_DECL_MEM);
    return p;
}

static enum lm_type type_of(lua_State *L, const char *fn, const char *t)
{
    static const struct {
        const char *name;
        enum lm_type type;
    } types[] = {
        {.name = "any", .type = LM_ANY},     {.name = "int", .type = LM_INT},
        {.name = "float", .type = LM_FLOAT}, {.name = "bool", .type = LM_BOOL},
        {.name = "str", .type = LM_STR},     {.name = "list", .type = LM_LIST},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(t, types[i].name) == 0)
            return types[i].type;
    luaL_error(L, "__decl.%s: unknown type '%s' (any, int, float, bool, str, list)", fn, t);
    return LM_ANY;
}

/* A default value as the literal the binder parses ("10", "True", "'x'"). */
static const char *default_literal(lua_State *L, struct luamod *m, const char *fn, int idx)
{
    char tmp[256];
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "True" : "False";
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(tmp, sizeof tmp, "%.17g", (double)lua_tonumber(L, idx));
        return decl_str(L, m, tmp);
    case LUA_TSTRING: {
        const char *s = lua_tostring(L, idx);
        char q = strchr(s, '\'') ? '"' : '\'';
        if (strchr(s, q) || strlen(s) > sizeof tmp - 3)
            luaL_error(L, "__decl.%s: default '%s' cannot be quoted", fn, s);
        snprintf(tmp, sizeof tmp, "%c%s%c", q, s, q);
        return decl_str(L, m, tmp);
    }
    default: luaL_error(L, "__decl.%s: a default is a boolean, number or string", fn);
    }
    return NULL;
}

/* Field i (1-based) or key of the table at idx, pushed. */
static int get_field(lua_State *L, int idx, int i, const char *key)
{
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1))
        return lua_type(L, -1);
    lua_pop(L, 1);
    return lua_rawgeti(L, idx, i);
}

static int param_of(struct lm_func *f, const char *name)
{
    for (int i = 0; f->params && f->params[i].name; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return i;
    return -1;
}

/* __decl[fn] = {params = {{name, type, default, choice} | {name=, type=, default=, choice=,
 * opt=}...}, widget = "SLIDER", sudo = true, measures = {{key, unit, class}...}} */
static void apply_decl(lua_State *L, struct luamod *m, struct lm_func *f, int didx)
{
    struct lm_param *ps = (struct lm_param *)f->params;
    if (lua_getfield(L, didx, "params") == LUA_TTABLE) {
        int pt = lua_gettop(L);
        for (lua_Integer i = 1; lua_rawgeti(L, pt, i) == LUA_TTABLE; i++) {
            int e = lua_gettop(L);
            if (get_field(L, e, 1, "name") != LUA_TSTRING)
                luaL_error(L, "__decl.%s.params[%I]: needs a name", f->name, i);
            int k = param_of(f, lua_tostring(L, -1));
            if (k < 0)
                luaL_error(L, "__decl.%s: %s() has no parameter '%s'", f->name, f->name,
                           lua_tostring(L, -1));
            lua_pop(L, 1);
            if (get_field(L, e, 2, "type") == LUA_TSTRING)
                ps[k].type = type_of(L, f->name, lua_tostring(L, -1));
            lua_pop(L, 1);
            if (get_field(L, e, 3, "default") != LUA_TNIL)
                ps[k].def = default_literal(L, m, f->name, lua_gettop(L));
            lua_pop(L, 1);
            if (get_field(L, e, 4, "choice") == LUA_TSTRING)
                ps[k].choice = decl_str(L, m, lua_tostring(L, -1));
            lua_pop(L, 1);
            if (lua_getfield(L, e, "opt") != LUA_TNIL && lua_toboolean(L, -1) && !ps[k].def)
                ps[k].def = "None";
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, didx, "widget") == LUA_TSTRING)
        f->widget = decl_str(L, m, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (lua_getfield(L, didx, "sudo") != LUA_TNIL && lua_toboolean(L, -1))
        f->flags |= LM_SUDO;
    lua_pop(L, 1);
    if (lua_getfield(L, didx, "measures") == LUA_TTABLE) {
        int mt = lua_gettop(L);
        size_t n = (size_t)lua_rawlen(L, mt);
        struct lm_measure *ms = arena_alloc(&m->decl, (n + 1) * sizeof *ms);
        if (!ms)
            luaL_error(L, "declarations larger than %d bytes", LUAMOD_DECL_MEM);
        memset(ms, 0, (n + 1) * sizeof *ms);
        for (size_t i = 0; i < n; i++) {
            lua_rawgeti(L, mt, (lua_Integer)i + 1);
            int e = lua_gettop(L);
            if (lua_type(L, e) == LUA_TSTRING) {
                ms[i].key = decl_str(L, m, lua_tostring(L, e));
            } else if (lua_type(L, e) == LUA_TTABLE) {
                if (get_field(L, e, 1, "key") != LUA_TSTRING)
                    luaL_error(L, "__decl.%s.measures[%d]: needs a key", f->name, (int)i + 1);
                ms[i].key = decl_str(L, m, lua_tostring(L, -1));
                lua_pop(L, 1);
                if (get_field(L, e, 2, "unit") == LUA_TSTRING)
                    ms[i].unit = decl_str(L, m, lua_tostring(L, -1));
                lua_pop(L, 1);
                if (get_field(L, e, 3, "class") == LUA_TSTRING)
                    ms[i].device_class = decl_str(L, m, lua_tostring(L, -1));
                lua_pop(L, 1);
            } else {
                luaL_error(L, "__decl.%s.measures[%d]: a key or {key, unit, class}", f->name,
                           (int)i + 1);
            }
            lua_pop(L, 1);
        }
        f->measures = ms;
    }
    lua_pop(L, 1);
}

static const char *const s_widgets[] = {"BUTTON",   "SLIDER", "TEXTBOX", "COLOR", "WHITE",
                                        "JOYSTICK", "STATUS", "GRAPH",   "EMBED"};

static bool is_widget_tag(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof s_widgets / sizeof s_widgets[0]; i++)
        if (strlen(s_widgets[i]) == n && memcmp(s_widgets[i], w, n) == 0)
            return true;
    return false;
}

/* Next space-separated token of *p (cut in place), or NULL. */
static char *next_tok(char **p)
{
    while (**p == ' ')
        (*p)++;
    if (!**p)
        return NULL;
    char *t = *p;
    while (**p && **p != ' ')
        (*p)++;
    if (**p)
        *(*p)++ = '\0';
    return t;
}

/* micrOS's help-string form: "[WIDGET] fn p1 p2=<0-255-5> p3=<a,b> p4=10". */
static void apply_help_line(lua_State *L, struct luamod *m, const char *line)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    char *save = buf, *tok = next_tok(&save);
    const char *widget = NULL;
    if (tok && tok[0] >= 'A' && tok[0] <= 'Z') {
        const char *brace = strchr(tok, '{');
        if (is_widget_tag(tok, brace ? (size_t)(brace - tok) : strlen(tok))) {
            widget = tok;
            tok = next_tok(&save);
        }
    }
    if (!tok)
        luaL_error(L, "__help: '%s' names no function", line);
    struct lm_func *f = NULL;
    for (struct lm_func *g = m->funcs; g->name; g++)
        if (strcmp(g->name, tok) == 0)
            f = g;
    if (!f)
        luaL_error(L, "__help: '%s': the module has no function %s", line, tok);
    if (widget)
        f->widget = decl_str(L, m, widget);
    struct lm_param *ps = (struct lm_param *)f->params;
    while ((tok = next_tok(&save))) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        int k = param_of(f, tok);
        if (k < 0)
            luaL_error(L, "__help: '%s': %s() has no parameter '%s'", line, f->name, tok);
        if (!eq)
            continue;
        char *v = eq + 1;
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
            v[n - 1] = '\0';
            ps[k].choice = decl_str(L, m, v + 1);
        } else {
            ps[k].def = decl_str(L, m, v);
        }
    }
}

/* Builds m->funcs from the module table at idx (in protected mode: errors are Lua errors). */
void luamod__build_funcs(lua_State *L, struct luamod *m, int idx)
{
    struct fn_found found[LUAMOD_FUNCS_MAX];
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
            const char *name = lua_tostring(L, -2);
            if (name[0] != '_' && strcmp(name, "help") != 0 && luamod__is_ident(name)) {
                if (n == LUAMOD_FUNCS_MAX)
                    luaL_error(L, "more than %d functions", LUAMOD_FUNCS_MAX);
                lua_Debug ar;
                lua_pushvalue(L, -1);
                lua_getinfo(L, ">S", &ar);
                found[n].name = decl_str(L, m, name);
                found[n].line = ar.linedefined;
                n++;
            }
        }
        lua_pop(L, 1);
    }
    if (n > 1)
        qsort(found, n, sizeof found[0], fn_line_cmp);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_FUNCS);
    int ft = lua_gettop(L);
    for (size_t i = 0; i < n; i++) {
        struct lm_func *f = &m->funcs[i];
        memset(f, 0, sizeof *f);
        f->name = found[i].name;
        f->fn = NULL; /* set by the caller */
        lua_getfield(L, idx, f->name);
        lua_pushvalue(L, -1);
        lua_rawseti(L, ft, (lua_Integer)i + 1);
        lua_Debug ar;
        lua_pushvalue(L, -1);
        lua_getinfo(L, ">u", &ar);
        if (ar.nparams > LM_MAX_PARAMS)
            luaL_error(L, "%s() has more than %d parameters", f->name, LM_MAX_PARAMS);
        struct lm_param *ps = arena_alloc(&m->decl, (ar.nparams + 1u) * sizeof *ps);
        if (!ps)
            luaL_error(L, "declarations larger than %d bytes", LUAMOD_DECL_MEM);
        memset(ps, 0, (ar.nparams + 1u) * sizeof *ps);
        for (int k = 0; k < ar.nparams; k++) {
            const char *pn = lua_getlocal(L, NULL, k + 1);
            ps[k].name = decl_str(L, m, pn ? pn : "arg");
            ps[k].type = LM_ANY;
        }
        f->params = ps;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    memset(&m->funcs[n], 0, sizeof m->funcs[n]);
    /* optional declarations */
    if (lua_getfield(L, idx, "__help") == LUA_TTABLE) {
        int ht = lua_gettop(L);
        for (lua_Integer i = 1; lua_rawgeti(L, ht, i) == LUA_TSTRING; i++) {
            apply_help_line(L, m, lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "__decl") == LUA_TTABLE) {
        int dt = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, dt)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TTABLE)
                luaL_error(L, "__decl: entries are name = {...}");
            const char *fname = lua_tostring(L, -2);
            struct lm_func *f = NULL;
            for (struct lm_func *g = m->funcs; g->name; g++)
                if (strcmp(g->name, fname) == 0)
                    f = g;
            if (!f)
                luaL_error(L, "__decl.%s: the module has no function %s", fname, fname);
            apply_decl(L, m, f, lua_gettop(L));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

#endif
