/* http_rest.c - /rest: node facts and commands over HTTP (COMPAT §3.3, Part A 8-9). */
#include "../core/err.h"
#include "../svc/auth.h"
#include "../svc/cfg.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/render.h"
#include "../svc/task.h"
#include "http_priv.h"
#include "rest_path.h"

#include <stdio.h>
#include <string.h>

/* {"result": {"micrOS": ..., "node": ..., "auth": ..., "usr_endpoints": [...]}, "state": true} */
static int rest_root(struct http_server *srv, struct buf *o)
{
    struct node *node = srv->node;
    const char *devfid = cfg_get_str(node->cfg, CFG_K_devfid);
    int rc = buf_puts(o, "{\"result\": {\"micrOS\": ");
    if (rc == 0)
        rc = render_json_string(o, node->version, strlen(node->version));
    if (rc == 0)
        rc = buf_puts(o, ", \"node\": ");
    if (rc == 0)
        rc = render_json_string(o, devfid, strlen(devfid));
    const char *problem = cfg_problem(node->cfg);
    if (rc == 0 && problem) { /* the web UI shows it as a banner (fail closed, issue 13) */
        rc = buf_puts(o, ", \"config_problem\": ");
        if (rc == 0)
            rc = render_json_string(o, problem, strlen(problem));
    }
    if (rc == 0)
        rc = buf_printf(o, ", \"auth\": %s, \"usr_endpoints\": [", srv->is_auth ? "true" : "false");
    if (rc == 0 && srv->eps)
        rc = endpoint_list_get(srv->eps, o);
    if (rc == 0)
        rc = buf_puts(o, "]}, \"state\": true}");
    return rc;
}

#define PROTECTED "{\"result\": \"Auth:Protected\", \"state\": true}"
#define QUEUE_KEPT                                                                                 \
    "{\"result\": \"Task queue: the other half is kept for authenticated callers\", "              \
    "\"state\": false}"

/* auth=True: only task, modules and modules loaded already may run (COMPAT §3.3), never
 * >>host, and tasks only while half of the queue is free. Returns the refusal, or NULL. */
static const char *refusal(struct http_server *srv, struct str line)
{
    if (!srv->is_auth)
        return NULL;
    struct node *node = srv->node;
    /* >>host (InterCon) runs a command elsewhere with our password: never before auth. */
    struct cmd *c = arena_alloc(&srv->arena, sizeof *c);
    if (!c || cmd_parse(line, c) < 0 || c->is_remote || c->has_bare_remote)
        return PROTECTED;
    /* Tasks started before auth may use only half of the queue: the rest stays free for
     * authenticated callers. */
    if (c->is_task && node->tasks &&
        task_queue_free(node->tasks) * 2 <= task_queue_limit(node->tasks))
        return QUEUE_KEPT;
    struct str m = c->ntok ? c->tok[0] : (struct str){line.p, 0};
    if (exec_is_builtin(m))
        return NULL;
    const struct lm_module *mod = lm_find(node, m);
    return mod && lm_is_loaded(node, mod) ? NULL : PROTECTED;
}

void http_rest(struct http_server *srv, const struct http_req *req, struct str path,
               bool keep_alive, const char *peer)
{
    struct buf *o = &srv->body;
    buf_clear(o);
    char line[REST_LINE_MAX];
    int n = rest_build_line(path, req->query, line, sizeof line);
    int rc = 0;
    const char *why = NULL;
    if (n == ERR_TOOBIG) {
        http_reply_error(&srv->resp, 414, NULL, NULL, keep_alive, req->is_head);
        return;
    }
    if (n < 0) {
        http_reply_error(&srv->resp, 400, "Bad request", NULL, keep_alive, req->is_head);
        return;
    }
    if (n == 0) {
        rc = rest_root(srv, o);
    } else if (arena_reset(&srv->arena), (why = refusal(srv, (struct str){line, (size_t)n}))) {
        rc = buf_puts(o, why);
    } else {
        struct exec_result res;
        struct node_caller who;
        exec_caller_set(&who, peer, "http");
        arena_reset(&srv->arena);
        exec_run_as(srv->node, (struct str){line, (size_t)n}, EXEC_REST, &who, &srv->arena, &res);
        rc = exec_render_rest(&res, o);
        if (rc == 0 && who.refused_ms) {
            /* a pwd= inside the address's back-off window: the x-micros-auth answer */
            srv->stats.errors_4xx++;
            char ra[48];
            snprintf(ra, sizeof ra, "retry-after: %llu\r\n",
                     (unsigned long long)auth_retry_after_s(who.refused_ms));
            http_reply(&srv->resp, 429, "application/json", ra, o->p, o->len, keep_alive,
                       req->is_head);
            return;
        }
    }
    if (rc < 0) {
        srv->stats.errors_5xx++;
        http_reply_error(&srv->resp, 500, "Reply too large", NULL, keep_alive, req->is_head);
        return;
    }
    http_reply(&srv->resp, 200, "application/json", NULL, o->p, o->len, keep_alive, req->is_head);
}
