/* httpc_curl.c - hal_httpc on the libcurl multi interface, driven by the node's event loop.
 *
 * libcurl never gets a thread of ours and never blocks the loop: CURLMOPT_SOCKETFUNCTION maps
 * the sockets curl wants watched onto ev watchers, CURLMOPT_TIMERFUNCTION onto one ev timer, and
 * both call curl_multi_socket_action. Name resolution: Debian's libcurl (libcurl4-openssl-dev)
 * is built with the threaded resolver, so getaddrinfo runs on curl's own short-lived helper
 * thread and the loop only watches its wake-up pipe; nothing of ours runs off the loop thread. */
#include "../../hal/hal_httpc.h"

#include "../../core/err.h"
#include "../../core/ev.h"
#include "../../core/log.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct xfer {
    CURL *easy;
    int id; /* 0 = free slot */
    hal_httpc_done_fn *cb;
    void *arg;
    struct curl_slist *headers;
    char *body_out; /* request body copy */
    char *reply;    /* reply body, NUL-terminated */
    size_t reply_len, reply_cap, max_reply;
    bool is_too_big;
    char errbuf[CURL_ERROR_SIZE];
};

static struct {
    struct ev_loop *loop;
    CURLM *multi;
    struct ev_timer timer;
    struct xfer *xfers;
    size_t max;
    size_t inflight;
    int next_id;
    char base[256];
    char ca[512];
    bool is_curl_global;
} C;

static void check_done(void);

/* Runs curl on a socket event or a timeout, then reports finished transfers. */
static void drive(curl_socket_t s, int ev_bitmask)
{
    int running = 0;
    curl_multi_socket_action(C.multi, s, ev_bitmask, &running);
    check_done();
}

static void on_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)arg;
    int mask = 0;
    if (events & EV_READ)
        mask |= CURL_CSELECT_IN;
    if (events & EV_WRITE)
        mask |= CURL_CSELECT_OUT;
    if (events & EV_ERROR)
        mask |= CURL_CSELECT_ERR;
    drive(fd, mask);
}

static int64_t on_timer(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    drive(CURL_SOCKET_TIMEOUT, 0);
    return EV_DONE; /* curl re-arms through on_curl_timer when it wants another */
}

/* CURLMOPT_SOCKETFUNCTION: watch what curl asks for on s. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)userp;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        ev_io_stop(C.loop, s);
        return 0;
    }
    unsigned events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= EV_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= EV_WRITE;
    if (ev_io_modify(C.loop, s, events) == 0)
        return 0;
    int rc = ev_io_start(C.loop, s, events, on_io, NULL);
    if (rc < 0) {
        LOG_W("httpc: cannot watch socket %d: %s", (int)s, err_str(rc));
        return -1; /* curl fails the transfer */
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: one loop timer stands for curl's single timeout. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    (void)userp;
    if (timeout_ms < 0) {
        ev_timer_stop(C.loop, &C.timer);
        return 0;
    }
    return ev_timer_start(C.loop, &C.timer, (uint64_t)timeout_ms, on_timer) < 0 ? -1 : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nmemb;
    if (x->reply_len + n > x->max_reply) {
        x->is_too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (x->reply_len + n + 1 > x->reply_cap) {
        size_t cap = x->reply_cap ? x->reply_cap : 1024;
        while (cap < x->reply_len + n + 1)
            cap *= 2;
        if (cap > x->max_reply + 1)
            cap = x->max_reply + 1;
        char *p = realloc(x->reply, cap);
        if (!p)
            return 0;
        x->reply = p;
        x->reply_cap = cap;
    }
    memcpy(x->reply + x->reply_len, data, n);
    x->reply_len += n;
    x->reply[x->reply_len] = '\0';
    return n;
}

static void xfer_free(struct xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(C.multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    free(x->body_out);
    free(x->reply);
    memset(x, 0, sizeof *x);
    C.inflight--;
}

static int map_curl_error(CURLcode code, bool too_big)
{
    if (too_big)
        return ERR_TOOBIG;
    switch (code) {
    case CURLE_FILESIZE_EXCEEDED: return ERR_TOOBIG;
    case CURLE_OPERATION_TIMEDOUT: return ERR_TIMEOUT;
    case CURLE_COULDNT_CONNECT: return ERR_CONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return ERR_NOHOST;
    case CURLE_OUT_OF_MEMORY: return ERR_NOMEM;
    default: return ERR_IO;
    }
}

/* Reports every finished transfer: the slot is released before its callback runs, so the
 * callback may start new requests at once. */
static void check_done(void)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(C.multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (!x)
            continue;
        CURLcode code = msg->data.result;
        struct hal_httpc_reply r = {.errtext = "", .content_type = ""};
        long status = 0;
        char *ctype = NULL;
        char ctype_copy[128] = "";
        if (code == CURLE_OK) {
            curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
            if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
                snprintf(ctype_copy, sizeof ctype_copy, "%s", ctype);
            r.status = (int)status;
        } else {
            r.err = map_curl_error(code, x->is_too_big);
            r.errtext = r.err == ERR_TOOBIG ? "reply too large"
                        : x->errbuf[0]      ? x->errbuf
                                            : curl_easy_strerror(code);
        }
        char errtext[CURL_ERROR_SIZE];
        snprintf(errtext, sizeof errtext, "%s", r.errtext);
        r.errtext = errtext;
        r.content_type = ctype_copy;
        /* Keep the body and callback, release the slot, then call. */
        hal_httpc_done_fn *cb = x->cb;
        void *arg = x->arg;
        char *body = x->reply;
        size_t body_len = x->reply_len;
        x->reply = NULL;
        xfer_free(x);
        r.body = body && r.err == 0 ? body : "";
        r.body_len = r.err == 0 ? body_len : 0;
        cb(arg, &r);
        free(body);
    }
}

