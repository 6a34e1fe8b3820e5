/* lm_telegram.c - the Load Module `telegram` (COMPAT §10.2): a Telegram bot that is a Notify
 * channel and takes commands from its chats.
 *
 *   telegram load token=None   keeps the token in config/telegram.token (None: reads it back),
 *                              joins Notify as "Telegram" and sets the bot's command list
 *   telegram send "text"       sends "<devfid>⚙️\n<text>" to every known chat
 *   telegram receive           the last message seen ({'sender', 'text', 'm_id', 'c_id'}) and
 *                              a fresh poll
 *   telegram receiver_loop period=3
 *                              native task telegram.server_bot polling getUpdates: /ping,
 *                              /cmd <mod> <fn> ..., /cmd_select <devfid> <mod> ..., /notify on|off
 *
 * Differences from micrOS, because nothing may block: every call to the Bot API goes through
 * the notify HTTP queue (hal_httpc, NOTIFY_TIMEOUT_MS, NOTIFY_QUEUE_MAX posts); load and send
 * answer when the request is queued, not when Telegram answered. Chat ids are learnt from
 * getUpdates and cached in data/telegram.cache (at most 4, as micrOS). The API base is
 * https://api.telegram.org; tests redirect it with the httpc_base key. */
#include "../core/err.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_httpc.h"
#include "../hal/hal_time.h"
#include "../svc/cfg.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/notify.h"
#include "../svc/syslog.h"
#include "../svc/task.h"
#include "../svc/val.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TG_API      "https://api.telegram.org/bot"
#define TG_CHATS    4
#define TG_TOKEN    128
#define TG_PENDING  4 /* notifications waiting for the first chat id */
#define TG_TASK_TAG "telegram.server_bot"
#define TG_OUT_MAX  3500 /* a Telegram message holds 4096 characters */

enum tg_call { TG_SEND = 1, TG_UPDATES, TG_COMMANDS, TG_POLL };

static struct {
    struct node *node;
    char token[TG_TOKEN];
    int64_t chats[TG_CHATS];
    size_t nchats;
    struct notify_httpq q;
    bool is_ready; /* token loaded */
    /* last message seen */
    int64_t last_mid, last_cid, handled_mid;
    char last_text[512], last_sender[64];
    /* notifications waiting for a chat id */
    char *pending[TG_PENDING];
    size_t npending;
    /* the bot task */
    int task_id;
    bool is_bot;
    uint32_t period_ms;
    struct ev_timer poll;
    char task_out[256];
} T = {.task_id = -1};

static const char *token_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/config/telegram.token", T.node->data_dir);
    return buf;
}

static const char *cache_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/data/telegram.cache", T.node->data_dir);
    return buf;
}

static void url_of(const char *method, char *buf, size_t cap)
{
    snprintf(buf, cap, TG_API "%s/%s", T.token, method);
}

static void cache_restore(void)
{
    char path[600], text[256];
    long n = hal_fs_read(cache_path(path, sizeof path), text, sizeof text - 1);
    if (n <= 0)
        return;
    text[n] = '\0';
    T.nchats = 0;
    for (char *p = text; *p && T.nchats < TG_CHATS;) {
        char *end;
        long long id = strtoll(p, &end, 10);
        if (end == p)
            break;
        T.chats[T.nchats++] = id;
        p = *end == ',' ? end + 1 : end;
    }
}

static void cache_save(void)
{
    char path[600], text[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < T.nchats; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%lld", i ? "," : "",
                                 (long long)T.chats[i]);
    hal_fs_write_atomic(cache_path(path, sizeof path), text, used);
}

static void learn_chat(int64_t cid)
{
    for (size_t i = 0; i < T.nchats; i++)
        if (T.chats[i] == cid)
            return;
    if (T.nchats >= TG_CHATS)
        return;
    T.chats[T.nchats++] = cid;
    cache_save();
}

