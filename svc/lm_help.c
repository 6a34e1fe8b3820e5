/* lm_help.c - help texts and widget JSON generated from module declarations (COMPAT §2.7, §9). */
#include "lm.h"

#include "../core/err.h"
#include "render.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The widget factories of micrOS's Types.py with their default extras. */
struct widget_kind {
    const char *tag;
    const char *type;
    int range[3]; /* default range; range[2] == 0: the widget has no range */
    bool has_options;
    const char *extras; /* further defaults as JSON members, in order */
};

static const struct widget_kind s_kinds[] = {
    /* BUTTON: result and options, see has_options */
    {.tag = "BUTTON", .type = "button", .has_options = true},
    {.tag = "SLIDER", .type = "slider", .range = {0, 100, 2}},
    {.tag = "TEXTBOX", .type = "textbox", .extras = "\"refresh\": 10000"},
    {.tag = "COLOR", .type = "color", .range = {0, 255, 2}},
    {.tag = "WHITE", .type = "white", .range = {0, 255, 2}},
    {.tag = "JOYSTICK", .type = "joystick", .range = {0, 100, 2}},
    {.tag = "STATUS", .type = "status", .extras = "\"wtype\": \"auto\""},
    {.tag = "GRAPH", .type = "graph", .extras = "\"refresh\": 3000, \"limit\": 30"},
    {.tag = "EMBED", .type = "embed", .extras = "\"image\": false, \"title\": null"},
};

static const struct widget_kind *find_kind(const char *tag, size_t len)
{
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (strlen(s_kinds[i].tag) == len && memcmp(s_kinds[i].tag, tag, len) == 0)
            return &s_kinds[i];
    return NULL;
}

static bool is_range(const char *choice)
{
    return choice && strchr(choice, '-') && !strchr(choice, ',');
}

int lm_help_entry(const struct lm_func *fn, struct buf *out)
{
    int rc = buf_puts(out, fn->name);
    for (const struct lm_param *p = fn->params; rc == 0 && p && p->name; p++) {
        if (p->choice)
            rc = buf_printf(out, " %s=<%s>", p->name, p->choice);
        else if (p->def)
            rc = buf_printf(out, " %s=%s", p->name, p->def);
        else
            rc = buf_printf(out, " %s", p->name);
    }
    return rc;
}

/* Parses "a-b" or "a-b-s" into r (s keeps its default when absent). */
static void parse_range(const char *choice, int r[3])
{
    char *end;
    r[0] = (int)strtol(choice, &end, 10);
    if (*end == '-')
        r[1] = (int)strtol(end + 1, &end, 10);
    if (*end == '-')
        r[2] = (int)strtol(end + 1, &end, 10);
}

/* Returns a cJSON array of the comma-separated options. */
static cJSON *options_array(const char *opts)
{
    cJSON *arr = cJSON_CreateArray();
    for (const char *p = opts; arr;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        cJSON_AddItemToArray(arr, cJSON_CreateString(item));
        if (!c)
            break;
        p = c + 1;
    }
    return arr;
}

/* Writes a cJSON value as JSON with micrOS's separators ", " and ": ". */
static int cjson_write(struct buf *out, const cJSON *v)
{
    if (cJSON_IsString(v))
        return render_json_string(out, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsBool(v))
        return buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNull(v))
        return buf_puts(out, "null");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d)
            return buf_printf(out, "%lld", (long long)d);
        return buf_printf(out, "%.17g", d);
    }
    bool is_obj = cJSON_IsObject(v);
    int rc = buf_putc(out, is_obj ? '{' : '[');
    for (const cJSON *m = v->child; rc == 0 && m; m = m->next) {
        if (m != v->child)
            rc = buf_puts(out, ", ");
        if (rc == 0 && is_obj) {
            rc = render_json_string(out, m->string, strlen(m->string));
            if (rc == 0)
                rc = buf_puts(out, ": ");
        }
        if (rc == 0)
            rc = cjson_write(out, m);
    }
    return rc ? rc : buf_putc(out, is_obj ? '}' : ']');
}

/* Sets key in obj, keeping the position of an existing member (micrOS's dict update). */
static void set_member(cJSON *obj, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    else
        cJSON_AddItemToObject(obj, key, v);
}

/* Builds the callback text: the function and its parameters, widget-controlled ones as
 * :range: / :options: placeholders; fills range and options from the first such params. */
