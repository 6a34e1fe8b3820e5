/* luamod.c - Lua Load Modules: the module set, loading and reloading, sandbox, calls, tasks. */
#include "luamod.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "cfg.h"
#include "cmd.h"
#include "syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both builds keep the provider first in struct luamods: node->dyn->arg is the set. */
struct luamods *luamods_of(const struct node *node)
{
    return node->dyn ? node->dyn->arg : NULL;
}

#ifdef MICROS_HAVE_LUA
#include "luamod_priv.h"

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_EVERY   1000 /* instructions between budget checks */
#define TASK_MAGIC   0x4c554154u
#define REG_FUNCS    "micros.funcs"
#define REG_TASKS    "micros.tasks"
#define REG_OUT      "micros.out"
#define REG_REQUIRED "micros.required"

/* What a task keeps in its state blob between resumes. */
struct task_state {
    uint32_t magic;
    uint32_t gen;
};

bool luamods_available(void)
{
    return true;
}

/* ---- memory cap and instruction budget ---- */

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct luamod *m = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        m->mem_used -= old;
        return NULL;
    }
    if (nsize > old && m->mem_used - old + nsize > m->mem_cap)
        return NULL; /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    m->mem_used = m->mem_used - old + nsize;
    if (m->mem_used > m->mem_peak)
        m->mem_peak = m->mem_used;
    return p;
}

struct luamod *luamod_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    struct luamod *m = luamod_of(L);
    m->steps += HOOK_EVERY;
    if (m->steps <= m->budget)
        return;
    lua_getinfo(L, "Sl", ar);
    lua_pushfstring(L, "%s:%d: stopped after %I instructions (lua_budget): a runaway loop?",
                    ar->short_src, ar->currentline, (lua_Integer)m->budget);
    lua_error(L);
}

static void reset_budget(struct luamod *m)
{
    struct node *node = m->set->node;
    int64_t b = node->cfg ? cfg_get_int(node->cfg, "lua_budget") : 0;
    m->budget = b > 0 ? (uint64_t)b : 20000000u;
    m->steps = 0;
}

static size_t mem_cap(const struct node *node)
{
    int64_t kb = node->cfg ? cfg_get_int(node->cfg, "lua_mem_kb") : 0;
    if (kb <= 0)
        kb = 256;
    if (kb < 16)
        kb = 16;
    if (kb > 8192)
        kb = 8192;
    return (size_t)kb * 1024u;
}

/* ---- output (print) ---- */

static void out_append(char *buf, size_t *len, const char *text, size_t n)
{
    if (n + 1 > LUAMOD_OUT_MAX) { /* keep the end of a long text */
        text += n - (LUAMOD_OUT_MAX - 1);
        n = LUAMOD_OUT_MAX - 1;
    }
    if (*len + n + 1 > LUAMOD_OUT_MAX) { /* drop the oldest output */
        size_t drop = *len + n + 1 - LUAMOD_OUT_MAX;
        if (drop > *len)
            drop = *len;
        memmove(buf, buf + drop, *len - drop);
        *len -= drop;
    }
    if (*len && buf[*len - 1] != '\n')
        buf[(*len)++] = '\n';
    memcpy(buf + *len, text, n);
    *len += n;
}

void luamod_print(struct luamod *m, lua_State *L, const char *text, size_t len)
{
    if (!m->run_key) {
        out_append(m->out, &m->out_len, text, len);
        return;
    }
    /* a task's output lives in REG_OUT[key], a string; L is the running thread */
    char buf[LUAMOD_OUT_MAX];
    size_t n = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_OUT);
    lua_rawgetp(L, -1, m->run_key);
    if (lua_type(L, -1) == LUA_TSTRING) {
        const char *s = lua_tolstring(L, -1, &n);
        if (n > sizeof buf - 1)
            n = sizeof buf - 1;
        memcpy(buf, s, n);
    }
    lua_pop(L, 1);
    out_append(buf, &n, text, len);
    lua_pushlstring(L, buf, n);
    lua_rawsetp(L, -2, m->run_key);
    lua_pop(L, 1);
}

static int l_print(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    int n = lua_gettop(L); /* before luaL_buffinit, which may push a box */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len = 0;
    const char *s = lua_tolstring(L, -1, &len);
    luamod_print(m, L, s, len);
    return 0;
}

/* ---- sandbox ---- */

