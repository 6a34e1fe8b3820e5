/* cfg_web.c - GET/POST /config and POST /config/reboot. */
#include "cfg_web.h"

#include "../core/err.h"
#include "cfg.h"
#include "render.h"
#include "syslog.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PWD_PREFIX "node_config write error: "

static int get_config(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                      void *arg)
{
    (void)req;
    (void)arg;
    struct buf *o = rep->body;
    int rc = buf_putc(o, '{');
    bool first = true;
    for (size_t i = 0; rc == 0 && i < cfg_schema_len; i++) {
        const struct cfg_key *k = &cfg_schema[i];
        enum cfg_key_id id = (enum cfg_key_id)i;
        if (k->flags & CFG_NOWEB)
            continue;
        rc = buf_printf(o, "%s\"%s\": ", first ? "" : ", ", k->name);
        first = false;
        if (rc < 0)
            break;
        switch (k->type) {
        case CFG_BOOL: rc = buf_puts(o, cfg_get_bool(node->cfg, id) ? "true" : "false"); break;
        case CFG_INT: rc = buf_printf(o, "%lld", (long long)cfg_get_int(node->cfg, id)); break;
        case CFG_STR: {
            if (k->flags & CFG_SECRET) { /* shown masked, as in dump (cfg.h CFG_SECRET_SHOWN) */
                struct buf shown;
                buf_init(&shown, CFG_STR_MAX + 1);
                rc = cfg_get_text(node->cfg, str_c(k->name), &shown);
                if (rc == 0)
                    rc = render_json_string(o, shown.p ? shown.p : "", shown.len);
                buf_free(&shown);
                break;
            }
            const char *s = cfg_get_str(node->cfg, id);
            rc = render_json_string(o, s, strlen(s));
            break;
        }
        }
    }
    return rc == 0 ? buf_putc(o, '}') : rc;
}

/* Turns one JSON value into the text cfg_set converts; false when it has no text form. */
static bool value_text(const cJSON *v, char *text, size_t cap)
{
    if (cJSON_IsString(v)) {
        snprintf(text, cap, "%s", v->valuestring[0] ? v->valuestring : "n/a");
        return strlen(v->valuestring) < cap;
    }
    if (cJSON_IsBool(v)) {
        snprintf(text, cap, "%s", cJSON_IsTrue(v) ? "True" : "False");
        return true;
    }
    if (cJSON_IsNull(v)) {
        snprintf(text, cap, "n/a");
        return true;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d != floor(d) || fabs(d) > 9007199254740992.0)
            return false;
        snprintf(text, cap, "%.0f", d);
        return true;
    }
    return false;
}

/* Appends "key" or "key: reason" to the JSON array of failures in out. */
static void add_failure(struct buf *out, bool *first, const char *key, const char *reason)
{
    char item[CFG_STR_MAX / 8];
    if (reason)
        snprintf(item, sizeof item, "%s: %s", key, reason);
    else
        snprintf(item, sizeof item, "%s", key);
    if (!*first)
        buf_puts(out, ", ");
    *first = false;
    render_json_string(out, item, strlen(item));
}

static const char *type_reason(enum cfg_type t)
{
    switch (t) {
    case CFG_BOOL: return "expects True or False";
    case CFG_INT: return "expects an integer";
    case CFG_STR: break;
    }
    return "invalid value";
}

static int post_config(struct node *node, const struct endpoint_req *req,
                       struct endpoint_reply *rep, void *arg)
{
    (void)arg;
    cJSON *root = cJSON_ParseWithLength(req->body.p ? req->body.p : "", req->body.len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        rep->status = 400;
        return buf_puts(rep->body, "{\"state\": false, \"result\": \"Expected a JSON object\"}");
    }
    struct buf failed;
    buf_init(&failed, 64 * 1024);
    bool first = true;
    size_t saved = 0;
    static char text[CFG_STR_MAX + 1];
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        int id = cfg_find(str_c(key));
        if (id < 0) {
            add_failure(&failed, &first, key, NULL);
            continue;
        }
        const struct cfg_key *k = &cfg_schema[id];
        if (k->flags & CFG_NOWEB) {
            add_failure(&failed, &first, key, "not settable over the web");
            continue;
        }
        if (id == CFG_K_devfid && cJSON_IsString(it) && it->valuestring[0] == '\0') {
            add_failure(&failed, &first, key, "Device name cannot be empty");
            continue;
        }
        if (!value_text(it, text, sizeof text)) {
            add_failure(&failed, &first, key, type_reason(k->type));
            continue;
        }
        char msg[256];
        enum cfg_set_result r = cfg_set(node->cfg, str_c(key), str_c(text), msg, sizeof msg);
        if (r == CFG_SAVED) {
            saved++;
            continue;
        }
        const char *why = msg[0] ? msg : type_reason(k->type);
        if (strncmp(why, PWD_PREFIX, strlen(PWD_PREFIX)) == 0)
            why += strlen(PWD_PREFIX);
        size_t kl = strlen(key); /* cfg_set's reasons start with "<key>: " */
        if (strncmp(why, key, kl) == 0 && strncmp(why + kl, ": ", 2) == 0)
            why += kl + 2;
        add_failure(&failed, &first, key, why);
    }
    cJSON_Delete(root);
    int rc;
    if (first) {
        rc = buf_puts(rep->body, "{\"state\": true, \"result\": \"Config updated\"}");
    } else {
        rc = buf_printf(
            rep->body, "{\"state\": false, \"result\": \"Config update failed\", \"failed\": [%s]}",
            buf_cstr(&failed));
    }
    if (saved && node->log)
        syslog_write(node->log, "[INFO] web: %zu config key(s) saved", saved);
    buf_free(&failed);
    return rc;
}

static int post_reboot(struct node *node, const struct endpoint_req *req,
                       struct endpoint_reply *rep, void *arg)
{
    (void)req;
    (void)arg;
    int rc = buf_puts(rep->body, "{\"state\": true, \"result\": \"Soft reboot scheduled\"}");
    if (node->log)
        syslog_write(node->log, "[BOOT] soft reboot requested over the web");
    if (node->reboot)
        node->reboot(node, false);
    return rc;
}

static int on_config(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                     void *arg)
{
    return req->method == EP_POST ? post_config(node, req, rep, arg)
                                  : get_config(node, req, rep, arg);
}

int cfg_web_register(struct endpoints *eps, struct node *node)
{
    (void)node;
    int rc = endpoint_add(eps, "config", EP_GET | EP_POST, EP_SUDO, on_config, NULL);
    if (rc == 0)
        rc = endpoint_add(eps, "config/reboot", EP_POST, EP_SUDO, post_reboot, NULL);
    return rc;
}
