/* http_reply.c - response heads, status texts and content types. */
#include "../core/err.h"
#include "http_priv.h"

#include <string.h>

const char *http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return status < 300 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

int http_reply(struct buf *out, int status, const char *content_type, const char *extra,
               const void *body, size_t len, bool keep_alive, bool is_head)
{
    int rc = buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    if (rc == 0 && status != 304)
        rc = buf_printf(out, "content-length: %zu\r\n", len);
    if (rc == 0 && extra)
        rc = buf_puts(out, extra);
    if (rc == 0 && content_type)
        rc = buf_printf(out, "content-type: %s\r\n", content_type);
    if (rc == 0)
        rc = buf_puts(out,
                      keep_alive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n");
    if (rc == 0 && !is_head && status != 304 && len > 0)
        rc = buf_append(out, body, len);
    return rc;
}

int http_reply_error(struct buf *out, int status, const char *text, const char *extra,
                     bool keep_alive, bool is_head)
{
    if (!text)
        text = http_status_text(status);
    return http_reply(out, status, "text/plain", extra, text, strlen(text), keep_alive, is_head);
}

const char *http_content_type(struct str name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {.ext = ".html", .type = "text/html"},
        {.ext = ".css", .type = "text/css"},
        {.ext = ".js", .type = "application/javascript"},
        {.ext = ".json", .type = "application/json"},
        {.ext = ".ico", .type = "image/x-icon"},
        {.ext = ".jpeg", .type = "image/jpeg"},
        {.ext = ".jpg", .type = "image/jpeg"},
        {.ext = ".png", .type = "image/png"},
        {.ext = ".txt", .type = "text/plain"},
        {.ext = ".gif", .type = "image/gif"},
        {.ext = ".svg", .type = "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (str_ends(name, types[i].ext))
            return types[i].type;
    return "text/plain";
}

struct str http_req_header(const struct http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nhdr; i++)
        if (str_eqc(req->hdr[i].name, name))
            return req->hdr[i].value;
    return STR_NULL;
}