/* load(chunk [, chunkname]): text chunks only (mode "t"), never bytecode or reader functions. */
static int l_load(lua_State *L)
{
    size_t n = 0;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "=(load)");
    if (luaL_loadbufferx(L, s, n, name, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

static bool is_ident(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                  (p != s && *p >= '0' && *p <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* require(name): modules/<name>.lua of the node's data folder, as text, once per state. */
static int l_require(lua_State *L)
{
    struct luamod *m = luamod_of(L);
    const char *name = luaL_checkstring(L, 1);
    if (!is_ident(name) || strlen(name) >= LUAMOD_NAME_MAX)
        return luaL_error(L, "require: '%s' is not a module name (letters, digits, _)", name);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_REQUIRED);
    lua_getfield(L, -1, name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    char path[600];
    snprintf(path, sizeof path, "%s/modules/%s.lua", m->set->node->data_dir, name);
    char *text = malloc(LUAMOD_FILE_MAX);
    if (!text)
        return luaL_error(L, "require: out of memory");
    long n = hal_fs_read(path, text, LUAMOD_FILE_MAX);
    if (n < 0) {
        free(text);
        return luaL_error(L, "require: modules/%s.lua: %s", name, err_str((int)n));
    }
    char chunk[LUAMOD_NAME_MAX + 8];
    snprintf(chunk, sizeof chunk, "=%s.lua", name);
    int rc = luaL_loadbufferx(L, text, (size_t)n, chunk, "t");
    free(text);
    if (rc != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

static void open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},    {LUA_MATHLIBNAME, luaopen_math},
        {LUA_COLIBNAME, luaopen_coroutine}, {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    static const char *const drop[] = {"dofile", "loadfile", "require", "collectgarbage"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump"); /* bytecode out is useless when bytecode in is refused */
    lua_pop(L, 1);
    lua_register(L, "load", l_load);
    lua_register(L, "print", l_print);
    lua_register(L, "require", l_require);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_REQUIRED);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_TASKS);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_OUT);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_FUNCS);
    luamod_open_api(L);
}

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
    } types[] = {{"any", LM_ANY},   {"int", LM_INT}, {"float", LM_FLOAT},
                 {"bool", LM_BOOL}, {"str", LM_STR}, {"list", LM_LIST}};
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
static void build_funcs(lua_State *L, struct luamod *m, int idx)
{
    struct fn_found found[LUAMOD_FUNCS_MAX];
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
            const char *name = lua_tostring(L, -2);
            if (name[0] != '_' && strcmp(name, "help") != 0 && is_ident(name)) {
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

/* ---- loading ---- */

struct load_job {
    struct luamod *m;
    const char *text;
    size_t len;
};

static int load_entry(lua_State *L)
{
    struct load_job *job = lua_touserdata(L, 1);
    struct luamod *m = job->m;
    open_sandbox(L);
    char chunk[LUAMOD_NAME_MAX + 12];
    snprintf(chunk, sizeof chunk, "=LM_%s.lua", m->name);
    if (luaL_loadbufferx(L, job->text, job->len, chunk, "t") != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "LM_%s.lua must return a table of functions (return M)", m->name);
    build_funcs(L, m, lua_gettop(L));
    return 0;
}

static void close_state(struct luamod *m)
{
    luamod_api_release(m);
    if (m->L)
        lua_close(m->L);
    m->L = NULL;
    free(m->decl_mem);
    m->decl_mem = NULL;
    memset(m->funcs, 0, sizeof m->funcs);
}

static void syslog_err(struct luamod *m, const char *fn, const char *text)
{
    struct node *node = m->set->node;
    if (node->log)
        syslog_write(node->log, "[ERR] Core error: LM_%s->%s: %s", m->name, fn, text);
}

static int call_fn(struct lm_ctx *ctx);

/* (Re)loads m from text; on failure m stays listed with m->err set and no functions. */
static void load_text(struct luamod *m, const char *text, size_t len)
{
    close_state(m);
    m->err[0] = '\0';
    m->gen = ++m->set->gen;
    m->is_called = false;
    m->calls = 0;
    m->mem_used = m->mem_peak = 0;
    m->mem_cap = mem_cap(m->set->node);
    m->mod.name = m->name;
    m->mod.funcs = m->funcs;
    m->mod.load = NULL;
    m->decl_mem = malloc(LUAMOD_DECL_MEM);
    if (!m->decl_mem) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return;
    }
    arena_init(&m->decl, m->decl_mem, LUAMOD_DECL_MEM);
    m->L = lua_newstate(l_alloc, m);
    if (!m->L) {
        snprintf(m->err, sizeof m->err, "memory limit (lua_mem_kb) too small for a Lua state");
        return;
    }
    lua_sethook(m->L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
    reset_budget(m);
    struct load_job job = {m, text, len};
    lua_pushcfunction(m->L, load_entry);
    lua_pushlightuserdata(m->L, &job);
    m->depth++;
    int rc = lua_pcall(m->L, 1, 0, 0);
    m->depth--;
    if (rc != LUA_OK) {
        const char *e =
            rc == LUA_ERRMEM ? "memory limit exceeded (lua_mem_kb)" : lua_tostring(m->L, -1);
        snprintf(m->err, sizeof m->err, "%s", e ? e : "load failed");
        syslog_err(m, "load", m->err);
        close_state(m);
        return;
    }
    for (struct lm_func *f = m->funcs; f->name; f++)
        f->fn = call_fn;
    lua_gc(m->L, LUA_GCCOLLECT);
}

static void drop(struct luamod *m)
{
    close_state(m);
    m->is_used = false;
    m->name[0] = '\0';
}

static struct luamod *slot_of(struct luamods *set, struct str name)
{
    for (size_t i = 0; i < LUAMOD_MAX; i++)
        if (set->mods[i].is_used && str_eqc(name, set->mods[i].name))
            return &set->mods[i];
    return NULL;
}

static bool is_builtin(const struct node *node, struct str name)
{
    for (size_t i = 0; node->modules && node->modules[i]; i++)
        if (str_eqc(name, node->modules[i]->name))
            return true;
    return false;
}

/* Brings the module called name up to date with its file. */
static struct luamod *refresh(struct luamods *set, struct str name)
{
    if (name.len == 0 || name.len >= LUAMOD_NAME_MAX)
        return NULL;
    char nm[LUAMOD_NAME_MAX];
    memcpy(nm, name.p, name.len);
    nm[name.len] = '\0';
    if (!is_ident(nm))
        return NULL;
    struct luamod *m = slot_of(set, name);
    char path[600];
    snprintf(path, sizeof path, "%s/modules/LM_%s.lua", set->node->data_dir, nm);
    uint64_t size = 0, stamp = 0;
    if (hal_fs_stat(path, &size, &stamp) < 0) {
        if (m && m->depth == 0)
            drop(m);
        return NULL;
    }
    if (m && (m->depth > 0 || (m->size == size && m->stamp == stamp)))
        return m; /* unchanged (or running: the next call sees the new code) */
    if (!m) {
        for (size_t i = 0; i < LUAMOD_MAX && !m; i++)
            if (!set->mods[i].is_used)
                m = &set->mods[i];
        if (!m) {
            set->refused++;
            LOG_W("lua: LM_%s.lua ignored: more than %d Lua modules", nm, LUAMOD_MAX);
            return NULL;
        }
        memset(m, 0, sizeof *m);
        m->set = set;
        m->is_used = true;
        snprintf(m->name, sizeof m->name, "%s", nm);
    }
    m->size = size;
    m->stamp = stamp;
    char *text = malloc(LUAMOD_FILE_MAX);
    long n = text ? hal_fs_read(path, text, LUAMOD_FILE_MAX) : ERR_NOMEM;
    if (n < 0) {
        close_state(m);
        m->gen = ++set->gen;
        m->mod.name = m->name;
        m->mod.funcs = m->funcs;
        snprintf(m->err, sizeof m->err, "LM_%s.lua: %s%s", nm, err_str((int)n),
                 n == ERR_TOOBIG ? " (largest Lua module: 64 KB)" : "");
    } else {
        load_text(m, text, (size_t)n);
    }
    free(text);
    return m;
}

/* ---- the registry provider (svc/lm.h) ---- */

static const struct lm_module *dyn_find(void *arg, struct str name)
{
    struct luamod *m = refresh(arg, name);
    return m ? &m->mod : NULL;
}

struct scan_ctx {
    struct luamods *set;
};

static void scan_one(const char *name, bool is_dir, void *arg)
{
    struct luamods *set = arg;
    size_t n = strlen(name);
    if (is_dir || n <= 7 || strncmp(name, "LM_", 3) != 0 || strcmp(name + n - 4, ".lua") != 0)
        return;
    struct str nm = {name + 3, n - 7};
    if (nm.len >= LUAMOD_NAME_MAX || set->nscan == LUAMOD_MAX)
        return;
    char tmp[LUAMOD_NAME_MAX];
    memcpy(tmp, nm.p, nm.len);
    tmp[nm.len] = '\0';
    if (!is_ident(tmp))
        return;
    if (is_builtin(set->node, nm)) {
        set->refused++;
        if (set->node->log)
            syslog_write(set->node->log,
                         "[ERR] LM_%s.lua ignored: a built-in C module is called %s; rename the "
                         "Lua module",
                         tmp, tmp);
        return;
    }
    memcpy(set->scan[set->nscan++], tmp, nm.len + 1);
}

static size_t dyn_count(void *arg)
{
    struct luamods *set = arg;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/modules", set->node->data_dir);
    set->nscan = 0;
    hal_fs_list(dir, scan_one, set);
    /* files sort by name, so listings are stable */
    qsort(set->scan, set->nscan, sizeof set->scan[0], (int (*)(const void *, const void *))strcmp);
    for (size_t i = 0; i < LUAMOD_MAX; i++) { /* forget deleted files */
        struct luamod *m = &set->mods[i];
        bool seen = false;
        for (size_t k = 0; k < set->nscan && m->is_used && !seen; k++)
            seen = strcmp(set->scan[k], m->name) == 0;
        if (m->is_used && !seen && m->depth == 0)
            drop(m);
    }
    return set->nscan;
}

static const struct lm_module *dyn_at(void *arg, size_t i)
{
    struct luamods *set = arg;
    return i < set->nscan ? dyn_find(set, str_c(set->scan[i])) : NULL;
}

static int dyn_ensure(void *arg, const struct lm_module *mod, char *err, size_t cap)
{
    (void)arg;
    struct luamod *m = (struct luamod *)(uintptr_t)mod;
    if (!m->L) {
        snprintf(err, cap, "%s", m->err[0] ? m->err : "module load failed");
        return ERR_INVAL;
    }
    m->is_called = true;
    return 0;
}

static bool dyn_is_loaded(void *arg, const struct lm_module *mod)
{
    struct luamods *set = arg;
    for (size_t i = 0; i < LUAMOD_MAX; i++)
        if (&set->mods[i].mod == mod)
            return set->mods[i].is_used && set->mods[i].is_called;
    return false;
}

struct luamods *luamods_new(struct node *node)
{
    struct luamods *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->node = node;
    set->dyn = (struct lm_dyn){dyn_find, dyn_count, dyn_at, dyn_ensure, dyn_is_loaded, set};
    node->dyn = &set->dyn;
    return set;
}

void luamods_free(struct luamods *set)
{
    if (!set)
        return;
    if (set->node->dyn == &set->dyn)
        set->node->dyn = NULL;
    for (size_t i = 0; i < LUAMOD_MAX; i++)
        if (set->mods[i].is_used)
            drop(&set->mods[i]);
    free(set);
}

int luamods_stats(struct luamods *set, const char *name, struct luamod_stats *st)
{
    struct luamod *m = slot_of(set, str_c(name));
    if (!m || !m->L)
        return ERR_NOENT;
    st->mem_used = m->mem_used;
    st->mem_peak = m->mem_peak;
    st->mem_cap = m->mem_cap;
    st->calls = m->calls;
    return 0;
}

/* ---- calls ---- */

struct call_job {
    struct luamod *m;
    struct lm_ctx *ctx;
    int fidx;
};

static int call_done(lua_State *L, int status, lua_KContext k)
{
    (void)status;
    return lua_gettop(L) - (int)k;
}

/* Runs on the calling thread (or the task's coroutine): pushes the function and the bound
 * arguments, then calls it; yields (sleep_ms) pass through. */
static int call_entry(lua_State *L)
{
    struct call_job *job = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_FUNCS);
    lua_rawgeti(L, -1, job->fidx + 1);
    lua_remove(L, -2);
    for (size_t i = 0; i < job->ctx->nargs; i++)
        luaval_push(L, job->ctx->args[i]);
    job = NULL; /* ctx is gone after the first yield */
    lua_callk(L, (int)lua_gettop(L) - 2, LUA_MULTRET, 1, call_done);
    return call_done(L, LUA_OK, 1);
}

/* The error text of a failed call: Lua's message ("LM_x.lua:3: ..."), memory errors named. */
static void call_error(struct lm_ctx *ctx, struct luamod *m, lua_State *L, int rc)
{
    const char *e = lua_tostring(L, -1);
    if (rc == LUA_ERRMEM)
        lm_error(ctx, "memory limit exceeded (%zu KB, lua_mem_kb)", m->mem_cap / 1024);
    else
        lm_error(ctx, "%s", e ? e : "error object is not a string");
    syslog_err(m, ctx->fn->name, ctx->err);
}

/* Sets the reply from nres values on top of L (several -> a tuple); with no value or nil and
 * some printed output, the output is the reply. */
static void set_reply(struct lm_ctx *ctx, lua_State *L, int nres, const char *out, size_t olen)
{
    char err[128];
    if (nres == 0 || (nres == 1 && lua_isnil(L, -1))) {
        if (olen)
            lm_ret(ctx, val_strn(ctx->arena, out, olen));
        return;
    }
    if (nres == 1) {
        struct val *v = luaval_to_val(L, -1, ctx->arena, err, sizeof err);
        if (!v)
            lm_error(ctx, "%s", err);
        else
            lm_ret(ctx, v);
        return;
    }
    struct val *t = val_tuple(ctx->arena);
    for (int i = -nres; t && i < 0; i++) {
        struct val *v = luaval_to_val(L, i, ctx->arena, err, sizeof err);
        if (!v || !val_append(t, v)) {
            lm_error(ctx, "%s", v ? "memory allocation failed" : err);
            return;
        }
    }
    lm_ret(ctx, t);
}

static int call_plain(struct lm_ctx *ctx, struct luamod *m, int fidx)
{
    lua_State *L = m->L;
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 8))
        return lm_error(ctx, "Lua stack full");
    struct call_job job = {m, ctx, fidx};
    void *saved_key = m->run_key;
    lua_State *saved_co = m->run_co;
    size_t saved_out = m->out_len;
    m->run_key = NULL;
    m->run_co = NULL;
    if (m->depth == 0) {
        reset_budget(m);
        m->out_len = 0;
    }
    lua_pushcfunction(L, call_entry);
    lua_pushlightuserdata(L, &job);
    m->depth++;
    int rc = lua_pcall(L, 1, LUA_MULTRET, 0);
    m->depth--;
    m->run_key = saved_key;
    m->run_co = saved_co;
    if (rc != LUA_OK)
        call_error(ctx, m, L, rc);
    else
        set_reply(ctx, L, lua_gettop(L) - base, m->out + (m->depth ? saved_out : 0),
                  m->out_len - (m->depth ? saved_out : 0));
    lua_settop(L, base);
    if (m->depth == 0)
        m->out_len = 0;
    return 0;
}

