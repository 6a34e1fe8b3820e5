/* mqtt_mosq.c - hal_mqtt on libmosquitto, driven by the node's event loop.
 *
 * No library thread (mosquitto_loop_start is never called): the client's socket is one of the
 * loop's watchers (read always, write while mosquitto_want_write), readiness calls
 * mosquitto_loop_read/write, and a 1 s loop timer calls mosquitto_loop_misc (keep-alive) and
 * enforces the connect timeout. The host must be an IP literal (or "localhost", mapped to
 * 127.0.0.1) so mosquitto_connect_async never waits on DNS. Each connect attempt uses a fresh
 * library handle, so a retry can change the protocol version or the login. */
#include "../../hal/hal_mqtt.h"

#include "../../core/err.h"
#include "../../core/ev.h"
#include "../../core/log.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdlib.h>
#include <string.h>

#define MQTT_TICK_MS         1000
#define MQTT_CONNECT_TIMEOUT 10000 /* ms for TCP + TLS + CONNACK */

struct hal_mqtt {
    struct ev_loop *loop;
    struct hal_mqtt_cbs cbs;
    void *arg;
    struct mosquitto *mosq;
    int fd;         /* watched socket, -1 = none */
    unsigned watch; /* events watched on fd */
    struct ev_timer tick;
    uint64_t connect_deadline;
    bool is_connecting;
    bool is_up;
    bool is_v5;
    bool want_v311; /* the broker refused MQTT 5: use 3.1.1 */
};

static bool s_lib_ready;

static void unwatch(struct hal_mqtt *m)
{
    if (m->fd >= 0)
        ev_io_stop(m->loop, m->fd);
    m->fd = -1;
    m->watch = 0;
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *arg);

/* Keeps the watcher on the library's current socket with the events it needs. */
static void rewatch(struct hal_mqtt *m)
{
    if (!m->mosq) {
        unwatch(m);
        return;
    }
    int fd = mosquitto_socket(m->mosq);
    if (fd != m->fd)
        unwatch(m);
    if (fd < 0)
        return;
    unsigned ev = EV_READ | (mosquitto_want_write(m->mosq) ? EV_WRITE : 0u);
    if (m->fd < 0) {
        if (ev_io_start(m->loop, fd, ev, on_io, m) == 0) {
            m->fd = fd;
            m->watch = ev;
        }
    } else if (ev != m->watch) {
        ev_io_modify(m->loop, fd, ev);
        m->watch = ev;
    }
}

static int map_rc(int rc)
{
    switch (rc) {
    case MOSQ_ERR_SUCCESS: return 0;
    case MOSQ_ERR_NOMEM: return ERR_NOMEM;
    case MOSQ_ERR_NO_CONN:
    case MOSQ_ERR_CONN_LOST: return ERR_CLOSED;
    case MOSQ_ERR_CONN_REFUSED: return ERR_CONNREFUSED;
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_OVERSIZE_PACKET: return ERR_TOOBIG;
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_MALFORMED_UTF8: return ERR_INVAL;
    case MOSQ_ERR_AUTH: return ERR_PERM;
    default: return ERR_IO;
    }
}

/* The connection failed or dropped: report once, drop the socket from the loop. */
static void lost(struct hal_mqtt *m, int rc)
{
    unwatch(m);
    if (m->is_up) {
        m->is_up = false;
        if (m->cbs.on_disc)
            m->cbs.on_disc(m->arg, rc);
    } else if (m->is_connecting) {
        m->is_connecting = false;
        if (m->cbs.on_conn)
            m->cbs.on_conn(m->arg, rc, false);
    }
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    struct hal_mqtt *m = arg;
    int rc = MOSQ_ERR_SUCCESS;
    if (events & (EV_READ | EV_ERROR))
        rc = mosquitto_loop_read(m->mosq, 16);
    if (rc == MOSQ_ERR_SUCCESS && m->mosq && (events & EV_WRITE))
        rc = mosquitto_loop_write(m->mosq, 16);
    if (!m->mosq)
        return; /* freed by a callback */
    if (rc != MOSQ_ERR_SUCCESS) {
        lost(m, rc == MOSQ_ERR_CONN_LOST ? ERR_CLOSED : map_rc(rc));
        return;
    }
    rewatch(m);
}

