/* gateway.c - 'microsctl gateway': micrOS Gateway's REST endpoints for the fleet in the device
 * cache, and one Prometheus /metrics for all of it.
 *
 * One thread. An HTTP request is read and answered on a poll loop with a deadline; a request
 * that needs the fleet (/status, /metrics) runs one batch (batch.c: every node at once over
 * the shell protocol, bounded by --parallel and timeouts), so 1,000 nodes are one scrape of a
 * few seconds at most, and a node that does not answer costs its timeout once, in parallel. */
#include "../core/err.h"
#include "batch.h"
#include "ctl.h"
#include "mdns_browse.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GW_DEFAULT_PORT 5005
#define GW_REQ_MAX      8192
#define GW_REQ_TMO_MS   5000
#define GW_NODE_TMO_MS  3000 /* connect + greeting, per node, per fleet scrape */
#define GW_REPLY_TMO_MS 5000 /* one reply, per node */
#define GW_NAME_MAX     200

struct gw {
    struct ctl_opts *o;
    int lfd;
    uint64_t scrapes;
    double last_scrape_s;
};

struct sbuf {
    char *p;
    size_t len, cap;
    bool is_oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->is_oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->is_oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Label value escaping (\\, \", \n). */
static void sb_label(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            sb_put(b, "\\", 1);
        if (*s == '\n')
            sb_puts(b, "\\n");
        else
            sb_put(b, s, 1);
    }
}

/* A valid metric name from s: [a-zA-Z0-9_:] kept, anything else '_', no leading digit, no
 * trailing '_' (micrOS's "__" between board and module is kept). */
static void metric_name(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (*s >= '0' && *s <= '9' && n + 1 < cap)
        out[n++] = '_';
    for (; *s && n + 1 < cap; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == ':' || ch == '_'))
            ch = '_';
        out[n++] = ch;
    }
    while (n > 1 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
}

/* ---- HTTP ---- */

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *ctype, const char *body, size_t len)
{
    const char *reason = status == 200   ? "OK"
                         : status == 404 ? "Not Found"
                         : status == 400 ? "Bad Request"
                         : status == 405 ? "Method Not Allowed"
                         : status == 502 ? "Bad Gateway"
                                         : "Error";
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\n"
                     "connection: close\r\n\r\n",
                     status, reason, ctype, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void reply_json(int fd, int status, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    reply(fd, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    free(s);
}

/* Percent-decodes src (n bytes) into out; '+' stays '+'. Returns false on a bad escape. */
static bool pct_decode(const char *src, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 1 >= cap)
            return false;
        if (src[i] == '%') {
            if (i + 2 >= n)
                return false;
            char hex[3] = {src[i + 1], src[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end || v <= 0)
                return false;
            out[k++] = (char)v;
            i += 2;
        } else {
            out[k++] = src[i];
        }
    }
    out[k] = '\0';
    return true;
}

/* ---- devices ---- */

static int find_dev(struct gw *g, const char *name, struct sockaddr_in *addr, struct cache_dev *dev,
                    char *msg, size_t cap)
{
    return cache_resolve(&g->o->cache, name, g->o->port, addr, dev, msg, cap);
}

/* Runs one command on one device; returns the reply (heap) or NULL with msg. */
static char *run_one(struct gw *g, const char *device, const char *cmd, struct cache_dev *dev,
                     char *msg, size_t cap)
{
    struct batch_job j;
    memset(&j, 0, sizeof j);
    if (find_dev(g, device, &j.addr, dev, msg, cap))
        return NULL;
    const char *cmds[] = {cmd};
    j.cmds = cmds;
    j.ncmds = 1;
    j.pwd = g->o->password;
    batch_run(&j, 1, 1, GW_NODE_TMO_MS, GW_REPLY_TMO_MS, NULL, NULL);
    if (j.err || j.ndone < 1 || !j.replies[0]) {
        snprintf(msg, cap, "%s", j.msg[0] ? j.msg : err_str(j.err ? j.err : ERR_IO));
        batch_job_free(&j);
        return NULL;
    }
    char *r = j.replies[0];
    j.replies[0] = NULL;
    batch_job_free(&j);
    return r;
}

/* Every cache entry as a batch job running cmds. Returns n (jobs is heap) or -1. */
static long fleet_jobs(struct gw *g, const char *const *cmds, size_t ncmds, struct batch_job **out,
                       struct cache_dev **devs)
{
    size_t n = cache_count(&g->o->cache);
    *out = calloc(n ? n : 1, sizeof **out);
    *devs = calloc(n ? n : 1, sizeof **devs);
    if (!*out || !*devs)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct cache_dev d;
        if (cache_get(&g->o->cache, i, &d) || conn_parse_addr(d.ip, d.port, &(*out)[k].addr))
            continue;
        (*devs)[k] = d;
        (*out)[k].cmds = cmds;
        (*out)[k].ncmds = ncmds;
        (*out)[k].pwd = g->o->password;
        (*out)[k].user = &(*devs)[k];
        k++;
    }
    return (long)k;
}

