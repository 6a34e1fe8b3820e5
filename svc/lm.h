/* lm.h - Load Modules: declarations, argument binding, help and widget JSON.
 *
 * A Load Module is one static const struct lm_module: its name and a table of
 * functions, each with its handler, declared parameters and optional widget
 * tag. From that one declaration the executor checks arity and types, fills
 * defaults, and generates `help`, `help True` (widget JSON, COMPAT §9) and the
 * web dashboard. Every handler has one signature and replies through its
 * context:
 *
 *     static int fn_color(struct lm_ctx *ctx)
 *     {
 *         int64_t r = lm_int(ctx, "r");
 *         ...
 *         return lm_ret_strf(ctx, "R: %lld", (long long)r);
 *     }
 *
 *     static const struct lm_func funcs[] = {
 *         {.name = "color", .fn = fn_color,
 *          .params = LM_PARAMS({"r", LM_INT, "0", "0-255-1"}, ...), .widget = "COLOR"},
 *         {.name = NULL},
 *     };
 *     const struct lm_module lm_rgb = {.name = "rgb", .funcs = funcs, .load = rgb_load};
 *
 * A module keeps its state in file statics and sets it up in load(), called
 * once on first use (micrOS's lazy import). */
#ifndef LM_H
#define LM_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "cmd.h"
#include "node.h"
#include "val.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef LM_MAX_PARAMS
#define LM_MAX_PARAMS 12
#endif
#define LM_ERR_MAX 256

enum lm_type {
    LM_ANY,   /* any literal */
    LM_INT,   /* int (bool is refused) */
    LM_FLOAT, /* float or int */
    LM_BOOL,  /* True/False (micrOS modules also accept 0/1: so do we) */
    LM_STR,   /* string (a bare word is a string) */
    LM_LIST,  /* [..] list */
};

struct lm_param {
    const char *name;
    enum lm_type type;
    const char *def;    /* default as a literal ("False", "None", "10", "'x'"); NULL = required */
    const char *choice; /* for widgets and help: a range "0-255" / "0-255-5", or options "a,b,c" */
};

/* One quantity a measurement function reports: /metrics exports it as a gauge and Home
 * Assistant discovery as a sensor. A function with measures takes no required parameters; each
 * value is a number or a string holding one (micrOS formats some readings as text). */
struct lm_measure {
    const char *key;          /* the key in the function's dict reply ("temp[C]"); "" = the reply
                                 itself is the number */
    const char *unit;         /* unit of measurement ("°C", "%", "lx"), or NULL */
    const char *device_class; /* Home Assistant sensor device class ("temperature", "humidity",
                                 "illuminance"), or NULL */
};

struct lm_ctx;
typedef int lm_fn(struct lm_ctx *ctx);

struct lm_func {
    const char *name;
    lm_fn *fn;
    const struct lm_param *params;     /* terminated by {NULL}; NULL = no parameters */
    const char *widget;                /* NULL, or a tag with optional overrides: "COLOR",
                                          "GRAPH{\"refresh\": 5000}" (COMPAT §9) */
    unsigned flags;                    /* LM_SUDO, LM_SUDO_FORCE */
    const struct lm_measure *measures; /* NULL, or what this measurement function reports,
                                          terminated by {NULL} (LM_MEASURES) */
};

/* The function needs pwd=<appwd> (micrOS's @sudo, COMPAT §10.3); the executor checks and
 * removes the pwd keyword before binding, failing with "Access denied, wrong password (pwd)". */
#define LM_SUDO 1u
/* Like LM_SUDO, but only when the argument named "force" is truthy. */
#define LM_SUDO_FORCE 2u
/* Like LM_SUDO, but only when the first declared parameter is truthy (system alarms
 * clean=True deletes the logs; a plain alarms call only reads them). */
#define LM_SUDO_IF_FIRST 4u

struct lm_module {
    const char *name;
    const struct lm_func *funcs;    /* terminated by {NULL} */
    int (*load)(struct node *node); /* optional; called once before the first call */
};

/* Declares a measurement function's quantities inline:
 * LM_MEASURES({"temp[C]", "°C", "temperature"}, {"hum[%]", "%", "humidity"}). */
#define LM_MEASURES(...) ((const struct lm_measure[]){__VA_ARGS__, {NULL, NULL, NULL}})

/* Declares a parameter list inline: LM_PARAMS({"r", LM_INT, "0", "0-255"}, {"g", ...}). */
#define LM_PARAMS(...) ((const struct lm_param[]){__VA_ARGS__, {NULL, LM_ANY, NULL, NULL}})

/* Everything a handler gets and gives. */
struct lm_ctx {
    struct node *node;
    const struct lm_module *mod;
    const struct lm_func *fn;
    struct arena *arena;             /* for the reply and any scratch data */
    struct val *args[LM_MAX_PARAMS]; /* bound arguments, in declaration order */
    size_t nargs;
    struct val *result;   /* set by lm_ret*; NULL = None */
    bool is_error;        /* set by lm_error */
    char err[LM_ERR_MAX]; /* the error text, without "Core error: ..." */
    /* Work over time (tasks): a handler that is called from a task may ask to be
     * called again after again_ms with the same state (see lm_again). */
    bool is_task; /* running inside a background task */
    void *state;  /* per-task scratch state, state_size bytes, zeroed at task start */
    size_t state_size;
    uint32_t step;   /* 0 on the first call of a task iteration, then 1, 2, ... */
    bool want_again; /* set by lm_again */
    uint32_t again_ms;
};

