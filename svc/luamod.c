/* luamod.c - Lua Load Modules: the module set, loading and reloading, calls, tasks (declarations
 * in luamod_decl.c, the sandbox in luamod_sandbox.c). */
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

/* Names a Lua module cannot take, and why (docs/lua.md, "Names"). The shell's `hello` and
 * `version` are not here: a module of that name is called as `hello <function> ...` while the
 * bare word keeps micrOS's answer (net/shell.c). These are commands whose words after the name
 * mean something else, or that the executor answers before any module lookup. */
static const struct {
    const char *name;
    const char *why;
} s_reserved[] = {
    {"task", "the executor's task command (task list / show / kill)"},
    {"modules", "the executor's command listing the loaded modules"},
    {"help", "the shell's help (help, help lm)"},
    {"reboot", "the shell's reboot, whatever words follow it (a mistyped function name would "
               "reboot the node)"},
    {"webrepl", "the shell's webrepl, whatever words follow it"},
};

int luamods_name_check(const struct node *node, struct str name, char *why, size_t cap)
{
    for (size_t i = 0; i < sizeof s_reserved / sizeof s_reserved[0]; i++) {
        if (str_eqc(name, s_reserved[i].name)) {
            if (why)
                snprintf(why, cap, "LM_%.*s.lua ignored: '%.*s' is %s; rename the Lua module",
                         STR_FMT(name), STR_FMT(name), s_reserved[i].why);
            return ERR_INVAL;
        }
    }
    for (size_t i = 0; node->modules && node->modules[i]; i++) {
        if (str_eqc(name, node->modules[i]->name)) {
            if (why)
                snprintf(why, cap,
                         "LM_%.*s.lua ignored: a built-in C module is called %.*s; rename the "
                         "Lua module",
                         STR_FMT(name), STR_FMT(name));
            return ERR_INVAL;
        }
    }
    return 0;
}

#ifdef MICROS_HAVE_LUA
#include "luamod_priv.h"

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_EVERY 1000 /* instructions between budget checks */
#define TASK_MAGIC 0x4c554154u

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
    int64_t b = node->cfg ? cfg_get_int(node->cfg, CFG_K_lua_budget) : 0;
    m->budget = b > 0 ? (uint64_t)b : 10000000u;
    m->steps = 0;
}