static const char *dev_label(const struct cache_dev *d)
{
    return d->fuid[0] && strcmp(d->fuid, "n/a") ? d->fuid : d->uid;
}

/* ---- endpoints ---- */

static void ep_list(struct gw *g, int fd)
{
    cJSON *j = cJSON_CreateObject();
    size_t n = cache_count(&g->o->cache);
    for (size_t i = 0; i < n; i++) {
        struct cache_dev d;
        if (cache_get(&g->o->cache, i, &d))
            continue;
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateString(d.ip));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(d.port));
        cJSON_AddItemToArray(a, cJSON_CreateString(d.fuid));
        cJSON_AddItemToObject(j, d.uid, a);
    }
    reply_json(fd, 200, j);
    cJSON_Delete(j);
}

static void ep_search(struct gw *g, int fd)
{
    struct mdns_found found[256];
    char why[160] = "";
    long n = mdns_browse(found, 256, 1500, why, sizeof why);
    for (long i = 0; i < n; i++)
        cache_put(&g->o->cache, found[i].uid[0] ? found[i].uid : found[i].name, found[i].ip,
                  found[i].port, found[i].name);
    if (n > 0)
        cache_save(&g->o->cache);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "found", n < 0 ? 0 : (double)n);
    if (n < 0)
        cJSON_AddStringToObject(j, "mdns", why);
    cJSON *a = cJSON_AddArrayToObject(j, "devices");
    for (long i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "fuid", found[i].name);
        cJSON_AddStringToObject(e, "uid", found[i].uid);
        cJSON_AddStringToObject(e, "ip", found[i].ip);
        cJSON_AddNumberToObject(e, "port", found[i].port);
        cJSON_AddItemToArray(a, e);
    }
    reply_json(fd, 200, j);
    cJSON_Delete(j);
}

static void ep_status(struct gw *g, int fd)
{
    static const char *const cmds[] = {"hello", "version"};
    struct batch_job *jobs;
    struct cache_dev *devs;
    long n = fleet_jobs(g, cmds, 2, &jobs, &devs);
    cJSON *j = cJSON_CreateObject();
    if (n > 0)
        batch_run(jobs, (size_t)n, g->o->parallel, GW_NODE_TMO_MS, GW_REPLY_TMO_MS, NULL, NULL);
    for (long i = 0; i < n; i++) {
        struct batch_job *b = &jobs[i];
        cJSON *e = cJSON_CreateObject();
        bool ok = b->err == 0 && b->ndone == 2;
        cJSON_AddStringToObject(e, "uid", devs[i].uid);
        cJSON_AddStringToObject(e, "ip", devs[i].ip);
        cJSON_AddNumberToObject(e, "port", devs[i].port);
        cJSON_AddStringToObject(e, "status",
                                ok                   ? "ONLINE"
                                : b->err == ERR_PERM ? "LOCKED"
                                                     : "OFFLINE");
        if (ok) {
            char v[64];
            snprintf(v, sizeof v, "%.*s",
                     (int)strcspn(b->replies[1] + strspn(b->replies[1], " \n"), "\r\n"),
                     b->replies[1] + strspn(b->replies[1], " \n"));
            cJSON_AddStringToObject(e, "version", v);
            cJSON_AddNumberToObject(e, "latency_ms",
                                    (double)(b->t_done[1] - b->t_done[0]) / 1000.0);
        } else {
            cJSON_AddStringToObject(e, "error", b->msg[0] ? b->msg : err_str(b->err));
        }
        cJSON_AddItemToObject(j, dev_label(&devs[i]), e);
        batch_job_free(b);
    }
    reply_json(fd, 200, j);
    cJSON_Delete(j);
    free(jobs);
    free(devs);
}