/* Queues sendMessage to one chat (reply_to > 0: as a reply). */
static int send_to(int64_t chat, const char *text, int64_t reply_to)
{
    char body_text[TG_OUT_MAX + 128];
    snprintf(body_text, sizeof body_text, "%s\xE2\x9A\x99\xEF\xB8\x8F\n%s",
             cfg_get_str(T.node->cfg, CFG_K_devfid), text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "chat_id", (double)chat);
    cJSON_AddStringToObject(o, "text", body_text);
    if (reply_to > 0)
        cJSON_AddNumberToObject(o, "reply_to_message_id", (double)reply_to);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!js)
        return ERR_NOMEM;
    char url[256];
    url_of("sendMessage", url, sizeof url);
    int rc = notify_httpq_post(&T.q, url, js, (void *)(intptr_t)TG_SEND);
    cJSON_free(js);
    return rc;
}

static int ask_updates(enum tg_call why)
{
    char url[256];
    url_of("getUpdates", url, sizeof url);
    return notify_httpq_post(&T.q, url, "{\"offset\": -1, \"limit\": 1, \"timeout\": 0}",
                             (void *)(intptr_t)why);
}

/* Sends text to every known chat; without any, keeps it until getUpdates finds one. */
static int send_all(const char *text)
{
    if (!T.is_ready)
        return ERR_NOTSUP;
    if (T.nchats == 0) {
        if (T.npending >= TG_PENDING)
            return ERR_FULL;
        T.pending[T.npending] = str_dup(text);
        if (!T.pending[T.npending])
            return ERR_NOMEM;
        T.npending++;
        return ask_updates(TG_UPDATES);
    }
    int rc = 0;
    for (size_t i = 0; i < T.nchats; i++) {
        int r = send_to(T.chats[i], text, 0);
        if (r < 0)
            rc = r;
    }
    return rc;
}

static void flush_pending(void)
{
    for (size_t i = 0; i < T.npending; i++) {
        if (T.nchats)
            send_all(T.pending[i]);
        free(T.pending[i]);
        T.pending[i] = NULL;
    }
    T.npending = 0;
}

/* --- the command receiver --- */

static bool module_loaded(const char *name, size_t n)
{
    const struct lm_module *mod = lm_find(T.node, (struct str){name, n});
    return mod && lm_is_loaded(T.node, mod);
}

static void timestamp(char *buf, size_t cap)
{
    int64_t s = hal_wall_s();
    s += cfg_get_int(T.node->cfg, CFG_K_utc) * 60;
    long d = (long)(s % 86400);
    if (d < 0)
        d += 86400;
    snprintf(buf, cap, "%ld:%ld:%ld", d / 3600, d / 60 % 60, d % 60);
}

static void task_text(const char *fmt, const char *a, const char *b)
{
    char ts[16];
    timestamp(ts, sizeof ts);
    char text[200];
    snprintf(text, sizeof text, fmt, a, b);
    snprintf(T.task_out, sizeof T.task_out, "%s %s (%us)", ts, text,
             (unsigned)(T.period_ms / 1000));
    if (T.node->tasks && T.task_id >= 0)
        task_native_set_output(T.node->tasks, T.task_id, T.task_out, strlen(T.task_out));
}

/* Runs "<mod> <fn> ..." when mod is loaded, replying to the chat with its output. */
static void run_cmd(const char *line, int64_t chat, int64_t mid)
{
    struct str rest = str_c(line);
    struct str mod = str_next_word(&rest);
    char modname[64];
    str_copy(modname, sizeof modname, mod);
    if (!mod.len || !module_loaded(mod.p, mod.len)) {
        task_text("[UP][NOK] NoAccess: %s%s", modname, "");
        return;
    }
    char mem[16 * 1024];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct exec_result res;
    struct node_caller who; /* chats share one pwd= back-off */
    exec_caller_set(&who, "telegram", "telegram");
    exec_run_as(T.node, str_c(line), EXEC_SHELL, &who, &a, &res);
    struct buf out;
    buf_init(&out, TG_OUT_MAX);
    exec_render_text(&res, &out);
    send_to(chat, buf_cstr(&out), mid);
    buf_free(&out);
    task_text("[UP][%s] Exec: %s", res.ok ? "OK" : "NOK", line);
}

