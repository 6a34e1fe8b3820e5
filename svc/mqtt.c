/* mqtt.c - the node on an MQTT broker (see mqtt.h and docs/mqtt.md). */
#include "mqtt.h"

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../hal/hal_mqtt.h"
#include "../hal/hal_resolve.h"
#include "cfg.h"
#include "exec.h"
#include "ha_discovery.h"
#include "lm.h"
#include "render.h"
#include "syslog.h"
#include "val.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MQTT_ARENA_SIZE (64 * 1024)

static const char *cfg_str_or(const struct cfg *cfg, enum cfg_key_id key, const char *def)
{
    const char *v = cfg_get_str(cfg, key);
    return !v || !v[0] || strcmp(v, "n/a") == 0 ? def : v;
}

/* --- offline buffer --- */

static void item_free(struct mqtt_item *it)
{
    free(it->topic);
    free(it->payload);
    free(it);
}

static void buf_drop_head(struct mqtt *m)
{
    struct mqtt_item *it = m->head;
    if (!it)
        return;
    m->head = it->next;
    if (!m->head)
        m->tail = NULL;
    m->nbuf--;
    m->bufbytes -= it->len + strlen(it->topic);
    item_free(it);
}

static void buf_clear_all(struct mqtt *m)
{
    while (m->head)
        buf_drop_head(m);
}

static int buffer(struct mqtt *m, const char *topic, const char *payload, size_t len, bool retain)
{
    size_t size = len + strlen(topic);
    if (size > MQTT_OFFLINE_BYTES)
        return ERR_TOOBIG;
    if (retain) {
        /* A newer retained value for the same topic replaces the waiting one. */
        struct mqtt_item **pp = &m->head, *prev = NULL;
        while (*pp) {
            struct mqtt_item *it = *pp;
            if (it->retain && strcmp(it->topic, topic) == 0) {
                *pp = it->next;
                if (m->tail == it)
                    m->tail = prev;
                m->nbuf--;
                m->bufbytes -= it->len + strlen(it->topic);
                item_free(it);
                break;
            }
            prev = it;
            pp = &it->next;
        }
    }
    while (m->head && (m->nbuf >= MQTT_OFFLINE_MAX || m->bufbytes + size > MQTT_OFFLINE_BYTES)) {
        buf_drop_head(m);
        m->n_dropped++;
    }
    struct mqtt_item *it = calloc(1, sizeof *it);
    if (!it)
        return ERR_NOMEM;
    it->topic = str_dup(topic);
    it->payload = malloc(len + 1);
    if (!it->topic || !it->payload) {
        item_free(it);
        return ERR_NOMEM;
    }
    memcpy(it->payload, payload, len);
    it->payload[len] = '\0';
    it->len = len;
    it->retain = retain;
    it->qos = m->qos;
    if (m->tail)
        m->tail->next = it;
    else
        m->head = it;
    m->tail = it;
    m->nbuf++;
    m->bufbytes += size;
    return 0;
}

static void flush(struct mqtt *m)
{
    while (m->head && m->is_up) {
        struct mqtt_item *it = m->head;
        if (hal_mqtt_publish(m->cli, it->topic, it->payload, it->len, it->qos, it->retain, NULL) <
            0)
            return;
        m->n_published++;
        buf_drop_head(m);
    }
}

int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, size_t len, bool retain)
{
    if (!m || !m->is_enabled)
        return ERR_NOTSUP;
    if (m->is_up && !m->head) {
        int rc = hal_mqtt_publish(m->cli, topic, payload, len, m->qos, retain, NULL);
        if (rc == 0) {
            m->n_published++;
            return 0;
        }
        if (rc != ERR_CLOSED) {
            m->n_failed++;
            return rc;
        }
    }
    return buffer(m, topic, payload, len, retain);
}

