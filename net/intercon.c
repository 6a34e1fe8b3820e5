/* intercon.c - InterCon client: runs `<cmd> >>host` on another node's shell, as a native task. */
#include "intercon.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_fs.h"
#include "../hal/hal_net.h"
#include "../hal/hal_resolve.h"
#include "../svc/cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_TAIL        256         /* bytes of the newest output kept once a reply overflows */
#define CONN_IN_MAX    (32 * 1024) /* one read's worth: every read is moved into call->in */
#define HOSTS_FILE_MAX (64 * 1024)

static ev_timer_fn on_timer;
static conn_fn on_conn;

/* ---- small helpers ---- */

/* Returns true for a dotted-quad IPv4 literal. */
static bool is_ipv4(const char *s)
{
    int parts = 0;
    const char *p = s;
    for (;;) {
        int digits = 0, v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (++digits > 3 || v > 255)
                return false;
            p++;
        }
        if (digits == 0)
            return false;
        parts++;
        if (*p == '\0')
            return parts == 4;
        if (*p != '.' || parts == 4)
            return false;
        p++;
    }
}

/* Returns true for an IPv6 literal (hex digits and at least two ':'). */
static bool is_ipv6(const char *s)
{
    int colons = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ':')
            colons++;
        else if (!(str_hex_digit(*p) >= 0 || *p == '.'))
            return false;
    }
    return colons >= 2;
}

size_t intercon_target(const char *host, char *out, size_t cap)
{
    struct str h = str_c(host);
    if (is_ipv4(host)) {
        const char *dot = strchr(host, '.');
        dot = strchr(dot + 1, '.');
        h = str_c(dot + 1);
    } else if (!is_ipv6(host)) {
        const char *last = strrchr(host, '.');
        if (last && last != host)
            h.len = (size_t)(last - host);
    }
    return str_copy(out, cap, h);
}

/* Splits "host[:port]" into host and port (default def). Returns 0 or ERR_INVAL. */
static int split_remote(struct str remote, uint16_t def, char *host, size_t cap, uint16_t *port)
{
    const char *colon = memchr(remote.p, ':', remote.len);
    size_t hlen = remote.len;
    *port = def;
    if (colon && !memchr(colon + 1, ':', remote.len - (size_t)(colon - remote.p) - 1)) {
        hlen = (size_t)(colon - remote.p);
        struct str num = {colon + 1, remote.len - hlen - 1};
        int64_t v;
        if (num.len > 5 || !str_to_int(num, false, 65535, &v) || v == 0)
            return ERR_INVAL;
        *port = (uint16_t)v;
    }
    if (hlen == 0 || hlen >= cap)
        return ERR_INVAL;
    memcpy(host, remote.p, hlen);
    host[hlen] = '\0';
    return 0;
}

/* ---- resolver: IP literals, the cache, the hosts file ---- */

static struct intercon_host *cache_find(struct intercon *ic, const char *name)
{
    size_t nlen = strlen(name);
    bool is_short = strchr(name, '.') == NULL;
    for (size_t i = 0; i < INTERCON_CACHE_MAX; i++) {
        struct intercon_host *h = &ic->cache[i];
        if (!h->name[0])
            continue;
        if (str_eqc_nocase(str_c(h->name), name))
            return h;
        /* micrOS: a short name matches a cached full name, e.g. node02 -> node02.local. */
        if (is_short && strlen(h->name) > nlen && h->name[nlen] == '.' &&
            str_eqc_nocase((struct str){h->name, nlen}, name))
            return h;
    }
    return NULL;
}

static void cache_put(struct intercon *ic, const char *name, const char *ip)
{
    struct intercon_host *h = cache_find(ic, name);
    if (!h || !str_eqc_nocase(str_c(h->name), name)) {
        h = &ic->cache[0];
        for (size_t i = 0; i < INTERCON_CACHE_MAX; i++) {
            if (!ic->cache[i].name[0]) {
                h = &ic->cache[i];
                break;
            }
            if (ic->cache[i].used_ms < h->used_ms)
                h = &ic->cache[i];
        }
    }
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->ip, sizeof h->ip, "%s", ip);
    h->used_ms = ev_now(ic->node->loop);
}

