/* http_webload.h - micrOS's `web load` on the HTTP server (COMPAT Part C.1): the page routes
 * /dashboard and /config/ui, and the file server (net/http_fs.h), registered on demand. */
#ifndef HTTP_WEBLOAD_H
#define HTTP_WEBLOAD_H

#include "../core/buf.h"
#include "../svc/endpoint.h"
#include "../svc/node.h"

/* Registers what (NODE_WEB_* bits) in eps, appending one line per service to out
 * ('\n'-separated). Loading twice is fine. Returns 0 or ERR_*. */
int http_web_load(struct endpoints *eps, struct node *node, unsigned what, struct buf *out);

#endif
