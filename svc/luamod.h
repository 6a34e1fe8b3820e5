/* luamod.h - Load Modules written in Lua: modules/LM_<name>.lua in the node's data folder.
 *
 * A Lua module is a file that returns a table of functions; every function whose name does
 * not start with '_' is a command (`<name> <function> args`), with its parameter names taken
 * from the function itself. Optional declarations in the table (__decl, __help) give
 * parameter types, defaults, choices, widgets, sudo and measures, as a C module's table does
 * (docs/lua.md). The set plugs into the module registry through node->dyn (svc/lm.h), so the
 * executor, help, tasks, REST and the dashboard see Lua modules exactly like built-in ones.
 *
 * Each module runs in its own Lua state with only the safe libraries (no io, os, package,
 * debug, no bytecode), a memory cap (lua_mem_kb) and an instruction budget per call
 * (lua_budget). A file is loaded on first use, reloaded when its size or change stamp differ
 * at the next lookup (a task of the old code then stops), and dropped when the file is gone.
 *
 * Built with MICROS_HAVE_LUA (CMake finds lua5.4 with pkg-config). Without it the set still
 * exists and a call of a module whose .lua file is present answers a Core error saying that
 * this build has no Lua. */
#ifndef LUAMOD_H
#define LUAMOD_H

#include "../core/arena.h"
#include "../core/str.h"
#include "lm.h"
#include "node.h"
#include "val.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef LUAMOD_MAX
#define LUAMOD_MAX 16 /* Lua modules known at once */
#endif
#define LUAMOD_FUNCS_MAX 32          /* functions of one module */
#define LUAMOD_FILE_MAX  (64 * 1024) /* largest LM_<name>.lua */
#define LUAMOD_NAME_MAX  32          /* longest module name + 1 */
#define LUAMOD_DECL_MEM  (12 * 1024) /* per module: its function table, names, declarations */
#define LUAMOD_OUT_MAX   1024        /* print() output kept per call or task */
#define LUAMOD_DEPTH_MAX 4           /* micros.exec nesting */

struct luamods;

/* Statistics of one loaded module (bench, `system` and the docs' figures). */
struct luamod_stats {
    size_t mem_used; /* bytes the module's Lua state holds now */
    size_t mem_peak; /* the most it held */
    size_t mem_cap;  /* its cap (lua_mem_kb) */
    uint64_t calls;  /* calls and task resumes since (re)load */
};

/* Creates the Lua module set of node (node->data_dir/modules) and plugs it into node->dyn.
 * Returns NULL when out of memory. */
struct luamods *luamods_new(struct node *node);
/* Unplugs and frees the set (closes every Lua state, stops its timers, pins and endpoints). */
void luamods_free(struct luamods *set);
/* The Lua module set plugged into node, or NULL. */
struct luamods *luamods_of(const struct node *node);
/* True when this build runs Lua modules (MICROS_HAVE_LUA). */
bool luamods_available(void);
/* Fills st for the loaded module called name. Returns 0 or ERR_NOENT. */
int luamods_stats(struct luamods *set, const char *name, struct luamod_stats *st);

/* Checks that name may name a Lua module: not a reserved command (task, modules, help, reboot,
 * webrepl) nor a built-in C module. Returns 0, or ERR_INVAL with the syslog line saying why
 * in why ("LM_task.lua ignored: 'task' is ...; rename the Lua module"; why may be NULL). */
int luamods_name_check(const struct node *node, struct str name, char *why, size_t cap);
/* The i-th module file the last scan (lm_count) refused for its name: returns why (the line
 * luamods_name_check wrote) and sets *name; NULL past the end. */
const char *luamods_refusal(struct luamods *set, size_t i, const char **name);

/* --- Lua value <-> struct val (luaval.c; used by the binding and fuzzed) --- */
#ifdef MICROS_HAVE_LUA
struct lua_State;
/* Converts the Lua value at idx into a val in a: nil -> None, booleans, integers, floats,
 * strings, tables (1..n sequences -> list, others -> dict with sorted keys; an empty table
 * -> {}); functions and other values -> their type name in angle brackets. Never raises a Lua
 * error. Returns NULL when a is full or nesting is deeper than 16; err says which. */
struct val *luaval_to_val(struct lua_State *L, int idx, struct arena *a, char *err, size_t cap);
/* Pushes v as a Lua value (lists, tuples -> sequences; dicts -> tables). May raise a Lua
 * memory error: call in protected mode. */
void luaval_push(struct lua_State *L, const struct val *v);
#endif

#endif
