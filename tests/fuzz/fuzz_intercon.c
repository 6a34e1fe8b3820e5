/* fuzz_intercon.c - libFuzzer target: InterCon's client side reading a peer's replies
 * (net/intercon.c, compiled into this file so its static reply handling runs unchanged; the
 * socket, timer, task and config calls are stubs below). Byte 0 sets the call up (host is
 * an IP or a name, whether the peer is listed in icpeers); the rest is what the peer sends,
 * cut into reads at 0xFF bytes. Oracles: the call ends (or still waits) without touching
 * memory outside its buffers, the peer output kept stays within INTERCON_REPLY_MAX, a
 * finished reply has no newline, our appwd is sent only to a listed peer, and a peer that
 * sends more than INTERCON_REPLY_LIMIT bytes ends the call. Bit 2 of byte 0 repeats every
 * read 64 times (a flood), bit 3 closes the connection at the end. */
#include "net/intercon.c"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PWD "Fuzz3dPassQ"

static char s_sent[8192];
static size_t s_sent_len;
static bool s_trusted;
static char s_output[INTERCON_REPLY_MAX + 600];
static size_t s_output_len;
static bool s_finished;

/* --- stubs --- */
const char *cfg_get_str(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg;
    if (key == CFG_K_appwd)
        return PWD;
    if (key == CFG_K_icpeers)
        return s_trusted ? "10.0.0.9;node02" : "n/a";
    return "n/a";
}
int64_t cfg_get_int(const struct cfg *cfg, enum cfg_key_id key)
{
    (void)cfg, (void)key;
    return 0;
}
int conn_connect(struct conn *c, struct ev_loop *loop, const char *ip, uint16_t port,
                 uint64_t timeout_ms, size_t in_max, size_t out_max, conn_fn *cb, void *arg)
{
    (void)loop, (void)ip, (void)port, (void)timeout_ms, (void)out_max;
    memset(c, 0, sizeof *c);
    buf_init(&c->in, in_max);
    c->cb = cb;
    c->arg = arg;
    return 0;
}
int conn_send(struct conn *c, const void *data, size_t len)
{
    (void)c;
    size_t n = len < sizeof s_sent - s_sent_len ? len : sizeof s_sent - s_sent_len;
    memcpy(s_sent + s_sent_len, data, n);
    s_sent_len += n;
    return 0;
}
void conn_close(struct conn *c)
{
    c->is_closed = true;
    buf_free(&c->in);
}
int hal_resolve_start(struct ev_loop *loop, const char *name, uint32_t timeout_ms,
                      hal_resolve_fn *cb, void *arg, struct hal_resolve **out)
{
    (void)loop, (void)name, (void)timeout_ms, (void)cb, (void)arg;
    *out = NULL;
    return ERR_INVAL;
}
void hal_resolve_cancel(struct hal_resolve *r)
{
    (void)r;
}
long hal_fs_read(const char *path, char *buf, size_t cap)
{
    (void)path, (void)buf, (void)cap;
    return ERR_NOENT;
}
int ev_timer_start(struct ev_loop *l, struct ev_timer *t, uint64_t ms, ev_timer_fn *cb)
{
    (void)l, (void)ms;
    t->cb = cb;
    return 0;
}
void ev_timer_stop(struct ev_loop *l, struct ev_timer *t)
{
    (void)l, (void)t;
}
uint64_t ev_now(const struct ev_loop *l)
{
    (void)l;
    return 1000;
}
void log_printf(enum log_level level, const char *fmt, ...)
{
    (void)level, (void)fmt;
}
int task_native_add(struct tasks *t, const char *tag, task_show_fn *show, task_kill_fn *kill,
                    void *arg)
{
    (void)t, (void)tag, (void)show, (void)kill, (void)arg;
    return 1;
}
void task_native_set_output(struct tasks *t, int id, const char *text, size_t len)
{
    (void)t, (void)id;
    if (len > sizeof s_output)
        abort();
    memcpy(s_output, text, len);
    s_output_len = len;
}
void task_native_finish(struct tasks *t, int id)
{
    (void)t, (void)id;
    s_finished = true;
}
void task_reply(struct tasks *t, const char *tag, int rc, bool is_json, struct arena *a,
                struct exec_result *res)
{
    (void)t, (void)tag, (void)rc, (void)is_json, (void)a, (void)res;
}
void exec_core_error(struct exec_result *res, struct arena *a, struct str mod, struct str fn,
                     const char *text)
{
    (void)res, (void)a, (void)mod, (void)fn, (void)text;
}
char *arena_printf(struct arena *a, const char *fmt, ...)
{
    (void)a, (void)fmt;
    return NULL;
}
struct val *val_str(struct arena *a, const char *s)
{
    (void)a, (void)s;
    return NULL;
}
struct val *val_dict_set(struct arena *a, struct val *d, const char *key, struct val *v)
{
    (void)a, (void)d, (void)key, (void)v;
    return NULL;
}