static int64_t on_tick(struct ev_loop *loop, struct ev_timer *t)
{
    struct hal_mqtt *m = t->arg;
    if (!m->mosq)
        return EV_DONE;
    if (m->is_connecting && ev_now(loop) >= m->connect_deadline) {
        lost(m, ERR_TIMEOUT);
        return MQTT_TICK_MS;
    }
    if (m->is_up || m->is_connecting) {
        int rc = mosquitto_loop_misc(m->mosq);
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
            lost(m, map_rc(rc));
            return MQTT_TICK_MS;
        }
        if (rc == MOSQ_ERR_NO_CONN && m->is_up) {
            lost(m, ERR_CLOSED); /* keep-alive expired: the library closed the socket */
            return MQTT_TICK_MS;
        }
        rewatch(m);
    }
    return MQTT_TICK_MS;
}

static void cb_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)flags;
    (void)props;
    struct hal_mqtt *m = obj;
    if (!m->is_connecting)
        return;
    m->is_connecting = false;
    if (rc == 0) {
        m->is_up = true;
        if (m->cbs.on_conn)
            m->cbs.on_conn(m->arg, 0, m->is_v5);
        return;
    }
    /* MQTT 5 refused by a 3.1.1 broker: "unacceptable protocol version" (3.1.1 code 1 or the
     * MQTT 5 reason code 132). The next attempt speaks 3.1.1. */
    if (m->is_v5 && (rc == 1 || rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION))
        m->want_v311 = true;
    int err = ERR_CONNREFUSED;
    if (rc == 4 || rc == 5 || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
        rc == MQTT_RC_NOT_AUTHORIZED)
        err = ERR_PERM;
    unwatch(m);
    if (m->cbs.on_conn)
        m->cbs.on_conn(m->arg, err, false);
}

static void cb_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct hal_mqtt *m = obj;
    if (m->is_up)
        lost(m, rc == 0 ? 0 : ERR_CLOSED);
}

static void cb_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    struct hal_mqtt *m = obj;
    if (!m->cbs.on_msg)
        return;
    struct hal_mqtt_props p = {0};
    char *resp = NULL;
    void *corr = NULL;
    uint16_t corr_len = 0;
    if (props) {
        mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &resp, false);
        mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false);
    }
    p.response_topic = resp;
    p.corr = corr;
    p.corr_len = corr_len;
    m->cbs.on_msg(m->arg, msg->topic, msg->payload, (size_t)msg->payloadlen, &p);
    free(resp);
    free(corr);
}

struct hal_mqtt *hal_mqtt_new(struct ev_loop *loop, const struct hal_mqtt_cbs *cbs, void *arg)
{
    if (!s_lib_ready) {
        if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS)
            return NULL;
        s_lib_ready = true;
    }
    struct hal_mqtt *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->loop = loop;
    m->cbs = *cbs;
    m->arg = arg;
    m->fd = -1;
    m->tick.arg = m;
    return m;
}

static void drop_handle(struct hal_mqtt *m)
{
    unwatch(m);
    if (m->mosq) {
        mosquitto_destroy(m->mosq);
        m->mosq = NULL;
    }
    m->is_up = false;
    m->is_connecting = false;
}

