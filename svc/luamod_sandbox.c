/* luamod_sandbox.c - the Lua modules' sandbox: safe libraries, text-only load, require. */
#include "luamod.h"

#ifdef MICROS_HAVE_LUA
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "luamod_priv.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* True when s is a Lua identifier (letters, digits, _; no leading digit). */
bool luamod__is_ident(const char *s)
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
    if (!luamod__is_ident(name) || strlen(name) >= LUAMOD_NAME_MAX)
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

/* Opens the sandboxed standard libraries, print/load/require and the registry tables. */
void luamod__open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {.name = LUA_GNAME, .func = luaopen_base},
        {.name = LUA_STRLIBNAME, .func = luaopen_string},
        {.name = LUA_TABLIBNAME, .func = luaopen_table},
        {.name = LUA_MATHLIBNAME, .func = luaopen_math},
        {.name = LUA_COLIBNAME, .func = luaopen_coroutine},
        {.name = LUA_UTF8LIBNAME, .func = luaopen_utf8},
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
    lua_register(L, "print", luamod__l_print);
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

#endif
