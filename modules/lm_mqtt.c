/* lm_mqtt.c - the Load Module `mqtt`: the broker connection's state and a publish helper
 * (docs/mqtt.md). The client itself is a node service (svc/mqtt.c), configured by the mqtt*
 * keys; this module only looks at it. */
#include "../core/err.h"
#include "../svc/lm.h"
#include "../svc/mqtt.h"
#include "../svc/val.h"

#include <string.h>

/* mqtt status: {'enabled', 'connected', 'protocol', 'base', 'buffered', 'dropped', ...}. */
static int fn_status(struct lm_ctx *ctx)
{
    struct val *d = lm_ret_dict(ctx);
    mqtt_info(ctx->node->mqtt, ctx->arena, d);
    return 0;
}

/* mqtt publish "sub/topic" "payload" retain=False: under <prefix>/<devfid>/. */
static int fn_publish(struct lm_ctx *ctx)
{
    const char *topic = lm_str(ctx, "topic");
    const char *msg = lm_str(ctx, "msg");
    if (!topic || !topic[0] || strpbrk(topic, "+#"))
        return lm_error(ctx, "topic must be a plain sub-topic (no + or #)");
    int rc = mqtt_publish_sub(ctx->node->mqtt, topic, msg ? msg : "", msg ? strlen(msg) : 0,
                              lm_bool(ctx, "retain"));
    if (rc == ERR_NOTSUP)
        return lm_ret_str(ctx, "MQTT is off (conf: mqtt True)");
    if (rc < 0)
        return lm_error(ctx, "%s", err_str(rc));
    return lm_ret_str(ctx, ctx->node->mqtt->is_up ? "Published" : "Buffered (offline)");
}

static const struct lm_func s_funcs[] = {
    {.name = "status", .fn = fn_status},
    {.name = "publish",
     .fn = fn_publish,
     .params = LM_PARAMS({"topic", LM_STR, NULL, NULL}, {"msg", LM_STR, "''", NULL},
                         {"retain", LM_BOOL, "False", NULL})},
    {.name = NULL},
};

const struct lm_module lm_mqtt = {.name = "mqtt", .funcs = s_funcs};
