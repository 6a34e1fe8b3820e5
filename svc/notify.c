/* notify.c - notifications fanned out to channels (see notify.h and docs/notify.md). */
#include "notify.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../hal/hal_httpc.h"
#include "cfg.h"
#include "mqtt.h"
#include "syslog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_RETRY_MS 200 /* hal_httpc full: try the queue again after this */

/* --- the HTTP post queue --- */

static void post_free(struct notify_post *p)
{
    free(p->url);
    free(p->body);
    free(p);
}

static void pump(struct notify_httpq *q);

static int64_t on_retry(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    pump(t->arg);
    return EV_DONE;
}

static void on_done(void *arg, const struct hal_httpc_reply *r)
{
    struct notify_httpq *q = arg;
    q->inflight = 0;
    struct notify_post *p = q->head;
    if (p) {
        q->head = p->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    bool ok = r->err == 0 && r->status >= 200 && r->status < 300;
    if (ok) {
        q->sent++;
        if (q->is_down)
            syslog_write(q->node->log, "[INFO] notify: %s works again", q->name);
        q->is_down = false;
    } else {
        q->failed++;
        if (!q->is_down) {
            /* Logged once per outage; the URL is left out (a Telegram URL holds the token). */
            if (r->err < 0)
                syslog_write(q->node->log, "[ERR] notify: %s: %s", q->name, err_str(r->err));
            else
                syslog_write(q->node->log, "[ERR] notify: %s: HTTP %d", q->name, r->status);
        }
        q->is_down = true;
    }
    if (q->on_reply)
        q->on_reply(q->reply_arg, p ? p->tag : NULL, r);
    if (p)
        post_free(p);
    pump(q);
}

static void pump(struct notify_httpq *q)
{
    if (q->inflight || !q->head)
        return;
    struct notify_post *p = q->head;
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    struct hal_httpc_req req = {.method = "POST",
                                .url = p->url,
                                .headers = headers,
                                .body = p->body,
                                .body_len = strlen(p->body),
                                .timeout_ms = NOTIFY_TIMEOUT_MS,
                                .max_reply = 16 * 1024};
    int id = hal_httpc_request(&req, on_done, q);
    if (id > 0) {
        q->inflight = id;
        return;
    }
    if (id == ERR_FULL) {
        ev_timer_start(q->node->loop, &q->retry, NOTIFY_RETRY_MS, on_retry);
        return;
    }
    /* Cannot be sent at all (bad URL, no client in this build): drop it, say so once. */
    if (!q->is_down)
        syslog_write(q->node->log, "[ERR] notify: %s: %s", q->name, err_str(id));
    q->is_down = true;
    q->failed++;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->n--;
    post_free(p);
    ev_timer_start(q->node->loop, &q->retry, 0, on_retry);
}

void notify_httpq_init(struct notify_httpq *q, struct node *node, const char *name)
{
    memset(q, 0, sizeof *q);
    q->node = node;
    q->name = name;
    q->retry.arg = q;
}

int notify_httpq_post(struct notify_httpq *q, const char *url, const char *body, void *tag)
{
    if (q->n >= NOTIFY_QUEUE_MAX) {
        q->dropped++;
        return ERR_FULL;
    }
    struct notify_post *p = calloc(1, sizeof *p);
    if (!p)
        return ERR_NOMEM;
    p->url = str_dup(url);
    p->body = str_dup(body);
    p->tag = tag;
    if (!p->url || !p->body) {
        post_free(p);
        return ERR_NOMEM;
    }
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->n++;
    pump(q);
    return 0;
}

void notify_httpq_clear(struct notify_httpq *q)
{
    if (q->inflight)
        hal_httpc_cancel(q->inflight);
    q->inflight = 0;
    if (q->node)
        ev_timer_stop(q->node->loop, &q->retry);
    while (q->head) {
        struct notify_post *p = q->head;
        q->head = p->next;
        post_free(p);
    }
    q->tail = NULL;
    q->n = 0;
}

/* --- built-in channels --- */

static char *message_json(struct node *node, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "devfid", cfg_get_str(node->cfg, CFG_K_devfid));
    cJSON_AddStringToObject(o, "uid", cfg_get_str(node->cfg, CFG_K_hwuid));
    cJSON_AddStringToObject(o, "text", text);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return js;
}