/* --- arguments (names are the declared parameter names; asking for an undeclared one
 *     aborts in debug builds and returns the type's zero) --- */
struct val *lm_arg(struct lm_ctx *ctx, const char *name);
int64_t lm_int(struct lm_ctx *ctx, const char *name);
double lm_float(struct lm_ctx *ctx, const char *name);
bool lm_bool(struct lm_ctx *ctx, const char *name);
/* The string argument, or NULL when it is None. */
const char *lm_str(struct lm_ctx *ctx, const char *name);
bool lm_is_none(struct lm_ctx *ctx, const char *name);

/* --- replies; each returns 0 so a handler can `return lm_ret_...(...)` --- */
int lm_ret(struct lm_ctx *ctx, struct val *v);
int lm_ret_str(struct lm_ctx *ctx, const char *s);
int lm_ret_strf(struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lm_ret_int(struct lm_ctx *ctx, int64_t i);
int lm_ret_bool(struct lm_ctx *ctx, bool b);
/* Starts a dict reply and returns it for the caller to fill (NULL when out of memory). */
struct val *lm_ret_dict(struct lm_ctx *ctx);
/* Fails the call: the reply becomes "Core error: LM_<mod>-><fn>: <text>". Returns ERR_INVAL. */
int lm_error(struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Inside a task: run this handler again after ms with the same state instead of finishing
 * the iteration. Outside a task the handler should finish its work at once instead;
 * returns true when a repeat was scheduled, false when not in a task. */
bool lm_again(struct lm_ctx *ctx, uint32_t ms);
/* Sends "~~~ <text>" to every shell client (micrOS's socket stream). */
void lm_push(struct lm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- registry --- */

/* Run-time modules (Lua, svc/luamod.h) plug into the registry through a provider in
 * node->dyn, so lm_find, lm_count/lm_at, help, tasks and the executor treat them as built-in
 * ones. Modules the provider returns stay valid until the next provider call that reloads or
 * drops them (the executor never holds one across event-loop turns). */
struct lm_dyn {
    /* The run-time module called name, (re)loaded from its file when that changed; NULL when
     * there is none. */
    const struct lm_module *(*find)(void *arg, struct str name);
    /* Rescans the module folder; returns how many run-time modules there are now. */
    size_t (*count)(void *arg);
    /* The i-th run-time module (i < count), or NULL. */
    const struct lm_module *(*at)(void *arg, size_t i);
    /* Marks mod used (listed by `modules`); returns 0, or ERR_INVAL with its load error in
     * err (the module's file did not load: syntax error, ...). */
    int (*ensure)(void *arg, const struct lm_module *mod, char *err, size_t cap);
    /* True when mod was used since its file appeared (a reload of changed code keeps it). */
    bool (*is_loaded)(void *arg, const struct lm_module *mod);
    void *arg;
};

/* Returns the module called name: a built-in one, else a run-time (Lua) one; or NULL. */
const struct lm_module *lm_find(const struct node *node, struct str name);
/* Number of modules, built-in and run-time (rescans the run-time ones). The one way to
 * iterate every module: for (i = 0, n = lm_count(node); i < n; i++) lm_at(node, i). */
size_t lm_count(const struct node *node);
/* The i-th module: built-in ones in modules.def order, then the run-time ones; NULL past the
 * end. */
const struct lm_module *lm_at(const struct node *node, size_t i);
/* True when mod has been loaded (used) since boot or, for a run-time module, since its file
 * appeared (a reload of changed code keeps it). */
bool lm_is_loaded(const struct node *node, const struct lm_module *mod);
/* Loads mod if needed and writes why it cannot be used to err ("" when it can). Returns 0 or
 * ERR_*. */
int lm_load(struct node *node, const struct lm_module *mod, char *err, size_t cap);
/* Returns the function called name in mod, or NULL (help is not in the table: see lm_call). */
const struct lm_func *lm_func_find(const struct lm_module *mod, struct str name);
/* Loads mod if it is not loaded yet (calls its load hook once). Returns 0 or its error. */
int lm_ensure_loaded(struct node *node, const struct lm_module *mod);

/* Binds parsed arguments to fn's parameters into ctx->args, applying defaults and
 * checking arity and types. On failure writes a Python-style reason to ctx->err
 * ("heartbeat() takes 0 positional arguments but 1 was given") and returns ERR_INVAL. */
int lm_bind(struct lm_ctx *ctx, const struct cmd_arg *args, size_t nargs);

/* Builds mod's help: a tuple of strings, one per function (help itself not listed); with widgets,
 * only the functions that declare a widget, each as a JSON string (COMPAT §9). */
struct val *lm_help(const struct lm_module *mod, bool widgets, struct arena *a);
/* The functions of mod that need pwd= (LM_SUDO*) as extra REST members for its help,
 * ", \"sudo\": {\"setclock\": true, \"alarms\": \"clean\"}": true when always, else the
 * parameter whose truthy value asks for the password. NULL when none (or out of memory). */
const char *lm_help_sudo(const struct lm_module *mod, struct arena *a);
/* Appends the widget JSON object of fn (COMPAT §9) to out. Returns 0, ERR_NOENT if fn has
 * no widget, ERR_FULL. */
int lm_widget_json(const struct lm_func *fn, struct buf *out);
/* Appends fn's help entry ("setclock year month mday hour minute sec") to out. */
int lm_help_entry(const struct lm_func *fn, struct buf *out);

#endif