static int widget_callback(const struct lm_func *fn, const struct widget_kind *k, struct buf *cb,
                           int range[3], const char **options)
{
    int rc = buf_printf(cb, "%s ", fn->name);
    bool has_range_param = false, first = true;
    for (const struct lm_param *p = fn->params; rc == 0 && p && p->name; p++) {
        const char *sep = first ? "" : " ";
        first = false;
        if (is_range(p->choice)) {
            if (!has_range_param)
                parse_range(p->choice, range);
            has_range_param = true;
            rc = buf_printf(cb, "%s%s=:range:", sep, p->name);
        } else if (p->choice) {
            if (!*options)
                *options = p->choice;
            rc = buf_printf(cb, "%s%s=:options:", sep, p->name);
        } else if (p->def) {
            rc = buf_printf(cb, "%s%s=%s", sep, p->name, p->def);
        } else {
            rc = buf_printf(cb, "%s%s=%s", sep, p->name, k->range[2] ? ":range:" : ":options:");
        }
    }
    return rc;
}

int lm_widget_json(const struct lm_func *fn, struct buf *out)
{
    if (!fn->widget)
        return ERR_NOENT;
    const char *brace = strchr(fn->widget, '{');
    size_t taglen = brace ? (size_t)(brace - fn->widget) : strlen(fn->widget);
    const struct widget_kind *k = find_kind(fn->widget, taglen);
    if (!k)
        return ERR_INVAL;

    int range[3] = {k->range[0], k->range[1], k->range[2]};
    const char *options = NULL;
    struct buf cb;
    buf_init(&cb, 1024);
    int rc = widget_callback(fn, k, &cb, range, &options);

    /* members in micrOS's order: type, callback, the kind's defaults, then overrides */
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "type", k->type);
    cJSON_AddStringToObject(w, "callback", buf_cstr(&cb));
    if (k->has_options) {
        cJSON_AddFalseToObject(w, "result");
        cJSON_AddItemToObject(w, "options", options_array(options ? options : "None"));
    }
    if (k->extras) {
        char tmp[160];
        snprintf(tmp, sizeof tmp, "{%s}", k->extras);
        cJSON *ex = cJSON_Parse(tmp);
        for (cJSON *m = ex ? ex->child : NULL; m; m = m->next)
            set_member(w, m->string, cJSON_Duplicate(m, true)); /* BUTTON has "result" already */
        cJSON_Delete(ex);
    }
    if (k->range[2])
        cJSON_AddItemToObject(w, "range", cJSON_CreateIntArray(range, 3));
    if (brace) {
        cJSON *over = cJSON_Parse(brace);
        if (!cJSON_IsObject(over))
            rc = ERR_INVAL;
        for (cJSON *m = over ? over->child : NULL; rc == 0 && m; m = m->next)
            set_member(w, m->string, cJSON_Duplicate(m, true));
        cJSON_Delete(over);
    }
    if (rc == 0)
        rc = cjson_write(out, w);
    cJSON_Delete(w);
    buf_free(&cb);
    return rc;
}

struct val *lm_help(const struct lm_module *mod, bool widgets, struct arena *a)
{
    struct val *t = val_tuple(a);
    struct buf b;
    buf_init(&b, 4096);
    for (const struct lm_func *f = mod->funcs; t && f->name; f++) {
        buf_clear(&b);
        if (widgets) {
            if (!f->widget || lm_widget_json(f, &b) < 0)
                continue;
        } else if (lm_help_entry(f, &b) < 0) {
            continue;
        }
        if (!val_append(t, val_strn(a, buf_cstr(&b), b.len)))
            t = NULL;
    }
    buf_free(&b);
    return t;
}

const char *lm_help_sudo(const struct lm_module *mod, struct arena *a)
{
    struct buf b;
    buf_init(&b, 256);
    int rc = 0;
    size_t n = 0;
    for (const struct lm_func *f = mod->funcs; rc == 0 && f->name; f++) {
        const char *when = NULL; /* NULL: always */
        if (f->flags & LM_SUDO_FORCE)
            when = "force";
        else if (f->flags & LM_SUDO_IF_FIRST)
            when = f->params && f->params[0].name ? f->params[0].name : NULL;
        else if (!(f->flags & LM_SUDO))
            continue;
        rc = buf_puts(&b, n++ ? ", " : ", \"sudo\": {");
        if (rc == 0)
            rc = render_json_string(&b, f->name, strlen(f->name));
        if (rc == 0)
            rc = buf_puts(&b, ": ");
        if (rc == 0)
            rc = when ? render_json_string(&b, when, strlen(when)) : buf_puts(&b, "true");
    }
    if (rc == 0 && n)
        rc = buf_puts(&b, "}");
    const char *s = rc == 0 && n ? arena_strndup(a, buf_cstr(&b), b.len) : NULL;
    buf_free(&b);
    return s;
}