static void handle_message(const char *text, int64_t chat, int64_t mid)
{
    /* Typographic quotes from phone keyboards become plain ones. */
    char msg[512];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof msg;) {
        if (!strncmp(p, "\xE2\x80\x98", 3) || !strncmp(p, "\xE2\x80\x99", 3)) {
            msg[n++] = '\'';
            p += 3;
        } else if (!strncmp(p, "\xE2\x80\x9C", 3) || !strncmp(p, "\xE2\x80\x9D", 3)) {
            msg[n++] = '"';
            p += 3;
        } else {
            msg[n++] = *p++;
        }
    }
    msg[n] = '\0';
    if (strncmp(msg, "/ping", 5) == 0) {
        char list[512] = "";
        size_t used = 0;
        struct node *node = T.node;
        for (size_t i = 0, nm = lm_count(node); i < nm && used < sizeof list; i++) {
            const struct lm_module *mod = lm_at(node, i);
            if (mod && lm_is_loaded(node, mod))
                used += (size_t)snprintf(list + used, sizeof list - used, "%s, ", mod->name);
        }
        snprintf(list + used, sizeof list - used, "task");
        send_to(chat, list, mid);
        task_text("[UP] Ping%s%s", "", "");
    } else if (strncmp(msg, "/cmd_select", 11) == 0) {
        struct str rest = str_c(msg + 11);
        struct str dev = str_next_word(&rest);
        char devname[64];
        str_copy(devname, sizeof devname, dev);
        if (dev.len && strstr(cfg_get_str(T.node->cfg, CFG_K_devfid), devname)) {
            char line[512];
            str_copy(line, sizeof line, str_trim(rest));
            run_cmd(line, chat, mid);
        } else {
            task_text("[UP] NoSelected: %s%s", devname, "");
        }
    } else if (strncmp(msg, "/cmd", 4) == 0) {
        char line[512];
        str_copy(line, sizeof line, str_trim(str_c(msg + 4)));
        run_cmd(line, chat, mid);
    } else if (strncmp(msg, "/notify", 7) == 0) {
        struct str rest = str_c(msg + 7);
        struct str p = str_next_word(&rest);
        char verdict[256] = "Notifications unavailable";
        enum node_notify_op op = NODE_NOTIFY_QUERY;
        if (p.len)
            op = str_eqc(p, "off") || str_eqc(p, "disable") || str_eqc(p, "false") ||
                         str_eqc(p, "Off") || str_eqc(p, "False")
                     ? NODE_NOTIFY_OFF
                     : NODE_NOTIFY_ON;
        if (T.node->notify)
            T.node->notify(T.node, op, NULL, verdict, sizeof verdict);
        send_to(chat, verdict, mid);
        task_text("%s%s", verdict, "");
    }
}