static size_t mem_cap(const struct node *node)
{
    int64_t kb = node->cfg ? cfg_get_int(node->cfg, CFG_K_lua_mem_kb) : 0;
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

/* print(...): the sandbox's print, registered by luamod__open_sandbox. */
int luamod__l_print(lua_State *L)
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
    luamod__open_sandbox(L);
    char chunk[LUAMOD_NAME_MAX + 12];
    snprintf(chunk, sizeof chunk, "=LM_%s.lua", m->name);
    if (luaL_loadbufferx(L, job->text, job->len, chunk, "t") != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "LM_%s.lua must return a table of functions (return M)", m->name);
    luamod__build_funcs(L, m, lua_gettop(L));
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
    /* is_called stays: a module in use stays listed (`modules`, the dashboard) when its file
     * is replaced; a new or deleted-and-restored file starts unlisted (a fresh slot) */
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

/* Brings the module called name up to date with its file. */
static struct luamod *refresh(struct luamods *set, struct str name)
{
    if (name.len == 0 || name.len >= LUAMOD_NAME_MAX)
        return NULL;
    char nm[LUAMOD_NAME_MAX];
    memcpy(nm, name.p, name.len);
    nm[name.len] = '\0';
    if (!luamod__is_ident(nm) || luamods_name_check(set->node, name, NULL, 0) < 0)
        return NULL;
    struct luamod *m = slot_of(set, name);
    /* One file check per event-loop callback (a command's read, a task's or cron's timer):
     * lines that arrived together share it (a syscall costs more than the call itself on some
     * kernels), and a file changed before a command arrived is always seen. */
    const struct ev_loop *loop = set->node->loop;
    uint64_t pass = loop ? loop->stats.io_dispatch + loop->stats.timers_run + 1 : 0;
    if (m && pass && m->checked_pass == pass)
        return m;
    char path[600];
    snprintf(path, sizeof path, "%s/modules/LM_%s.lua", set->node->data_dir, nm);
    uint64_t size = 0, stamp = 0;
    if (hal_fs_stat(path, &size, &stamp) < 0) {
        if (m && m->depth == 0)
            drop(m);
        return NULL;
    }
    if (m && (m->depth > 0 || (m->size == size && m->stamp == stamp))) {
        m->checked_pass = pass;
        return m; /* unchanged (or running: the next call sees the new code) */
    }
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
    m->checked_pass = pass;
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

static int name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

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
    if (!luamod__is_ident(tmp))
        return;
    char why[sizeof set->refusals[0].why];
    if (luamods_name_check(set->node, nm, why, sizeof why) < 0) {
        set->refused++;
        if (set->nrefused < LUAMOD_MAX) {
            memcpy(set->refusals[set->nrefused].name, tmp, nm.len + 1);
            memcpy(set->refusals[set->nrefused++].why, why, sizeof why);
        }
        return;
    }
    memcpy(set->scan[set->nscan++], tmp, nm.len + 1);
}

static size_t dyn_count(void *arg)
{
    struct luamods *set = arg;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/modules", set->node->data_dir);
    /* a refused file is logged once, not at every scan (every `modules all`, `help lm`) */
    char before[LUAMOD_MAX][LUAMOD_NAME_MAX];
    size_t nbefore = set->nrefused;
    for (size_t i = 0; i < nbefore; i++)
        memcpy(before[i], set->refusals[i].name, LUAMOD_NAME_MAX);
    set->nscan = 0;
    set->nrefused = 0;
    hal_fs_list(dir, scan_one, set);
    for (size_t i = 0; i < set->nrefused; i++) {
        bool known = false;
        for (size_t k = 0; k < nbefore && !known; k++)
            known = strcmp(before[k], set->refusals[i].name) == 0;
        if (!known && set->node->log)
            syslog_write(set->node->log, "[ERR] %s", set->refusals[i].why);
    }
    /* files sort by name, so listings are stable */
    qsort(set->scan, set->nscan, sizeof set->scan[0], name_cmp);
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

const char *luamods_refusal(struct luamods *set, size_t i, const char **name)
{
    if (!set || i >= set->nrefused)
        return NULL;
    *name = set->refusals[i].name;
    return set->refusals[i].why;
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
    /* called from the module's own running task (micros.exec): nest on that thread */
    lua_State *L = m->run_co ? m->run_co : m->L;
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
    if (name.len == 0 || name.len >= LUAMOD_NAME_MAX ||
        luamods_name_check(set->node, name, NULL, 0) < 0)
        return NULL;
    snprintf(path, sizeof path, "%s/modules/LM_%.*s.lua", set->node->data_dir, STR_FMT(name));
    if (!hal_fs_exists(path))
        return NULL;
    memcpy(set->name, name.p, name.len);
    set->name[name.len] = '\0';
    set->mod = (struct lm_module){.name = set->name, .funcs = set->none};
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

const char *luamods_refusal(struct luamods *set, size_t i, const char **name)
{
    (void)set;
    (void)i;
    (void)name;
    return NULL;
}
#endif

/* One set per node; both builds hook it in as the node's dynamic module source (the dyn_*
 * functions above: Lua modules, or the stubs that answer "no Lua in this build"). */
struct luamods *luamods_new(struct node *node)
{
    struct luamods *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->node = node;
    set->dyn = (struct lm_dyn){.find = dyn_find,
                               .count = dyn_count,
                               .at = dyn_at,
                               .ensure = dyn_ensure,
                               .is_loaded = dyn_is_loaded,
                               .arg = set};
    node->dyn = &set->dyn;
    return set;
}
