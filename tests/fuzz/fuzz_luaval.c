/* fuzz_luaval.c - libFuzzer target: Lua values -> replies (svc/luaval.c + the renderers). The
 * input bytes are a little program run on a real Lua state: push nil, booleans, integers,
 * floats (incl. inf/nan), strings with any bytes, tables filled with keys of every type,
 * tables that hold themselves or each other, functions. The top value is converted as a Lua
 * module's reply would be and rendered as shell text and JSON (which must parse back with
 * cJSON); a converted value is pushed back to Lua (as arguments are) and converts again. */
#include "core/arena.h"
#include "core/buf.h"
#include "svc/luamod.h"
#include "svc/render.h"
#include "svc/val.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char s_mem[256 * 1024];
static unsigned char s_mem2[256 * 1024];

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t take64(struct reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | take(r);
    return v;
}

static int noop(lua_State *L)
{
    (void)L;
    return 0;
}

/* Runs the program (in protected mode: a NaN or nil key raises). Leaves at most 64 values. */
static int build(lua_State *L)
{
    struct reader *r = lua_touserdata(L, 1);
    lua_settop(L, 0);
    while (r->n > 0) {
        uint8_t op = take(r);
        if (lua_gettop(L) > 60)
            lua_settop(L, 30);
        luaL_checkstack(L, 4, "fuzz stack");
        switch (op % 10) {
        case 0: lua_pushnil(L); break;
        case 1: lua_pushboolean(L, op & 16); break;
        case 2: lua_pushinteger(L, (lua_Integer)take64(r)); break;
        case 3: {
            uint64_t bits = take64(r);
            double d;
            memcpy(&d, &bits, sizeof d);
            lua_pushnumber(L, d);
            break;
        }
        case 4: {
            size_t len = take(r);
            if (len > r->n)
                len = r->n;
            lua_pushlstring(L, (const char *)r->p, len);
            r->p += len;
            r->n -= len;
            break;
        }
        case 5: lua_newtable(L); break;
        case 6: /* t[k] = v: t, k, v from the top three, v and k popped */
            if (lua_gettop(L) >= 3 && lua_istable(L, -3))
                lua_rawset(L, -3);
            break;
        case 7: /* append the top to the table below it */
            if (lua_gettop(L) >= 2 && lua_istable(L, -2))
                lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            break;
        case 8: /* copy an earlier value to the top (cycles, shared tables) */
            if (lua_gettop(L) > 0)
                lua_pushvalue(L, 1 + take(r) % lua_gettop(L));
            break;
        case 9: lua_pushcfunction(L, noop); break;
        }
    }
    return lua_gettop(L);
}

static int push_back(lua_State *L)
{
    luaval_push(L, lua_touserdata(L, 1));
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return 0;
    struct reader r = {data, size};
    lua_pushcfunction(L, build);
    lua_pushlightuserdata(L, &r);
    if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK || lua_gettop(L) == 0) {
        lua_close(L);
        return 0;
    }
    struct arena a;
    arena_init(&a, s_mem, sizeof s_mem);
    char err[128];
    struct val *v = luaval_to_val(L, -1, &a, err, sizeof err);
    if (!v) {
        if (!err[0])
            abort(); /* a failure always says why */
        lua_close(L);
        return 0;
    }
    struct buf out, again;
    buf_init(&out, 4 * 1024 * 1024);
    buf_init(&again, 4 * 1024 * 1024);
    render_text(&out, v, false);
    buf_clear(&out);
    if (render_json(&out, v) == 0) {
        cJSON *back = cJSON_ParseWithLength(out.p ? out.p : "", out.len);
        if (!back)
            abort(); /* our JSON must be JSON */
        cJSON_Delete(back);
        /* round trip: back to Lua and converted again gives the same reply */
        lua_settop(L, 0);
        lua_pushcfunction(L, push_back);
        lua_pushlightuserdata(L, v);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
            struct arena a2;
            arena_init(&a2, s_mem2, sizeof s_mem2);
            struct val *w = luaval_to_val(L, -1, &a2, err, sizeof err);
            if (!w && !a2.is_full)
                abort(); /* what we made from Lua converts again */
            if (w && render_json(&again, w) != 0 && !a2.is_full)
                abort();
        }
    }
    buf_free(&out);
    buf_free(&again);
    lua_close(L);
    return 0;
}
