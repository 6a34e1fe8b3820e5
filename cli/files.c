/* files.c - microsctl put/get/ls/rm over the node's file server, update (self-update with its
 * SHA-256) and pacman passthrough (docs/files.md). Plain blocking HTTP/1.1 on the node's web
 * port, one request per connection; a progress bar on stderr when it is a terminal; a link
 * that drops fails with how far it got, and a download is written to a temp file that is
 * renamed only when complete. */
#include "../core/err.h"
#include "../core/sha256.h"
#include "ctl.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BOUNDARY "----microsctl-5f3b9c1e7a"
#define PIECE    (64 * 1024)

struct http_resp {
    int status;
    long long length; /* content-length, -1 = until close */
    bool chunked;
    char *body; /* small bodies (the whole reply, NUL-terminated) */
    size_t len;
};

static bool s_bar; /* show progress bars */

static void bar(const char *what, unsigned long long done, unsigned long long total)
{
    if (!s_bar || total == 0)
        return;
    int pc = (int)(done * 100 / total);
    int fill = pc / 4;
    fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%% %llu/%llu KiB", what, fill,
            "#########################", 25 - fill, "", pc, done / 1024, total / 1024);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Connects to the device's web port. Returns a socket or -1 (message printed). */
static int web_connect(struct ctl_opts *o, const char *device)
{
    char msg[512] = "";
    struct sockaddr_in addr;
    int rc = cache_resolve(&o->cache, device, o->port, &addr, NULL, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "microsctl: %s\n", msg[0] ? msg : "unknown device");
        return -1;
    }
    addr.sin_port = htons((uint16_t)o->webport);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {o->reply_timeout_ms / 1000, (o->reply_timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        char ip[64];
        inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
        fprintf(stderr, "microsctl: cannot reach %s:%u (the web port; --webport): %s\n", ip,
                o->webport, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the response head into r; leftover body bytes go to rest and nrest (inside head). */
static int read_head(int fd, struct http_resp *r, char *head, size_t cap, size_t *nrest,
                     char **rest)
{
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        if (n + 1 >= cap)
            return -1;
        ssize_t k = recv(fd, head + n, cap - n - 1, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        n += (size_t)k;
        head[n] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    *end = '\0';
    *rest = end + 4;
    *nrest = n - (size_t)(end + 4 - head);
    r->status = 0;
    r->length = -1;
    r->chunked = false;
    sscanf(head, "HTTP/%*s %d", &r->status);
    for (char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
        char *v = l + 2;
        if (!strncasecmp(v, "content-length:", 15))
            r->length = atoll(v + 15);
        else if (!strncasecmp(v, "transfer-encoding:", 18) && strstr(v, "chunked"))
            r->chunked = true;
    }
    return 0;
}

/* Reads a small reply body (at most 4 MiB, not chunked) into r->body. */
static int read_small(int fd, struct http_resp *r)
{
    char head[16384], *rest;
    size_t nrest;
    if (read_head(fd, r, head, sizeof head, &nrest, &rest) < 0)
        return -1;
    size_t cap = r->length >= 0 ? (size_t)r->length + 1 : 4 * 1024 * 1024;
    if (cap > 4 * 1024 * 1024)
        cap = 4 * 1024 * 1024;
    r->body = malloc(cap + 1);
    if (!r->body)
        return -1;
    r->len = nrest < cap ? nrest : cap;
    memcpy(r->body, rest, r->len);
    while (r->len < cap && (r->length < 0 || (long long)r->len < r->length)) {
        ssize_t k = recv(fd, r->body + r->len, cap - r->len, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        r->len += (size_t)k;
    }
    r->body[r->len] = '\0';
    return r->length >= 0 && (long long)r->len < r->length ? -1 : 0;
}

/* One small request: sends head (+ body) and reads the reply. Returns 0 or -1 (printed unless
 * quiet). */
static int request(struct ctl_opts *o, const char *device, const char *method, const char *path,
                   const char *ctype, const char *body, struct http_resp *r, bool quiet)
{
    int fd = quiet ? -1 : web_connect(o, device);
    if (quiet) {
        FILE *keep = stderr;
        stderr = fopen("/dev/null", "w");
        fd = web_connect(o, device);
        if (stderr)
            fclose(stderr);
        stderr = keep;
    }
    if (fd < 0)
        return -1;
    char head[2048];
    int w = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nhost: node\r\nconnection: close\r\ncontent-length: %zu\r\n",
                     method, path, body ? strlen(body) : 0);
    if (ctype)
        w += snprintf(head + w, sizeof head - (size_t)w, "content-type: %s\r\n", ctype);
    if (o->password)
        w += snprintf(head + w, sizeof head - (size_t)w, "x-micros-auth: %s\r\n", o->password);
    w += snprintf(head + w, sizeof head - (size_t)w, "\r\n");
    int rc = w < (int)sizeof head ? send_all(fd, head, (size_t)w) : -1;
    if (rc == 0 && body)
        rc = send_all(fd, body, strlen(body));
    if (rc == 0)
        rc = read_small(fd, r);
    close(fd);
    if (rc < 0 && !quiet)
        fprintf(stderr, "microsctl: the connection dropped before the reply was complete\n");
    return rc;
}

static int status_exit(const struct http_resp *r)
{
    if (r->status == 401)
        fprintf(stderr, "microsctl: the node needs its password: --password or MICROS_PASSWORD\n");
    return r->status >= 200 && r->status < 300 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

/* After a head with "expect: 100-continue": waits (up to 3 s) for the node to accept the
 * body. Returns 1 to send it, or 0 when the node answered already (its reply is in r). */
static int await_continue(int fd, struct http_resp *r)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0)
        return 1; /* no word: send anyway */
    char head[4096], *rest;
    size_t nrest;
    if (read_head(fd, r, head, sizeof head, &nrest, &rest) < 0)
        return 0;
    if (r->status == 100)
        return 1;
    r->body = malloc(nrest + 4096);
    if (r->body) {
        memcpy(r->body, rest, nrest);
        r->len = nrest;
        ssize_t k = r->length > (long long)nrest ? recv(fd, r->body + nrest, 4095, 0) : 0;
        r->len += k > 0 ? (size_t)k : 0;
        r->body[r->len] = '\0';
    }
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* After a Lua module's upload into $modules: asks the node (`lua stats`) whether it loads and
 * prints how to call it, or why it cannot run (a syntax error, a reserved name). Silent when
 * the node does not say (a node with auth on answers REST only for modules already in use). */
static void lua_check(struct ctl_opts *o, const char *device, const char *remote)
{
    const char *prefix = "$modules/LM_";
    size_t n = strlen(remote), np = strlen(prefix);
    if (n <= np + 4 || strncmp(remote, prefix, np) != 0 || strcmp(remote + n - 4, ".lua") != 0)
        return;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(n - np - 4), remote + np);
    struct http_resp r = {0};
    if (request(o, device, "GET", "/rest/lua/stats", NULL, NULL, &r, true) == 0 &&
        r.status == 200 && r.body) {
        cJSON *j = cJSON_Parse(r.body);
        const cJSON *e =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), name);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(e, "error");
        if (cJSON_IsString(err))
            fprintf(stderr, "microsctl: the node cannot run it: %s\n", err->valuestring);
        else if (cJSON_IsObject(e))
            printf("%s is ready: microsctl run %s '%s help'\n", name, device, name);
        cJSON_Delete(j);
    }
    free(r.body);
}

int ctl_put(struct ctl_opts *o, int argc, char **argv)
{
    const char *device = argv[0], *local = argv[1];
    char remote[512];
    if (argc > 2) {
        size_t n = strlen(argv[2]);
        if (n && argv[2][n - 1] == '/') /* a folder: keep the file's name */
            snprintf(remote, sizeof remote, "%s%s", argv[2], base_name(local));
        else
            snprintf(remote, sizeof remote, "%s", argv[2]);
    } else {
        snprintf(remote, sizeof remote, "%s", base_name(local));
    }
    FILE *f = fopen(local, "rb");
    if (!f) {
        fprintf(stderr, "microsctl: %s: %s\n", local, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    struct stat st;
    fstat(fileno(f), &st);
    unsigned long long size = (unsigned long long)st.st_size;
    char pre[1024];
    int pl = snprintf(pre, sizeof pre,
                      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                      "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                      remote);
    const char *post = "\r\n--" BOUNDARY "--\r\n";
    int fd = web_connect(o, device);
    if (fd < 0) {
        fclose(f);
        return CTL_EXIT_CONN;
    }
    char head[1024];
    int hl =
        snprintf(head, sizeof head,
                 "POST /fs/files HTTP/1.1\r\nhost: node\r\nconnection: close\r\n"
                 "content-type: multipart/form-data; boundary=" BOUNDARY "\r\n"
                 "content-length: %llu\r\n%s%s%s\r\n",
                 (unsigned long long)pl + size + strlen(post), o->password ? "x-micros-auth: " : "",
                 o->password ? o->password : "", o->password ? "\r\n" : "");
    struct http_resp r = {0};
    int rc = send_all(fd, head, (size_t)hl);
    if (rc == 0 && !await_continue(fd, &r)) {
        close(fd);
        fclose(f);
        int ex = r.status ? status_exit(&r) : CTL_EXIT_CONN;
        fprintf(stderr, "microsctl: put %s: HTTP %d: %s\n", local, r.status,
                r.body ? r.body : "no reply");
        free(r.body);
        return ex ? ex : CTL_EXIT_FAIL;
    }
    if (rc == 0)
        rc = send_all(fd, pre, (size_t)pl);
    char *buf = malloc(PIECE);
    unsigned long long sent = 0;
    while (rc == 0 && buf && sent < size) {
        size_t k = fread(buf, 1, PIECE, f);
        if (k == 0)
            break;
        rc = send_all(fd, buf, k);
        sent += k;
        bar(remote, sent, size);
    }
    free(buf);
    fclose(f);
    if (rc == 0)
        rc = send_all(fd, post, strlen(post));
    if (rc == 0)
        rc = read_small(fd, &r);
    close(fd);
    if (rc < 0 || sent < size) {
        if (s_bar)
            fputc('\n', stderr);
        fprintf(stderr,
                "microsctl: put %s: the connection dropped after %llu of %llu bytes; the node "
                "keeps no partial file\n",
                local, sent, size);
        free(r.body);
        return CTL_EXIT_CONN;
    }
    int ex = status_exit(&r);
    if (ex)
        fprintf(stderr, "microsctl: put %s: HTTP %d: %s\n", local, r.status, r.body);
    else
        printf("%s -> %s (%llu bytes)\n", local, remote, size);
    free(r.body);
    if (!ex)
        lua_check(o, device, remote);
    return ex;
}

int ctl_get(struct ctl_opts *o, int argc, char **argv)
{
    const char *device = argv[0], *remote = argv[1];
    const char *local = argc > 2 ? argv[2] : base_name(remote);
    while (*remote == '/')
        remote++;
    int fd = web_connect(o, device);
    if (fd < 0)
        return CTL_EXIT_CONN;
    char head[1024];
    int hl = snprintf(head, sizeof head,
                      "GET /%s HTTP/1.1\r\nhost: node\r\nconnection: close\r\n%s%s%s\r\n", remote,
                      o->password ? "x-micros-auth: " : "", o->password ? o->password : "",
                      o->password ? "\r\n" : "");
    struct http_resp r = {0};
    char rh[16384], *rest;
    size_t nrest;
    if (send_all(fd, head, (size_t)hl) < 0 || read_head(fd, &r, rh, sizeof rh, &nrest, &rest) < 0) {
        close(fd);
        fprintf(stderr, "microsctl: get %s: no reply\n", remote);
        return CTL_EXIT_CONN;
    }
    if (r.status != 200) {
        close(fd);
        fprintf(stderr, "microsctl: get %s: HTTP %d%s\n", remote, r.status,
                r.status == 401   ? " (needs --password)"
                : r.status == 404 ? " (no such file)"
                                  : "");
        return CTL_EXIT_FAIL;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.part", local);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        close(fd);
        fprintf(stderr, "microsctl: %s: %s\n", tmp, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    unsigned long long got = nrest, total = r.length > 0 ? (unsigned long long)r.length : 0;
    bool ok = fwrite(rest, 1, nrest, f) == nrest;
    char *buf = malloc(PIECE);
    while (ok && buf && (r.length < 0 || got < total)) {
        ssize_t k = recv(fd, buf, PIECE, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        ok = fwrite(buf, 1, (size_t)k, f) == (size_t)k;
        got += (unsigned long long)k;
        bar(local, got, total);
    }
    free(buf);
    close(fd);
    ok = fclose(f) == 0 && ok;
    if (!ok || (r.length >= 0 && got < total)) {
        remove(tmp);
        fprintf(stderr,
                "microsctl: get %s: the connection dropped after %llu of %llu bytes; %s "
                "not written\n",
                remote, got, total, local);
        return CTL_EXIT_CONN;
    }
    if (rename(tmp, local) < 0) {
        fprintf(stderr, "microsctl: %s: %s\n", local, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    printf("%s -> %s (%llu bytes)\n", remote, local, got);
    return CTL_EXIT_OK;
}

int ctl_ls(struct ctl_opts *o, int argc, char **argv)
{
    struct http_resp r = {0};
    if (request(o, argv[0], "POST", "/fs/list", "text/plain", argc > 1 ? argv[1] : "/user_data", &r,
                false) < 0)
        return CTL_EXIT_CONN;
    int ex = status_exit(&r);
    if (ex) {
        fprintf(stderr, "microsctl: ls: HTTP %d: %s\n", r.status, r.body);
    } else if (o->is_json) {
        printf("%s\n", r.body);
    } else {
        cJSON *j = cJSON_Parse(r.body);
        cJSON *it;
        cJSON_ArrayForEach(it, j)
        {
            cJSON *p = cJSON_GetObjectItem(it, "path"), *s = cJSON_GetObjectItem(it, "size"),
                  *c = cJSON_GetObjectItem(it, "created");
            char when[32] = "";
            time_t t = c ? (time_t)c->valuedouble : 0;
            struct tm tm;
            if (t && localtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            printf("%12.0f  %s  %s\n", s ? s->valuedouble : 0, when, p ? p->valuestring : "?");
        }
        cJSON_Delete(j);
    }
    free(r.body);
    return ex;
}

int ctl_rm(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    struct http_resp r = {0};
    if (request(o, argv[0], "DELETE", "/fs/files", "text/plain", argv[1], &r, false) < 0)
        return CTL_EXIT_CONN;
    int ex = status_exit(&r);
    if (ex)
        fprintf(stderr, "microsctl: rm %s: HTTP %d: %s\n", argv[1], r.status, r.body);
    else
        printf("removed %s\n", argv[1]);
    free(r.body);
    return ex;
}

/* The node's `system update` as a JSON object (the caller deletes it), or NULL when the node
 * does not answer yet. Over REST; on a node with auth on (REST answers Auth:Protected for
 * modules not loaded since its start) over the shell with the password. */
static cJSON *update_state(struct ctl_opts *o, const char *device)
{
    struct http_resp s = {0};
    unsigned keep = o->reply_timeout_ms;
    o->reply_timeout_ms = 1000;
    int q = request(o, device, "GET", "/rest/system/update", NULL, NULL, &s, true);
    o->reply_timeout_ms = keep;
    if (q < 0 || s.status != 200) {
        free(s.body);
        return NULL;
    }
    cJSON *j = cJSON_Parse(s.body);
    free(s.body);
    cJSON *res = cJSON_DetachItemFromObject(j, "result");
    cJSON_Delete(j);
    if (cJSON_IsObject(res))
        return res;
    cJSON_Delete(res);
    struct conn c;
    struct cache_dev dev;
    if (ctl_open(o, device, &c, &dev, false))
        return NULL;
    cJSON *out = NULL;
    if (conn_cmd(&c, "system update >json") == 0) {
        size_t len;
        const char *r = conn_reply(&c, &len);
        out = cJSON_ParseWithLength(r, len);
        if (!cJSON_IsObject(out)) {
            cJSON_Delete(out);
            out = NULL;
        }
    }
    conn_close(&c);
    return out;
}

/* Judges a node's update state: an exit status once it gives a verdict, else -1. */
typedef int verdict_fn(cJSON *state, const char *old_version);

/* Follows a switch the node accepted: it goes away, restarts, then reports its verdict in
 * its update state. Reads it every 250 ms for 60 s; what names the step in the timeout line. */
static int follow_verdict(struct ctl_opts *o, const char *device, const char *what,
                          verdict_fn *judge, const char *old_version)
{
    for (int i = 0; i < 240; i++) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        cJSON *res = update_state(o, device);
        int ex = judge(res, old_version);
        cJSON_Delete(res);
        if (ex >= 0)
            return ex;
    }
    fprintf(stderr, "microsctl: %s: no verdict from the node within 60 s\n", what);
    return CTL_EXIT_CONN;
}

/* A bundle (or a rollback): applied at the node's next start. */
static int bundle_verdict(cJSON *res, const char *old_version)
{
    (void)old_version;
    cJSON *phase = cJSON_GetObjectItem(res, "bundle");
    cJSON *last = cJSON_GetObjectItem(res, "bundle_result");
    const char *ph = cJSON_IsString(phase) ? phase->valuestring : "";
    const char *lr = cJSON_IsString(last) ? last->valuestring : "?";
    if (!strcmp(ph, "applied")) {
        printf("%s\n", lr);
        return CTL_EXIT_OK;
    }
    if (!strcmp(ph, "failed")) {
        printf("not applied: %s\n", lr);
        return CTL_EXIT_FAIL;
    }
    return -1;
}

/* A program: confirmed by the new version's self-check, or rolled back to the old one. */
static int program_verdict(cJSON *res, const char *old_version)
{
    cJSON *state = cJSON_GetObjectItem(res, "state");
    cJSON *ver = cJSON_GetObjectItem(res, "version");
    cJSON *last = cJSON_GetObjectItem(res, "last_result");
    const char *stx = cJSON_IsString(state) ? state->valuestring : "";
    if (!strcmp(stx, "confirmed")) {
        printf("updated: %s -> %s\n", old_version, cJSON_IsString(ver) ? ver->valuestring : "?");
        return CTL_EXIT_OK;
    }
    if (!strcmp(stx, "rolledback") || !strcmp(stx, "failed")) {
        printf("not updated, the node is back on %s: %s\n",
               cJSON_IsString(ver) ? ver->valuestring : "?",
               cJSON_IsString(last) ? last->valuestring : "?");
        return CTL_EXIT_FAIL;
    }
    return -1;
}

int ctl_update(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    const char *device = argv[0], *local = argv[1];
    FILE *f = fopen(local, "rb");
    if (!f) {
        fprintf(stderr, "microsctl: %s: %s\n", local, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    struct stat st;
    fstat(fileno(f), &st);
    unsigned long long size = (unsigned long long)st.st_size;
    /* a program (ELF) or a bundle (.tar.gz / .tar of modules/ and web/) */
    unsigned char magic[512] = {0};
    size_t nm = fread(magic, 1, sizeof magic, f);
    rewind(f);
    bool is_bundle = (nm >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) ||
                     (nm >= 262 && memcmp(magic + 257, "ustar", 5) == 0);
    if (!is_bundle && (nm < 4 || memcmp(magic,
                                        "\x7f"
                                        "ELF",
                                        4) != 0)) {
        fclose(f);
        fprintf(stderr,
                "microsctl: update: %s is neither a micros program (ELF) nor a bundle (.tar.gz "
                "or .tar, see 'microsctl bundle')\n",
                local);
        return CTL_EXIT_FAIL;
    }
    const char *what = is_bundle ? "bundle" : "update";
    char *buf = malloc(PIECE);
    struct sha256 sha;
    sha256_init(&sha);
    size_t k;
    while (buf && (k = fread(buf, 1, PIECE, f)) > 0)
        sha256_update(&sha, buf, k);
    uint8_t d[32];
    char hex[65];
    sha256_final(&sha, d);
    sha256_hex(d, hex);
    rewind(f);
    char old[64] = "?";
    cJSON *before = update_state(o, device);
    cJSON *v = cJSON_GetObjectItem(before, "version");
    if (cJSON_IsString(v))
        snprintf(old, sizeof old, "%s", v->valuestring);
    cJSON_Delete(before);
    int fd = web_connect(o, device);
    if (fd < 0) {
        fclose(f);
        free(buf);
        return CTL_EXIT_CONN;
    }
    char head[1024];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nhost: node\r\nconnection: close\r\ncontent-type: "
                      "application/octet-stream\r\ncontent-length: %llu\r\nexpect: 100-continue\r\n"
                      "x-sha256: %s\r\n%s%s%s\r\n",
                      is_bundle ? "/update/bundle" : "/update", size, hex,
                      o->password ? "x-micros-auth: " : "", o->password ? o->password : "",
                      o->password ? "\r\n" : "");
    int rc = send_all(fd, head, (size_t)hl);
    struct http_resp r = {0};
    if (rc == 0 && !await_continue(fd, &r)) {
        close(fd);
        fclose(f);
        free(buf);
        fprintf(stderr, "microsctl: %s: HTTP %d: %s\n", what, r.status,
                r.body ? r.body : "no reply");
        if (r.status == 401)
            fprintf(stderr,
                    "microsctl: the node needs its password: --password or MICROS_PASSWORD\n");
        free(r.body);
        return CTL_EXIT_FAIL;
    }
    unsigned long long sent = 0;
    while (rc == 0 && buf && (k = fread(buf, 1, PIECE, f)) > 0) {
        rc = send_all(fd, buf, k);
        sent += k;
        bar(what, sent, size);
    }
    fclose(f);
    free(buf);
    if (rc == 0)
        rc = read_small(fd, &r);
    close(fd);
    if (rc < 0) {
        fprintf(stderr,
                "microsctl: %s: the connection dropped after %llu of %llu bytes; the "
                "node keeps its %s\n",
                what, sent, size, is_bundle ? "files" : "program");
        free(r.body);
        return CTL_EXIT_CONN;
    }
    if (r.status != 200) {
        fprintf(stderr, "microsctl: %s: HTTP %d: %s\n", what, r.status, r.body);
        free(r.body);
        return CTL_EXIT_FAIL;
    }
    printf("%s\n", r.body);
    free(r.body);
    return is_bundle ? follow_verdict(o, device, "bundle", bundle_verdict, NULL)
                     : follow_verdict(o, device, "update", program_verdict, old);
}

int ctl_rollback(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    struct http_resp r = {0};
    if (request(o, argv[0], "POST", "/update/bundle/rollback", "text/plain", "", &r, false) < 0)
        return CTL_EXIT_CONN;
    int ex = status_exit(&r);
    if (ex) {
        fprintf(stderr, "microsctl: rollback: HTTP %d: %s\n", r.status, r.body);
        free(r.body);
        return ex;
    }
    printf("%s\n", r.body);
    free(r.body);
    return follow_verdict(o, argv[0], "rollback", bundle_verdict, NULL);
}

int ctl_pacman(struct ctl_opts *o, int argc, char **argv)
{
    char line[2048] = "pacman";
    size_t n = strlen(line);
    for (int i = 1; i < argc; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, " %s", argv[i]);
    if (n >= sizeof line) {
        fprintf(stderr, "microsctl: pacman: command too long\n");
        return CTL_EXIT_USAGE;
    }
    char *args[2] = {argv[0], line};
    return ctl_run(o, 2, args);
}

void ctl_files_init(void)
{
    s_bar = isatty(STDERR_FILENO) && !getenv("MICROS_NO_PROGRESS");
}