int mqtt_publish_sub(struct mqtt *m, const char *suffix, const char *payload, size_t len,
                     bool retain)
{
    char topic[MQTT_TOPIC_MAX];
    if (!m)
        return ERR_NOTSUP;
    int n = snprintf(topic, sizeof topic, "%s/%s", m->base, suffix);
    if (n < 0 || (size_t)n >= sizeof topic)
        return ERR_TOOBIG;
    return mqtt_publish(m, topic, payload, len, retain);
}

/* --- module state --- */

static int64_t on_poll(struct ev_loop *loop, struct ev_timer *t);

/* The state slot of module name (n bytes), created when create is set; NULL when none/full. */
static struct mqtt_mod *mod_slot(struct mqtt *m, const char *name, size_t n, bool create)
{
    struct mqtt_mod *free_slot = NULL;
    for (size_t i = 0; i < MQTT_MODULES_MAX; i++) {
        struct mqtt_mod *e = &m->mods[i];
        if (!e->name[0]) {
            if (!free_slot)
                free_slot = e;
            continue;
        }
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0)
            return e;
    }
    if (!create || !free_slot || n >= sizeof free_slot->name)
        return NULL;
    memcpy(free_slot->name, name, n);
    free_slot->name[n] = '\0';
    free_slot->is_dirty = true;
    return free_slot;
}

void mqtt_state_changed(struct mqtt *m, const char *module)
{
    if (!m || !m->is_enabled)
        return;
    struct mqtt_mod *e = mod_slot(m, module, strlen(module), false);
    if (e)
        e->is_dirty = true;
    if (m->is_up)
        ev_timer_start(m->node->loop, &m->poll, 0, on_poll); /* publish it now */
}

struct val *mqtt_call(struct mqtt *m, const char *line, bool *ok)
{
    struct exec_result res;
    struct node_caller who; /* the broker hides the client's address: one back-off for MQTT */
    exec_caller_set(&who, "mqtt", "mqtt");
    exec_run_as(m->node, str_c(line), EXEC_REST, &who, &m->arena, &res);
    if (ok)
        *ok = res.ok && !res.text;
    return res.ok && !res.text ? res.value : NULL;
}

/* Runs "<mod> <fn>" and returns its value (NULL on a failure). */
static struct val *call_value(struct mqtt *m, const char *mod, const char *fn)
{
    char line[256];
    snprintf(line, sizeof line, "%s %s", mod, fn);
    return mqtt_call(m, line, NULL);
}

static const struct lm_func *status_func(const struct lm_module *mod)
{
    for (const struct lm_func *f = mod->funcs; f->name; f++)
        if (f->widget && strncmp(f->widget, "STATUS", 6) == 0)
            return f;
    return NULL;
}

/* A deep copy of v in a (a value's items are linked into their container, so an item cannot
 * join a second one). */
static struct val *copy_val(struct arena *a, const struct val *v)
{
    switch (v->type) {
    case VAL_NONE: return val_none(a);
    case VAL_BOOL: return val_bool(a, v->u.b);
    case VAL_INT: return val_int(a, v->u.i);
    case VAL_FLOAT: return val_float(a, v->u.f);
    case VAL_STR: return val_strn(a, v->u.s.p, v->u.s.len);
    case VAL_LIST:
    case VAL_TUPLE:
    case VAL_DICT: {
        struct val *c = v->type == VAL_LIST    ? val_list(a)
                        : v->type == VAL_TUPLE ? val_tuple(a)
                                               : val_dict(a);
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (v->type != VAL_DICT)
                val_append(c, copy_val(a, it));
            else if (it->key && it->key->type == VAL_STR)
                val_dict_set(a, c, it->key->u.s.p, copy_val(a, it));
            else if (it->key && it->key->type == VAL_INT)
                val_dict_set_ikey(a, c, it->key->u.i, copy_val(a, it));
        }
        return c;
    }
    }
    return val_none(a);
}

