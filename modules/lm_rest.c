/* lm_rest.c - Load Module `rest` (micrOS LM_rest): HTTP GET against a gateway or any URL,
 * through the node's non-blocking HTTP client (hal_httpc).
 *
 *   rest load gateway_url=http://gateway.local:5005   the base for relative paths
 *   rest aurl /webhooks/x   a native task "rest.<host/path>" (50 chars) does the GET; task show
 *                           gives "status: 200, response: ..." when it is done
 *   rest url /webhooks/x &  as a task the GET runs and the task's reply is micrOS's
 *                           {'status': 200, 'response': <JSON value or text>}
 *
 * Difference from micrOS: nothing may block, so `rest url` called directly (not as a task)
 * cannot wait for the answer: it starts the same native task as aurl and replies with its
 * start message. A JSON reply body becomes a value; anything else stays text. */
#include "../core/err.h"
#include "../hal/hal_httpc.h"
#include "../svc/lm.h"
#include "../svc/task.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REST_SLOTS    8
#define REST_BODY_MAX 4096 /* reply bytes kept per request */
#define REST_TAG_MAX  50

struct rest_slot {
    bool is_used, is_done;
    uint32_t gen;
    int req_id;
    int task_id; /* native task (aurl), or -1 */
    int err, status;
    char body[REST_BODY_MAX];
    size_t body_len;
};

static struct {
    struct node *node;
    char gateway[256];
    struct rest_slot slot[REST_SLOTS];
    uint32_t gen;
} s_rest;

/* Task state of `rest url ... &`: which slot it waits for. */
struct rest_wait {
    int slot;
    uint32_t gen;
};

static void free_slot(struct rest_slot *s)
{
    s->is_used = false;
    s->is_done = false;
}

/* The value of a JSON text, or NULL when it is not JSON. */
static struct val *from_json(struct arena *a, const cJSON *j)
{
    if (cJSON_IsNull(j))
        return val_none(a);
    if (cJSON_IsBool(j))
        return val_bool(a, cJSON_IsTrue(j));
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        return d == (double)(int64_t)d && d > -9e15 && d < 9e15 ? val_int(a, (int64_t)d)
                                                                : val_float(a, d);
    }
    if (cJSON_IsString(j))
        return val_str(a, j->valuestring);
    struct val *c = cJSON_IsArray(j) ? val_list(a) : val_dict(a);
    for (const cJSON *k = j->child; k; k = k->next) {
        struct val *v = from_json(a, k);
        if (cJSON_IsArray(j))
            val_append(c, v);
        else
            val_dict_set(a, c, k->string ? k->string : "", v);
    }
    return c;
}

static struct val *response_val(struct arena *a, const struct rest_slot *s)
{
    cJSON *j = cJSON_ParseWithLength(s->body, s->body_len);
    struct val *v = j ? from_json(a, j) : val_strn(a, s->body, s->body_len);
    cJSON_Delete(j);
    return v;
}

static void on_done(void *arg, const struct hal_httpc_reply *r)
{
    struct rest_slot *s = arg;
    s->is_done = true;
    s->err = r->err;
    s->status = r->status;
    s->body_len = r->body_len < REST_BODY_MAX - 1 ? r->body_len : REST_BODY_MAX - 1;
    if (r->err < 0)
        s->body_len = (size_t)snprintf(s->body, REST_BODY_MAX, "%s", r->errtext);
    else
        memcpy(s->body, r->body ? r->body : "", s->body_len);
    s->body[s->body_len] = '\0';
    if (s->task_id >= 0 && s_rest.node && s_rest.node->tasks) {
        char out[TASK_OUT_MAX];
        int n = r->err < 0
                    ? snprintf(out, sizeof out, "error: %s", s->body)
                    : snprintf(out, sizeof out, "status: %d, response: %s", s->status, s->body);
        size_t len = n < 0 ? 0 : (size_t)n >= sizeof out ? sizeof out - 1 : (size_t)n;
        task_native_set_output(s_rest.node->tasks, s->task_id, out, len);
        task_native_finish(s_rest.node->tasks, s->task_id);
        free_slot(s);
    }
}

/* Builds the full URL of subdomain into out. Returns 0 or fails ctx. */
static int full_url(struct lm_ctx *ctx, const char *sub, char *out, size_t cap)
{
    if (!sub || !*sub)
        return lm_error(ctx, "subdomain: a path like /webhooks/template or a full http(s) URL");
    if (strncmp(sub, "http://", 7) == 0 || strncmp(sub, "https://", 8) == 0) {
        if ((size_t)snprintf(out, cap, "%s", sub) >= cap)
            return lm_error(ctx, "URL too long");
        return 0;
    }
    if (!s_rest.gateway[0])
        return lm_error(ctx, "Missing Gateway url (rest load gateway_url=http://...)");
    if ((size_t)snprintf(out, cap, "%s%s%s", s_rest.gateway, sub[0] == '/' ? "" : "/", sub) >= cap)
        return lm_error(ctx, "URL too long");
    return 0;
}

