/* hal_clients.c - the Cortex-M port's outbound HTTP(S) and MQTT clients: not there yet.
 *
 * This port has no network interface (hal_net.c), so there is nothing to carry a request or a
 * broker connection. A board with a TCP/IP stack brings its own behind hal/hal_httpc.h and
 * hal/hal_mqtt.h (esp_http_client and esp-mqtt on ESP-IDF); until then hal_httpc_init answers
 * ERR_NOTSUP (app/ logs it, and webhooks, Telegram and the rest module report it per call) and
 * hal_mqtt_new returns NULL (svc/mqtt logs "no MQTT client in this build"). */
#include "../../core/err.h"
#include "../../hal/hal_httpc.h"
#include "../../hal/hal_mqtt.h"

int hal_httpc_init(struct ev_loop *loop, size_t max_inflight)
{
    (void)loop;
    (void)max_inflight;
    return ERR_NOTSUP;
}

void hal_httpc_deinit(void) {}

int hal_httpc_request(const struct hal_httpc_req *req, hal_httpc_done_fn *cb, void *arg)
{
    (void)req;
    (void)cb;
    (void)arg;
    return ERR_NOTSUP;
}

void hal_httpc_cancel(int id)
{
    (void)id;
}

size_t hal_httpc_inflight(void)
{
    return 0;
}

void hal_httpc_set_base(const char *base)
{
    (void)base;
}

void hal_httpc_set_ca(const char *file)
{
    (void)file;
}

struct hal_mqtt *hal_mqtt_new(struct ev_loop *loop, const struct hal_mqtt_cbs *cbs, void *arg)
{
    (void)loop;
    (void)cbs;
    (void)arg;
    return NULL;
}

int hal_mqtt_connect(struct hal_mqtt *m, const struct hal_mqtt_opts *opts)
{
    (void)m;
    (void)opts;
    return ERR_NOTSUP;
}

int hal_mqtt_publish(struct hal_mqtt *m, const char *topic, const void *payload, size_t len,
                     int qos, bool retain, const struct hal_mqtt_props *props)
{
    (void)m;
    (void)topic;
    (void)payload;
    (void)len;
    (void)qos;
    (void)retain;
    (void)props;
    return ERR_NOTSUP;
}

int hal_mqtt_subscribe(struct hal_mqtt *m, const char *filter, int qos)
{
    (void)m;
    (void)filter;
    (void)qos;
    return ERR_NOTSUP;
}

void hal_mqtt_disconnect(struct hal_mqtt *m)
{
    (void)m;
}

size_t hal_mqtt_pending(const struct hal_mqtt *m)
{
    (void)m;
    return 0;
}

void hal_mqtt_free(struct hal_mqtt *m)
{
    (void)m;
}
