/* exec.c - the one command path (ARCHITECTURE "The one idea"). */
#include "exec.h"

#include "../core/err.h"
#include "../core/log.h"
#include "lm.h"
#include "render.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exec_core_error(struct exec_result *res, struct arena *a, struct str mod, struct str fn,
                     const char *text)
{
    res->ok = false;
    res->value = NULL;
    res->text = arena_printf(a, "Core error: LM_%.*s->%.*s: %s", STR_FMT(mod), STR_FMT(fn), text);
    if (!res->text)
        res->text = "Core error: memory allocation failed";
}

static size_t builtin_n(const struct node *node)
{
    size_t n = 0;
    while (node->modules && node->modules[n])
        n++;
    return n;
}

/* `modules`: the modules loaded since boot, in load order, then "task" (micrOS).
 * `modules all` (our extension): every built-in module, loaded or not. */
static void run_modules(struct node *node, const struct cmd *c, struct arena *a,
                        struct exec_result *res)
{
    struct val *l = val_list(a);
    if (c->ntok >= 2 && str_eqc(c->tok[1], "all")) {
        for (size_t i = 0, n = lm_count(node); i < n; i++)
            val_append(l, val_str(a, lm_at(node, i)->name));
        res->ok = true;
        res->value = l;
        return;
    }
    for (uint32_t i = 0; i < node->nloaded; i++)
        val_append(l, val_str(a, node->modules[node->load_order[i]]->name));
    /* run-time (Lua) modules used since their last (re)load, after the built-in ones */
    for (size_t i = builtin_n(node), n = lm_count(node); i < n; i++) {
        const struct lm_module *m = lm_at(node, i);
        if (m && lm_is_loaded(node, m))
            val_append(l, val_str(a, m->name));
    }
    val_append(l, val_str(a, "task"));
    res->ok = true;
    res->value = l;
}

/* `task list|show <tag>|kill <tag>`: the sub-commands are svc/task.c's table. */
static void run_task(struct node *node, const struct cmd *c, struct arena *a,
                     struct exec_result *res)
{
    task_command(node->tasks, c, a, res);
}

/* The executor's built-in commands, declared like a Load Module's function table: the first
 * token names one, and it runs before any module lookup (COMPAT §1.3). */
enum { EXEC_BI_NEEDS_TASKS = 1 }; /* only when the node has a task queue (else: a module name) */

struct exec_builtin {
    const char *name;
    struct cmd_help help; /* its line in the shell's help */
    void (*run)(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res);
    unsigned flags;
};

static const struct exec_builtin s_builtins[] = {
    {.name = "modules",
     .help = {.section = CMD_HELP_MICROS,
              .order = 1,
              .indent = 3,
              .col = 13,
              .left = "modules",
              .text = "show active Load Modules"},
     .run = run_modules},
    {.name = "task",
     .help = {.section = CMD_HELP_HIDDEN}, /* its sub-commands are listed (task_help_at) */
     .run = run_task,
     .flags = EXEC_BI_NEEDS_TASKS},
};

const struct cmd_help *exec_help_at(size_t i)
{
    size_t n = sizeof s_builtins / sizeof s_builtins[0];
    return i < n ? &s_builtins[i].help : task_help_at(i - n);
}

static const struct exec_builtin *builtin_find(struct str name)
{
    for (size_t i = 0; i < sizeof s_builtins / sizeof s_builtins[0]; i++)
        if (str_eqc(name, s_builtins[i].name))
            return &s_builtins[i];
    return NULL;
}

bool exec_is_builtin(struct str name)
{
    return builtin_find(name) != NULL;
}

/* `<module> help [widgets]`: generated from the declarations. */
static void run_help(const struct lm_module *mod, const struct cmd *c, struct arena *a,
                     struct exec_result *res)
{
    char err[128];
    struct cmd_arg args[2];
    int n = cmd_parse_args(c, a, args, 2, err, sizeof err);
    if (n < 0) {
        exec_core_error(res, a, c->tok[0], c->tok[1], n == ERR_TOOBIG ? "too many arguments" : err);
        return;
    }
    bool widgets = false;
    for (int i = 0; i < n; i++)
        if (args[i].key.len == 0 || str_eqc(args[i].key, "widgets"))
            widgets = val_truthy(args[i].v);
    res->value = lm_help(mod, widgets, a);
    res->is_help = true;
    if (!widgets)
        res->rest_extra = lm_help_sudo(mod, a);
    res->ok = res->value != NULL;
    if (!res->ok)
        exec_core_error(res, a, c->tok[0], c->tok[1], "memory allocation failed");
}