/* Copies a reply into the merged state dict: dict items as they are, else under name. */
static void merge(struct arena *a, struct val *d, const char *name, struct val *v)
{
    if (!v)
        return;
    if (v->type == VAL_DICT) {
        for (struct val *it = v->u.c.head; it; it = it->next)
            if (it->key && it->key->type == VAL_STR)
                val_dict_set(a, d, it->key->u.s.p, copy_val(a, it));
        return;
    }
    val_dict_set(a, d, name, copy_val(a, v));
}

/* Loaded modules (and system, always) are published and announced. */
static bool is_exposed(const struct mqtt *m, const struct lm_module *mod)
{
    return lm_is_loaded(m->node, mod) || strcmp(mod->name, "system") == 0;
}

/* Reads module i's status; when it changed (or full is set) publishes the merged state. */
static void poll_module(struct mqtt *m, const struct lm_module *mod, bool full)
{
    struct mqtt_mod *e = mod_slot(m, mod->name, strlen(mod->name), true);
    if (!e)
        return;
    if (m->all_dirty)
        e->is_dirty = true;
    const struct lm_func *sf = status_func(mod);
    bool has_measures = false;
    for (const struct lm_func *f = mod->funcs; f->name; f++)
        has_measures = has_measures || f->measures;
    if (!sf && !has_measures)
        return;
    if (!sf && !full && !e->is_dirty)
        return;
    arena_reset(&m->arena);
    struct val *status = sf ? call_value(m, mod->name, sf->name) : NULL;
    struct buf js;
    buf_init(&js, MQTT_OFFLINE_BYTES);
    if (status)
        render_json(&js, status);
    bool changed = sf && (!e->last_state || strcmp(e->last_state, buf_cstr(&js)) != 0);
    if (changed || full || e->is_dirty) {
        e->is_dirty = false;
        free(e->last_state);
        e->last_state = str_dup(buf_cstr(&js));
        struct val *d = val_dict(&m->arena);
        merge(&m->arena, d, sf ? sf->name : "status", status);
        for (const struct lm_func *f = mod->funcs; f->name; f++)
            if (f->measures)
                merge(&m->arena, d, f->name, call_value(m, mod->name, f->name));
        buf_clear(&js);
        render_json(&js, d);
        char suffix[96];
        snprintf(suffix, sizeof suffix, "state/%s", mod->name);
        mqtt_publish_sub(m, suffix, js.p ? js.p : "{}", js.len, true);
        ha_publish_states(m, mod, status, &m->arena);
    }
    buf_free(&js);
}

static int64_t on_poll(struct ev_loop *loop, struct ev_timer *t)
{
    struct mqtt *m = t->arg;
    if (!m->is_up)
        return MQTT_POLL_MS;
    bool full = ev_now(loop) - m->last_full_ms >= m->period_ms || m->last_full_ms == 0;
    if (full)
        m->last_full_ms = ev_now(loop);
    /* Discovery again only when the set of loaded modules changed (or after a reconnect). */
    uint32_t sig = 2166136261u;
    for (size_t i = 0, n = lm_count(m->node); i < n; i++) {
        const struct lm_module *mod = lm_at(m->node, i);
        for (const char *p = mod && is_exposed(m, mod) ? mod->name : ""; *p; p++)
            sig = (sig ^ (unsigned char)*p) * 16777619u;
        sig = (sig ^ '/') * 16777619u;
    }
    sig |= 1u; /* never 0, which means "run again" */
    if (sig != m->ha_sig) {
        m->ha_sig = sig;
        ha_sync(m);
    }
    for (size_t i = 0, n = lm_count(m->node); i < n; i++) {
        const struct lm_module *mod = lm_at(m->node, i);
        if (mod && is_exposed(m, mod))
            poll_module(m, mod, full);
    }
    m->all_dirty = false;
    return MQTT_POLL_MS;
}

/* --- commands --- */

