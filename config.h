/* config.h - compile-time defaults for every size and feature.
 *
 * Each value can be overridden with -D or in app_config.h (included first when
 * MICROS_APP_CONFIG is defined). Feature flags are 0/1 and tested with #if. */
#ifndef MICROS_CONFIG_H
#define MICROS_CONFIG_H

#if defined(MICROS_APP_CONFIG) && MICROS_APP_CONFIG
#include "app_config.h"
#endif

/* Our release, in micrOS's "X.Y.Z-N" format (COMPAT A7). */
#ifndef MICROS_VERSION
#define MICROS_VERSION "0.1.0-0"
#endif
/* 1 for release builds: hello's 4th field says "rel", else "dev". */
#ifndef MICROS_RELEASE
#define MICROS_RELEASE 0
#endif

/* Event loop capacities. */
#ifndef EV_MAX_FDS
#define EV_MAX_FDS 1100
#endif
#ifndef EV_MAX_TIMERS
#define EV_MAX_TIMERS 4096
#endif

/* HTTP(S) client (hal_httpc): requests in flight at once, all users together. */
#ifndef HTTPC_MAX_INFLIGHT
#define HTTPC_MAX_INFLIGHT 16
#endif

/* Shell. */
#ifndef SHELL_LINE_MAX
#define SHELL_LINE_MAX 2048 /* longest command line, bytes (COMPAT A1) */
#endif
#ifndef SHELL_OUT_MAX
#define SHELL_OUT_MAX (256 * 1024) /* pending output per connection before it is dropped */
#endif
#ifndef SHELL_BUSY_WAIT_MS
#define SHELL_BUSY_WAIT_MS 5000 /* a newcomer waits this long for a free slot (COMPAT §1.6) */
#endif

/* Admission (COMPAT §1.6): a full client table admits a newcomer by closing the client idle
 * longest, if it has been idle at least this long (docs/compat.md). */
#ifndef CLIENT_IDLE_GRACE_MS
#define CLIENT_IDLE_GRACE_MS 1000
#endif

/* The most clients (shell + HTTP) a node can be started with (micros --maxconn N); each needs
 * one descriptor of the event loop beside the listeners and files. Default tables keep
 * micrOS's aioqueue rule (5..20 clients). */
#ifndef CLIENT_MAX
#define CLIENT_MAX 1024
#endif

/* Per-command scratch memory (arguments and reply values). */
#ifndef CMD_ARENA_SIZE
#define CMD_ARENA_SIZE (64 * 1024)
#endif

/* HTTP uploads (file server, update) in flight at once, node-wide; more wait for 503. */
#ifndef HTTP_UPLOADS_MAX
#define HTTP_UPLOADS_MAX 4
#endif

/* Update bundles (svc/bundle.h): files per bundle, bytes per file, bytes unpacked in all,
 * folders deep (web/a/b/c/d/e.html is 6). */
#ifndef BUNDLE_FILES_MAX
#define BUNDLE_FILES_MAX 256
#endif
#ifndef BUNDLE_FILE_MAX
#define BUNDLE_FILE_MAX (16u << 20)
#endif
#ifndef BUNDLE_UNPACKED_MAX_MIB
#define BUNDLE_UNPACKED_MAX_MIB 128
#endif
#define BUNDLE_UNPACKED_MAX ((uint64_t)BUNDLE_UNPACKED_MAX_MIB << 20)
#ifndef BUNDLE_DEPTH_MAX
#define BUNDLE_DEPTH_MAX 6
#endif
#define BUNDLE_STR_(x) #x
#define BUNDLE_STR(x)  BUNDLE_STR_(x)

/* InterCon (COMPAT §10.1): calls to other nodes. */
#ifndef INTERCON_CALLS_MAX
#define INTERCON_CALLS_MAX 8 /* calls in flight at once */
#endif
#ifndef INTERCON_CACHE_MAX
#define INTERCON_CACHE_MAX 16 /* resolver cache entries (system hosts) */
#endif
#ifndef INTERCON_REPLY_MAX
#define INTERCON_REPLY_MAX 4096 /* peer output kept per call */
#endif
#ifndef INTERCON_REPLY_LIMIT
#define INTERCON_REPLY_LIMIT (64 * 1024) /* a peer sending more than this fails the call */
#endif
#ifndef INTERCON_CONNECT_MS
#define INTERCON_CONNECT_MS 3000 /* non-blocking connect timeout */
#endif
#ifndef INTERCON_GREETING_MS
#define INTERCON_GREETING_MS 6000 /* first prompt; above SHELL_BUSY_WAIT_MS to see "busy" */
#endif
#ifndef INTERCON_REPLY_MS
#define INTERCON_REPLY_MS 20000 /* reply to the password or the command (micrOS client: 20 s) */
#endif
#ifndef INTERCON_BUSY_RETRY_MS
#define INTERCON_BUSY_RETRY_MS 100 /* a busy peer is tried once more after this */
#endif
#ifndef INTERCON_HOSTS_FILE
#define INTERCON_HOSTS_FILE "/etc/hosts" /* static name table read by the resolver */
#endif

_Static_assert(SHELL_LINE_MAX >= 256, "SHELL_LINE_MAX too small");
_Static_assert(CMD_ARENA_SIZE >= 4096, "CMD_ARENA_SIZE too small");
_Static_assert(CLIENT_MAX + 64 <= EV_MAX_FDS, "EV_MAX_FDS must hold CLIENT_MAX clients");

#endif