static void ep_sendcmd(struct gw *g, int fd, const char *device, const char *cmd)
{
    struct cache_dev dev;
    char msg[256];
    char *r = run_one(g, device, cmd, &dev, msg, sizeof msg);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "device", device);
    cJSON_AddStringToObject(j, "cmd", cmd);
    if (r) {
        size_t n = strlen(r);
        while (n > 0 && (r[n - 1] == '\n' || r[n - 1] == ' '))
            r[--n] = '\0';
        cJSON_AddStringToObject(j, "result", r + strspn(r, " "));
    } else {
        cJSON_AddStringToObject(j, "error", msg);
    }
    reply_json(fd, r ? 200 : 502, j);
    cJSON_Delete(j);
    free(r);
}

/* micrOS Gateway's per-command metrics: micrOS_<board>__<module>_<function>_<key> gauges. */
static void ep_metrics_cmd(struct gw *g, int fd, const char *device, const char *cmd)
{
    struct cache_dev dev;
    char msg[256], line[1024];
    snprintf(line, sizeof line, "%s >json", cmd);
    char *r = run_one(g, device, line, &dev, msg, sizeof msg);
    if (!r) {
        char body[320];
        int n = snprintf(body, sizeof body, "# %s: %s\n", device, msg);
        reply(fd, 502, "text/plain; version=0.0.4", body, (size_t)n);
        return;
    }
    cJSON *v = cJSON_Parse(r + strspn(r, " \n"));
    free(r);
    struct sbuf b = {0};
    char mod[128] = "", fn[128] = "";
    sscanf(cmd, "%127s %127s", mod, fn);
    const char *board = dev_label(&dev);
    cJSON *items = cJSON_IsObject(v) ? v->child : v;
    bool single = !cJSON_IsObject(v);
    for (cJSON *e = items; e; e = single ? NULL : e->next) {
        double num;
        if (cJSON_IsNumber(e))
            num = e->valuedouble;
        else if (cJSON_IsBool(e))
            num = cJSON_IsTrue(e) ? 1 : 0;
        else if (cJSON_IsString(e)) {
            char *end;
            num = strtod(e->valuestring, &end);
            if (end == e->valuestring)
                continue;
        } else
            continue;
        char raw[600], name[600];
        snprintf(raw, sizeof raw, "micrOS_%s__%s_%s%s%s", board, mod, fn, single ? "" : "_",
                 single ? "" : e->string);
        metric_name(raw, name, sizeof name);
        sb_printf(&b, "# HELP %s micrOS %s %s", name, mod, fn);
        if (!single) {
            sb_puts(&b, " ");
            for (const char *q = e->string; *q; q++)
                sb_put(&b, *q == '\n' || *q == '\\' ? " " : q, 1);
        }
        sb_printf(&b, "\n# TYPE %s gauge\n%s{node=\"", name, name);
        sb_label(&b, board);
        sb_printf(&b, "\"} %.15g\n", num);
    }
    cJSON_Delete(v);
    reply(fd, 200, "text/plain; version=0.0.4; charset=utf-8", b.p ? b.p : "", b.len);
    free(b.p);
}

/* ---- the fleet's /metrics: up{node} and every node's `system metrics` merged ---- */

struct family {
    char name[GW_NAME_MAX];
    char *help, *type; /* the first node's lines */
    struct sbuf samples;
};

struct families {
    struct family *f;
    size_t n, cap;
};

static struct family *family_get(struct families *fs, const char *name, size_t len)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strlen(fs->f[i].name) == len && !memcmp(fs->f[i].name, name, len))
            return &fs->f[i];
    if (len >= GW_NAME_MAX)
        return NULL;
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        struct family *p = realloc(fs->f, cap * sizeof *p);
        if (!p)
            return NULL;
        fs->f = p;
        fs->cap = cap;
    }
    struct family *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, len);
    return f;
}

/* Adds one node's exposition text: comment lines name the family; samples are filed under the
 * family of the last # TYPE line, with the node label set to the gateway's name for it. */
