/* endpoint.c - the registry of module endpoints and the x-micros-auth flow. */
#include "endpoint.h"

#include "../core/err.h"
#include "../core/ev.h"
#include "auth.h"
#include "cfg.h"

#include <stdio.h>
#include <string.h>

/* Headers of every 401 (COMPAT §3.4): nothing cached, nothing sniffed, no referrer. */
#define AUTH_HEADERS                                                                               \
    "cache-control: no-store\r\nx-content-type-options: nosniff\r\nreferrer-policy: "              \
    "no-referrer\r\n"

static const char s_auth_html[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n"
    "<title>Authentication required</title>\n</head>\n<body>\n"
    "<script src=\"/auth.js\" data-micros-auth=\"1\"></script>\n</body>\n</html>\n";

void endpoints_init(struct endpoints *eps)
{
    memset(eps, 0, sizeof *eps);
}

static struct str strip_slash(struct str p)
{
    while (p.len > 0 && p.p[0] == '/') {
        p.p++;
        p.len--;
    }
    return p;
}

static struct endpoint *find(struct endpoints *eps, struct str path)
{
    for (size_t i = 0; i < eps->n; i++)
        if (str_eqc(path, eps->items[i].path))
            return &eps->items[i];
    return NULL;
}

/* The endpoint registered at p, or a new empty one for it. Returns 0, ERR_TOOBIG, ERR_FULL. */
static int slot_for(struct endpoints *eps, struct str p, struct endpoint **out)
{
    if (p.len >= ENDPOINT_PATH_MAX)
        return ERR_TOOBIG;
    struct endpoint *ep = find(eps, p);
    if (!ep) {
        if (eps->n == ENDPOINT_MAX)
            return ERR_FULL;
        ep = &eps->items[eps->n++];
        memset(ep, 0, sizeof *ep);
        str_copy(ep->path, sizeof ep->path, p);
    }
    *out = ep;
    return 0;
}

int endpoint_add(struct endpoints *eps, const char *path, unsigned methods, unsigned flags,
                 endpoint_fn *fn, void *arg)
{
    struct str p = strip_slash(str_c(path));
    if (p.len == 0 || !fn || !(methods & (EP_GET | EP_POST | EP_DELETE)))
        return ERR_INVAL;
    struct endpoint *ep;
    int rc = slot_for(eps, p, &ep);
    if (rc < 0)
        return rc;
    ep->methods |= methods;
    ep->flags = flags;
    ep->fn = fn;
    ep->arg = arg;
    return 0;
}

int endpoint_add_body(struct endpoints *eps, const char *path, unsigned flags,
                      const struct endpoint_body_ops *ops, void *arg)
{
    struct str p = strip_slash(str_c(path));
    if (p.len == 0 || !ops || !ops->begin || !ops->data || !ops->end || !ops->close)
        return ERR_INVAL;
    struct endpoint *ep;
    int rc = slot_for(eps, p, &ep);
    if (rc < 0)
        return rc;
    ep->methods |= EP_POST;
    ep->flags = flags;
    ep->body = ops;
    ep->body_arg = arg;
    return 0;
}

int endpoint_del(struct endpoints *eps, const char *path)
{
    struct endpoint *ep = find(eps, strip_slash(str_c(path)));
    if (!ep)
        return ERR_NOENT;
    size_t i = (size_t)(ep - eps->items);
    memmove(ep, ep + 1, (eps->n - i - 1) * sizeof *ep);
    eps->n--;
    return 0;
}

const struct endpoint *endpoint_find(const struct endpoints *eps, struct str path)
{
    return find((struct endpoints *)eps, strip_slash(path));
}

int endpoint_list_get(const struct endpoints *eps, struct buf *out)
{
    int rc = 0;
    bool first = true;
    for (size_t i = 0; rc == 0 && i < eps->n; i++) {
        if (!(eps->items[i].methods & EP_GET) || (eps->items[i].flags & EP_UNLISTED))
            continue;
        rc = buf_printf(out, "%s\"%s\"", first ? "" : ", ", eps->items[i].path);
        first = false;
    }
    return rc;
}

struct str endpoint_header(const struct endpoint_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (str_eqc(req->headers[i].name, name))
            return req->headers[i].value;
    return STR_NULL;
}

bool endpoint_password_ok(const char *want, struct str got)
{
    struct str w = str_c(want);
    return w.len > 0 && str_eq_secret(got, w);
}

bool endpoint_secret_ok(struct node *node, const struct endpoint_req *req, const char *want,
                        struct str got)
{
    if (!node->auth || !node->loop)
        return endpoint_password_ok(want, got);
    uint64_t wait = 0;
    return auth_check(node->auth, req->peer, "http", want, got, ev_now(node->loop), &wait) ==
           AUTH_OK;
}

/* True when the client prefers a page: Accept names text/html or application/xhtml+xml. */
static bool wants_html(const struct endpoint_req *req)
{
    struct str acc = endpoint_header(req, "accept");
    return str_contains(acc, "text/html") || str_contains(acc, "application/xhtml+xml");
}

int endpoint_deny(const struct endpoint_req *req, struct endpoint_reply *rep)
{
    rep->status = 401;
    if (req->method == EP_GET && wants_html(req)) {
        rep->content_type = "text/html";
        rep->headers = AUTH_HEADERS "content-security-policy: default-src 'self'\r\n";
        return buf_puts(rep->body, s_auth_html);
    }
    rep->content_type = "application/json";
    rep->headers = AUTH_HEADERS;
    return buf_puts(rep->body, "{\"state\": false, \"result\": \"Auth required\"}");
}

bool endpoint_allowed(struct node *node, const struct endpoint *ep, const struct endpoint_req *req,
                      struct endpoint_reply *rep)
{
    if (!(ep->flags & EP_SUDO))
        return true;
    struct str pwd = endpoint_header(req, "x-micros-auth");
    enum auth_verdict v = AUTH_WRONG;
    uint64_t wait = 0;
    if (pwd.p && node->auth && node->loop)
        v = auth_check(node->auth, req->peer, "http", cfg_get_str(node->cfg, CFG_K_appwd),
                       str_trim(pwd), ev_now(node->loop), &wait);
    else if (pwd.p)
        v = endpoint_password_ok(cfg_get_str(node->cfg, CFG_K_appwd), str_trim(pwd)) ? AUTH_OK
                                                                                     : AUTH_WRONG;
    if (v == AUTH_OK)
        return true;
    if (v == AUTH_BACKOFF) {
        /* Inside the address's back-off window: not compared at all. */
        rep->status = 429;
        rep->content_type = "application/json";
        snprintf(rep->headers_buf, sizeof rep->headers_buf,
                 "retry-after: %llu\r\ncache-control: no-store\r\n",
                 (unsigned long long)auth_retry_after_s(wait));
        rep->headers = rep->headers_buf;
        buf_printf(rep->body,
                   "{\"state\": false, \"result\": \"Too many failed logins, retry in "
                   "%llu ms\"}",
                   (unsigned long long)wait);
        return false;
    }
    endpoint_deny(req, rep);
    return false;
}

int endpoint_call(struct node *node, const struct endpoint *ep, const struct endpoint_req *req,
                  struct endpoint_reply *rep)
{
    rep->status = 200;
    rep->content_type = "application/json";
    rep->headers = NULL;
    if (!endpoint_allowed(node, ep, req, rep))
        return 0;
    if (!ep->fn)
        return ERR_NOTSUP;
    return ep->fn(node, req, rep, ep->arg);
}
