/* mqtt_none.c - hal_mqtt when the build has no libmosquitto: no client can be made. */
#include "../../hal/hal_mqtt.h"

#include "../../core/err.h"

#if !defined(MICROS_HAVE_MOSQUITTO) || !MICROS_HAVE_MOSQUITTO
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
#endif
