/* notify.h - micrOS's Notify: one message fanned out to every enabled channel.
 *
 * `system notify "door open"` and notify(node, text) from a module hand the text to every
 * registered channel whose switch is on (notify_<channel> keys; the global `notify` key is
 * micrOS's `system notifications`). Channels never block: the HTTP ones (webhook, Telegram)
 * queue at most NOTIFY_QUEUE_MAX posts each and send them one at a time with hal_httpc
 * (NOTIFY_TIMEOUT_MS each); MQTT publishes through svc/mqtt's offline buffer. A channel that
 * fails is logged once when it goes down and once when it is back.
 *
 * Verdict texts are micrOS's: "Sent over Telegram, MQTT (2/2) client(s) - errors: (0)",
 * "Notifications disabled", "Notifications[Telegram, MQTT]: enabled". "Sent" means queued. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "../core/ev.h"
#include "cfg.h"
#include "node.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef NOTIFY_CHANNELS_MAX
#define NOTIFY_CHANNELS_MAX 8
#endif
#ifndef NOTIFY_QUEUE_MAX
#define NOTIFY_QUEUE_MAX 16 /* posts waiting per HTTP channel */
#endif
#ifndef NOTIFY_TIMEOUT_MS
#define NOTIFY_TIMEOUT_MS 5000
#endif
#define NOTIFY_TEXT_MAX 1024

struct hal_httpc_reply;

/* --- a bounded queue of JSON posts, one in flight (for HTTP channels) --- */
struct notify_post {
    struct notify_post *next;
    char *url;
    char *body;
    void *tag; /* for the reply callback */
};

/* Called with each reply of a post (r->err < 0: transport failure). */
typedef void notify_reply_fn(void *arg, void *tag, const struct hal_httpc_reply *r);

struct notify_httpq {
    const char *name; /* for the log: "webhook", "Telegram" */
    struct node *node;
    struct notify_post *head, *tail;
    size_t n;
    int inflight; /* request id, 0 = none */
    bool is_down; /* last post failed (logged once) */
    struct ev_timer retry;
    notify_reply_fn *on_reply; /* optional */
    void *reply_arg;
    uint64_t sent, failed, dropped;
};

/* Sets up an empty queue for node. */
void notify_httpq_init(struct notify_httpq *q, struct node *node, const char *name);
/* Queues a POST of body (JSON) to url. Returns 0, ERR_FULL (queue full: counted, dropped),
 * ERR_NOMEM. tag comes back in on_reply. */
int notify_httpq_post(struct notify_httpq *q, const char *url, const char *body, void *tag);
/* Cancels the request in flight and empties the queue. */
void notify_httpq_clear(struct notify_httpq *q);

/* --- channels --- */
struct notify_channel {
    const char *name;    /* "Telegram", "Webhook", "MQTT" (verdict text) */
    enum cfg_key_id key; /* on/off config key (CFG_K_notify_telegram) */
    /* Is the channel set up (token loaded, URL set, broker on)? Only those count. */
    bool (*is_ready)(void *arg);
    /* Queues text. Returns 0 or ERR_* (counted as an error). */
    int (*send)(void *arg, const char *text);
    void *arg;
};

struct notify {
    struct node *node;
    struct notify_channel ch[NOTIFY_CHANNELS_MAX];
    size_t n;
    struct notify_httpq webhook;
};

/* Registers the webhook and MQTT channels and sets node->notify. Returns 0. */
int notify_init(struct notify *nt, struct node *node);
/* Drops every queue and unregisters. */
void notify_deinit(struct notify *nt);
/* Adds (or replaces, by name) a channel. Returns 0 or ERR_FULL. */
int notify_add_channel(struct notify *nt, const struct notify_channel *ch);
/* Removes the channel called name (if any). */
void notify_remove_channel(struct notify *nt, const char *name);
/* Fans text out; writes micrOS's verdict into out (may be NULL). Returns the channels sent to. */
int notify_send(struct notify *nt, const char *text, char *out, size_t cap);

/* For Load Modules: notify(node, "door open") - fans out a notification, never blocks. */
static inline void notify(struct node *node, const char *text)
{
    if (node && node->notify)
        node->notify(node, NODE_NOTIFY_SEND, text, NULL, 0);
}

#endif
