/* lm.c - Load Module registry, argument binding and the handler context API. */
#include "lm.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/ev.h"
#include "auth.h"
#include "cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- registry --- */

const struct lm_module *lm_find(const struct node *node, struct str name)
{
    for (size_t i = 0; node->modules && node->modules[i]; i++)
        if (str_eqc(name, node->modules[i]->name))
            return node->modules[i];
    if (node->dyn)
        return node->dyn->find(node->dyn->arg, name);
    return NULL;
}

static size_t builtin_count(const struct node *node)
{
    size_t n = 0;
    while (node->modules && node->modules[n])
        n++;
    return n;
}

size_t lm_count(const struct node *node)
{
    return builtin_count(node) + (node->dyn ? node->dyn->count(node->dyn->arg) : 0);
}

const struct lm_module *lm_at(const struct node *node, size_t i)
{
    size_t nb = builtin_count(node);
    if (i < nb)
        return node->modules[i];
    return node->dyn ? node->dyn->at(node->dyn->arg, i - nb) : NULL;
}

bool lm_is_loaded(const struct node *node, const struct lm_module *mod)
{
    for (size_t i = 0; node->modules && node->modules[i]; i++)
        if (node->modules[i] == mod)
            return node->is_loaded && node->is_loaded[i];
    return node->dyn && node->dyn->is_loaded(node->dyn->arg, mod);
}

int lm_load(struct node *node, const struct lm_module *mod, char *err, size_t cap)
{
    if (cap)
        err[0] = '\0';
    for (size_t i = 0; node->modules && node->modules[i]; i++)
        if (node->modules[i] == mod) {
            int rc = lm_ensure_loaded(node, mod);
            if (rc < 0 && cap)
                snprintf(err, cap, "module load failed: %s", err_str(rc));
            return rc;
        }
    if (node->dyn)
        return node->dyn->ensure(node->dyn->arg, mod, err, cap);
    return ERR_NOENT;
}

const struct lm_func *lm_func_find(const struct lm_module *mod, struct str name)
{
    for (const struct lm_func *f = mod->funcs; f && f->name; f++)
        if (str_eqc(name, f->name))
            return f;
    return NULL;
}

int lm_ensure_loaded(struct node *node, const struct lm_module *mod)
{
    for (uint32_t i = 0; node->modules && node->modules[i]; i++) {
        if (node->modules[i] != mod)
            continue;
        if (node->is_loaded[i])
            return 0;
        int rc = mod->load ? mod->load(node) : 0;
        if (rc < 0)
            return rc;
        node->is_loaded[i] = true;
        if (node->nloaded < sizeof node->load_order / sizeof node->load_order[0])
            node->load_order[node->nloaded++] = i;
        return 0;
    }
    if (node->dyn) {
        char err[8];
        return node->dyn->ensure(node->dyn->arg, mod, err, sizeof err);
    }
    return ERR_NOENT;
}

/* --- arguments --- */

static size_t param_count(const struct lm_func *fn)
{
    size_t n = 0;
    while (fn->params && fn->params[n].name)
        n++;
    return n;
}