/* getUpdates reply: remember the last message and its chat; with the bot on, act on it. */
static void on_updates(const struct hal_httpc_reply *r, bool act)
{
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *res = root ? cJSON_GetObjectItemCaseSensitive(root, "result") : NULL;
    int n = cJSON_IsArray(res) ? cJSON_GetArraySize(res) : 0;
    if (n > 0) {
        const cJSON *msg =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, n - 1), "message");
        const cJSON *chat = cJSON_GetObjectItemCaseSensitive(msg, "chat");
        const cJSON *cid = cJSON_GetObjectItemCaseSensitive(chat, "id");
        const cJSON *mid = cJSON_GetObjectItemCaseSensitive(msg, "message_id");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(msg, "text");
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(chat, "username");
        if (cJSON_IsNumber(cid) && cJSON_IsNumber(mid)) {
            T.last_cid = (int64_t)cid->valuedouble;
            T.last_mid = (int64_t)mid->valuedouble;
            snprintf(T.last_text, sizeof T.last_text, "%s",
                     cJSON_IsString(text) ? text->valuestring : "");
            snprintf(T.last_sender, sizeof T.last_sender, "%s",
                     cJSON_IsString(user) ? user->valuestring : "");
            learn_chat(T.last_cid);
            if (act && T.last_mid != T.handled_mid && cJSON_IsString(text)) {
                T.handled_mid = T.last_mid;
                handle_message(text->valuestring, T.last_cid, T.last_mid);
            } else if (act) {
                task_text("[UP] NoExec%s%s", "", "");
            }
        }
    } else if (act) {
        task_text("[UP] NoExec%s%s", "", "");
    }
    cJSON_Delete(root);
    flush_pending();
}

static void on_reply(void *arg, void *tag, const struct hal_httpc_reply *r)
{
    (void)arg;
    enum tg_call call = (enum tg_call)(intptr_t)tag;
    bool ok = r->err == 0 && r->status == 200;
    if (!ok) {
        if (call == TG_POLL)
            task_text("[DOWN] %s%s", r->err < 0 ? err_str(r->err) : "HTTP error", "");
        if (call == TG_UPDATES) {
            for (size_t i = 0; i < T.npending; i++)
                free(T.pending[i]);
            T.npending = 0;
        }
        return;
    }
    if (call == TG_UPDATES || call == TG_POLL)
        on_updates(r, call == TG_POLL);
}

static int64_t on_poll(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    if (!T.is_bot)
        return EV_DONE;
    /* One poll at a time: a slow API never piles requests up. */
    if (T.q.n == 0)
        ask_updates(TG_POLL);
    return T.period_ms;
}

static void bot_show(void *arg, struct buf *out)
{
    (void)arg;
    buf_puts(out, T.task_out);
}

static void bot_kill(void *arg)
{
    (void)arg;
    T.is_bot = false;
    T.task_id = -1;
    ev_timer_stop(T.node->loop, &T.poll);
}

/* --- Notify channel --- */

static bool channel_ready(void *arg)
{
    (void)arg;
    return T.is_ready;
}

static int channel_send(void *arg, const char *text)
{
    (void)arg;
    return send_all(text);
}

/* --- functions --- */

static int tg_load(struct node *node)
{
    T.node = node;
    notify_httpq_init(&T.q, node, "Telegram");
    T.q.on_reply = on_reply;
    return 0;
}

static int join_notify(void)
{
    cache_restore();
    T.is_ready = true;
    struct notify *nt = T.node->notify_arg;
    if (nt) {
        struct notify_channel ch = {.name = "Telegram",
                                    .key = CFG_K_notify_telegram,
                                    .is_ready = channel_ready,
                                    .send = channel_send};
        notify_add_channel(nt, &ch);
    }
    return 0;
}

static int fn_load(struct lm_ctx *ctx)
{
    const char *token = lm_str(ctx, "token");
    char path[600];
    token_path(path, sizeof path);
    if (token) {
        if (!token[0] || strlen(token) >= sizeof T.token || strpbrk(token, "/?#\r\n \t"))
            return lm_error(ctx, "bad bot token");
        if (hal_fs_write_atomic(path, token, strlen(token)) < 0)
            syslog_write(ctx->node->log, "[ERR] Telegram: cannot save %s", path);
        snprintf(T.token, sizeof T.token, "%s", token);
    } else if (!T.token[0]) {
        char buf[TG_TOKEN];
        long n = hal_fs_read(path, buf, sizeof buf - 1);
        if (n <= 0) {
            syslog_write(ctx->node->log, "[ERR] Telegram: cannot load %s", path);
            return lm_error(ctx, "Telegram: cannot load %s", path);
        }
        buf[n] = '\0';
        str_copy(T.token, sizeof T.token, str_trim(str_c(buf)));
    }
    join_notify();
    static const char commands[] =
        "{\"commands\": [{\"command\": \"ping\", \"description\": \"List the active modules\"}, "
        "{\"command\": \"notify\", \"description\": \"Notifications on or off\"}, "
        "{\"command\": \"cmd\", \"description\": \"Run a loaded module's function on all "
        "nodes\"}, {\"command\": \"cmd_select\", \"description\": \"Like cmd, on the named "
        "node only\"}]}";
    char url[256];
    url_of("setMyCommands", url, sizeof url);
    int rc = notify_httpq_post(&T.q, url, commands, (void *)(intptr_t)TG_COMMANDS);
    return lm_ret_str(ctx, rc == 0 ? "Custom commands queued" : err_str(rc));
}

