/* mqtt.h - the node on an MQTT broker: availability, commands and replies, module state, and
 * Home Assistant discovery (svc/ha_discovery.h), over hal_mqtt on the event loop.
 *
 * Topics (base = "<mqtt_prefix>/<devfid>"):
 *   base/availability   "online" / "offline" (retained; "offline" is the last will)
 *   base/cmd            a command line, or {"cmd": "...", "id": ..., "pwd": "..."} (docs/mqtt.md)
 *   base/reply          {"id": ..., "result": ..., "state": ...}; with MQTT 5, a request's
 *                       response topic and correlation data win
 *   base/state/<mod>    the module's status and measurements as one JSON dict (retained)
 *   base/ha/...         Home Assistant entity commands (svc/ha_discovery.c)
 *   base/notify         notifications (svc/notify.c)
 *
 * Policy: reconnect with back-off (1 s doubling to 60 s); while offline, publishes wait in a
 * bounded buffer (MQTT_OFFLINE_MAX messages / MQTT_OFFLINE_BYTES; the oldest goes first, a
 * retained message replaces an older one for the same topic); an outage is logged once. */
#ifndef MQTT_H
#define MQTT_H

#include "../core/arena.h"
#include "../core/ev.h"
#include "node.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MQTT_OFFLINE_MAX
#define MQTT_OFFLINE_MAX 100
#endif
#ifndef MQTT_OFFLINE_BYTES
#define MQTT_OFFLINE_BYTES (64 * 1024)
#endif
#ifndef MQTT_PAYLOAD_MAX
#define MQTT_PAYLOAD_MAX (16 * 1024) /* longest command payload accepted */
#endif
#define MQTT_TOPIC_MAX   256
#define MQTT_BACKOFF_MIN 1000
#define MQTT_BACKOFF_MAX 60000
#define MQTT_POLL_MS     1000 /* status functions are compared this often */
#define MQTT_MODULES_MAX 64

struct hal_mqtt;
struct val;
struct ha;

struct mqtt_item {
    struct mqtt_item *next;
    char *topic;
    char *payload;
    size_t len;
    int qos;
    bool retain;
};

struct mqtt {
    struct node *node;
    struct hal_mqtt *cli;
    bool is_enabled; /* mqtt = True and started */
    bool is_up;      /* connected */
    bool is_v5;
    bool is_outage_logged;
    char prefix[64];
    char devfid[64];
    char base[160]; /* "<prefix>/<devfid>" */
    int qos;
    uint32_t period_ms; /* full state publication period */
    uint32_t backoff_ms;
    struct ev_timer retry;   /* reconnect */
    struct ev_timer poll;    /* state poller */
    struct ev_timer restart; /* a config change: restart from the loop */
    uint64_t last_full_ms;
    /* offline buffer */
    struct mqtt_item *head, *tail;
    size_t nbuf, bufbytes;
    /* per module (index in node->modules): last state JSON published */
    char *last_state[MQTT_MODULES_MAX];
    bool state_dirty[MQTT_MODULES_MAX];
    struct ha *ha;
    /* scratch for running commands */
    struct arena arena;
    void *arena_mem;
    /* counters */
    uint64_t n_connects, n_cmds, n_published, n_dropped, n_failed;
};

/* Reads the mqtt* keys and, when mqtt is True, starts connecting; watches the keys (and devfid)
 * to restart live. Returns 0 or ERR_NOMEM. */
int mqtt_init(struct mqtt *m, struct node *node);
/* Publishes availability "offline", disconnects and frees everything. */
void mqtt_deinit(struct mqtt *m);

/* Publishes payload to topic (a full topic), or keeps it in the offline buffer while the
 * broker is away. Returns 0, ERR_NOTSUP (mqtt off), ERR_TOOBIG, ERR_NOMEM. */
int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, size_t len, bool retain);
/* The same with topic = base + "/" + suffix. */
int mqtt_publish_sub(struct mqtt *m, const char *suffix, const char *payload, size_t len,
                     bool retain);
/* Marks a module's state as changed: it is published on the next poll. */
void mqtt_state_changed(struct mqtt *m, const char *module);
/* Runs a command line on the node in m's scratch arena (not reset here: the value stays valid
 * until the next command); ok (may be NULL) tells whether it succeeded. */
struct val *mqtt_call(struct mqtt *m, const char *line, bool *ok);
/* Adds the client's state ("connected", "buffered", "dropped", ...) to dict d. */
void mqtt_info(const struct mqtt *m, struct arena *a, struct val *d);

#endif