static int param_index(const struct lm_func *fn, const char *name, size_t len)
{
    for (size_t i = 0; fn->params && fn->params[i].name; i++)
        if (strlen(fn->params[i].name) == len && memcmp(fn->params[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

struct val *lm_arg(struct lm_ctx *ctx, const char *name)
{
    int i = param_index(ctx->fn, name, strlen(name));
#ifndef NDEBUG
    if (i < 0) { /* a handler asked for a name its table does not declare: a bug (lm.h) */
        LOG_E("lm_arg: LM_%s.%s has no parameter '%s'", ctx->mod ? ctx->mod->name : "?",
              ctx->fn->name, name);
        abort();
    }
#endif
    if (i < 0 || (size_t)i >= ctx->nargs)
        return NULL;
    return ctx->args[i];
}

int64_t lm_int(struct lm_ctx *ctx, const char *name)
{
    const struct val *v = lm_arg(ctx, name);
    if (!v)
        return 0;
    switch (v->type) {
    case VAL_INT: return v->u.i;
    case VAL_BOOL: return v->u.b;
    case VAL_FLOAT: return (int64_t)v->u.f;
    default: return 0;
    }
}

double lm_float(struct lm_ctx *ctx, const char *name)
{
    const struct val *v = lm_arg(ctx, name);
    if (!v)
        return 0;
    switch (v->type) {
    case VAL_INT: return (double)v->u.i;
    case VAL_BOOL: return v->u.b;
    case VAL_FLOAT: return v->u.f;
    default: return 0;
    }
}

bool lm_bool(struct lm_ctx *ctx, const char *name)
{
    return val_truthy(lm_arg(ctx, name));
}

const char *lm_str(struct lm_ctx *ctx, const char *name)
{
    const struct val *v = lm_arg(ctx, name);
    return v && v->type == VAL_STR ? v->u.s.p : NULL;
}

bool lm_is_none(struct lm_ctx *ctx, const char *name)
{
    const struct val *v = lm_arg(ctx, name);
    return !v || v->type == VAL_NONE;
}

/* --- replies --- */

int lm_ret(struct lm_ctx *ctx, struct val *v)
{
    ctx->result = v;
    return 0;
}

int lm_ret_str(struct lm_ctx *ctx, const char *s)
{
    return lm_ret(ctx, val_str(ctx->arena, s));
}

int lm_ret_strf(struct lm_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vprintf(ctx->arena, fmt, ap);
    va_end(ap);
    return lm_ret(ctx, s ? val_str(ctx->arena, s) : NULL);
}

int lm_ret_int(struct lm_ctx *ctx, int64_t i)
{
    return lm_ret(ctx, val_int(ctx->arena, i));
}

int lm_ret_bool(struct lm_ctx *ctx, bool b)
{
    return lm_ret(ctx, val_bool(ctx->arena, b));
}

struct val *lm_ret_dict(struct lm_ctx *ctx)
{
    ctx->result = val_dict(ctx->arena);
    return ctx->result;
}

int lm_error(struct lm_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    ctx->is_error = true;
    return ERR_INVAL;
}

bool lm_again(struct lm_ctx *ctx, uint32_t ms)
{
    if (!ctx->is_task)
        return false;
    ctx->want_again = true;
    ctx->again_ms = ms;
    return true;
}

void lm_push(struct lm_ctx *ctx, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ctx->node->push)
        ctx->node->push(ctx->node, line);
}

/* --- binding --- */

/* Type check and light conversion of one bound argument; false when it does not fit. */
static bool fit_type(struct lm_ctx *ctx, const struct lm_param *p, struct val **slot)
{
    struct val *v = *slot;
    if (v->type == VAL_NONE || p->type == LM_ANY)
        return true;
    switch (p->type) {
    case LM_INT:
        if (v->type == VAL_BOOL)
            *slot = val_int(ctx->arena, v->u.b);
        return v->type == VAL_INT || v->type == VAL_BOOL;
    case LM_FLOAT:
        if (v->type == VAL_INT || v->type == VAL_BOOL)
            *slot = val_float(ctx->arena, v->type == VAL_INT ? (double)v->u.i : v->u.b);
        return v->type == VAL_FLOAT || v->type == VAL_INT || v->type == VAL_BOOL;
    case LM_BOOL:
        if (v->type == VAL_INT && (v->u.i == 0 || v->u.i == 1))
            *slot = val_bool(ctx->arena, v->u.i == 1);
        return v->type == VAL_BOOL || (v->type == VAL_INT && (v->u.i == 0 || v->u.i == 1));
    case LM_STR:
        if (v->type == VAL_INT)
            *slot = val_strf(ctx->arena, "%lld", (long long)v->u.i);
        return v->type == VAL_STR || v->type == VAL_INT;
    case LM_LIST: return v->type == VAL_LIST || v->type == VAL_TUPLE;
    case LM_ANY: return true;
    }
    return false;
}

static const char *type_word(enum lm_type t)
{
    switch (t) {
    case LM_INT: return "int";
    case LM_FLOAT: return "float";
    case LM_BOOL: return "bool";
    case LM_STR: return "str";
    case LM_LIST: return "list";
    case LM_ANY: break;
    }
    return "object";
}

/* Checks and removes pwd=... for sudo functions (COMPAT §10.3). A pwd= from a client
 * (node->caller with an address) goes through the per-address back-off of svc/auth.h, the
 * same table as the shell login and x-micros-auth: a wrong one counts as a failed login, and
 * inside the address's window nothing is compared (the right password is refused too). The
 * node's own sources (cron, boothook, timers: no caller) are compared without the table. A
 * missing pwd= is not a guess. */
static int check_sudo(struct lm_ctx *ctx, const struct cmd_arg *args, size_t nargs)
{
    const struct val *pwd = NULL;
    for (size_t i = 0; i < nargs; i++)
        if (str_eqc(args[i].key, "pwd"))
            pwd = args[i].v;
    if (ctx->fn->flags & LM_SUDO_FORCE) {
        const struct val *force = lm_arg(ctx, "force");
        if (!val_truthy(force))
            return 0;
    }
    if ((ctx->fn->flags & LM_SUDO_IF_FIRST) && ctx->nargs > 0 && !val_truthy(ctx->args[0]))
        return 0;
    struct node *node = ctx->node;
    const char *appwd = node->cfg ? cfg_get_str(node->cfg, CFG_K_appwd) : "";
    if (!appwd[0])
        return lm_error(ctx, "Access denied, no node password is set (appwd)");
    if (!pwd || pwd->type != VAL_STR)
        return lm_error(ctx, "Access denied, wrong password (pwd)");
    struct str guess = {pwd->u.s.p, pwd->u.s.len};
    struct node_caller *who = node->caller;
    if (!who || !who->peer[0] || !node->auth || !node->loop)
        return str_eq_secret(guess, str_c(appwd))
                   ? 0
                   : lm_error(ctx, "Access denied, wrong password (pwd)");
    char via[32];
    snprintf(via, sizeof via, "%s pwd=", who->via ? who->via : "?");
    uint64_t wait = 0;
    enum auth_verdict v =
        auth_check(node->auth, who->peer, via, appwd, guess, ev_now(node->loop), &wait);
    if (v == AUTH_OK)
        return 0;
    if (v == AUTH_BACKOFF) {
        who->refused_ms = wait ? wait : 1;
        return lm_error(ctx, "Access denied, Too many failed logins, retry in %llu ms (pwd)",
                        (unsigned long long)wait);
    }
    return lm_error(ctx, "Access denied, wrong password (pwd)");
}

int lm_bind(struct lm_ctx *ctx, const struct cmd_arg *args, size_t nargs)
{
    const struct lm_func *fn = ctx->fn;
    const bool is_sudo = fn->flags & (LM_SUDO | LM_SUDO_FORCE | LM_SUDO_IF_FIRST);
    size_t np = param_count(fn);
    size_t npos = 0, nreq = 0;
    if (np > LM_MAX_PARAMS)
        return lm_error(ctx, "%s() declares too many parameters", fn->name);
    for (size_t i = 0; i < np; i++) {
        ctx->args[i] = NULL;
        if (!fn->params[i].def)
            nreq++;
    }
    ctx->nargs = np;

    for (size_t i = 0; i < nargs; i++) {
        if (args[i].key.len == 0) {
            npos++;
            continue;
        }
        if (is_sudo && str_eqc(args[i].key, "pwd"))
            continue;
        int idx = param_index(fn, args[i].key.p, args[i].key.len);
        if (idx < 0)
            return lm_error(ctx, "%s() got an unexpected keyword argument '%.*s'", fn->name,
                            STR_FMT(args[i].key));
        if (ctx->args[idx])
            return lm_error(ctx, "%s() got multiple values for argument '%s'", fn->name,
                            fn->params[idx].name);
        ctx->args[idx] = args[i].v;
    }
    if (npos > np) {
        if (nreq == np)
            return lm_error(ctx, "%s() takes %zu positional argument%s but %zu %s given", fn->name,
                            np, np == 1 ? "" : "s", npos, npos == 1 ? "was" : "were");
        return lm_error(ctx, "%s() takes from %zu to %zu positional arguments but %zu were given",
                        fn->name, nreq, np, npos);
    }
    size_t pos = 0;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].key.len)
            continue;
        if (ctx->args[pos])
            return lm_error(ctx, "%s() got multiple values for argument '%s'", fn->name,
                            fn->params[pos].name);
        ctx->args[pos++] = args[i].v;
    }
    /* Defaults, then the missing required ones, named as Python does. */
    char missing[160] = "";
    size_t nmissing = 0, mlen = 0;
    for (size_t i = 0; i < np; i++) {
        if (ctx->args[i])
            continue;
        const struct lm_param *p = &fn->params[i];
        if (p->def) {
            char err[64];
            ctx->args[i] = cmd_parse_literal(str_c(p->def), ctx->arena, err, sizeof err);
            if (!ctx->args[i])
                return lm_error(ctx, "%s(): bad default for '%s'", fn->name, p->name);
            continue;
        }
        nmissing++;
        int n = snprintf(missing + mlen, sizeof missing - mlen, "%s'%s'", nmissing == 1 ? "" : ", ",
                         p->name);
        if (n > 0 && (size_t)n < sizeof missing - mlen)
            mlen += (size_t)n;
    }
    if (nmissing)
        return lm_error(ctx, "%s() missing %zu required positional argument%s: %s", fn->name,
                        nmissing, nmissing == 1 ? "" : "s", missing);
    for (size_t i = 0; i < np; i++)
        if (!fit_type(ctx, &fn->params[i], &ctx->args[i]))
            return lm_error(ctx, "%s() argument '%s' must be %s, not %s", fn->name,
                            fn->params[i].name, type_word(fn->params[i].type),
                            val_type_name(ctx->args[i]));
    if (ctx->arena->is_full)
        return lm_error(ctx, "memory allocation failed");
    return is_sudo ? check_sudo(ctx, args, nargs) : 0;
}