static void merge_node(struct families *fs, const char *text, const char *node)
{
    struct family *cur = NULL;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        const char *line = p;
        p += n + (p[n] == '\n');
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (n == 0)
            continue;
        if (n > 7 && (!memcmp(line, "# HELP ", 7) || !memcmp(line, "# TYPE ", 7))) {
            const char *nm = line + 7;
            size_t nl = strcspn(nm, " ");
            if (nl > n - 7)
                nl = n - 7;
            cur = family_get(fs, nm, nl);
            if (!cur)
                continue;
            char **slot = line[2] == 'H' ? &cur->help : &cur->type;
            if (!*slot) {
                *slot = malloc(n + 2);
                if (*slot) {
                    memcpy(*slot, line, n);
                    (*slot)[n] = '\n';
                    (*slot)[n + 1] = '\0';
                }
            }
            continue;
        }
        if (line[0] == '#')
            continue;
        const char *brace = memchr(line, '{', n);
        size_t nl = brace ? (size_t)(brace - line) : strcspn(line, " ");
        struct family *f = cur;
        if (!f || strncmp(line, f->name, strlen(f->name)) != 0)
            f = family_get(fs, line, nl);
        if (!f)
            continue;
        /* Replace or add node="...". */
        sb_put(&f->samples, line, nl);
        sb_puts(&f->samples, "{node=\"");
        sb_label(&f->samples, node);
        sb_puts(&f->samples, "\"");
        const char *rest = line + nl;
        size_t rlen = n - nl;
        if (brace) {
            rest++;
            rlen--;
            if (rlen > 6 && !memcmp(rest, "node=\"", 6)) {
                const char *q = rest + 6;
                while (q < line + n && *q != '"') {
                    if (*q == '\\')
                        q++;
                    q++;
                }
                q++; /* the closing quote */
                if (q < line + n && *q == ',')
                    q++;
                rlen -= (size_t)(q - rest);
                rest = q;
            }
            if (rlen > 0 && *rest != '}')
                sb_puts(&f->samples, ",");
            sb_put(&f->samples, rest, rlen);
        } else {
            sb_puts(&f->samples, "}");
            sb_put(&f->samples, rest, rlen);
        }
        sb_puts(&f->samples, "\n");
    }
}