/* Looks up the names in the hosts file; IPv4 answers win over IPv6. Returns 0 or ERR_NOHOST. */
static int hosts_file_find(const char *const *names, size_t nnames, char *ip, size_t cap)
{
    char *text = malloc(HOSTS_FILE_MAX);
    if (!text)
        return ERR_NOMEM;
    long n = hal_fs_read(INTERCON_HOSTS_FILE, text, HOSTS_FILE_MAX);
    bool found = false, found_v6 = false;
    char v6[INTERCON_IP_MAX] = "";
    struct str rest = {text, n > 0 ? (size_t)n : 0};
    while (rest.len > 0 && !found) {
        const char *nl = memchr(rest.p, '\n', rest.len);
        size_t llen = nl ? (size_t)(nl - rest.p) : rest.len;
        struct str line = {rest.p, llen};
        rest = str_from(rest, nl ? llen + 1 : llen);
        const char *hash = memchr(line.p, '#', line.len);
        if (hash)
            line.len = (size_t)(hash - line.p);
        struct str addr = str_next_word(&line);
        if (addr.len == 0 || addr.len >= INTERCON_IP_MAX)
            continue;
        char a[INTERCON_IP_MAX];
        str_copy(a, sizeof a, addr);
        for (struct str w = str_next_word(&line); w.len > 0 && !found; w = str_next_word(&line)) {
            for (size_t i = 0; i < nnames; i++) {
                if (!str_eqc_nocase(w, names[i]))
                    continue;
                if (is_ipv4(a)) {
                    str_copy(ip, cap, str_c(a));
                    found = true;
                } else if (is_ipv6(a) && !found_v6) {
                    snprintf(v6, sizeof v6, "%s", a);
                    found_v6 = true;
                }
                break;
            }
        }
    }
    free(text);
    if (!found && found_v6) {
        str_copy(ip, cap, str_c(v6));
        found = true;
    }
    return found ? 0 : ERR_NOHOST;
}

/* Resolves host into ip. Returns 0 or ERR_NOHOST. */
static int resolve(struct intercon *ic, const char *host, char *ip, size_t cap, bool *is_ip)
{
    *is_ip = is_ipv4(host) || is_ipv6(host);
    if (*is_ip) {
        str_copy(ip, cap, str_c(host));
        return 0;
    }
    struct intercon_host *h = cache_find(ic, host);
    if (h) {
        ic->stats.cache_hits++;
        h->used_ms = ev_now(ic->node->loop);
        str_copy(ip, cap, str_c(h->ip));
        return 0;
    }
    /* <name>.local is also tried as <name>, and a plain name as <name>.local. */
    char alt[INTERCON_HOST_MAX + 8];
    size_t hlen = strlen(host);
    if (hlen > 6 && str_eqc_nocase((struct str){host + hlen - 6, 6}, ".local"))
        snprintf(alt, sizeof alt, "%.*s", (int)(hlen - 6), host);
    else
        snprintf(alt, sizeof alt, "%s.local", host);
    const char *names[2] = {host, alt};
    int rc = hosts_file_find(names, 2, ip, cap);
    if (rc < 0)
        return rc;
    cache_put(ic, host, ip);
    return 0;
}

/* ---- one call ---- */

static void call_close(struct intercon_call *k)
{
    ev_timer_stop(k->owner->node->loop, &k->timer);
    k->state = IC_FREE; /* first: the close event of our own conn_close is ignored */
    if (k->rsv) {
        hal_resolve_cancel(k->rsv);
        k->rsv = NULL;
    }
    if (k->has_conn) {
        k->has_conn = false;
        conn_close(&k->conn);
    }
}

/* Ends the call: text becomes the task's output and the task finishes. */
static void call_end(struct intercon_call *k, const char *text, size_t len)
{
    struct intercon *ic = k->owner;
    int id = k->task_id;
    call_close(k);
    if (ic->node->tasks) {
        task_native_set_output(ic->node->tasks, id, text, len);
        task_native_finish(ic->node->tasks, id);
    }
}

