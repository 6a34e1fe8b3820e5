/* http_rest.c - /rest: node facts and commands over HTTP (COMPAT §3.3, Part A 8-9). */
#include "../core/err.h"
#include "../svc/cfg.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/render.h"
#include "http_priv.h"
#include "rest_path.h"

#include <string.h>

/* {"result": {"micrOS": ..., "node": ..., "auth": ..., "usr_endpoints": [...]}, "state": true} */
static int rest_root(struct http_server *srv, struct buf *o)
{
    struct node *node = srv->node;
    const char *devfid = cfg_get_str(node->cfg, "devfid");
    int rc = buf_puts(o, "{\"result\": {\"micrOS\": ");
    if (rc == 0)
        rc = render_json_string(o, node->version, strlen(node->version));
    if (rc == 0)
        rc = buf_puts(o, ", \"node\": ");
    if (rc == 0)
        rc = render_json_string(o, devfid, strlen(devfid));
    if (rc == 0)
        rc = buf_printf(o, ", \"auth\": %s, \"usr_endpoints\": [", srv->is_auth ? "true" : "false");
    if (rc == 0 && srv->eps)
        rc = endpoint_list_get(srv->eps, o);
    if (rc == 0)
        rc = buf_puts(o, "]}, \"state\": true}");
    return rc;
}

/* auth=True: only task, modules and modules loaded already may run (COMPAT §3.3). */
static bool is_allowed(struct http_server *srv, struct str line)
{
    if (!srv->is_auth)
        return true;
    struct node *node = srv->node;
    struct str rest = line;
    struct str m = str_next_word(&rest);
    if (str_eqc(m, "task") || str_eqc(m, "modules"))
        return true;
    const struct lm_module *mod = lm_find(node, m);
    return mod && lm_is_loaded(node, mod);
}

void http_rest(struct http_server *srv, const struct http_req *req, struct str path,
               bool keep_alive)
{
    struct buf *o = &srv->body;
    buf_clear(o);
    char line[REST_LINE_MAX];
    int n = rest_build_line(path, req->query, line, sizeof line);
    int rc = 0;
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
    } else if (!is_allowed(srv, (struct str){line, (size_t)n})) {
        rc = buf_puts(o, "{\"result\": \"Auth:Protected\", \"state\": true}");
    } else {
        struct exec_result res;
        arena_reset(&srv->arena);
        exec_run(srv->node, (struct str){line, (size_t)n}, EXEC_REST, &srv->arena, &res);
        rc = exec_render_rest(&res, o);
    }
    if (rc < 0) {
        srv->stats.errors_5xx++;
        http_reply_error(&srv->resp, 500, "Reply too large", NULL, keep_alive, req->is_head);
        return;
    }
    http_reply(&srv->resp, 200, "application/json", NULL, o->p, o->len, keep_alive, req->is_head);
}
