/* hal_mqtt.h - one MQTT client connection, driven by the event loop.
 *
 * The port owns the protocol (libmosquitto on Linux); svc/mqtt owns the policy (topics,
 * reconnect back-off, offline buffer). Nothing here blocks: connect starts a non-blocking
 * connect and reports the outcome through on_conn; the socket lives in the loop's watcher set
 * and a loop timer does the keep-alive. The broker's host must be an IP literal or "localhost"
 * (no DNS lookup on the loop; ERR_NOHOST otherwise).
 *
 * MQTT 5 is tried first; a broker that refuses it gets MQTT 3.1.1 on the next attempt (on_conn
 * says which is in use). Properties (response topic, correlation data) travel only on 5. */
#ifndef HAL_MQTT_H
#define HAL_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct hal_mqtt;

struct hal_mqtt_opts {
    const char *host; /* IP literal or "localhost" */
    uint16_t port;
    const char *client_id;
    const char *user;    /* NULL = no login */
    const char *pwd;     /* NULL = none */
    const char *ca_file; /* NULL = plain TCP, else TLS verified against this CA file */
    uint16_t keepalive_s;
    const char *will_topic; /* NULL = no last will */
    const char *will_payload;
    bool will_retain;
    int will_qos;
};

/* MQTT 5 request/response properties of a message (NULL/0 when absent). */
struct hal_mqtt_props {
    const char *response_topic;
    const void *corr;
    size_t corr_len;
};

struct hal_mqtt_cbs {
    /* Connect attempt finished: rc 0 = connected (is_v5: MQTT 5 in use), else ERR_PERM
     * (refused: bad login), ERR_CONNREFUSED, ERR_IO ... */
    void (*on_conn)(void *arg, int rc, bool is_v5);
    /* An established connection was lost (rc ERR_CLOSED / ERR_IO) or closed by us (rc 0). */
    void (*on_disc)(void *arg, int rc);
    /* A message arrived on a subscribed topic. */
    void (*on_msg)(void *arg, const char *topic, const void *payload, size_t len,
                   const struct hal_mqtt_props *props);
};

/* Creates a client on loop. Returns NULL when out of memory or without MQTT support. */
struct hal_mqtt *hal_mqtt_new(struct ev_loop *loop, const struct hal_mqtt_cbs *cbs, void *arg);
/* Starts a non-blocking connect with opts (copied). Returns 0 (outcome via on_conn later),
 * ERR_NOHOST (not an IP literal), ERR_INVAL, ERR_IO. */
int hal_mqtt_connect(struct hal_mqtt *m, const struct hal_mqtt_opts *opts);
/* Publishes one message; props may be NULL. Returns 0, ERR_CLOSED (not connected), ERR_TOOBIG,
 * ERR_NOMEM, ERR_IO. */
int hal_mqtt_publish(struct hal_mqtt *m, const char *topic, const void *payload, size_t len,
                     int qos, bool retain, const struct hal_mqtt_props *props);
/* Subscribes to a topic filter. Returns 0 or ERR_*. */
int hal_mqtt_subscribe(struct hal_mqtt *m, const char *filter, int qos);
/* Closes the connection cleanly (the broker does not send the last will); no on_disc. */
void hal_mqtt_disconnect(struct hal_mqtt *m);
/* Messages handed to the library and not yet written to the socket. */
size_t hal_mqtt_pending(const struct hal_mqtt *m);
/* Disconnects and frees m (NULL is fine). */
void hal_mqtt_free(struct hal_mqtt *m);

#endif