void exec_call(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res,
               void *state, size_t state_size, uint32_t step, bool *want_again, uint32_t *again_ms)
{
    memset(res, 0, sizeof *res);
    res->is_json = c->is_json;
    if (want_again)
        *want_again = false;
    struct str mname = c->ntok > 0 ? c->tok[0] : STR_NULL;
    struct str fname = c->ntok > 1 ? c->tok[1] : STR_NULL;
    if (c->ntok < 2) {
        res->text = EXEC_HINT;
        return;
    }
    const struct lm_module *mod = lm_find(node, mname);
    if (!mod) {
        const char *t = arena_printf(a, "No module named 'LM_%.*s'", STR_FMT(mname));
        exec_core_error(res, a, mname, fname, t ? t : "No module named");
        return;
    }
    if (!cmd_is_ident(fname)) {
        exec_core_error(res, a, mname, fname, "invalid syntax");
        return;
    }
    char lerr[LM_ERR_MAX];
    int rc = lm_load(node, mod, lerr, sizeof lerr);
    if (rc < 0) {
        exec_core_error(res, a, mname, fname, lerr[0] ? lerr : "module load failed");
        return;
    }
    if (str_eqc(fname, "help")) {
        run_help(mod, c, a, res);
        return;
    }
    const struct lm_func *fn = lm_func_find(mod, fname);
    if (!fn) {
        const char *t =
            arena_printf(a, "module 'LM_%s' has no attribute '%.*s'", mod->name, STR_FMT(fname));
        exec_core_error(res, a, mname, fname, t ? t : "no attribute");
        return;
    }

    struct cmd_arg args[CMD_MAX_ARGS];
    char err[LM_ERR_MAX];
    int n = cmd_parse_args(c, a, args, CMD_MAX_ARGS, err, sizeof err);
    if (n < 0) {
        exec_core_error(res, a, mname, fname,
                        n == ERR_TOOBIG  ? "too many arguments"
                        : n == ERR_NOMEM ? "memory allocation failed"
                                         : err);
        return;
    }
    struct lm_ctx ctx = {
        .node = node,
        .mod = mod,
        .fn = fn,
        .arena = a,
        .is_task = state != NULL,
        .state = state,
        .state_size = state_size,
        .step = step,
    };
    if (lm_bind(&ctx, args, (size_t)n) == 0)
        fn->fn(&ctx);
    if (!ctx.is_error && a->is_full)
        lm_error(&ctx, "memory allocation failed");
    if (ctx.is_error) {
        exec_core_error(res, a, mname, fname, ctx.err);
        return;
    }
    res->ok = true;
    res->value = ctx.result ? ctx.result : val_none(a);
    if (!res->value)
        exec_core_error(res, a, mname, fname, "memory allocation failed");
    if (want_again)
        *want_again = ctx.want_again;
    if (again_ms)
        *again_ms = ctx.again_ms;
}

void exec_run(struct node *node, struct str line, enum exec_src src, struct arena *a,
              struct exec_result *res)
{
    memset(res, 0, sizeof *res);
    struct cmd *c = arena_alloc(a, sizeof *c);
    if (!c) {
        res->text = "Core error: memory allocation failed";
        return;
    }
    int rc = cmd_parse(line, c);
    if (rc < 0) {
        struct str mf[2] = {{.p = line.p, .len = 0}, {.p = line.p, .len = 0}};
        size_t nw;
        cmd_split(line, false, mf, 2, &nw); /* the first two words name the call */
        exec_core_error(res, a, mf[0], mf[1],
                        rc == ERR_TOOBIG ? "too many arguments" : "invalid syntax");
        return;
    }
    if (src == EXEC_REST)
        c->is_json = true;
    res->is_json = c->is_json;
    if (c->is_remote) {
        if (node->intercon) {
            node->intercon(node, c, a, res);
            return;
        }
        exec_core_error(res, a, c->ntok ? c->tok[0] : STR_NULL, c->remote,
                        "InterCon is not available on this node");
        return;
    }
    const struct exec_builtin *bi = c->ntok >= 1 ? builtin_find(c->tok[0]) : NULL;
    if (bi && (!(bi->flags & EXEC_BI_NEEDS_TASKS) || node->tasks)) {
        bi->run(node, c, a, res);
        return;
    }
    if (c->ntok < 2) {
        res->text = EXEC_HINT;
        return;
    }
    if (c->is_task && node->tasks) {
        task_spawn(node->tasks, c, line, a, res);
        return;
    }
    exec_call(node, c, a, res, NULL, 0, 0, NULL, NULL);
}