/* Runs one command message and publishes the reply envelope. */
static void handle_cmd(struct mqtt *m, const char *payload, size_t len,
                       const struct hal_mqtt_props *props)
{
    m->n_cmds++;
    char *text = malloc(len + 1);
    if (!text)
        return;
    memcpy(text, payload, len);
    text[len] = '\0';
    const char *line = text;
    const char *pwd = NULL;
    char *id_json = NULL;
    cJSON *root = NULL;
    struct buf out;
    buf_init(&out, MQTT_OFFLINE_BYTES);
    size_t skip = strspn(text, " \t\r\n");
    if (text[skip] == '{') {
        root = cJSON_ParseWithLength(text, len);
        const cJSON *cmd = root ? cJSON_GetObjectItemCaseSensitive(root, "cmd") : NULL;
        if (!cJSON_IsString(cmd)) {
            buf_puts(&out, "{\"id\": null, \"result\": \"Bad request: expected {\\\"cmd\\\": "
                           "\\\"<module> <function> ...\\\"}\", \"state\": false}");
            goto send;
        }
        line = cmd->valuestring;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
        if (id && (cJSON_IsString(id) || cJSON_IsNumber(id)))
            id_json = cJSON_PrintUnformatted(id);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "pwd");
        if (cJSON_IsString(p))
            pwd = p->valuestring;
    }
    buf_printf(&out, "{\"id\": %s, ", id_json ? id_json : "null");
    if (cfg_get_bool(m->node->cfg, CFG_K_auth) &&
        (!pwd || !str_eq_secret(str_c(pwd), str_c(cfg_get_str(m->node->cfg, CFG_K_appwd))))) {
        buf_puts(&out, "\"result\": \"Auth:Protected\", \"state\": false}");
        syslog_write(m->node->log, "[WARN] mqtt: command refused: auth is on and the password is "
                                   "missing or wrong");
        goto send;
    }
    {
        struct str l = str_trim(str_c(line));
        arena_reset(&m->arena);
        struct exec_result res;
        struct node_caller who; /* the broker hides the client's address: one back-off */
        exec_caller_set(&who, "mqtt", "mqtt");
        exec_run_as(m->node, l, EXEC_REST, &who, &m->arena, &res);
        struct buf body;
        buf_init(&body, MQTT_OFFLINE_BYTES);
        exec_render_rest(&res, &body);
        /* body is {"result": ..., "state": ...}: splice it after the id. */
        if (body.len > 1 && body.p[0] == '{')
            buf_append(&out, body.p + 1, body.len - 1);
        else
            buf_puts(&out, "\"result\": null, \"state\": false}");
        buf_free(&body);
        struct str rest = l;
        struct str mod = str_next_word(&rest);
        struct mqtt_mod *e = mod_slot(m, mod.p, mod.len, false);
        if (e)
            e->is_dirty = true;
    }
send:
    if (out.is_full) {
        /* Never a cut envelope: a reply over the bound becomes an error the client can parse. */
        buf_clear(&out);
        out.is_full = false;
        buf_printf(&out,
                   "{\"id\": %s, \"result\": \"reply too large (over %d bytes)\", "
                   "\"state\": false}",
                   id_json ? id_json : "null", MQTT_OFFLINE_BYTES);
    }
    if (props && props->response_topic && props->response_topic[0] && m->is_up) {
        struct hal_mqtt_props rp = {.corr = props->corr, .corr_len = props->corr_len};
        hal_mqtt_publish(m->cli, props->response_topic, out.p ? out.p : "", out.len, m->qos, false,
                         &rp);
    } else {
        mqtt_publish_sub(m, "reply", out.p ? out.p : "", out.len, false);
    }
    buf_free(&out);
    if (id_json)
        cJSON_free(id_json);
    cJSON_Delete(root);
    free(text);
}

static void on_msg(void *arg, const char *topic, const void *payload, size_t len,
                   const struct hal_mqtt_props *props)
{
    struct mqtt *m = arg;
    size_t bl = strlen(m->base);
    if (strncmp(topic, m->base, bl) != 0 || topic[bl] != '/')
        return;
    const char *rest = topic + bl + 1;
    if (len > MQTT_PAYLOAD_MAX) {
        syslog_write(m->node->log, "[WARN] mqtt: %zu-byte message on %s dropped (limit %d)", len,
                     rest, MQTT_PAYLOAD_MAX);
        return;
    }
    if (strcmp(rest, "cmd") == 0)
        handle_cmd(m, payload, len, props);
    else if (strncmp(rest, "ha/", 3) == 0)
        ha_command(m, rest + 3, payload, len);
}

