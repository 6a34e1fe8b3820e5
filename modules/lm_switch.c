/* lm_switch.c - Load Module `switch`: four digital outputs (micrOS LM_switch: pins
 * switch_1..switch_4, state in data/switch.cache, dashboard BUTTONs). */
#include "../core/err.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_gpio.h"
#include "../svc/lm.h"
#include "../svc/persist.h"
#include "../svc/pinmap.h"

#include <stdio.h>
#include <string.h>

#define NSW 4

static const char *const s_tags[NSW] = {"switch_1", "switch_2", "switch_3", "switch_4"};

static struct {
    struct node *node;
    int state[NSW];
    int pin[NSW]; /* -1 until bound */
} s_sw = {.pin = {-1, -1, -1, -1}};

static void cache_path(char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/switch.cache",
             s_sw.node && s_sw.node->data_dir ? s_sw.node->data_dir : ".");
}

static int save(void)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d,%d,%d,%d", s_sw.state[0], s_sw.state[1], s_sw.state[2],
             s_sw.state[3]);
    char path[512];
    cache_path(path, sizeof path);
    return persist_write(s_sw.node ? s_sw.node->persist : NULL, path, buf, strlen(buf));
}

/* Binds channel ch (0-based) as an output; err gets micrOS's text on failure. */
static int bind_out(int ch, char *err, size_t cap)
{
    if (s_sw.pin[ch] >= 0)
        return 0;
    int pin = pinmap_bind(s_tags[ch], -1, err, cap);
    if (pin < 0)
        return pin;
    int rc = hal_gpio_setup(pin, HAL_PIN_OUT);
    if (rc < 0) {
        pinmap_release(s_tags[ch]);
        snprintf(err, cap, "[io] %s:%d output: %s", s_tags[ch], pin, err_str(rc));
        return rc;
    }
    s_sw.pin[ch] = pin;
    return 0;
}

static int load_hook(struct node *node)
{
    s_sw.node = node;
    char path[512], buf[64], err[128];
    cache_path(path, sizeof path);
    int v[NSW];
    if (hal_fs_read(path, buf, sizeof buf) > 0 &&
        sscanf(buf, "%d,%d,%d,%d", &v[0], &v[1], &v[2], &v[3]) == NSW)
        for (int i = 0; i < NSW; i++)
            if (v[i] == 1 && bind_out(i, err, sizeof err) == 0 &&
                hal_gpio_write(s_sw.pin[i], 1) == 0)
                s_sw.state[i] = 1;
    return 0;
}

static int set_ch(struct lm_ctx *ctx, int ch, int state)
{
    char err[128];
    if (state != 0 && state != 1)
        return lm_ret_str(ctx, "[ERROR] switch input have to 0 or 1");
    if (bind_out(ch, err, sizeof err) < 0)
        return lm_error(ctx, "%s", err);
    int rc = hal_gpio_write(s_sw.pin[ch], state);
    if (rc < 0)
        return lm_error(ctx, "[io] %s write: %s", s_tags[ch], err_str(rc));
    s_sw.state[ch] = state;
    rc = save();
    if (rc < 0)
        return lm_error(ctx, "state set but not saved: data/switch.cache: %s (see system alarms)",
                        err_str(rc));
    if (ch == 0)
        return lm_ret_strf(ctx, "SET STATE: %d", state);
    return lm_ret_strf(ctx, "SET STATE(%d): %d", ch + 1, state);
}

/* The channel of a function name: set_state/toggle -> 0, set_state3/toggle3 -> 2. */
static int channel_of(const struct lm_ctx *ctx)
{
    const char *n = ctx->fn->name;
    char last = n[strlen(n) - 1];
    return last >= '2' && last <= '4' ? last - '1' : 0;
}

static int fn_set_state(struct lm_ctx *ctx)
{
    int ch = channel_of(ctx);
    int state = lm_is_none(ctx, "state") ? s_sw.state[ch] : (int)lm_int(ctx, "state");
    return set_ch(ctx, ch, state);
}

static int fn_toggle(struct lm_ctx *ctx)
{
    int ch = channel_of(ctx);
    return set_ch(ctx, ch, s_sw.state[ch] ? 0 : 1);
}

static int fn_load(struct lm_ctx *ctx)
{
    char err[128];
    struct val *chs = lm_arg(ctx, "ch_init");
    for (struct val *v = chs && (chs->type == VAL_LIST || chs->type == VAL_TUPLE) ? chs->u.c.head
                                                                                  : NULL;
         v; v = v->next) {
        if (v->type != VAL_INT || v->u.i < 1 || v->u.i > NSW)
            return lm_error(ctx, "ch_init items must be 1..4");
        int ch = (int)v->u.i - 1;
        if (bind_out(ch, err, sizeof err) < 0)
            return lm_error(ctx, "%s", err);
        hal_gpio_write(s_sw.pin[ch], s_sw.state[ch]);
    }
    bool cache = lm_is_none(ctx, "cache") || lm_bool(ctx, "cache");
    return lm_ret_strf(ctx, "CACHE: %s", cache ? "True" : "False");
}

static int fn_status(struct lm_ctx *ctx)
{
    const char *lmf = lm_str(ctx, "lmf");
    struct val *d = lm_ret_dict(ctx);
    if (!lmf) {
        for (int i = 0; i < NSW; i++) {
            char key[8];
            snprintf(key, sizeof key, "SW%d", i + 1);
            val_dict_set(ctx->arena, d, key, val_int(ctx->arena, s_sw.state[i]));
        }
        return 0;
    }
    size_t n = strlen(lmf);
    int ch = n && lmf[n - 1] >= '2' && lmf[n - 1] <= '4' ? lmf[n - 1] - '1' : 0;
    val_dict_set(ctx->arena, d, "S", val_int(ctx->arena, s_sw.state[ch]));
    return 0;
}

static int fn_pinmap(struct lm_ctx *ctx)
{
    return lm_ret(ctx, pinmap_search(ctx->arena, "switch_1 switch_2 switch_3 switch_4"));
}

#define STATE_PARAM LM_PARAMS({"state", LM_INT, "None", "0,1"})
static const struct lm_func s_funcs[] = {
    {.name = "set_state", .fn = fn_set_state, .params = STATE_PARAM},
    {.name = "toggle", .fn = fn_toggle, .widget = "BUTTON"},
    {.name = "set_state2", .fn = fn_set_state, .params = STATE_PARAM},
    {.name = "toggle2", .fn = fn_toggle, .widget = "BUTTON"},
    {.name = "set_state3", .fn = fn_set_state, .params = STATE_PARAM},
    {.name = "toggle3", .fn = fn_toggle, .widget = "BUTTON"},
    {.name = "set_state4", .fn = fn_set_state, .params = STATE_PARAM},
    {.name = "toggle4", .fn = fn_toggle, .widget = "BUTTON"},
    {.name = "load",
     .fn = fn_load,
     .params =
         LM_PARAMS({"cache", LM_BOOL, "None", NULL}, {"ch_init", LM_LIST, "[1,2,3,4]", NULL})},
    {.name = "status",
     .fn = fn_status,
     .params = LM_PARAMS({"lmf", LM_STR, "None", NULL}),
     .widget = "STATUS"},
    {.name = "pinmap", .fn = fn_pinmap},
    {.name = NULL},
};

const struct lm_module lm_switch = {.name = "switch", .funcs = s_funcs, .load = load_hook};
