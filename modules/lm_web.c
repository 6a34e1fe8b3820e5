/* lm_web.c - Load Module `web` (COMPAT Part C.1): `web load` registers the page routes and
 * the file server on the HTTP server, as micrOS's index.html button and boothooks expect. */
#include "../core/buf.h"
#include "../core/err.h"
#include "../svc/lm.h"

#include <string.h>

/* Runs node->web_load for what and returns its lines as a list. */
int web_load_reply(struct lm_ctx *ctx, unsigned what);

int web_load_reply(struct lm_ctx *ctx, unsigned what)
{
    struct node *node = ctx->node;
    if (!node->web_load)
        return lm_error(ctx, "the HTTP server is off (config webui False)");
    struct buf lines;
    buf_init(&lines, 4096);
    int rc = node->web_load(node, what, &lines);
    if (rc < 0) {
        buf_free(&lines);
        return lm_error(ctx, "web load failed: %s", err_str(rc));
    }
    struct val *list = val_list(ctx->arena);
    const char *p = buf_cstr(&lines);
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        val_append(list, val_strn(ctx->arena, p, n));
        p = nl ? nl + 1 : NULL;
    }
    buf_free(&lines);
    return lm_ret(ctx, list);
}

static int fn_load(struct lm_ctx *ctx)
{
    unsigned what = 0;
    if (lm_bool(ctx, "dashboard"))
        what |= NODE_WEB_DASHBOARD;
    if (lm_bool(ctx, "fileserver"))
        what |= NODE_WEB_FILESERVER;
    if (lm_bool(ctx, "fs_explore"))
        what |= NODE_WEB_FILESERVER | NODE_WEB_MOUNTS;
    if (lm_bool(ctx, "config"))
        what |= NODE_WEB_CONFIG;
    return web_load_reply(ctx, what);
}

static const struct lm_func s_funcs[] = {
    {.name = "load",
     .fn = fn_load,
     .params =
         LM_PARAMS({"dashboard", LM_BOOL, "True", NULL}, {"fileserver", LM_BOOL, "False", NULL},
                   {"fs_explore", LM_BOOL, "False", NULL}, {"config", LM_BOOL, "True", NULL})},
    {.name = NULL},
};

const struct lm_module lm_web = {.name = "web", .funcs = s_funcs};