/* --- the target --- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static struct node node;
    static struct intercon ic;
    static int fake_tasks;
    memset(&node, 0, sizeof node);
    node.tasks = (struct tasks *)(void *)&fake_tasks;
    intercon_init(&ic, &node, 9008);
    s_trusted = data[0] & 1;
    bool is_ip = data[0] & 2;
    s_sent_len = s_output_len = 0;
    s_finished = false;
    struct intercon_call *k = &ic.call[0];
    k->task_id = 1;
    k->port = 9008;
    k->is_ip = is_ip;
    snprintf(k->host, sizeof k->host, "%s", is_ip ? "10.0.0.9" : "node02");
    snprintf(k->ip, sizeof k->ip, "10.0.0.9");
    snprintf(k->cmd, sizeof k->cmd, "system info >json");
    conn_connect(&k->conn, NULL, k->ip, k->port, 0, 32 * 1024, 0, on_conn, k);
    k->has_conn = true;
    k->state = IC_CONNECTING;
    on_conn(&k->conn, CONN_EV_CONNECTED, k);
    size_t total = 0;
    const uint8_t *p = data + 1, *end = data + size;
    while (k->state != IC_FREE) {
        const uint8_t *cut = memchr(p, 0xFF, (size_t)(end - p));
        size_t n = cut ? (size_t)(cut - p) : (size_t)(end - p);
        /* one read: the connection hands over what arrived (a flood repeats the piece) */
        size_t times = n && (data[0] & 4) ? 64 : 1;
        for (size_t t = 0; t < times && k->state != IC_FREE; t++) {
            buf_clear(&k->conn.in);
            if (n && buf_append(&k->conn.in, p, n) < 0)
                abort();
            total += n;
            if (n)
                on_conn(&k->conn, CONN_EV_READ, k);
        }
        if (k->in_len > sizeof k->in)
            abort();
        if (!cut)
            break;
        p = cut + 1;
    }
    if (k->state != IC_FREE && (data[0] & 8))
        on_conn(&k->conn, CONN_EV_CLOSE, k); /* the peer hangs up */
    bool has_pwd = false;
    for (size_t i = 0; i + strlen(PWD) <= s_sent_len && !has_pwd; i++)
        has_pwd = memcmp(s_sent + i, PWD, strlen(PWD)) == 0;
    if (!s_trusted && has_pwd)
        abort(); /* the password went to a peer nobody listed */
    if (k->state == IC_FREE && s_finished && s_output_len > 0 &&
        memcmp(s_output, "[intercon]", 10) != 0 && memchr(s_output, '\n', s_output_len))
        abort(); /* a reply keeps no newline */
    if (total > INTERCON_REPLY_LIMIT && k->state != IC_FREE)
        abort(); /* a flood must end the call */
    if (k->state != IC_FREE)
        call_close(k);
    buf_free(&k->conn.in);
    return 0;
}
