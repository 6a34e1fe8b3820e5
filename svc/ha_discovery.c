/* ha_discovery.c - Home Assistant MQTT discovery from widget declarations (ha_discovery.h).
 *
 * Everything is derived from struct lm_func (name, params and their ranges, widget tag,
 * measures), so any module declared that way, built-in or not, gets entities without code of
 * its own. The light mapping reads channel values from the status reply: the status key of a
 * channel is its colour parameter's name in upper case (r -> R, cw -> CW), else the first
 * numeric key other than S (dimmer: X); S is the on/off state. */
#include "ha_discovery.h"

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "cfg.h"
#include "lm.h"
#include "mqtt.h"
#include "val.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HA_PREFIX     "homeassistant"
#define MIRED_COLD    153 /* 6500 K */
#define MIRED_WARM    500 /* 2000 K */
#define HA_OBJECT_MAX 96

struct ha_entry {
    char *topic;
    uint32_t hash;
    bool is_seen;
};

struct ha {
    struct ha_entry e[HA_ENTITIES_MAX];
    size_t n;
    bool is_full_logged;
};

/* What a module offers, found from its declarations. */
struct ha_light {
    const struct lm_func *toggle; /* toggle with a BUTTON */
    const struct lm_func *color;  /* COLOR: rgb */
    const struct lm_func *white;  /* WHITE: cold/warm white */
    const struct lm_func *slider; /* SLIDER: brightness-only light (dimmer) */
    double ch_max;                /* top of the channel range */
};

struct ha *ha_new(void)
{
    return calloc(1, sizeof(struct ha));
}

void ha_forget(struct ha *ha)
{
    if (!ha)
        return;
    for (size_t i = 0; i < ha->n; i++)
        free(ha->e[i].topic);
    ha->n = 0;
}