/* --- connection --- */

static void connect_now(struct mqtt *m);

static int64_t on_retry(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    connect_now(t->arg);
    return EV_DONE;
}

static void schedule_retry(struct mqtt *m)
{
    if (!m->is_enabled)
        return;
    ev_timer_start(m->node->loop, &m->retry, m->backoff_ms, on_retry);
    m->backoff_ms = m->backoff_ms * 2 > MQTT_BACKOFF_MAX ? MQTT_BACKOFF_MAX : m->backoff_ms * 2;
}

static void outage(struct mqtt *m, const char *what, int rc)
{
    if (m->is_outage_logged)
        return;
    m->is_outage_logged = true;
    syslog_write(m->node->log, "[WARN] mqtt: %s %s:%lld: %s (retrying with back-off)", what,
                 cfg_str_or(m->node->cfg, CFG_K_mqtt_host, "127.0.0.1"),
                 (long long)cfg_get_int(m->node->cfg, CFG_K_mqtt_port), err_str(rc));
    LOG_W("mqtt: %s: %s", what, err_str(rc));
}

static void on_conn(void *arg, int rc, bool is_v5)
{
    struct mqtt *m = arg;
    if (rc < 0) {
        outage(m, "cannot connect to", rc);
        schedule_retry(m);
        return;
    }
    m->is_up = true;
    m->is_v5 = is_v5;
    m->n_connects++;
    m->backoff_ms = MQTT_BACKOFF_MIN;
    if (m->is_outage_logged)
        syslog_write(m->node->log, "[INFO] mqtt: connected again");
    m->is_outage_logged = false;
    LOG_I("mqtt: connected to the broker (MQTT %s)", is_v5 ? "5" : "3.1.1");
    char topic[MQTT_TOPIC_MAX];
    snprintf(topic, sizeof topic, "%s/cmd", m->base);
    hal_mqtt_subscribe(m->cli, topic, m->qos);
    snprintf(topic, sizeof topic, "%s/ha/#", m->base);
    hal_mqtt_subscribe(m->cli, topic, m->qos);
    snprintf(topic, sizeof topic, "%s/availability", m->base);
    hal_mqtt_publish(m->cli, topic, "online", 6, m->qos, true, NULL);
    flush(m);
    /* Everything retained is sent again: the broker may have restarted without its store. */
    ha_forget(m->ha);
    m->ha_sig = 0;
    m->last_full_ms = 0;
    m->all_dirty = true;
    ev_timer_start(m->node->loop, &m->poll, 0, on_poll);
}

static void on_disc(void *arg, int rc)
{
    struct mqtt *m = arg;
    m->is_up = false;
    outage(m, "lost the connection to", rc < 0 ? rc : ERR_CLOSED);
    m->backoff_ms = MQTT_BACKOFF_MIN;
    schedule_retry(m);
}

/* An IPv4/IPv6 literal (or localhost): connected to directly; anything else is resolved first,
 * asynchronously (hal_resolve), so no lookup ever waits on the loop. */
