/* exec.h - the one command path: parse, dispatch, reply.
 *
 * Every entry point (shell, REST, cron, timirq, irq, boothook, tasks,
 * InterCon peers) hands a command line to exec_run and renders the result it
 * gets back. Shell-only built-ins (hello, version, conf, help, ...) are the
 * shell's business and never reach here; `modules`, `task ...`, Load Module
 * calls, task postfixes and >>host do.
 *
 * A result is either a value (rendered as text or JSON by the transport) or a
 * plain text (hints and "Core error: ..." lines, sent as they are). */
#ifndef EXEC_H
#define EXEC_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/str.h"
#include "cmd.h"
#include "node.h"
#include "val.h"

#include <stdbool.h>

#ifndef CMD_ARENA_SIZE_FOR_PIPE
#define CMD_ARENA_SIZE_FOR_PIPE (32 * 1024) /* scratch memory of one exec_pipe call */
#endif
#ifndef EXEC_PIPE_SLOTS
#define EXEC_PIPE_SLOTS 3 /* exec_pipe calls under way at once (nested); more answer "Busy" */
#endif

enum exec_src { EXEC_SHELL, EXEC_REST, EXEC_CRON, EXEC_TIMIRQ, EXEC_IRQ, EXEC_BOOT, EXEC_TASK };

struct exec_result {
    bool ok;           /* micrOS's "state" */
    bool is_json;      /* >json was asked (REST always renders JSON) */
    bool is_help;      /* value is a module's help (" item," layout in text) */
    struct val *value; /* the reply value, when text is NULL */
    const char *text;  /* a plain-text reply (errors, hints), or NULL */
    /* Extra members of the REST/MQTT JSON object after "state" (", \"sudo\": {...}" for a
     * module's help), or NULL. Clients that read only result and state are not affected. */
    const char *rest_extra;
};

/* The two-line hint micrOS sends for a command with fewer than two tokens. */
#define EXEC_HINT                                                                                  \
    "Shell: for hints type help.\nShell: for LM exec: [1](LM)module [2]function [3...]optional "   \
    "params"

/* Runs one command line; every allocation goes to a (reset by the caller).
 * Always fills res (an out-of-memory or parse failure is a Core error text). */
void exec_run(struct node *node, struct str line, enum exec_src src, struct arena *a,
              struct exec_result *res);
/* exec_run for a client: who (its address and transport) becomes node->caller for the call,
 * so a pwd= of a sudo function counts in that address's password back-off (svc/auth.h) and a
 * task started by it keeps it. who->refused_ms tells the transport afterwards that a pwd= was
 * refused inside a back-off window (REST answers 429). exec_run keeps node->caller as it is:
 * the node itself (NULL) at top level, the running call's client inside a nested call. */
void exec_run_as(struct node *node, struct str line, enum exec_src src, struct node_caller *who,
                 struct arena *a, struct exec_result *res);
/* Fills who for a client at peer ("ip:port", may be NULL) over via (a static string). */
void exec_caller_set(struct node_caller *who, const char *peer, const char *via);

/* Returns true when name is one of the executor's built-in commands (modules, task). */
bool exec_is_builtin(struct str name);

/* The `help` line of the i-th of the executor's built-in commands, then of the `task`
 * sub-commands (task_help_at); NULL past the end. Hidden ones are included (section
 * CMD_HELP_HIDDEN). */
const struct cmd_help *exec_help_at(size_t i);

/* Runs an already parsed command without looking at its postfixes: the module call itself.
 * Tasks use it for each iteration; ctx_state/state_size/step carry their continuation
 * (pass NULL/0/0 outside tasks). want_again/again_ms report lm_again. */
void exec_call(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res,
               void *state, size_t state_size, uint32_t step, bool *want_again, uint32_t *again_ms);

/* Runs a micrOS command pipe ("cmd1; cmd2; #comment", a leading "n/a" ignored) as used by
 * timirq, irq callbacks, cron and boothook; each result is passed to done (may be NULL). Its
 * scratch memory comes from a fixed pool of EXEC_PIPE_SLOTS arenas (allocated once); when a
 * pipe would nest deeper, it is not run and done gets one "Busy: ..." result (ok false). */
typedef void exec_done_fn(void *arg, struct str cmd, const struct exec_result *res);
void exec_pipe(struct node *node, struct str pipe, enum exec_src src, exec_done_fn *done,
               void *arg);
/* Takes CMD_ARENA_SIZE_FOR_PIPE bytes of scratch memory from exec_pipe's fixed pool (for
 * other callers that run one command, e.g. Lua's exec), or NULL when every slot is busy. */
void *exec_pipe_mem_take(void);
/* Gives memory from exec_pipe_mem_take back to the pool. */
void exec_pipe_mem_give(void *mem);

/* Sets res to the Core error "Core error: LM_<mod>-><fn>: <text>". */
void exec_core_error(struct exec_result *res, struct arena *a, struct str mod, struct str fn,
                     const char *text);

/* Renders res for the shell: text as is, values as shell text or, with is_json, JSON.
 * Appends no trailing newline. */
int exec_render_text(const struct exec_result *res, struct buf *out);
/* Renders res as micrOS's REST body {"result": ..., "state": ...}. */
int exec_render_rest(const struct exec_result *res, struct buf *out);

#endif