void ha_free(struct ha *ha)
{
    ha_forget(ha);
    free(ha);
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static bool widget_is(const struct lm_func *f, const char *tag)
{
    size_t n = strlen(tag);
    return f->widget && strncmp(f->widget, tag, n) == 0 &&
           (f->widget[n] == '\0' || f->widget[n] == '{' || f->widget[n] == ' ');
}

static bool is_toggle_name(const char *name)
{
    return strncmp(name, "toggle", 6) == 0;
}

/* Parses a range choice "a-b" or "a-b-s" (ints) into min/max/step. */
static bool parse_range(const char *choice, double *min, double *max, double *step)
{
    if (!choice)
        return false;
    long a, b, s = 1;
    int n = sscanf(choice, "%ld-%ld-%ld", &a, &b, &s);
    if (n < 2 || b <= a || s <= 0)
        return false;
    *min = (double)a;
    *max = (double)b;
    *step = (double)s;
    return true;
}

/* The first parameter with a range, or NULL. */
static const struct lm_param *range_param(const struct lm_func *f, double *min, double *max,
                                          double *step)
{
    for (const struct lm_param *p = f->params; p && p->name; p++)
        if (parse_range(p->choice, min, max, step))
            return p;
    return NULL;
}

static const struct lm_param *find_param(const struct lm_func *f, const char *name)
{
    for (const struct lm_param *p = f->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static bool find_light(const struct lm_module *mod, struct ha_light *l)
{
    memset(l, 0, sizeof *l);
    for (const struct lm_func *f = mod->funcs; f->name; f++) {
        if (strcmp(f->name, "toggle") == 0 && widget_is(f, "BUTTON"))
            l->toggle = f;
        else if (widget_is(f, "COLOR") && !l->color)
            l->color = f;
        else if (widget_is(f, "WHITE") && !l->white)
            l->white = f;
        else if (widget_is(f, "SLIDER") && !l->slider)
            l->slider = f;
    }
    if (!l->toggle || !(l->color || l->white || l->slider))
        return false;
    const struct lm_func *ch = l->color ? l->color : l->white ? l->white : l->slider;
    double mn, mx, st;
    l->ch_max = range_param(ch, &mn, &mx, &st) ? mx : 1000;
    return true;
}

static const struct lm_func *status_of(const struct lm_module *mod)
{
    for (const struct lm_func *f = mod->funcs; f->name; f++)
        if (widget_is(f, "STATUS"))
            return f;
    return NULL;
}

static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = isalnum((unsigned char)src[i]) || src[i] == '-' ? src[i] : '_';
    dst[i] = '\0';
}

/* --- publishing configs --- */

struct sync_ctx {
    struct mqtt *m;
    char node_id[64];
    const char *uid;
};

static cJSON *device_json(struct mqtt *m)
{
    const struct cfg *cfg = m->node->cfg;
    cJSON *d = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(d, "identifiers");
    cJSON_AddItemToArray(ids, cJSON_CreateString(cfg_get_str(cfg, CFG_K_hwuid)));
    cJSON_AddStringToObject(d, "name", m->devfid);
    cJSON_AddStringToObject(d, "sw_version", m->node->version ? m->node->version : "n/a");
    cJSON_AddStringToObject(d, "model", "micrOS-C node");
    cJSON_AddStringToObject(d, "manufacturer", "micrOS-C");
    const char *ip = cfg_get_str(cfg, CFG_K_devip);
    char url[160];
    int64_t port = cfg_get_int(cfg, CFG_K_webport);
    if (ip && strcmp(ip, "n/a") != 0 && ip[0])
        snprintf(url, sizeof url, "http://%s:%lld/", ip, (long long)port);
    else
        snprintf(url, sizeof url, "http://%s.local:%lld/", m->devfid, (long long)port);
    cJSON_AddStringToObject(d, "configuration_url", url);
    return d;
}

/* Common keys of every entity: name, ids, availability, device. */
static cJSON *entity(struct sync_ctx *s, const char *mod, const char *object, const char *name)
{
    char buf[MQTT_TOPIC_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    snprintf(buf, sizeof buf, "%s_%s_%s_%s", s->uid, s->node_id, mod, object);
    char uid[MQTT_TOPIC_MAX];
    sanitize(uid, sizeof uid, buf);
    cJSON_AddStringToObject(o, "unique_id", uid);
    snprintf(buf, sizeof buf, "%s_%s_%s", s->node_id, mod, object);
    sanitize(uid, sizeof uid, buf);
    cJSON_AddStringToObject(o, "object_id", uid);
    snprintf(buf, sizeof buf, "%s/availability", s->m->base);
    cJSON_AddStringToObject(o, "availability_topic", buf);
    cJSON_AddStringToObject(o, "payload_available", "online");
    cJSON_AddStringToObject(o, "payload_not_available", "offline");
    cJSON_AddItemToObject(o, "device", device_json(s->m));
    return o;
}

static void add_topic(cJSON *o, const char *key, struct mqtt *m, const char *fmt, const char *a,
                      const char *b)
{
    char buf[2 * MQTT_TOPIC_MAX], suffix[MQTT_TOPIC_MAX];
    snprintf(suffix, sizeof suffix, fmt, a, b);
    snprintf(buf, sizeof buf, "%s/%s", m->base, suffix);
    cJSON_AddStringToObject(o, key, buf);
}

/* Publishes one config (when new or changed) and marks it wanted. Takes o. */
static void offer(struct sync_ctx *s, const char *component, const char *mod, const char *object,
                  cJSON *o)
{
    struct ha *ha = s->m->ha;
    char obj[HA_OBJECT_MAX], topic[MQTT_TOPIC_MAX + 2 * HA_OBJECT_MAX];
    char raw[2 * HA_OBJECT_MAX];
    snprintf(raw, sizeof raw, "%s_%s", mod, object);
    sanitize(obj, sizeof obj, raw);
    snprintf(topic, sizeof topic, HA_PREFIX "/%s/%s/%s/config", component, s->node_id, obj);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!js)
        return;
    uint32_t h = fnv1a(js);
    struct ha_entry *e = NULL;
    for (size_t i = 0; i < ha->n && !e; i++)
        if (strcmp(ha->e[i].topic, topic) == 0)
            e = &ha->e[i];
    if (!e) {
        if (ha->n >= HA_ENTITIES_MAX) {
            if (!ha->is_full_logged)
                LOG_W("ha: more than %d entities: the rest are not announced", HA_ENTITIES_MAX);
            ha->is_full_logged = true;
            cJSON_free(js);
            return;
        }
        e = &ha->e[ha->n++];
        e->topic = str_dup(topic);
        if (!e->topic) {
            ha->n--;
            cJSON_free(js);
            return;
        }
        e->hash = h ^ 1u; /* force the first publication */
    }
    e->is_seen = true;
    if (e->hash != h && mqtt_publish(s->m, topic, js, strlen(js), true) == 0)
        e->hash = h;
    cJSON_free(js);
}

static void light_config(struct sync_ctx *s, const struct lm_module *mod, const struct ha_light *l)
{
    cJSON *o = entity(s, mod->name, "light", mod->name);
    cJSON_AddStringToObject(o, "schema", "json");
    add_topic(o, "command_topic", s->m, "ha/%s/%s/set", mod->name, "light");
    add_topic(o, "state_topic", s->m, "state/%s/%s", mod->name, "light");
    cJSON_AddTrueToObject(o, "brightness");
    cJSON *modes = cJSON_AddArrayToObject(o, "supported_color_modes");
    const char *mode = l->color ? "rgb" : l->white ? "color_temp" : "brightness";
    cJSON_AddItemToArray(modes, cJSON_CreateString(mode));
    if (l->white) {
        cJSON_AddNumberToObject(o, "min_mireds", MIRED_COLD);
        cJSON_AddNumberToObject(o, "max_mireds", MIRED_WARM);
    }
    offer(s, "light", mod->name, "light", o);
}

static void switch_config(struct sync_ctx *s, const struct lm_module *mod, const struct lm_func *f)
{
    char name[96];
    snprintf(name, sizeof name, "%s %s", mod->name, f->name);
    cJSON *o = entity(s, mod->name, f->name, name);
    add_topic(o, "command_topic", s->m, "ha/%s/%s/set", mod->name, f->name);
    add_topic(o, "state_topic", s->m, "state/%s/%s", mod->name, f->name);
    cJSON_AddStringToObject(o, "payload_on", "ON");
    cJSON_AddStringToObject(o, "payload_off", "OFF");
    cJSON_AddStringToObject(o, "state_on", "ON");
    cJSON_AddStringToObject(o, "state_off", "OFF");
    offer(s, "switch", mod->name, f->name, o);
}

static void button_config(struct sync_ctx *s, const struct lm_module *mod, const struct lm_func *f)
{
    char name[96];
    snprintf(name, sizeof name, "%s %s", mod->name, f->name);
    cJSON *o = entity(s, mod->name, f->name, name);
    add_topic(o, "command_topic", s->m, "ha/%s/%s/set", mod->name, f->name);
    cJSON_AddStringToObject(o, "payload_press", "PRESS");
    offer(s, "button", mod->name, f->name, o);
}

static void number_config(struct sync_ctx *s, const struct lm_module *mod, const struct lm_func *f)
{
    double mn, mx, st;
    if (!range_param(f, &mn, &mx, &st))
        return;
    char name[96];
    snprintf(name, sizeof name, "%s %s", mod->name, f->name);
    cJSON *o = entity(s, mod->name, f->name, name);
    add_topic(o, "command_topic", s->m, "ha/%s/%s/set", mod->name, f->name);
    cJSON_AddNumberToObject(o, "min", mn);
    cJSON_AddNumberToObject(o, "max", mx);
    cJSON_AddNumberToObject(o, "step", st);
    cJSON_AddStringToObject(o, "mode", "slider");
    cJSON_AddBoolToObject(o, "optimistic", true);
    offer(s, "number", mod->name, f->name, o);
}

/* A JSON-safe Jinja string literal for a dict key. */
static void key_template(char *out, size_t cap, const char *key)
{
    size_t n = (size_t)snprintf(out, cap, "{{ value_json['");
    for (const char *p = key; *p && n + 8 < cap; p++) {
        if (*p == '\'' || *p == '\\')
            out[n++] = '\\';
        out[n++] = *p;
    }
    snprintf(out + n, cap - n, "'] }}");
}

static void sensor_configs(struct sync_ctx *s, const struct lm_module *mod, const struct lm_func *f)
{
    int i = 0;
    for (const struct lm_measure *ms = f->measures; ms->key; ms++, i++) {
        char object[96], name[128], tmpl[256];
        snprintf(object, sizeof object, "%s_%d", f->name, i);
        const char *key = ms->key[0] ? ms->key : f->name;
        snprintf(name, sizeof name, "%s %s", mod->name, key);
        cJSON *o = entity(s, mod->name, object, name);
        add_topic(o, "state_topic", s->m, "state/%s%s", mod->name, "");
        key_template(tmpl, sizeof tmpl, key);
        cJSON_AddStringToObject(o, "value_template", tmpl);
        if (ms->device_class)
            cJSON_AddStringToObject(o, "device_class", ms->device_class);
        if (ms->unit)
            cJSON_AddStringToObject(o, "unit_of_measurement", ms->unit);
        cJSON_AddStringToObject(o, "state_class", "measurement");
        offer(s, "sensor", mod->name, object, o);
    }
}

static void module_configs(struct sync_ctx *s, const struct lm_module *mod)
{
    struct ha_light l;
    bool is_light = find_light(mod, &l);
    if (is_light)
        light_config(s, mod, &l);
    for (const struct lm_func *f = mod->funcs; f->name; f++) {
        if (f->measures)
            sensor_configs(s, mod, f);
        if (is_light && (f == l.toggle || f == l.color || f == l.white || f == l.slider))
            continue;
        if (widget_is(f, "BUTTON") && is_toggle_name(f->name) && !is_light)
            switch_config(s, mod, f);
        else if (widget_is(f, "BUTTON"))
            button_config(s, mod, f);
        else if (widget_is(f, "SLIDER") && !(is_light && strcmp(f->name, "brightness") == 0))
            number_config(s, mod, f);
    }
}

static bool exposed(const struct node *node, const struct lm_module *mod)
{
    return lm_is_loaded(node, mod) || strcmp(mod->name, "system") == 0;
}

static void init_ctx(struct sync_ctx *s, struct mqtt *m)
{
    s->m = m;
    sanitize(s->node_id, sizeof s->node_id, m->devfid);
    s->uid = cfg_get_str(m->node->cfg, CFG_K_hwuid);
}

void ha_sync(struct mqtt *m)
{
    struct ha *ha = m->ha;
    if (!ha || !cfg_get_bool(m->node->cfg, CFG_K_mqtt_ha))
        return;
    struct sync_ctx s;
    init_ctx(&s, m);
    for (size_t i = 0; i < ha->n; i++)
        ha->e[i].is_seen = false;
    for (size_t i = 0, n = lm_count(m->node); i < n; i++) {
        const struct lm_module *mod = lm_at(m->node, i);
        if (mod && exposed(m->node, mod))
            module_configs(&s, mod);
    }
    /* Configs no longer wanted: an empty retained payload removes the entity. */
    size_t w = 0;
    for (size_t i = 0; i < ha->n; i++) {
        if (ha->e[i].is_seen) {
            ha->e[w++] = ha->e[i];
            continue;
        }
        mqtt_publish(m, ha->e[i].topic, "", 0, true);
        free(ha->e[i].topic);
    }
    ha->n = w;
}

void ha_clear(struct mqtt *m)
{
    struct ha *ha = m->ha;
    if (!ha)
        return;
    for (size_t i = 0; i < ha->n; i++) {
        mqtt_publish(m, ha->e[i].topic, "", 0, true);
        free(ha->e[i].topic);
    }
    ha->n = 0;
}

/* --- states --- */

static bool num_of(const struct val *v, double *out)
{
    if (!v)
        return false;
    if (v->type == VAL_INT || v->type == VAL_BOOL) {
        *out = v->type == VAL_BOOL ? (double)v->u.b : (double)v->u.i;
        return true;
    }
    if (v->type == VAL_FLOAT) {
        *out = v->u.f;
        return true;
    }
    return false;
}

/* Channel i of a light from its status: key = upper-cased parameter name, else the i-th numeric
 * key other than S. */
static double channel(const struct val *st, const struct lm_func *f, int i)
{
    const struct lm_param *p = f->params;
    for (int k = 0; p && p->name && k < i; k++)
        p++;
    double v = 0;
    if (p && p->name) {
        char key[16];
        size_t n = 0;
        for (; p->name[n] && n + 1 < sizeof key; n++)
            key[n] = (char)toupper((unsigned char)p->name[n]);
        key[n] = '\0';
        if (num_of(val_dict_get(st, key), &v))
            return v;
    }
    int k = 0;
    for (const struct val *it = st->u.c.head; it; it = it->next) {
        if (!it->key || it->key->type != VAL_STR || strcmp(it->key->u.s.p, "S") == 0)
            continue;
        if (num_of(it, &v) && k++ == i)
            return v;
    }
    return 0;
}

static long clamp255(double v)
{
    long r = lround(v);
    return r < 0 ? 0 : r > 255 ? 255 : r;
}

static void light_state(struct mqtt *m, const struct lm_module *mod, const struct ha_light *l,
                        const struct val *st)
{
    double s = 0;
    num_of(val_dict_get(st, "S"), &s);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", s > 0 ? "ON" : "OFF");
    double mx = l->ch_max > 0 ? l->ch_max : 1000;
    if (l->color) {
        double c[3] = {channel(st, l->color, 0), channel(st, l->color, 1),
                       channel(st, l->color, 2)};
        double top = fmax(c[0], fmax(c[1], c[2]));
        cJSON_AddStringToObject(o, "color_mode", "rgb");
        cJSON_AddNumberToObject(o, "brightness", (double)clamp255(top / mx * 255.0));
        cJSON *col = cJSON_AddObjectToObject(o, "color");
        for (int i = 0; i < 3; i++)
            cJSON_AddNumberToObject(col,
                                    i == 0   ? "r"
                                    : i == 1 ? "g"
                                             : "b",
                                    (double)(top > 0 ? clamp255(c[i] / top * 255.0) : 255));
    } else if (l->white) {
        double cw = channel(st, l->white, 0), ww = channel(st, l->white, 1);
        double top = fmax(cw, ww);
        cJSON_AddStringToObject(o, "color_mode", "color_temp");
        cJSON_AddNumberToObject(o, "brightness", (double)clamp255(top / mx * 255.0));
        double warm = cw + ww > 0 ? ww / (cw + ww) : 0.5;
        cJSON_AddNumberToObject(o, "color_temp",
                                (double)lround(MIRED_COLD + warm * (MIRED_WARM - MIRED_COLD)));
    } else {
        cJSON_AddStringToObject(o, "color_mode", "brightness");
        cJSON_AddNumberToObject(o, "brightness",
                                (double)clamp255(channel(st, l->slider, 0) / mx * 255.0));
    }
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (js) {
        char suffix[MQTT_TOPIC_MAX];
        snprintf(suffix, sizeof suffix, "state/%s/light", mod->name);
        mqtt_publish_sub(m, suffix, js, strlen(js), true);
        cJSON_free(js);
    }
}

/* The on/off state of toggle function f: status lmf=<f> when the status function takes lmf,
 * else the status reply; S (or the only number) > 0 is ON. */
static int toggle_state(struct mqtt *m, const struct lm_module *mod, const struct lm_func *f,
                        const struct val *st)
{
    const struct lm_func *sf = status_of(mod);
    if (sf && find_param(sf, "lmf")) {
        char line[160];
        snprintf(line, sizeof line, "%s %s lmf=%s", mod->name, sf->name, f->name);
        st = mqtt_call(m, line, NULL);
    }
    double v;
    if (st && st->type == VAL_DICT && num_of(val_dict_get(st, "S"), &v))
        return v > 0;
    if (num_of(st, &v))
        return v > 0;
    return -1;
}

void ha_publish_states(struct mqtt *m, const struct lm_module *mod, const struct val *status,
                       struct arena *a)
{
    (void)a;
    if (!cfg_get_bool(m->node->cfg, CFG_K_mqtt_ha))
        return;
    struct ha_light l;
    bool is_light = find_light(mod, &l);
    if (is_light && status && status->type == VAL_DICT)
        light_state(m, mod, &l, status);
    if (is_light)
        return;
    for (const struct lm_func *f = mod->funcs; f->name; f++) {
        if (!widget_is(f, "BUTTON") || !is_toggle_name(f->name))
            continue;
        int on = toggle_state(m, mod, f, status);
        if (on < 0)
            continue;
        char suffix[MQTT_TOPIC_MAX];
        snprintf(suffix, sizeof suffix, "state/%s/%s", mod->name, f->name);
        mqtt_publish_sub(m, suffix, on ? "ON" : "OFF", on ? 2 : 3, true);
    }
}

/* --- commands --- */

static const struct lm_module *module_named(const struct node *node, const char *name, size_t n)
{
    const struct lm_module *mod = lm_find(node, (struct str){name, n});
    return mod && exposed(node, mod) ? mod : NULL;
}

static void run(struct mqtt *m, const char *line)
{
    bool ok = false;
    arena_reset(&m->arena);
    mqtt_call(m, line, &ok);
    if (!ok)
        LOG_W("ha: command failed: %s", line);
}

/* {"state": "ON"|"OFF", "brightness": 0-255, "color": {"r","g","b"}, "color_temp": mireds}. */
static void light_command(struct mqtt *m, const struct lm_module *mod, const struct ha_light *l,
                          const char *payload, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(payload, len);
    if (!cJSON_IsObject(root)) {
        LOG_W("ha: %s light: payload is not a JSON object", mod->name);
        cJSON_Delete(root);
        return;
    }
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const cJSON *bri = cJSON_GetObjectItemCaseSensitive(root, "brightness");
    const cJSON *col = cJSON_GetObjectItemCaseSensitive(root, "color");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(root, "color_temp");
    char line[256];
    double mx = l->ch_max > 0 ? l->ch_max : 1000;
    if (cJSON_IsString(state) && strcmp(state->valuestring, "OFF") == 0) {
        snprintf(line, sizeof line, "%s %s state=False", mod->name, l->toggle->name);
        run(m, line);
    } else if (!cJSON_IsNumber(bri) && !cJSON_IsObject(col) && !cJSON_IsNumber(ct)) {
        snprintf(line, sizeof line, "%s %s state=True", mod->name, l->toggle->name);
        run(m, line);
    } else {
        /* Start from the current colour so a brightness-only change keeps the hue. */
        const struct lm_func *sf = status_of(mod);
        arena_reset(&m->arena);
        char sl[128];
        snprintf(sl, sizeof sl, "%s %s", mod->name, sf ? sf->name : "status");
        const struct val *st = mqtt_call(m, sl, NULL);
        bool has_st = st && st->type == VAL_DICT;
        double b = cJSON_IsNumber(bri) ? bri->valuedouble : -1;
        if (b > 255)
            b = 255;
        if (l->color) {
            double c[3];
            double top = 0;
            for (int i = 0; i < 3; i++) {
                c[i] = has_st ? channel(st, l->color, i) : 0;
                top = fmax(top, c[i]);
            }
            if (cJSON_IsObject(col)) {
                const char *k[3] = {"r", "g", "b"};
                for (int i = 0; i < 3; i++) {
                    const cJSON *x = cJSON_GetObjectItemCaseSensitive(col, k[i]);
                    c[i] = cJSON_IsNumber(x) ? x->valuedouble : 0;
                }
                double ctop = fmax(c[0], fmax(c[1], c[2]));
                for (int i = 0; i < 3; i++)
                    c[i] = ctop > 0 ? c[i] / ctop : 0;
                if (b < 0)
                    b = top > 0 ? top / mx * 255.0 : 255;
            } else {
                for (int i = 0; i < 3; i++)
                    c[i] = top > 0 ? c[i] / top : 1;
            }
            if (b < 0)
                b = 255;
            const struct lm_param *p = l->color->params;
            snprintf(line, sizeof line, "%s %s %s=%ld %s=%ld %s=%ld", mod->name, l->color->name,
                     p[0].name, lround(c[0] * b / 255.0 * mx), p[1].name,
                     lround(c[1] * b / 255.0 * mx), p[2].name, lround(c[2] * b / 255.0 * mx));
        } else if (l->white) {
            double cw = has_st ? channel(st, l->white, 0) : 0;
            double ww = has_st ? channel(st, l->white, 1) : 0;
            double warm = cw + ww > 0 ? ww / (cw + ww) : 0.5;
            if (cJSON_IsNumber(ct))
                warm = (ct->valuedouble - MIRED_COLD) / (MIRED_WARM - MIRED_COLD);
            warm = warm < 0 ? 0 : warm > 1 ? 1 : warm;
            if (b < 0)
                b = fmax(cw, ww) > 0 ? fmax(cw, ww) / mx * 255.0 : 255;
            double level = b / 255.0 * mx;
            /* The brighter channel gets the level, the other its share. */
            double wcw = warm <= 0.5 ? 1 : (1 - warm) / warm;
            double www = warm >= 0.5 ? 1 : warm / (1 - warm);
            const struct lm_param *p = l->white->params;
            snprintf(line, sizeof line, "%s %s %s=%ld %s=%ld", mod->name, l->white->name, p[0].name,
                     lround(level * wcw), p[1].name, lround(level * www));
        } else {
            if (b < 0)
                b = 255;
            const struct lm_param *p = l->slider->params;
            snprintf(line, sizeof line, "%s %s %s=%ld", mod->name, l->slider->name, p[0].name,
                     lround(b / 255.0 * mx));
        }
        run(m, line);
    }
    cJSON_Delete(root);
}

bool ha_command(struct mqtt *m, const char *rest, const char *payload, size_t len)
{
    /* rest = "<module>/<object>/set" */
    const char *slash = strchr(rest, '/');
    if (!slash)
        return false;
    const struct lm_module *mod = module_named(m->node, rest, (size_t)(slash - rest));
    if (!mod)
        return false;
    const char *obj = slash + 1;
    const char *end = strchr(obj, '/');
    if (!end || strcmp(end, "/set") != 0)
        return false;
    size_t on = (size_t)(end - obj);
    char object[64];
    if (on == 0 || on >= sizeof object)
        return false;
    memcpy(object, obj, on);
    object[on] = '\0';
    char text[64] = "";
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text - 1 ? len : sizeof text - 1),
             payload);
    struct ha_light l;
    bool is_light = find_light(mod, &l);
    char line[256];
    if (is_light && strcmp(object, "light") == 0) {
        light_command(m, mod, &l, payload, len);
    } else {
        const struct lm_func *f = lm_func_find(mod, str_c(object));
        if (!f || !f->widget)
            return false;
        if (widget_is(f, "BUTTON") && is_toggle_name(f->name)) {
            bool want = strcmp(text, "ON") == 0;
            if (!want && strcmp(text, "OFF") != 0)
                return false;
            if (find_param(f, "state")) {
                snprintf(line, sizeof line, "%s %s state=%s", mod->name, f->name,
                         want ? "True" : "False");
                run(m, line);
            } else {
                arena_reset(&m->arena);
                int cur = toggle_state(m, mod, f, NULL);
                if (cur < 0) {
                    const struct lm_func *sf = status_of(mod);
                    snprintf(line, sizeof line, "%s %s", mod->name, sf ? sf->name : "status");
                    cur = toggle_state(m, mod, f, mqtt_call(m, line, NULL));
                }
                if (cur != (int)want) {
                    snprintf(line, sizeof line, "%s %s", mod->name, f->name);
                    run(m, line);
                }
            }
        } else if (widget_is(f, "BUTTON")) {
            snprintf(line, sizeof line, "%s %s", mod->name, f->name);
            run(m, line);
        } else if (widget_is(f, "SLIDER")) {
            double mn, mx, st;
            const struct lm_param *p = range_param(f, &mn, &mx, &st);
            char *endp = NULL;
            double v = strtod(text, &endp);
            if (!p || endp == text || !isfinite(v) || v < mn || v > mx)
                return false;
            snprintf(line, sizeof line, "%s %s %s=%g", mod->name, f->name, p->name, v);
            run(m, line);
        } else {
            return false;
        }
    }
    mqtt_state_changed(m, mod->name);
    return true;
}