static bool is_literal(const char *h)
{
    if (strcmp(h, "localhost") == 0 || strchr(h, ':'))
        return true;
    for (const char *p = h; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.')
            return false;
    return h[0] != '\0';
}

static void connect_to(struct mqtt *m, const char *host);

static void on_resolved(void *arg, int rc, const char *ip, const char *detail)
{
    struct mqtt *m = arg;
    m->rsv = NULL;
    if (rc < 0) {
        (void)detail;
        outage(m, "cannot resolve", rc);
        schedule_retry(m);
        return;
    }
    connect_to(m, ip);
}

static void connect_now(struct mqtt *m)
{
    const char *host = cfg_str_or(m->node->cfg, CFG_K_mqtt_host, "127.0.0.1");
    if (is_literal(host)) {
        connect_to(m, host);
        return;
    }
    if (m->rsv)
        return;
    int rc = hal_resolve_start(m->node->loop, host, MQTT_RESOLVE_MS, on_resolved, m, &m->rsv);
    if (rc < 0) {
        m->rsv = NULL;
        outage(m, "cannot resolve", rc);
        schedule_retry(m);
    }
}

static void connect_to(struct mqtt *m, const char *host)
{
    const struct cfg *cfg = m->node->cfg;
    char will[MQTT_TOPIC_MAX], client_id[128];
    snprintf(will, sizeof will, "%s/availability", m->base);
    snprintf(client_id, sizeof client_id, "micros-%s-%s", m->devfid,
             cfg_str_or(cfg, CFG_K_hwuid, "node"));
    int64_t port = cfg_get_int(cfg, CFG_K_mqtt_port);
    struct hal_mqtt_opts o = {
        .host = host,
        .port = port > 0 && port < 65536 ? (uint16_t)port : 1883,
        .client_id = client_id,
        .user = cfg_str_or(cfg, CFG_K_mqtt_user, NULL),
        .pwd = cfg_str_or(cfg, CFG_K_mqtt_pwd, NULL),
        .ca_file = cfg_str_or(cfg, CFG_K_mqtt_ca, NULL),
        .keepalive_s = 30,
        .will_topic = will,
        .will_payload = "offline",
        .will_retain = true,
        .will_qos = 1,
    };
    int rc = hal_mqtt_connect(m->cli, &o);
    if (rc < 0) {
        outage(m, "cannot start a connection to", rc);
        schedule_retry(m);
    }
}

static void read_config(struct mqtt *m)
{
    const struct cfg *cfg = m->node->cfg;
    snprintf(m->prefix, sizeof m->prefix, "%s", cfg_str_or(cfg, CFG_K_mqtt_prefix, "micros"));
    snprintf(m->devfid, sizeof m->devfid, "%s", cfg_str_or(cfg, CFG_K_devfid, "node01"));
    /* Topic levels must not carry wildcards or separators from a device name. */
    for (char *p = m->devfid; *p; p++)
        if (*p == '/' || *p == '+' || *p == '#')
            *p = '_';
    snprintf(m->base, sizeof m->base, "%s/%s", m->prefix, m->devfid);
    int64_t q = cfg_get_int(cfg, CFG_K_mqtt_qos);
    m->qos = q < 0 ? 0 : q > 2 ? 2 : (int)q;
    int64_t period = cfg_get_int(cfg, CFG_K_mqtt_period);
    m->period_ms = (uint32_t)(period < 5 ? 5 : period > 86400 ? 86400 : period) * 1000u;
}

static void start(struct mqtt *m)
{
    if (!cfg_get_bool(m->node->cfg, CFG_K_mqtt))
        return;
    read_config(m);
    static const struct hal_mqtt_cbs cbs = {on_conn, on_disc, on_msg};
    m->cli = hal_mqtt_new(m->node->loop, &cbs, m);
    if (!m->cli) {
        syslog_write(m->node->log, "[ERR] mqtt: no MQTT client in this build");
        return;
    }
    m->is_enabled = true;
    m->backoff_ms = MQTT_BACKOFF_MIN;
    connect_now(m);
}

/* Says goodbye cleanly: availability offline (retained), and with clear, the old name's
 * discovery configs and state go away (rename, mqtt turned off). */
static void stop(struct mqtt *m, bool clear)
{
    if (!m->is_enabled)
        return;
    if (m->is_up) {
        if (clear) {
            ha_clear(m);
            char topic[MQTT_TOPIC_MAX];
            for (size_t i = 0; i < MQTT_MODULES_MAX; i++)
                if (m->mods[i].last_state) {
                    snprintf(topic, sizeof topic, "%s/state/%s", m->base, m->mods[i].name);
                    hal_mqtt_publish(m->cli, topic, "", 0, m->qos, true, NULL);
                }
        }
        char topic[MQTT_TOPIC_MAX];
        snprintf(topic, sizeof topic, "%s/availability", m->base);
        hal_mqtt_publish(m->cli, topic, clear ? "" : "offline", clear ? 0 : 7, m->qos, true, NULL);
    }
    if (m->rsv) {
        hal_resolve_cancel(m->rsv);
        m->rsv = NULL;
    }
    hal_mqtt_free(m->cli);
    m->cli = NULL;
    m->is_enabled = false;
    m->is_up = false;
    ev_timer_stop(m->node->loop, &m->retry);
    ev_timer_stop(m->node->loop, &m->poll);
    buf_clear_all(m);
    ha_forget(m->ha);
    for (size_t i = 0; i < MQTT_MODULES_MAX; i++) {
        free(m->mods[i].last_state);
        memset(&m->mods[i], 0, sizeof m->mods[i]);
    }
}

static int64_t on_restart(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct mqtt *m = t->arg;
    char old_base[sizeof m->base];
    snprintf(old_base, sizeof old_base, "%s", m->base);
    bool was = m->is_enabled;
    read_config(m);
    bool renamed = strcmp(old_base, m->base) != 0;
    snprintf(m->base, sizeof m->base, "%s", old_base); /* stop() speaks for the old name */
    stop(m, renamed || !cfg_get_bool(m->node->cfg, CFG_K_mqtt));
    (void)was;
    start(m);
    return EV_DONE;
}

static void on_cfg_change(struct cfg *cfg, enum cfg_key_id key, void *arg)
{
    (void)cfg;
    struct mqtt *m = arg;
    if (strncmp(cfg_schema[key].name, "mqtt", 4) == 0 || key == CFG_K_devfid)
        ev_timer_start(m->node->loop, &m->restart, 0, on_restart);
}

int mqtt_init(struct mqtt *m, struct node *node)
{
    memset(m, 0, sizeof *m);
    m->node = node;
    m->retry.arg = m;
    m->poll.arg = m;
    m->restart.arg = m;
    m->arena_mem = malloc(MQTT_ARENA_SIZE);
    m->ha = ha_new();
    if (!m->arena_mem || !m->ha) {
        free(m->arena_mem);
        ha_free(m->ha);
        return ERR_NOMEM;
    }
    arena_init(&m->arena, m->arena_mem, MQTT_ARENA_SIZE);
    cfg_add_observer(node->cfg, on_cfg_change, m);
    start(m);
    return 0;
}

void mqtt_deinit(struct mqtt *m)
{
    if (!m->node)
        return;
    stop(m, false);
    ev_timer_stop(m->node->loop, &m->restart);
    ha_free(m->ha);
    m->ha = NULL;
    free(m->arena_mem);
    m->arena_mem = NULL;
    m->node = NULL;
}

void mqtt_info(const struct mqtt *m, struct arena *a, struct val *d)
{
    val_dict_set(a, d, "enabled", val_bool(a, m && m->is_enabled));
    if (!m)
        return;
    val_dict_set(a, d, "connected", val_bool(a, m->is_up));
    val_dict_set(a, d, "protocol", val_str(a, m->is_up ? (m->is_v5 ? "5" : "3.1.1") : "n/a"));
    val_dict_set(a, d, "base", val_str(a, m->base));
    val_dict_set(a, d, "buffered", val_int(a, (int64_t)m->nbuf));
    val_dict_set(a, d, "dropped", val_int(a, (int64_t)m->n_dropped));
    val_dict_set(a, d, "published", val_int(a, (int64_t)m->n_published));
    val_dict_set(a, d, "commands", val_int(a, (int64_t)m->n_cmds));
    val_dict_set(a, d, "connects", val_int(a, (int64_t)m->n_connects));
}
