/* lm_fileserver.c - Load Module `fileserver` (COMPAT Part C.2): `fileserver load` starts the
 * /fs file server (net/http_fs.h); `validate_filename` checks a name against its rule. */
#include "../svc/lm.h"

#include <string.h>

int web_load_reply(struct lm_ctx *ctx, unsigned what); /* lm_web.c */

static int fn_load(struct lm_ctx *ctx)
{
    return web_load_reply(ctx, NODE_WEB_FILESERVER | NODE_WEB_MOUNTS);
}

static int fn_validate(struct lm_ctx *ctx)
{
    const char *n = lm_str(ctx, "filename");
    size_t len = n ? strlen(n) : 0;
    bool ok = len > 0 && len <= 128 && strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
    for (size_t i = 0; ok && i < len; i++) {
        char c = n[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    if (!ok)
        return lm_error(ctx, "Filename contains invalid characters");
    return lm_ret_bool(ctx, true);
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load},
    {.name = "validate_filename",
     .fn = fn_validate,
     .params = LM_PARAMS({"filename", LM_STR, NULL, NULL})},
    {.name = NULL},
};

const struct lm_module lm_fileserver = {.name = "fileserver", .funcs = s_funcs};
