/* hal_httpc.h - the node's non-blocking HTTP(S) client, driven by the event loop.
 *
 * One client per process (like the GPIO backend): app/ calls hal_httpc_init with the node's
 * loop; anyone may then start requests. A request never blocks: the port drives the transfer
 * from the loop's fd watchers and timers and calls the completion callback exactly once, from
 * the loop (never from inside hal_httpc_request), unless the request is cancelled first.
 *
 *     static void done(void *arg, const struct hal_httpc_reply *r)
 *     {
 *         if (r->err < 0)
 *             LOG_W("webhook: %s", r->errtext);      // transport error, no HTTP status
 *         else if (r->status != 200) ...              // any HTTP status is not an error here
 *     }
 *     struct hal_httpc_req req = {.method = "POST", .url = "https://example.org/hook",
 *                                 .headers = (const char *[]){"Content-Type: application/json",
 *                                                             NULL},
 *                                 .body = json, .body_len = strlen(json)};
 *     int id = hal_httpc_request(&req, done, ctx);   // > 0, or ERR_FULL / ERR_INVAL / ...
 *
 * Limits: at most hal_httpc_init's max_inflight requests at once (ERR_FULL beyond: the caller
 * queues or drops); every request has a timeout (HAL_HTTPC_TIMEOUT_MS when 0) and a reply size
 * bound (HAL_HTTPC_MAX_REPLY when 0; a longer reply fails with ERR_TOOBIG).
 *
 * Tests: hal_httpc_set_base replaces the scheme://host[:port] of every URL by a local stub
 * server's, and hal_httpc_set_ca adds a CA file to trust, so a test can answer for
 * api.telegram.org without touching the network. */
#ifndef HAL_HTTPC_H
#define HAL_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;

#ifndef HAL_HTTPC_TIMEOUT_MS
#define HAL_HTTPC_TIMEOUT_MS 10000u /* whole request, connect included */
#endif
#ifndef HAL_HTTPC_MAX_REPLY
#define HAL_HTTPC_MAX_REPLY (64u * 1024u) /* reply body bytes kept */
#endif
#define HAL_HTTPC_MAX_URL 2048

struct hal_httpc_req {
    const char *method;         /* "GET", "POST", "PUT", "DELETE", ... (NULL = GET) */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* "Name: value" strings, NULL-terminated; NULL = none */
    const char *body;           /* request body (copied), or NULL */
    size_t body_len;
    uint32_t timeout_ms; /* 0 = HAL_HTTPC_TIMEOUT_MS */
    size_t max_reply;    /* 0 = HAL_HTTPC_MAX_REPLY */
};

struct hal_httpc_reply {
    int err;             /* 0, or ERR_TIMEOUT, ERR_CONNREFUSED, ERR_NOHOST, ERR_TOOBIG, ERR_IO */
    const char *errtext; /* short reason for err ("" when err is 0); never holds secrets */
    int status;          /* HTTP status (0 when err < 0) */
    const char *body;    /* reply body, NUL-terminated; valid only during the callback */
    size_t body_len;
    const char *content_type; /* the reply's Content-Type, or "" */
};

/* Called once when a request finishes (any HTTP status) or fails. */
typedef void hal_httpc_done_fn(void *arg, const struct hal_httpc_reply *reply);

/* Starts the client on loop with room for max_inflight concurrent requests. Returns 0,
 * ERR_NOMEM, or ERR_NOTSUP when the port has no HTTP client. */
int hal_httpc_init(struct ev_loop *loop, size_t max_inflight);
/* Cancels every request (no callbacks) and frees the client. Safe when never started. */
void hal_httpc_deinit(void);

/* Starts a request; cb(arg, reply) follows from the loop. Returns a request id > 0, or
 * ERR_INVAL (bad method/URL), ERR_FULL (max_inflight reached), ERR_NOTSUP (not started),
 * ERR_NOMEM; on failure cb is never called. */
int hal_httpc_request(const struct hal_httpc_req *req, hal_httpc_done_fn *cb, void *arg);
/* Cancels request id without calling its callback; safe for a finished or unknown id. */
void hal_httpc_cancel(int id);
/* The number of requests in flight. */
size_t hal_httpc_inflight(void);

/* Test/override: every URL's scheme://host[:port] is replaced by base ("https://127.0.0.1:8443");
 * NULL or "" restores normal URLs. */
void hal_httpc_set_base(const char *base);
/* Trusts the CA certificates in file (PEM) as well as the system's; NULL or "" = system only. */
void hal_httpc_set_ca(const char *file);

#endif