static bool webhook_ready(void *arg)
{
    struct notify *nt = arg;
    const char *url = cfg_get_str(nt->node->cfg, CFG_K_webhook_url);
    return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

static int webhook_send(void *arg, const char *text)
{
    struct notify *nt = arg;
    char *js = message_json(nt->node, text);
    if (!js)
        return ERR_NOMEM;
    int rc =
        notify_httpq_post(&nt->webhook, cfg_get_str(nt->node->cfg, CFG_K_webhook_url), js, NULL);
    cJSON_free(js);
    return rc;
}

static bool mqtt_ready(void *arg)
{
    struct notify *nt = arg;
    return nt->node->mqtt && nt->node->mqtt->is_enabled;
}

static int mqtt_send(void *arg, const char *text)
{
    struct notify *nt = arg;
    char *js = message_json(nt->node, text);
    if (!js)
        return ERR_NOMEM;
    int rc = mqtt_publish_sub(nt->node->mqtt, "notify", js, strlen(js), false);
    cJSON_free(js);
    return rc;
}

/* --- fan-out --- */

static bool channel_on(const struct notify *nt, const struct notify_channel *ch)
{
    return cfg_get_bool(nt->node->cfg, ch->key);
}

int notify_send(struct notify *nt, const char *text, char *out, size_t cap)
{
    if (!cfg_get_bool(nt->node->cfg, CFG_K_notify)) {
        if (out)
            snprintf(out, cap, "Notifications disabled");
        return 0;
    }
    char names[256] = "";
    size_t used = 0;
    int sent = 0, errors = 0, total = 0;
    for (size_t i = 0; i < nt->n; i++) {
        struct notify_channel *ch = &nt->ch[i];
        if (ch->is_ready && !ch->is_ready(ch->arg))
            continue;
        total++;
        if (!channel_on(nt, ch))
            continue;
        int rc = ch->send(ch->arg, text);
        if (rc < 0) {
            errors++;
            syslog_write(nt->node->log, "[ERR] Notify.%s: %s", ch->name, err_str(rc));
            continue;
        }
        sent++;
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", ch->name);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    if (out)
        snprintf(out, cap, "Sent over %s (%d/%d) client(s) - errors: (%d)", names, sent, total,
                 errors);
    return sent;
}

static void state_text(struct notify *nt, char *out, size_t cap)
{
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < nt->n; i++) {
        struct notify_channel *ch = &nt->ch[i];
        if (ch->is_ready && !ch->is_ready(ch->arg))
            continue;
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", ch->name);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    snprintf(out, cap, "Notifications[%s]: %s", names,
             cfg_get_bool(nt->node->cfg, CFG_K_notify) ? "enabled" : "disabled");
}

static void on_node_notify(struct node *node, enum node_notify_op op, const char *text, char *out,
                           size_t cap)
{
    struct notify *nt = node->notify_arg;
    char tmp[32];
    if (!out) {
        out = tmp;
        cap = sizeof tmp;
    }
    switch (op) {
    case NODE_NOTIFY_SEND: notify_send(nt, text ? text : "", out, cap); return;
    case NODE_NOTIFY_ON:
    case NODE_NOTIFY_OFF:
        if (cfg_get_bool(node->cfg, CFG_K_notify) != (op == NODE_NOTIFY_ON))
            cfg_put_bool(node->cfg, CFG_K_notify, op == NODE_NOTIFY_ON);
        state_text(nt, out, cap);
        return;
    case NODE_NOTIFY_QUERY: state_text(nt, out, cap); return;
    }
}

int notify_add_channel(struct notify *nt, const struct notify_channel *ch)
{
    for (size_t i = 0; i < nt->n; i++)
        if (strcmp(nt->ch[i].name, ch->name) == 0) {
            nt->ch[i] = *ch;
            return 0;
        }
    if (nt->n >= NOTIFY_CHANNELS_MAX)
        return ERR_FULL;
    nt->ch[nt->n++] = *ch;
    return 0;
}

void notify_remove_channel(struct notify *nt, const char *name)
{
    for (size_t i = 0; i < nt->n; i++)
        if (strcmp(nt->ch[i].name, name) == 0) {
            memmove(&nt->ch[i], &nt->ch[i + 1], (nt->n - i - 1) * sizeof nt->ch[0]);
            nt->n--;
            return;
        }
}

int notify_init(struct notify *nt, struct node *node)
{
    memset(nt, 0, sizeof *nt);
    nt->node = node;
    notify_httpq_init(&nt->webhook, node, "webhook");
    struct notify_channel wh = {.name = "Webhook",
                                .key = CFG_K_notify_webhook,
                                .is_ready = webhook_ready,
                                .send = webhook_send,
                                .arg = nt};
    struct notify_channel mq = {.name = "MQTT",
                                .key = CFG_K_notify_mqtt,
                                .is_ready = mqtt_ready,
                                .send = mqtt_send,
                                .arg = nt};
    notify_add_channel(nt, &wh);
    notify_add_channel(nt, &mq);
    node->notify = on_node_notify;
    node->notify_arg = nt;
    return 0;
}

void notify_deinit(struct notify *nt)
{
    if (!nt->node)
        return;
    notify_httpq_clear(&nt->webhook);
    nt->node->notify = NULL;
    nt->node->notify_arg = NULL;
    nt->n = 0;
    nt->node = NULL;
}
