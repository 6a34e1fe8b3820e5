/* luamod_priv.h - the Lua module set's insides, shared by luamod.c, luamod_api.c,
 * luamod_decl.c and luamod_sandbox.c. */
#ifndef LUAMOD_PRIV_H
#define LUAMOD_PRIV_H

#include "../core/ev.h"
#include "luamod.h"

#include <lua.h>

/* Registry keys of a module's Lua state. */
#define REG_FUNCS    "micros.funcs"    /* the module's functions, by index */
#define REG_TASKS    "micros.tasks"    /* task coroutines, by state blob */
#define REG_OUT      "micros.out"      /* print() output of tasks, by state blob */
#define REG_REQUIRED "micros.required" /* require() results, by name */

#define LUAMOD_TIMERS    8 /* micros.timer per module */
#define LUAMOD_IRQS      8 /* micros.irq per module */
#define LUAMOD_ENDPOINTS 4 /* micros.endpoint per module */

struct luamod;

struct luamod_timer {
    struct ev_timer tm;
    struct luamod *m;
    uint32_t period_ms; /* 0: one-shot */
    bool is_used;
};

struct luamod_irq {
    struct luamod *m;
    int pin;
    bool is_used;
};

struct luamod {
    struct lm_module mod; /* first: an lm_ctx's mod points here */
    struct luamods *set;
    bool is_used;   /* slot in use */
    bool is_called; /* called since its file appeared (reloads keep it): listed by `modules` */
    char name[LUAMOD_NAME_MAX];
    uint64_t size, stamp;  /* of the file this code came from */
    uint64_t checked_pass; /* event-loop callback count at the last file check */
    uint32_t gen;          /* bumped at every (re)load: a task of older code stops */
    lua_State *L;          /* NULL when the file did not load (err says why) */
    char err[LM_ERR_MAX];
    size_t mem_used, mem_peak, mem_cap;
    uint64_t steps, budget; /* VM instructions of the running call, and its budget */
    uint64_t calls;
    int depth;         /* calls of this module on the C stack */
    lua_State *run_co; /* the task coroutine being resumed, else NULL */
    void *run_key;     /* the task's key (its state blob), else NULL */
    struct lm_func funcs[LUAMOD_FUNCS_MAX + 1];
    struct arena decl; /* funcs' names, params, widgets, measures */
    char *decl_mem;
    char out[LUAMOD_OUT_MAX]; /* print() output of a plain (non-task) call */
    size_t out_len;
    struct luamod_timer timers[LUAMOD_TIMERS];
    struct luamod_irq irqs[LUAMOD_IRQS];
    char endpoints[LUAMOD_ENDPOINTS][96];
};

struct luamods {
    struct node *node;
    struct lm_dyn dyn;
    struct luamod mods[LUAMOD_MAX];
    char scan[LUAMOD_MAX][LUAMOD_NAME_MAX]; /* names seen by the last scan */
    size_t nscan;
    uint32_t gen;
    uint64_t refused; /* files refused at scan (name clash, invalid name, table full) */
    struct {
        char name[LUAMOD_NAME_MAX];
        char why[224];
    } refusals[LUAMOD_MAX]; /* files the last scan refused for their name, and why */
    size_t nrefused;
};

/* The module a Lua state belongs to. */
struct luamod *luamod_of(lua_State *L);
/* Opens the micros library (luamod_api.c) into the global table of L. */
void luamod_open_api(lua_State *L);
/* Stops m's timers, pin watches and endpoints (before its state closes). */
void luamod_api_release(struct luamod *m);
/* Calls the function on top of L's stack with nargs arguments under m's budget, in protected
 * mode, from an event-loop callback (timer, irq, endpoint). Returns 0, or -1 after logging
 * the error to the syslog; nres results are left on the stack on success. */
int luamod_callback(struct luamod *m, int nargs, int nres, const char *what);
/* Appends text (and a newline) to the output of the running call or task; L is the running
 * thread (may raise a Lua memory error). */
void luamod_print(struct luamod *m, lua_State *L, const char *text, size_t len);

/* True when s is a Lua identifier: letters, digits and _, not starting with a digit
 * (luamod_sandbox.c). */
bool luamod__is_ident(const char *s);
/* Opens the sandboxed libraries, print/load/require and the registry tables into L
 * (luamod_sandbox.c). */
void luamod__open_sandbox(lua_State *L);
/* print(...) for Lua code: appends to the running call's output (luamod.c). */
int luamod__l_print(lua_State *L);
/* Builds m->funcs from the module table at idx, in protected mode: errors are Lua errors
 * (luamod_decl.c). */
void luamod__build_funcs(lua_State *L, struct luamod *m, int idx);

#endif