/* step 0: make the coroutine, registered as REG_TASKS[key]; pushes nothing. */
static int task_new(lua_State *L)
{
    void *key = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_TASKS);
    lua_newthread(L);
    lua_rawsetp(L, -2, key);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_OUT);
    lua_pushnil(L);
    lua_rawsetp(L, -2, key);
    return 0;
}

static void task_forget(lua_State *L, void *key)
{
    lua_getfield(L, LUA_REGISTRYINDEX, REG_TASKS);
    lua_pushnil(L);
    lua_rawsetp(L, -2, key);
    lua_pop(L, 1);
}

static int call_task(struct lm_ctx *ctx, struct luamod *m, int fidx)
{
    lua_State *L = m->L;
    struct task_state *ts = ctx->state;
    void *key = ctx->state;
    if (!ts || ctx->state_size < sizeof *ts)
        return lm_error(ctx, "task state too small");
    if (m->depth > 0)
        return lm_error(ctx, "a task cannot start inside a call of its own module");
    int base = lua_gettop(L);
    if (ctx->step == 0) {
        lua_pushcfunction(L, task_new);
        lua_pushlightuserdata(L, key);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            lua_settop(L, base);
            return lm_error(ctx, "memory limit exceeded (%zu KB, lua_mem_kb)", m->mem_cap / 1024);
        }
        ts->magic = TASK_MAGIC;
        ts->gen = m->gen;
    } else if (ts->magic != TASK_MAGIC || ts->gen != m->gen) {
        return lm_error(ctx, "LM_%s.lua changed: the task of the old code is stopped", m->name);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, REG_TASKS);
    lua_rawgetp(L, -1, key);
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 2);
    if (!co)
        return lm_error(ctx, "task state lost");
    int nargs = 0;
    struct call_job job = {m, ctx, fidx};
    if (ctx->step == 0) {
        lua_pushcfunction(co, call_entry);
        lua_pushlightuserdata(co, &job);
        nargs = 1;
    }
    reset_budget(m);
    m->run_key = key;
    m->run_co = co;
    m->depth++;
    m->calls++;
    int nres = 0;
    int rc = lua_resume(co, L, nargs, &nres);
    m->depth--;
    m->run_key = NULL;
    m->run_co = NULL;
    /* the output so far */
    const char *out = NULL;
    size_t olen = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_OUT);
    lua_rawgetp(L, -1, key);
    if (lua_type(L, -1) == LUA_TSTRING)
        out = lua_tolstring(L, -1, &olen);
    if (rc == LUA_YIELD) {
        lua_Integer ms = nres > 0 ? lua_tointeger(co, -nres) : 0;
        lua_pop(co, nres);
        lm_again(ctx, ms < 0 ? 0 : (uint32_t)ms);
        if (olen)
            lm_ret(ctx, val_strn(ctx->arena, out, olen));
    } else if (rc == LUA_OK) {
        set_reply(ctx, co, nres, out, olen);
        lua_pop(co, nres);
        task_forget(L, key);
    } else {
        call_error(ctx, m, co, rc);
        task_forget(L, key);
    }
    lua_settop(L, base);
    return 0;
}