/* Starts a GET into a free slot; returns the slot or fails ctx. */
static struct rest_slot *start(struct lm_ctx *ctx, const char *url, int task_id)
{
    struct rest_slot *s = NULL;
    for (int i = 0; i < REST_SLOTS && !s; i++)
        if (!s_rest.slot[i].is_used)
            s = &s_rest.slot[i];
    if (!s) {
        lm_error(ctx, "too many requests in flight (%d)", REST_SLOTS);
        return NULL;
    }
    struct hal_httpc_req req = {.method = "GET", .url = url, .max_reply = REST_BODY_MAX};
    s->is_used = true;
    s->is_done = false;
    s->gen = ++s_rest.gen;
    s->task_id = task_id;
    int id = hal_httpc_request(&req, on_done, s);
    if (id < 0) {
        free_slot(s);
        lm_error(ctx, "GET %s: %s", url, err_str(id));
        return NULL;
    }
    s->req_id = id;
    return s;
}

static int fn_load(struct lm_ctx *ctx)
{
    s_rest.node = ctx->node;
    const char *g = lm_str(ctx, "gateway_url");
    if (!g)
        return lm_ret_str(ctx, s_rest.gateway[0] ? s_rest.gateway : "Missing Gateway url");
    if (strncmp(g, "http", 4) != 0)
        return lm_ret_str(ctx, "URL have to starts with http/https");
    if (strlen(g) >= sizeof s_rest.gateway)
        return lm_error(ctx, "gateway_url too long");
    snprintf(s_rest.gateway, sizeof s_rest.gateway, "%s", g);
    size_t n = strlen(s_rest.gateway);
    if (n && s_rest.gateway[n - 1] == '/')
        s_rest.gateway[n - 1] = '\0';
    return lm_ret_strf(ctx, "Gateway url: %s", g);
}

static int fn_aurl(struct lm_ctx *ctx)
{
    s_rest.node = ctx->node;
    const char *sub = lm_str(ctx, "subdomain");
    char url[HAL_HTTPC_MAX_URL];
    if (full_url(ctx, sub, url, sizeof url) < 0)
        return ERR_INVAL;
    if (!ctx->node->tasks)
        return lm_error(ctx, "no task manager");
    char tag[REST_TAG_MAX + 8];
    const char *t = sub;
    if (strncmp(t, "http://", 7) == 0)
        t += 7;
    else if (strncmp(t, "https://", 8) == 0)
        t += 8;
    snprintf(tag, sizeof tag, "rest.%.*s", REST_TAG_MAX - 5, t);
    int tid = task_native_add(ctx->node->tasks, tag, NULL, NULL, NULL);
    if (tid >= 0) {
        char out[HAL_HTTPC_MAX_URL + 8];
        int n = snprintf(out, sizeof out, "GET %s", sub);
        task_native_set_output(ctx->node->tasks, tid, out, (size_t)(n > 0 ? n : 0));
        if (!start(ctx, url, tid)) {
            task_native_remove(ctx->node->tasks, tid);
            return ERR_INVAL;
        }
    }
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, tag, val_str(ctx->arena, tid >= 0 ? "Starting" : err_str(tid)));
    return 0;
}

static int fn_url(struct lm_ctx *ctx)
{
    struct rest_wait *w = ctx->is_task && ctx->state_size >= sizeof(struct rest_wait)
                              ? (struct rest_wait *)ctx->state
                              : NULL;
    if (!w)
        return fn_aurl(ctx); /* cannot wait here: see the file comment */
    s_rest.node = ctx->node;
    if (ctx->step == 0) {
        char url[HAL_HTTPC_MAX_URL];
        if (full_url(ctx, lm_str(ctx, "subdomain"), url, sizeof url) < 0)
            return ERR_INVAL;
        struct rest_slot *s = start(ctx, url, -1);
        if (!s)
            return ERR_INVAL;
        w->slot = (int)(s - s_rest.slot);
        w->gen = s->gen;
    }
    struct rest_slot *s = &s_rest.slot[w->slot];
    if (!s->is_used || s->gen != w->gen)
        return lm_error(ctx, "request lost");
    if (!s->is_done) {
        if (lm_again(ctx, 20))
            return ERR_AGAIN;
        return lm_error(ctx, "not done");
    }
    if (s->err < 0) {
        int rc = lm_error(ctx, "GET failed: %s", s->body);
        free_slot(s);
        return rc;
    }
    struct val *d = lm_ret_dict(ctx);
    val_dict_set(ctx->arena, d, "status", val_int(ctx->arena, s->status));
    val_dict_set(ctx->arena, d, "response", response_val(ctx->arena, s));
    free_slot(s);
    return 0;
}

static const struct lm_func s_funcs[] = {
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"gateway_url", LM_STR, "None", NULL})},
    {.name = "url", .fn = fn_url, .params = LM_PARAMS({"subdomain", LM_STR, NULL, NULL})},
    {.name = "aurl", .fn = fn_aurl, .params = LM_PARAMS({"subdomain", LM_STR, NULL, NULL})},
    {.name = NULL},
};

const struct lm_module lm_rest = {.name = "rest", .funcs = s_funcs};
