/* http_webload.c - `web load`: page routes and the file server, registered on demand. */
#include "http_webload.h"

#include "../core/err.h"
#include "http_fs.h"
#include "web_assets.h"

#include <stdio.h>
#include <string.h>

/* GET of a page: the node's web/<name> when it has one (a micrOS UI copied there wins),
 * else the built-in page of that name. */
static int on_page(struct node *node, const struct endpoint_req *req, struct endpoint_reply *rep,
                   void *arg)
{
    (void)req;
    const char *name = arg;
    rep->content_type = "text/html";
    rep->headers = "cache-control: no-cache\r\n";
    if (http_fs_web_page(node, name, rep))
        return 0; /* streamed from disk: no size cap, no whole-file buffer */
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (strcmp(a->path, name) == 0)
            return buf_append(rep->body, a->data, a->size);
    rep->status = 404;
    rep->content_type = "text/plain";
    return buf_printf(rep->body, "%s not found", name);
}

int http_web_load(struct endpoints *eps, struct node *node, unsigned what, struct buf *out)
{
    int rc = 0;
    if (what & NODE_WEB_DASHBOARD) {
        rc = endpoint_add(eps, "dashboard", EP_GET, 0, on_page, (void *)"dashboard.html");
        if (rc == 0)
            rc = buf_puts(out, "Dashboard initialized, endpoint: /dashboard\n");
    }
    if (rc == 0 && (what & (NODE_WEB_FILESERVER | NODE_WEB_MOUNTS))) {
        rc = http_fs_register(eps, node);
        if (rc == 0)
            rc = buf_puts(out, "Fileserver initialized, endpoint: /fs\n");
        if (rc == 0 && (what & NODE_WEB_MOUNTS))
            rc = buf_puts(out, "File explorer mounts: $modules, $data, $logs (config "
                               "fs_mounts_rw for writes)\n");
    }
    if (rc == 0 && (what & NODE_WEB_CONFIG)) {
        rc = endpoint_add(eps, "config/ui", EP_GET, 0, on_page, (void *)"config.html");
        if (rc == 0)
            rc = buf_puts(out, "Config initialized, endpoint: /config/ui\n");
    }
    return rc;
}