static int fn_send(struct lm_ctx *ctx)
{
    if (!T.is_ready)
        return lm_ret_str(ctx, "Missing telegram bot token");
    size_t chats = T.nchats;
    int rc = send_all(lm_str(ctx, "text") ? lm_str(ctx, "text") : "");
    if (rc < 0)
        return lm_ret_strf(ctx, "Send failed: %s", err_str(rc));
    if (chats == 0)
        return lm_ret_str(ctx, "Queued: waiting for a chat id (getUpdates)");
    return lm_ret_strf(ctx, "Queued for %zu chat(s)", chats);
}

static int fn_receive(struct lm_ctx *ctx)
{
    if (!T.is_ready)
        return lm_ret_str(ctx, "Missing telegram bot token");
    ask_updates(TG_UPDATES);
    struct val *d = lm_ret_dict(ctx);
    struct arena *a = ctx->arena;
    bool seen = T.last_mid > 0;
    val_dict_set(a, d, "sender", seen ? val_str(a, T.last_sender) : val_none(a));
    val_dict_set(a, d, "text", seen ? val_str(a, T.last_text) : val_none(a));
    val_dict_set(a, d, "m_id", val_int(a, seen ? T.last_mid : -1));
    val_dict_set(a, d, "c_id", seen ? val_int(a, T.last_cid) : val_none(a));
    return 0;
}

static int fn_receiver_loop(struct lm_ctx *ctx)
{
    if (!T.is_ready)
        return lm_ret_str(ctx, "Network unavailable or Telegram uninitialized");
    if (!ctx->node->tasks)
        return lm_error(ctx, "no task manager");
    int64_t period = lm_int(ctx, "period");
    T.period_ms = (uint32_t)(period > 0 ? (period > 3600 ? 3600 : period) : 1) * 1000u;
    int id = task_native_add(ctx->node->tasks, TG_TASK_TAG, bot_show, bot_kill, NULL);
    if (id >= 0) {
        T.task_id = id;
        T.is_bot = true;
        T.poll.arg = NULL;
        task_text("[UP] Running%s%s", "", "");
        ev_timer_start(ctx->node->loop, &T.poll, 0, on_poll);
    }
    if (id >= 0) {
        struct val *d = lm_ret_dict(ctx);
        val_dict_set(ctx->arena, d, TG_TASK_TAG, val_str(ctx->arena, "Starting"));
        return 0;
    }
    return lm_ret_str(ctx, id == ERR_EXIST ? "Already running" : "[aio] Task queue full");
}

static const struct lm_func s_funcs[] = {
    {.name = "send", .fn = fn_send, .params = LM_PARAMS({"text", LM_STR, NULL, NULL})},
    {.name = "receive", .fn = fn_receive},
    {.name = "receiver_loop",
     .fn = fn_receiver_loop,
     .params = LM_PARAMS({"period", LM_INT, "3", NULL})},
    {.name = "load", .fn = fn_load, .params = LM_PARAMS({"token", LM_STR, "None", NULL})},
    {.name = NULL},
};

const struct lm_module lm_telegram = {.name = "telegram", .funcs = s_funcs, .load = tg_load};