static void ep_fleet_metrics(struct gw *g, int fd)
{
    static const char *const cmds[] = {"system metrics"};
    uint64_t t0 = conn_now_us();
    struct batch_job *jobs;
    struct cache_dev *devs;
    long n = fleet_jobs(g, cmds, 1, &jobs, &devs);
    if (n < 0) {
        reply(fd, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    if (n > 0)
        batch_run(jobs, (size_t)n, g->o->parallel, GW_NODE_TMO_MS, GW_REPLY_TMO_MS, NULL, NULL);
    struct sbuf b = {0};
    struct families fs = {0};
    sb_puts(&b, "# HELP up 1 when the gateway reached the node over its shell this scrape\n"
                "# TYPE up gauge\n");
    size_t nup = 0;
    for (long i = 0; i < n; i++) {
        bool ok = jobs[i].err == 0 && jobs[i].ndone == 1 && jobs[i].replies[0];
        nup += ok;
        sb_puts(&b, "up{node=\"");
        sb_label(&b, dev_label(&devs[i]));
        sb_printf(&b, "\"} %d\n", ok ? 1 : 0);
        if (ok)
            merge_node(&fs, jobs[i].replies[0], dev_label(&devs[i]));
        batch_job_free(&jobs[i]);
    }
    for (size_t i = 0; i < fs.n; i++) {
        struct family *f = &fs.f[i];
        if (!strcmp(f->name, "up"))
            continue;
        if (f->help)
            sb_puts(&b, f->help);
        if (f->type)
            sb_puts(&b, f->type);
        if (f->samples.p)
            sb_put(&b, f->samples.p, f->samples.len);
        free(f->help);
        free(f->type);
        free(f->samples.p);
    }
    free(fs.f);
    double secs = (double)(conn_now_us() - t0) / 1e6;
    g->scrapes++;
    g->last_scrape_s = secs;
    sb_printf(&b,
              "# HELP micros_gateway_nodes Nodes in the device cache, and how many answered\n"
              "# TYPE micros_gateway_nodes gauge\n"
              "micros_gateway_nodes{state=\"known\"} %ld\nmicros_gateway_nodes{state=\"up\"} %zu\n"
              "# HELP micros_gateway_scrape_seconds Time to poll the whole fleet\n"
              "# TYPE micros_gateway_scrape_seconds gauge\nmicros_gateway_scrape_seconds %.6f\n",
              n, nup, secs);
    if (b.is_oom)
        reply(fd, 500, "text/plain", "out of memory\n", 14);
    else
        reply(fd, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    free(b.p);
    free(jobs);
    free(devs);
}

/* ---- request loop ---- */

/* Reads the request head within GW_REQ_TMO_MS. Returns its length or -1. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    uint64_t end = conn_now_ms() + GW_REQ_TMO_MS;
    while (n + 1 < cap) {
        uint64_t now = conn_now_ms();
        if (now >= end)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(end - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
        if (k <= 0)
            return -1;
        n += (size_t)k;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            return (int)n;
    }
    return -1;
}

static void serve(struct gw *g, int fd)
{
    char req[GW_REQ_MAX];
    if (read_head(fd, req, sizeof req) < 0)
        return;
    char method[8], target[GW_REQ_MAX];
    if (sscanf(req, "%7s %8191s", method, target) != 2) {
        reply(fd, 400, "text/plain", "bad request\n", 12);
        return;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        reply(fd, 405, "text/plain", "GET only\n", 9);
        return;
    }
    target[strcspn(target, "?")] = '\0';
    char path[GW_REQ_MAX];
    if (!pct_decode(target, strlen(target), path, sizeof path)) {
        reply(fd, 400, "text/plain", "bad escape\n", 11);
        return;
    }
    if (!strcmp(path, "/list") || !strcmp(path, "/list/")) {
        ep_list(g, fd);
    } else if (!strcmp(path, "/search") || !strcmp(path, "/search/")) {
        ep_search(g, fd);
    } else if (!strcmp(path, "/status") || !strcmp(path, "/status/")) {
        ep_status(g, fd);
    } else if (!strcmp(path, "/metrics") || !strcmp(path, "/metrics/")) {
        ep_fleet_metrics(g, fd);
    } else if (!strncmp(path, "/sendcmd/", 9) || !strncmp(path, "/metrics/", 9)) {
        bool is_metrics = path[1] == 'm';
        char *dev = path + 9, *slash = strchr(dev, '/');
        if (!slash || slash == dev || !slash[1]) {
            reply(fd, 400, "text/plain", "use /<sendcmd|metrics>/<device>/<cmd>\n", 38);
            return;
        }
        *slash = '\0';
        char *cmd = slash + 1;
        for (char *q = cmd; *q; q++)
            if (*q == '+' || *q == '/')
                *q = ' ';
        if (is_metrics)
            ep_metrics_cmd(g, fd, dev, cmd);
        else
            ep_sendcmd(g, fd, dev, cmd);
    } else {
        reply(fd, 404, "text/plain", "not found\n", 10);
    }
}

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

int ctl_gateway(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *bind_addr = o->bind ? o->bind : "0.0.0.0";
    unsigned port = o->is_port_set ? o->port : GW_DEFAULT_PORT;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1) {
        fprintf(stderr, "microsctl gateway: bad --bind '%s' (an IPv4 address)\n", bind_addr);
        return CTL_EXIT_USAGE;
    }
    /* Nodes are found at their cache entries' ports; --port is the gateway's own. */
    o->port = CTL_DEFAULT_PORT;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
        fprintf(stderr, "microsctl gateway: cannot listen on %s:%u: %s\n", bind_addr, port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return CTL_EXIT_FAIL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr,
            "microsctl gateway: http://%s:%u/ (%zu devices in %s): /list/ /search/ "
            "/status /sendcmd/<device>/<cmd> /metrics/<device>/<cmd> /metrics\n",
            bind_addr, port, cache_count(&o->cache), o->cache.path);
    struct gw g = {.o = o, .lfd = fd};
    while (!s_stop) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 500) <= 0)
            continue;
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        serve(&g, c);
        close(c);
    }
    close(fd);
    fprintf(stderr, "microsctl gateway: stopped after %llu fleet scrapes\n",
            (unsigned long long)g.scrapes);
    return CTL_EXIT_OK;
}
