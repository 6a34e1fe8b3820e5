/* http_fs.h - micrOS's file server over HTTP (COMPAT Part C.2) and the node's own files.
 *
 * Folders (under the node's data folder): the public folder web/user_data (uploads land
 * there; partial uploads in web/user_data/tmp, emptied at start), and the mounts $modules
 * (modules/), $data (data/) and $logs (logs/), read-only unless config fs_mounts_rw.
 *
 *   GET    /fs/dirs    [["/user_data","rw"],["$modules","r"],...]
 *   POST   /fs/list    body: a folder ("/user_data", "$logs"; empty = public) -> JSON list of
 *                      {"path","size","created"}, files only, .mpy hidden
 *   GET    /fs/files   the same for the public folder
 *   POST   /fs/files   multipart/form-data, each part with filename= (may name a folder:
 *                      "$data/x.dat"), streamed to a temp file, renamed when complete -> ok
 *   DELETE /fs/files   body: the path -> ok
 *   GET    /fs/usage   {"used": bytes, "free": bytes}
 *   GET    /fs         the node's web/filesui.html, else the built-in Files page
 *   GET    /$mount/<file>, /<file under web/>   the file, streamed
 *
 * File names must match ^[a-zA-Z0-9._-]+$ ("." and ".." refused); percent-encoded names
 * (filename*=) are refused. With config auth True every write (upload, delete) and every
 * mount read needs x-micros-auth = appwd; without auth they are open, as on micrOS. */
#ifndef HTTP_FS_H
#define HTTP_FS_H

#include "../svc/endpoint.h"
#include "../svc/node.h"

#include <stdbool.h>

/* Prepares the folders (empties the temp folder) and registers the /fs endpoints. Returns 0
 * or ERR_*. */
int http_fs_register(struct endpoints *eps, struct node *node);
/* For GET /<dpath>: when dpath names a file of the node (under web/, "" and ".../" meaning
 * index.html, or $mount/<file>), fills rep to stream it and returns true; a refused mount read
 * fills a 401 reply (rep->stream NULL) and returns true. Returns false when there is no such
 * file. rep->body must be set. */
bool http_fs_file(struct node *node, struct str dpath, const struct endpoint_req *req,
                  struct endpoint_reply *rep);
/* When the node's web/ folder has the regular file name, fills rep to stream it (keeping
 * rep->content_type when set) and returns true; false when there is none. Pages an endpoint
 * serves from web/ (dashboard, config, the Files UI) take this one streaming path too. */
bool http_fs_web_page(struct node *node, const char *name, struct endpoint_reply *rep);
/* True when name is a valid file name (^[a-zA-Z0-9._-]+$, not "." or ".."). */
bool http_fs_name_ok(struct str name);

#endif