void exec_run_as(struct node *node, struct str line, enum exec_src src, struct node_caller *who,
                 struct arena *a, struct exec_result *res)
{
    struct node_caller *saved = node->caller;
    if (who)
        who->refused_ms = 0;
    node->caller = who;
    exec_run(node, line, src, a, res);
    node->caller = saved;
}

void exec_caller_set(struct node_caller *who, const char *peer, const char *via)
{
    memset(who, 0, sizeof *who);
    snprintf(who->peer, sizeof who->peer, "%s", peer ? peer : "");
    who->via = via;
}

/* The scratch memory of exec_pipe calls: a fixed pool, allocated once on first use and kept,
 * so a cron job, timer or IRQ callback does no malloc per run. A pipe may start another one
 * (a module that sends a command), hence more than one slot. */
static struct {
    void *mem;
    bool is_busy;
} s_pipe_pool[EXEC_PIPE_SLOTS];

void *exec_pipe_mem_take(void)
{
    for (size_t i = 0; i < EXEC_PIPE_SLOTS; i++) {
        if (s_pipe_pool[i].is_busy)
            continue;
        if (!s_pipe_pool[i].mem)
            s_pipe_pool[i].mem = malloc(CMD_ARENA_SIZE_FOR_PIPE);
        if (!s_pipe_pool[i].mem)
            return NULL;
        s_pipe_pool[i].is_busy = true;
        return s_pipe_pool[i].mem;
    }
    return NULL;
}

void exec_pipe_mem_give(void *mem)
{
    for (size_t i = 0; i < EXEC_PIPE_SLOTS; i++)
        if (s_pipe_pool[i].mem == mem)
            s_pipe_pool[i].is_busy = false;
}

void exec_pipe(struct node *node, struct str pipe, enum exec_src src, exec_done_fn *done, void *arg)
{
    void *mem = exec_pipe_mem_take();
    if (!mem) {
        /* never a crash: the pipe is refused and the refusal reported like any result */
        LOG_W("exec_pipe: busy (%d pipes under way), not run: %.*s", EXEC_PIPE_SLOTS,
              STR_FMT(pipe));
        struct exec_result busy = {.ok = false, .text = "Busy: too many command pipes at once"};
        if (done)
            done(arg, str_trim(pipe), &busy);
        return;
    }
    struct arena a;
    arena_init(&a, mem, CMD_ARENA_SIZE_FOR_PIPE);
    struct str rest = str_trim(pipe);
    if (str_starts(rest, "n/a"))
        rest = str_from(rest, 3);
    while (rest.len > 0) {
        const char *semi = memchr(rest.p, ';', rest.len);
        size_t n = semi ? (size_t)(semi - rest.p) : rest.len;
        struct str one = str_trim((struct str){rest.p, n});
        rest = semi ? str_from(rest, n + 1) : str_from(rest, rest.len);
        if (one.len == 0 || one.p[0] == '#')
            continue;
        struct exec_result res;
        arena_reset(&a);
        exec_run(node, one, src, &a, &res);
        if (done)
            done(arg, one, &res);
    }
    exec_pipe_mem_give(mem);
}

int exec_render_text(const struct exec_result *res, struct buf *out)
{
    if (res->text)
        return buf_puts(out, res->text);
    if (!res->value)
        return 0;
    if (res->is_json)
        return render_json(out, res->value);
    return render_text(out, res->value, res->is_help);
}

int exec_render_rest(const struct exec_result *res, struct buf *out)
{
    int rc = buf_puts(out, "{\"result\": ");
    if (rc == 0) {
        if (res->value)
            rc = render_json(out, res->value);
        else if (res->text)
            rc = render_json_string(out, res->text, strlen(res->text));
        else
            rc = buf_puts(out, "null");
    }
    if (rc == 0)
        rc = buf_printf(out, ", \"state\": %s%s}", res->ok ? "true" : "false",
                        res->rest_extra ? res->rest_extra : "");
    return rc;
}
