/* lm_lua.c - Load Module `lua`: the state of the Lua Load Modules (svc/luamod.h).
 * `lua stats` gives, per Lua module, its memory now and at its peak (KB), its cap, the calls
 * since it was (re)loaded, or its load error (also for a file refused for its name);
 * `lua available` says whether this build runs Lua modules at all. */
#include "../svc/lm.h"
#include "../svc/luamod.h"

#include <string.h>

static struct val *kb(struct arena *a, size_t bytes)
{
    return val_float(a, (double)(bytes * 10 / 1024) / 10.0);
}

static int fn_stats(struct lm_ctx *ctx)
{
    struct node *node = ctx->node;
    struct val *d = lm_ret_dict(ctx);
    size_t nb = 0;
    while (node->modules && node->modules[nb])
        nb++;
    struct luamods *set = luamods_of(node);
    for (size_t i = nb, n = lm_count(node); set && i < n; i++) {
        const struct lm_module *m = lm_at(node, i);
        struct luamod_stats st;
        if (!m)
            continue;
        struct val *e = val_dict(ctx->arena);
        if (luamods_stats(set, m->name, &st) == 0) {
            val_dict_set(ctx->arena, e, "mem_kb", kb(ctx->arena, st.mem_used));
            val_dict_set(ctx->arena, e, "peak_kb", kb(ctx->arena, st.mem_peak));
            val_dict_set(ctx->arena, e, "cap_kb",
                         val_int(ctx->arena, (int64_t)(st.mem_cap / 1024)));
            val_dict_set(ctx->arena, e, "calls", val_int(ctx->arena, (int64_t)st.calls));
            val_dict_set(ctx->arena, e, "used", val_bool(ctx->arena, lm_is_loaded(node, m)));
        } else {
            char err[LM_ERR_MAX];
            lm_load(node, m, err, sizeof err);
            val_dict_set(ctx->arena, e, "error", val_str(ctx->arena, err));
        }
        val_dict_set(ctx->arena, d, m->name, e);
    }
    /* files refused for their name (LM_task.lua, LM_rgb.lua): why, so an upload that cannot
     * work says so (the Files page shows it) */
    const char *name;
    const char *why;
    for (size_t i = 0; set && (why = luamods_refusal(set, i, &name)) != NULL; i++) {
        struct val *e = val_dict(ctx->arena);
        val_dict_set(ctx->arena, e, "error", val_str(ctx->arena, why));
        val_dict_set(ctx->arena, d, name, e);
    }
    return 0;
}

static int fn_available(struct lm_ctx *ctx)
{
    return lm_ret_bool(ctx, luamods_available());
}

static const struct lm_func s_funcs[] = {
    {.name = "stats", .fn = fn_stats, .widget = "TEXTBOX"},
    {.name = "available", .fn = fn_available},
    {.name = NULL},
};

const struct lm_module lm_lua = {.name = "lua", .funcs = s_funcs};