int hal_httpc_init(struct ev_loop *loop, size_t max_inflight)
{
    if (C.multi)
        return 0;
    if (max_inflight == 0)
        max_inflight = 1;
    if (!C.is_curl_global) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return ERR_NOMEM;
        C.is_curl_global = true;
    }
    C.xfers = calloc(max_inflight, sizeof *C.xfers);
    if (!C.xfers)
        return ERR_NOMEM;
    C.multi = curl_multi_init();
    if (!C.multi) {
        free(C.xfers);
        C.xfers = NULL;
        return ERR_NOMEM;
    }
    C.loop = loop;
    C.max = max_inflight;
    C.inflight = 0;
    curl_multi_setopt(C.multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(C.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    return 0;
}

void hal_httpc_deinit(void)
{
    if (!C.multi)
        return;
    for (size_t i = 0; i < C.max; i++)
        if (C.xfers[i].id)
            xfer_free(&C.xfers[i]);
    ev_timer_stop(C.loop, &C.timer);
    curl_multi_cleanup(C.multi);
    C.multi = NULL;
    free(C.xfers);
    C.xfers = NULL;
    C.max = 0;
    C.inflight = 0;
}

size_t hal_httpc_inflight(void)
{
    return C.inflight;
}

void hal_httpc_set_base(const char *base)
{
    snprintf(C.base, sizeof C.base, "%s", base ? base : "");
    size_t n = strlen(C.base);
    while (n > 0 && C.base[n - 1] == '/')
        C.base[--n] = '\0';
}

void hal_httpc_set_ca(const char *file)
{
    snprintf(C.ca, sizeof C.ca, "%s", file ? file : "");
}

/* Writes url into out, with its scheme://host[:port] replaced by the base override. */
static int effective_url(const char *url, char *out, size_t cap)
{
    bool is_http = strncmp(url, "http://", 7) == 0;
    bool is_https = strncmp(url, "https://", 8) == 0;
    if (!is_http && !is_https)
        return ERR_INVAL;
    const char *rest = url;
    if (C.base[0]) {
        rest = url + (is_https ? 8 : 7);
        rest += strcspn(rest, "/?#");
    }
    int n = snprintf(out, cap, "%s%s", C.base[0] ? C.base : "", rest);
    if (n < 0 || (size_t)n >= cap)
        return ERR_INVAL;
    return 0;
}

static bool valid_method(const char *m)
{
    if (!m[0] || strlen(m) > 16)
        return false;
    for (const char *p = m; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return false;
    return true;
}

static int setup(struct xfer *x, const struct hal_httpc_req *req, const char *url)
{
    CURL *e = x->easy;
    const char *method = req->method ? req->method : "GET";
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     (long)(req->timeout_ms ? req->timeout_ms : HAL_HTTPC_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "micrOS-C");
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_reply);
    if (C.ca[0]) {
        curl_easy_setopt(e, CURLOPT_CAINFO, C.ca);
        curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");
    }
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        if (req->body || strcmp(method, "POST") == 0) {
            x->body_out = malloc(req->body_len + 1);
            if (!x->body_out)
                return ERR_NOMEM;
            if (req->body_len)
                memcpy(x->body_out, req->body, req->body_len);
            x->body_out[req->body_len] = '\0';
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body_out);
        }
    }
    /* No "Expect: 100-continue" round trip for small bodies. */
    x->headers = curl_slist_append(NULL, "Expect:");
    if (!x->headers)
        return ERR_NOMEM;
    for (const char *const *h = req->headers; h && *h; h++) {
        if (strchr(*h, '\r') || strchr(*h, '\n'))
            return ERR_INVAL;
        struct curl_slist *l = curl_slist_append(x->headers, *h);
        if (!l)
            return ERR_NOMEM;
        x->headers = l;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    return 0;
}

int hal_httpc_request(const struct hal_httpc_req *req, hal_httpc_done_fn *cb, void *arg)
{
    if (!C.multi)
        return ERR_NOTSUP;
    if (!req || !req->url || !cb || (req->method && !valid_method(req->method)))
        return ERR_INVAL;
    char url[HAL_HTTPC_MAX_URL];
    int rc = effective_url(req->url, url, sizeof url);
    if (rc < 0)
        return rc;
    struct xfer *x = NULL;
    for (size_t i = 0; i < C.max && !x; i++)
        if (!C.xfers[i].id)
            x = &C.xfers[i];
    if (!x)
        return ERR_FULL;
    memset(x, 0, sizeof *x);
    x->easy = curl_easy_init();
    if (!x->easy)
        return ERR_NOMEM;
    if (++C.next_id <= 0)
        C.next_id = 1;
    x->id = C.next_id;
    x->cb = cb;
    x->arg = arg;
    x->max_reply = req->max_reply ? req->max_reply : HAL_HTTPC_MAX_REPLY;
    C.inflight++;
    rc = setup(x, req, url);
    if (rc == 0 && curl_multi_add_handle(C.multi, x->easy) != CURLM_OK)
        rc = ERR_NOMEM;
    if (rc < 0) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        xfer_free(x);
        return rc;
    }
    return x->id;
}

void hal_httpc_cancel(int id)
{
    if (id <= 0 || !C.multi)
        return;
    for (size_t i = 0; i < C.max; i++)
        if (C.xfers[i].id == id) {
            xfer_free(&C.xfers[i]);
            return;
        }
}
