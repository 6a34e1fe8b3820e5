/* endpoint.h - HTTP endpoints that Load Modules register (COMPAT §3.4).
 *
 * A module (or app/) registers a path with the methods it answers and one
 * callback. The HTTP server routes a request whose path matches exactly (no
 * leading '/') to it, after /rest and before static files. The callback sees
 * the method, path, query, headers (names lower-case) and body, and answers
 * with a status, a content type and a body it appends to rep->body.
 *
 * An endpoint registered with EP_SUDO needs the node's password in the
 * x-micros-auth header (micrOS's @sudo over the web): without it the caller
 * gets 401 with a JSON body, or a tiny HTML page that loads /auth.js when the
 * client asks for text/html; never WWW-Authenticate. The header is compared
 * with appwd in constant time. Transport-neutral: net/http only builds the
 * request and writes the reply. */
#ifndef ENDPOINT_H
#define ENDPOINT_H

#include "../core/buf.h"
#include "../core/str.h"
#include "node.h"

#include <stdbool.h>
#include <stddef.h>

#ifndef ENDPOINT_MAX
#define ENDPOINT_MAX 32 /* registered endpoints per node */
#endif
#define ENDPOINT_PATH_MAX 96

/* Methods, combinable in a mask. */
#define EP_GET    1u
#define EP_POST   2u
#define EP_DELETE 4u
/* Flag: needs x-micros-auth == appwd. */
#define EP_SUDO 1u
/* Flag: a node endpoint (/metrics), not listed in /rest's usr_endpoints. */
#define EP_UNLISTED 2u

struct endpoint_header {
    struct str name; /* lower-case */
    struct str value;
};

struct endpoint_req {
    const char *peer; /* client address "ip:port" (password back-off, svc/auth.h), or NULL */
    unsigned method;  /* one of EP_GET, EP_POST, EP_DELETE (HEAD arrives as EP_GET) */
    struct str path;  /* percent-decoded, without the leading '/' */
    struct str query; /* raw text after '?', or empty */
    const struct endpoint_header *headers;
    size_t nheaders;
    struct str body;
};

/* A reply that streams: the server sends the head, then asks next() for more whenever
 * the client has taken what was sent. next appends at most want bytes to out and returns 1
 * (appended: ask again when sent), 0 (nothing yet: ask again after *again_ms) or -1 (the
 * end). close is called once, always (the end, or the client went away). */
struct endpoint_stream_ops {
    int (*next)(void *state, struct buf *out, size_t want, uint32_t *again_ms);
    void (*close)(void *state);
};

struct endpoint_reply {
    int status;               /* 200 unless the callback sets another */
    const char *content_type; /* static string; "application/json" unless set */
    const char *headers;      /* extra "name: value\r\n" lines (static), or NULL */
    char headers_buf[64];     /* room for headers made per request (headers may point here) */
    struct buf *body;         /* owned by the caller; append the reply here */
    /* Optional: stream the body instead (body must stay empty). stream_len is the exact
     * length (content-length), or -1 (chunked; close-delimited for HTTP/1.0). */
    const struct endpoint_stream_ops *stream;
    void *stream_state;
    int64_t stream_len;
};

/* A request body that streams (uploads): handed over in pieces as it arrives, never held
 * whole. begin sees the request with an empty body and len (content-length); it returns 0
 * to take the body (setting *state), 1 after filling rep to refuse it, or ERR_* (500).
 * data returns 0, or 1 after filling rep to stop (the rest is not read; the connection
 * closes after the reply). end fills the reply once the whole body arrived. close is called
 * once, always, last (also when the client went away): it must remove what is unfinished. */
struct endpoint_body_ops {
    int (*begin)(struct node *node, const struct endpoint_req *req, uint64_t len, void **state,
                 struct endpoint_reply *rep, void *arg);
    int (*data)(void *state, const void *p, size_t n, struct endpoint_reply *rep);
    int (*end)(void *state, struct endpoint_reply *rep);
    void (*close)(void *state);
};

/* An endpoint callback. Returns 0, or ERR_* (the server then answers 500). */
typedef int endpoint_fn(struct node *node, const struct endpoint_req *req,
                        struct endpoint_reply *rep, void *arg);

struct endpoint {
    char path[ENDPOINT_PATH_MAX]; /* without the leading '/': "config", "config/reboot" */
    unsigned methods;             /* EP_GET | EP_POST | EP_DELETE */
    unsigned flags;               /* EP_SUDO */
    endpoint_fn *fn;
    void *arg;
    const struct endpoint_body_ops *body; /* POST bodies stream to these (or NULL) */
    void *body_arg;
};

struct endpoints {
    struct endpoint items[ENDPOINT_MAX];
    size_t n;
};

/* Empties the registry. */
void endpoints_init(struct endpoints *eps);
/* Registers fn for path (leading '/' ignored) and methods. Registering the same path again
 * adds the methods with the new callback. Returns 0, ERR_INVAL (empty path or no method),
 * ERR_TOOBIG (path too long) or ERR_FULL. */
int endpoint_add(struct endpoints *eps, const char *path, unsigned methods, unsigned flags,
                 endpoint_fn *fn, void *arg);
/* Registers a streaming POST body handler for path (svc/endpoint.h endpoint_body_ops); the
 * path may also have GET/DELETE callbacks. Returns like endpoint_add. */
int endpoint_add_body(struct endpoints *eps, const char *path, unsigned flags,
                      const struct endpoint_body_ops *ops, void *arg);
/* Removes path. Returns 0 or ERR_NOENT. */
int endpoint_del(struct endpoints *eps, const char *path);
/* Returns the endpoint registered for path (any method), or NULL. */
const struct endpoint *endpoint_find(const struct endpoints *eps, struct str path);
/* Appends the paths that answer GET as JSON strings, comma-separated ("\"config\", ..."),
 * in registration order (the usr_endpoints of /rest). */
int endpoint_list_get(const struct endpoints *eps, struct buf *out);

/* Runs ep for req: checks EP_SUDO first (filling a 401 reply when the password is missing
 * or wrong), then calls the callback. rep->body must be set by the caller; status and
 * content type are initialised here. Returns the callback's result (0 for a 401). */
int endpoint_call(struct node *node, const struct endpoint *ep, const struct endpoint_req *req,
                  struct endpoint_reply *rep);

/* Checks EP_SUDO of ep for req: true when allowed; otherwise fills rep with the 401 reply. */
bool endpoint_allowed(struct node *node, const struct endpoint *ep, const struct endpoint_req *req,
                      struct endpoint_reply *rep);
/* Fills rep with the 401 reply of a request without the right x-micros-auth. */
int endpoint_deny(const struct endpoint_req *req, struct endpoint_reply *rep);

/* Returns the value of header name (lower-case) in req, or an empty view with p NULL. */
struct str endpoint_header(const struct endpoint_req *req, const char *name);
/* Checks a secret a client sent (a password, a token) through the node's per-address back-off
 * (svc/auth.h): false when wrong or when the address is inside its back-off window. */
bool endpoint_secret_ok(struct node *node, const struct endpoint_req *req, const char *want,
                        struct str got);
/* Compares a password with want (non-empty) in time that depends only on the lengths. */
bool endpoint_password_ok(const char *want, struct str got);

#endif