static int call_fn(struct lm_ctx *ctx)
{
    struct luamod *m = (struct luamod *)(uintptr_t)ctx->mod;
    if (!m->L)
        return lm_error(ctx, "%s", m->err[0] ? m->err : "module not loaded");
    if (m->depth >= LUAMOD_DEPTH_MAX)
        return lm_error(ctx, "calls nested deeper than %d (micros.exec)", LUAMOD_DEPTH_MAX);
    int fidx = (int)(ctx->fn - m->funcs);
    if (fidx < 0 || fidx >= LUAMOD_FUNCS_MAX)
        return lm_error(ctx, "unknown function");
    if (ctx->is_task)
        return call_task(ctx, m, fidx);
    m->calls++;
    return call_plain(ctx, m, fidx);
}

int luamod_callback(struct luamod *m, int nargs, int nres, const char *what)
{
    lua_State *L = m->L;
    if (m->depth == 0)
        reset_budget(m);
    m->depth++;
    int rc = lua_pcall(L, nargs, nres, 0);
    m->depth--;
    if (rc != LUA_OK) {
        const char *e =
            rc == LUA_ERRMEM ? "memory limit exceeded (lua_mem_kb)" : lua_tostring(L, -1);
        syslog_err(m, what, e ? e : "error");
        LOG_W("lua: LM_%s %s: %s", m->name, what, e ? e : "error");
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

#else /* !MICROS_HAVE_LUA: the set answers that this build runs no Lua modules */

struct luamods {
    struct node *node;
    struct lm_dyn dyn;
    struct lm_module mod; /* the module a .lua file stands for: no functions */
    struct lm_func none[1];
    char name[LUAMOD_NAME_MAX];
};

bool luamods_available(void)
{
    return false;
}

static const struct lm_module *dyn_find(void *arg, struct str name)
{
    struct luamods *set = arg;
    char path[600];
    if (name.len == 0 || name.len >= LUAMOD_NAME_MAX)
        return NULL;
    snprintf(path, sizeof path, "%s/modules/LM_%.*s.lua", set->node->data_dir, STR_FMT(name));
    if (!hal_fs_exists(path))
        return NULL;
    memcpy(set->name, name.p, name.len);
    set->name[name.len] = '\0';
    set->mod = (struct lm_module){set->name, set->none, NULL};
    return &set->mod;
}

static size_t dyn_count(void *arg)
{
    (void)arg;
    return 0;
}

static const struct lm_module *dyn_at(void *arg, size_t i)
{
    (void)arg;
    (void)i;
    return NULL;
}

static int dyn_ensure(void *arg, const struct lm_module *mod, char *err, size_t cap)
{
    (void)arg;
    snprintf(err, cap, "LM_%s.lua: this build of micrOS-C runs no Lua modules (MICROS_LUA off)",
             mod->name);
    return ERR_NOTSUP;
}

static bool dyn_is_loaded(void *arg, const struct lm_module *mod)
{
    (void)arg;
    (void)mod;
    return false;
}

struct luamods *luamods_new(struct node *node)
{
    struct luamods *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->node = node;
    set->dyn = (struct lm_dyn){dyn_find, dyn_count, dyn_at, dyn_ensure, dyn_is_loaded, set};
    node->dyn = &set->dyn;
    return set;
}

void luamods_free(struct luamods *set)
{
    if (set && set->node->dyn == &set->dyn)
        set->node->dyn = NULL;
    free(set);
}

int luamods_stats(struct luamods *set, const char *name, struct luamod_stats *st)
{
    (void)set;
    (void)name;
    (void)st;
    return ERR_NOENT;
}
#endif