/* Ends the call with "[intercon] <fmt...>" as output and pushes the same line. */
static void call_fail(struct intercon_call *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void call_fail(struct intercon_call *k, const char *fmt, ...)
{
    struct node *node = k->owner->node;
    char text[512];
    int n = snprintf(text, sizeof text, "[intercon] ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    k->owner->stats.failed++;
    LOG_I("%s", text);
    call_end(k, text, strlen(text));
    if (node->push)
        node->push(node, text);
}

/* Queues cmd[0..cmd_len) for the peer; a failure closes the connection (reported there). */
static void call_write(struct intercon_call *k)
{
    if (k->has_conn)
        conn_send(&k->conn, k->cmd, k->cmd_len);
}

/* Queues text (no newline) as the next thing to send and starts a new read phase. */
static void call_send(struct intercon_call *k, const char *text, size_t len,
                      enum intercon_state next, uint64_t timeout_ms)
{
    if (text != k->cmd)
        memmove(k->cmd, text, len);
    k->cmd_len = len;
    k->in_len = 0;
    k->state = next;
    ev_timer_start(k->owner->node->loop, &k->timer, timeout_ms, on_timer);
    call_write(k);
}

static void call_connect(struct intercon_call *k)
{
    struct ev_loop *loop = k->owner->node->loop;
    k->in_len = 0;
    k->is_in_cut = false;
    int rc = conn_connect(&k->conn, loop, k->ip, k->port, INTERCON_CONNECT_MS, CONN_IN_MAX,
                          sizeof k->cmd + 8, on_conn, k);
    if (rc == ERR_CONNREFUSED) {
        call_fail(k, "ConnectionRefused: %s:%u", k->host, (unsigned)k->port);
        return;
    }
    if (rc == ERR_FULL) {
        call_fail(k, "NoConnection: %s:%u: too many open connections", k->host, (unsigned)k->port);
        return;
    }
    if (rc < 0) {
        call_fail(k, "NoConnection: %s:%u: %s", k->host, (unsigned)k->port, err_str(rc));
        return;
    }
    k->has_conn = true;
    k->state = IC_CONNECTING;
}

static void on_resolved(void *arg, int rc, const char *ip, const char *detail)
{
    struct intercon_call *k = arg;
    k->rsv = NULL;
    if (rc < 0) {
        call_fail(k, "NoHost: %s: not an IP, not in the host cache or %s, %s", k->host,
                  INTERCON_HOSTS_FILE, rc == ERR_TIMEOUT ? "lookup timed out" : detail);
        return;
    }
    str_copy(k->ip, sizeof k->ip, str_c(ip));
    cache_put(k->owner, k->host, ip);
    call_connect(k);
}

static void call_start(struct intercon_call *k)
{
    if (resolve(k->owner, k->host, k->ip, sizeof k->ip, &k->is_ip) == 0) {
        call_connect(k);
        return;
    }
    /* Not known here: DNS or mDNS, asynchronously (hal_resolve). */
    int64_t tmo = cfg_get_int(k->owner->node->cfg, CFG_K_dns_timeout_ms);
    k->state = IC_RESOLVING;
    int rc =
        hal_resolve_start(k->owner->node->loop, k->host,
                          (uint32_t)(tmo > 0 && tmo < 60000 ? tmo : 3000), on_resolved, k, &k->rsv);
    if (rc < 0)
        call_fail(k, "NoHost: %s: %s", k->host, rc == ERR_INVAL ? "not a host name" : err_str(rc));
}

/* Keeps the first bytes and the newest IN_TAIL bytes when a reply outgrows the buffer. */
static void in_append(struct intercon_call *k, const char *p, size_t n)
{
    const size_t cap = sizeof k->in, head = cap - IN_TAIL;
    if (k->in_len + n <= cap) {
        memcpy(k->in + k->in_len, p, n);
        k->in_len += n;
        return;
    }
    k->is_in_cut = true;
    if (k->in_len < head) {
        size_t f = head - k->in_len;
        memcpy(k->in + k->in_len, p, f);
        p += f;
        n -= f;
        k->in_len = head;
    }
    if (n >= IN_TAIL) {
        memcpy(k->in + head, p + n - IN_TAIL, IN_TAIL);
        k->in_len = cap;
        return;
    }
    size_t old = k->in_len - head;
    size_t keep = old + n > IN_TAIL ? IN_TAIL - n : old;
    memmove(k->in + head, k->in + k->in_len - keep, keep);
    memcpy(k->in + head + keep, p, n);
    k->in_len = head + keep + n;
}

static bool in_has(const struct intercon_call *k, const char *needle)
{
    return str_contains((struct str){k->in, k->in_len}, needle);
}

/* The last line of the input, without trailing blanks. */
static struct str in_last_line(const struct intercon_call *k)
{
    struct str s = str_trim((struct str){k->in, k->in_len});
    size_t i = s.len;
    while (i > 0 && s.p[i - 1] != '\n')
        i--;
    return str_from(s, i);
}

/* True when the operator listed this peer in icpeers ("host" or "host:port", ';'-separated):
 * only those peers get our appwd when they ask for a password. */
static bool peer_is_trusted(const struct intercon_call *k)
{
    const char *list = cfg_get_str(k->owner->node->cfg, CFG_K_icpeers);
    struct str rest = str_c(list);
    while (rest.len > 0) {
        const char *semi = memchr(rest.p, ';', rest.len);
        size_t n = semi ? (size_t)(semi - rest.p) : rest.len;
        struct str one = str_trim((struct str){rest.p, n});
        rest = semi ? str_from(rest, n + 1) : str_from(rest, rest.len);
        char port[8];
        snprintf(port, sizeof port, ":%u", (unsigned)k->port);
        const char *names[2] = {k->host, k->ip};
        for (size_t i = 0; i < 2; i++) {
            size_t hl = strlen(names[i]);
            if (hl == 0 || one.len < hl || !str_eqc_nocase((struct str){one.p, hl}, names[i]))
                continue;
            struct str tail = str_from(one, hl);
            if (tail.len == 0 || str_eqc(tail, port))
                return true;
        }
    }
    return false;
}

/* Reads the greeting: the prompt is the last two words of the last line ("node02 $"). */
static bool parse_greeting(struct intercon_call *k, bool *is_password)
{
    struct str line = in_last_line(k);
    struct str w[64];
    size_t nw = 0;
    struct str rest = line;
    for (struct str x = str_next_word(&rest); x.len > 0 && nw < 64; x = str_next_word(&rest))
        w[nw++] = x;
    if (nw < 2 || !str_eqc(w[nw - 1], "$"))
        return false;
    snprintf(k->prompt, sizeof k->prompt, "%.*s $", STR_FMT(w[nw - 2]));
    *is_password = str_contains(line, "[password]");
    return true;
}

static void call_send_command(struct intercon_call *k)
{
    if (!k->is_ip) {
        /* The peer's devfid must be the host's first label (micrOS's prompt check). */
        size_t label = strcspn(k->host, ".");
        size_t dlen = strlen(k->prompt) - 2;
        if (label != dlen || memcmp(k->host, k->prompt, dlen) != 0) {
            call_fail(k, "prompt mismatch, hostname: %s prompt: %s", k->host, k->prompt);
            return;
        }
    }
    call_send(k, k->cmd, strlen(k->cmd), IC_REPLY, INTERCON_REPLY_MS);
}

/* The reply: the output minus the final prompt line, newlines turned into spaces. */
static void call_finish_reply(struct intercon_call *k)
{
    struct str all = {k->in, k->in_len};
    struct str last = in_last_line(k);
    size_t end = all.len;
    if (str_ends(last, k->prompt) || str_ends(last, "$"))
        end = (size_t)(last.p - all.p);
    size_t n = 0;
    for (size_t i = 0; i < end; i++) {
        char ch = k->in[i];
        if (ch == '\r')
            continue;
        k->in[n++] = ch == '\n' ? ' ' : ch;
    }
    k->owner->stats.ok++;
    call_end(k, k->in, n);
}

/* Acts on the input gathered so far, by phase. */
static void call_process(struct intercon_call *k)
{
    struct str last = in_last_line(k);
    bool is_bye = in_has(k, "Bye!");
    bool is_prompt = str_ends(last, "$") && k->in_len > 0 && k->in[k->in_len - 1] == ' ';
    switch (k->state) {
    case IC_GREETING: {
        if (!is_prompt && !is_bye)
            return;
        if (is_bye && in_has(k, "busy")) {
            if (k->is_retried) {
                call_fail(k, "Busy: %s:%u is busy", k->host, (unsigned)k->port);
                return;
            }
            struct ev_loop *loop = k->owner->node->loop;
            int id = k->task_id;
            call_close(k);
            k->task_id = id;
            k->is_retried = true;
            k->state = IC_RETRY;
            ev_timer_start(loop, &k->timer, INTERCON_BUSY_RETRY_MS, on_timer);
            return;
        }
        bool is_password = false;
        if (is_bye || !parse_greeting(k, &is_password)) {
            call_fail(k, "NoPrompt: %s:%u sent %.*s", k->host, (unsigned)k->port,
                      (int)(k->in_len > 64 ? 64 : k->in_len), k->in);
            return;
        }
        if (is_password && !peer_is_trusted(k)) {
            call_fail(k,
                      "AuthFailed: %s:%u asks for a password; it is sent only to peers listed in "
                      "icpeers",
                      k->host, (unsigned)k->port);
            return;
        }
        if (is_password) {
            const char *pwd = cfg_get_str(k->owner->node->cfg, CFG_K_appwd);
            /* The command waits in cmd after the password; keep both apart. */
            size_t plen = strlen(pwd), clen = strlen(k->cmd);
            if (plen + 1 + clen + 1 > sizeof k->cmd) {
                call_fail(k, "AuthFailed: password and command too long");
                return;
            }
            memmove(k->cmd + plen + 1, k->cmd, clen + 1);
            memcpy(k->cmd, pwd, plen);
            k->cmd[plen] = '\0';
            k->cmd_len = plen;
            k->in_len = 0;
            k->state = IC_AUTH;
            ev_timer_start(k->owner->node->loop, &k->timer, INTERCON_REPLY_MS, on_timer);
            call_write(k);
            return;
        }
        call_send_command(k);
        return;
    }
    case IC_AUTH: {
        if (!is_prompt && !is_bye)
            return;
        if (!in_has(k, "AuthOk") || is_bye) {
            call_fail(k, "AuthFailed: %s:%u refused our password", k->host, (unsigned)k->port);
            return;
        }
        /* The command follows the password in cmd. */
        size_t plen = strlen(k->cmd);
        memmove(k->cmd, k->cmd + plen + 1, strlen(k->cmd + plen + 1) + 1);
        call_send_command(k);
        return;
    }
    case IC_REPLY:
        if ((is_prompt && str_ends(last, k->prompt)) || str_contains(last, "Bye!"))
            call_finish_reply(k);
        return;
    default: return;
    }
}

/* The connection's events: connected, peer output (one read each), closed. */
static void on_conn(struct conn *c, enum conn_event ev, void *arg)
{
    struct intercon_call *k = arg;
    if (k->state == IC_FREE)
        return; /* our own call_close */
    switch (ev) {
    case CONN_EV_CONNECTED:
        k->state = IC_GREETING;
        ev_timer_start(k->owner->node->loop, &k->timer, INTERCON_GREETING_MS, on_timer);
        break;
    case CONN_EV_READ:
        k->in_total += c->in.len;
        if (k->in_total > INTERCON_REPLY_LIMIT) {
            buf_clear(&c->in);
            call_fail(k, "TooLarge: %s:%u sent more than %u bytes", k->host, (unsigned)k->port,
                      (unsigned)INTERCON_REPLY_LIMIT);
            break;
        }
        in_append(k, c->in.p, c->in.len);
        buf_clear(&c->in);
        call_process(k);
        break;
    case CONN_EV_DRAIN: break;
    case CONN_EV_CLOSE:
        k->has_conn = false;
        if (k->state == IC_CONNECTING && c->error == ERR_CONNREFUSED)
            call_fail(k, "ConnectionRefused: %s:%u", k->host, (unsigned)k->port);
        else if (k->state == IC_CONNECTING && c->error == ERR_TIMEOUT)
            call_fail(k, "Timeout: no connection to %s:%u within %u ms", k->host, (unsigned)k->port,
                      (unsigned)INTERCON_CONNECT_MS);
        else if (k->state == IC_CONNECTING)
            call_fail(k, "NoConnection: %s:%u: %s", k->host, (unsigned)k->port, err_str(c->error));
        else if (k->state == IC_REPLY && k->in_len > 0)
            call_finish_reply(k);
        else
            call_fail(k, "Closed: %s:%u closed the connection%s", k->host, (unsigned)k->port,
                      k->state == IC_GREETING ? " before its prompt" : "");
        break;
    }
}

static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t)
{
    struct intercon_call *k = t->arg;
    (void)loop;
    switch (k->state) {
    case IC_START: call_start(k); break;
    case IC_RETRY: call_connect(k); break;
    case IC_CONNECTING:
        call_fail(k, "Timeout: no connection to %s:%u within %u ms", k->host, (unsigned)k->port,
                  (unsigned)INTERCON_CONNECT_MS);
        break;
    case IC_GREETING:
        call_fail(k, "Timeout: no prompt from %s:%u within %u ms", k->host, (unsigned)k->port,
                  (unsigned)INTERCON_GREETING_MS);
        break;
    case IC_AUTH:
    case IC_REPLY:
        call_fail(k, "Timeout: no reply from %s:%u within %u ms", k->host, (unsigned)k->port,
                  (unsigned)INTERCON_REPLY_MS);
        break;
    case IC_RESOLVING:
    case IC_FREE: break;
    }
    return EV_DONE;
}

/* task kill con.<target>.<module>: drop the call; the task manager forgets the task. */
static void on_kill(void *arg)
{
    call_close(arg);
}

/* ---- public ---- */

void intercon_init(struct intercon *ic, struct node *node, uint16_t port)
{
    memset(ic, 0, sizeof *ic);
    ic->node = node;
    ic->port = port;
    for (size_t i = 0; i < INTERCON_CALLS_MAX; i++) {
        ic->call[i].owner = ic;
        ic->call[i].timer.arg = &ic->call[i];
    }
}

void intercon_deinit(struct intercon *ic)
{
    for (size_t i = 0; i < INTERCON_CALLS_MAX; i++)
        if (ic->call[i].state != IC_FREE)
            call_close(&ic->call[i]);
    memset(ic->cache, 0, sizeof ic->cache);
}

void intercon_run(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res)
{
    struct intercon *ic = node->intercon_arg;
    memset(res, 0, sizeof *res);
    res->is_json = c->is_json;
    if (c->ntok == 0) {
        res->text = EXEC_HINT;
        return;
    }
    struct str fname = c->ntok > 1 ? c->tok[1] : STR_NULL;
    char host[INTERCON_HOST_MAX];
    uint16_t port;
    if (split_remote(c->remote, ic->port, host, sizeof host, &port) < 0) {
        exec_core_error(res, a, c->tok[0], fname, "InterCon: invalid host or port");
        return;
    }
    char target[INTERCON_HOST_MAX], tag[TASK_TAG_MAX];
    intercon_target(host, target, sizeof target);
    int tl = snprintf(tag, sizeof tag, "con.%s.%.*s", target, STR_FMT(c->tok[0]));
    if (tl < 0 || (size_t)tl >= sizeof tag) {
        exec_core_error(res, a, c->tok[0], fname, "InterCon: host name too long");
        return;
    }

    struct intercon_call *k = NULL;
    for (size_t i = 0; i < INTERCON_CALLS_MAX && !k; i++)
        if (ic->call[i].state == IC_FREE)
            k = &ic->call[i];
    if (!k) {
        ic->stats.busy++;
        const char *t = arena_printf(a, "InterCon: all %u call slots are busy, try again later",
                                     (unsigned)INTERCON_CALLS_MAX);
        exec_core_error(res, a, c->tok[0], fname, t ? t : "InterCon: all call slots are busy");
        return;
    }

    /* The command as the peer gets it: the tokens, >json kept, the task postfix kept. */
    size_t n = 0;
    for (size_t i = 0; i < c->ntok; i++) {
        int w = snprintf(k->cmd + n, sizeof k->cmd - n, "%s%.*s", i ? " " : "", STR_FMT(c->tok[i]));
        n += w > 0 ? (size_t)w : 0;
        if (n >= sizeof k->cmd)
            break;
    }
    if (n < sizeof k->cmd && c->is_json) {
        int w = snprintf(k->cmd + n, sizeof k->cmd - n, " >json");
        n += w > 0 ? (size_t)w : 0;
    }
    if (n < sizeof k->cmd && c->is_task) {
        int w = snprintf(k->cmd + n, sizeof k->cmd - n, " %s%u", c->is_loop ? "&&" : "&",
                         (unsigned)c->task_ms);
        n += w > 0 ? (size_t)w : 0;
    }
    if (n >= sizeof k->cmd) {
        exec_core_error(res, a, c->tok[0], fname, "InterCon: command too long");
        return;
    }

    int id = task_native_add(node->tasks, tag, NULL, on_kill, k);
    task_reply(node->tasks, tag, id, c->is_json, a, res);
    if (id < 0)
        return;
    k->task_id = id;
    k->has_conn = false;
    k->is_retried = false;
    k->is_in_cut = false;
    k->in_len = 0;
    k->in_total = 0;
    k->cmd_len = 0;
    k->port = port;
    k->prompt[0] = '\0';
    k->ip[0] = '\0';
    snprintf(k->host, sizeof k->host, "%s", host);
    k->state = IC_START;
    ic->stats.calls++;
    /* Resolve and connect on the next pass, so every line about it follows this reply. */
    if (ev_timer_start(node->loop, &k->timer, 0, on_timer) < 0) {
        const char *text = "[intercon] NoTimer: the event loop's timer table is full";
        call_end(k, text, strlen(text));
    }
}

void intercon_hosts(struct node *node, struct arena *a, struct val *d)
{
    struct intercon *ic = node->intercon_arg;
    if (!ic)
        return;
    for (size_t i = 0; i < INTERCON_CACHE_MAX; i++)
        if (ic->cache[i].name[0])
            val_dict_set(a, d, ic->cache[i].name, val_str(a, ic->cache[i].ip));
}