int hal_mqtt_connect(struct hal_mqtt *m, const struct hal_mqtt_opts *o)
{
    if (!o->host || !o->client_id || !o->port)
        return ERR_INVAL;
    const char *host = strcmp(o->host, "localhost") == 0 ? "127.0.0.1" : o->host;
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
        return ERR_NOHOST;
    drop_handle(m);
    m->mosq = mosquitto_new(o->client_id, true, m);
    if (!m->mosq)
        return ERR_NOMEM;
    m->is_v5 = !m->want_v311;
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         m->is_v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_v5_callback_set(m->mosq, cb_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, cb_disconnect);
    mosquitto_message_v5_callback_set(m->mosq, cb_message);
    int rc = MOSQ_ERR_SUCCESS;
    if (o->user && o->user[0])
        rc = mosquitto_username_pw_set(m->mosq, o->user, o->pwd && o->pwd[0] ? o->pwd : NULL);
    if (rc == MOSQ_ERR_SUCCESS && o->will_topic)
        rc = mosquitto_will_set(m->mosq, o->will_topic, (int)strlen(o->will_payload),
                                o->will_payload, o->will_qos, o->will_retain);
    if (rc == MOSQ_ERR_SUCCESS && o->ca_file && o->ca_file[0])
        rc = mosquitto_tls_set(m->mosq, o->ca_file, NULL, NULL, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        drop_handle(m);
        return map_rc(rc);
    }
    rc = mosquitto_connect_async(m->mosq, host, o->port, o->keepalive_s ? o->keepalive_s : 30);
    m->is_connecting = true;
    m->connect_deadline = ev_now(m->loop) + MQTT_CONNECT_TIMEOUT;
    ev_timer_start(m->loop, &m->tick, MQTT_TICK_MS, on_tick);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) {
        /* Refused at once (nothing listening on loopback): reported from the loop like any
         * other failure, so the caller never sees a callback inside this call. */
        m->connect_deadline = ev_now(m->loop);
        ev_timer_start(m->loop, &m->tick, 0, on_tick);
        return 0;
    }
    rewatch(m);
    return 0;
}

int hal_mqtt_publish(struct hal_mqtt *m, const char *topic, const void *payload, size_t len,
                     int qos, bool retain, const struct hal_mqtt_props *p)
{
    if (!m->mosq || !m->is_up)
        return ERR_CLOSED;
    if (len > 256u * 1024u * 1024u)
        return ERR_TOOBIG;
    mosquitto_property *props = NULL;
    if (p && m->is_v5) {
        if (p->response_topic)
            mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, p->response_topic);
        if (p->corr && p->corr_len)
            mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, p->corr,
                                          (uint16_t)p->corr_len);
    }
    int rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int)len, payload, qos, retain, props);
    mosquitto_property_free_all(&props);
    if (rc == MOSQ_ERR_SUCCESS)
        rewatch(m);
    return map_rc(rc);
}

int hal_mqtt_subscribe(struct hal_mqtt *m, const char *filter, int qos)
{
    if (!m->mosq || !m->is_up)
        return ERR_CLOSED;
    int rc = mosquitto_subscribe(m->mosq, NULL, filter, qos);
    if (rc == MOSQ_ERR_SUCCESS)
        rewatch(m);
    return map_rc(rc);
}

void hal_mqtt_disconnect(struct hal_mqtt *m)
{
    if (!m || !m->mosq)
        return;
    if (m->is_up) {
        m->is_up = false; /* no on_disc for our own close */
        mosquitto_disconnect(m->mosq);
        /* Push the DISCONNECT out now: the socket is writable in practice. */
        mosquitto_loop_write(m->mosq, 1);
    }
    drop_handle(m);
    ev_timer_stop(m->loop, &m->tick);
}

size_t hal_mqtt_pending(const struct hal_mqtt *m)
{
    return m && m->mosq && mosquitto_want_write((struct mosquitto *)m->mosq) ? 1u : 0u;
}

void hal_mqtt_free(struct hal_mqtt *m)
{
    if (!m)
        return;
    hal_mqtt_disconnect(m);
    drop_handle(m);
    ev_timer_stop(m->loop, &m->tick);
    free(m);
}
