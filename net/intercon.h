/* intercon.h - InterCon: `<cmd> >>host` runs <cmd> on another node's shell (COMPAT §10.1).
 *
 * The call answers at once with a native task `con.<target>.<module>` ({'con.0.1.hello':
 * 'Starting'}) and then, on the event loop and never blocking: resolves host (IPv4 literal,
 * the resolver cache, the hosts file; `<name>.local` and plain names are tried both ways),
 * connects to host:port (port: ours unless `host:port` is given), reads the greeting prompt,
 * sends our own appwd when the peer asks for a password, retries once after 100 ms when the
 * peer is busy, checks that the prompt's devfid is the host's first label (unless host is an
 * IP), sends the command without a newline and reads until the prompt. The reply, minus the
 * prompt and with newlines turned into spaces, becomes the task's output (`task show`), and
 * the task finishes. Every failure (unknown host, refused, timeout, busy, auth failed, prompt
 * mismatch) ends the task with "[intercon] <Reason>: <detail>" as output and pushes the same
 * text as an unsolicited "~~~ " line to the shell clients, always after the command's own
 * reply. Names missing from the cache and the hosts file are looked up asynchronously
 * (hal_resolve: mDNS for .local, DNS otherwise) within `dns_timeout_ms`.
 *
 * All memory is the fixed call and cache tables inside struct intercon (caller-owned). */
#ifndef INTERCON_H
#define INTERCON_H

#include "../config.h"
#include "../core/ev.h"
#include "../svc/cmd.h"
#include "../svc/exec.h"
#include "../svc/node.h"
#include "../svc/task.h"
#include "conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTERCON_HOST_MAX 64 /* longest host name + 1 */
#define INTERCON_IP_MAX   48 /* longest IP literal + 1 */

_Static_assert(INTERCON_REPLY_MAX >= 1024, "INTERCON_REPLY_MAX too small");
_Static_assert(INTERCON_CALLS_MAX >= 1, "INTERCON_CALLS_MAX too small");
_Static_assert(INTERCON_CACHE_MAX >= 1, "INTERCON_CACHE_MAX too small");

enum intercon_state {
    IC_FREE,       /* slot unused */
    IC_START,      /* waiting for the next loop pass to resolve and connect */
    IC_CONNECTING, /* non-blocking connect in progress */
    IC_GREETING,   /* reading the peer's first prompt */
    IC_AUTH,       /* password sent, waiting for AuthOk */
    IC_REPLY,      /* command sent, reading until the prompt */
    IC_RETRY,      /* peer was busy: waiting before the one retry */
    IC_RESOLVING,  /* waiting for DNS / mDNS (hal_resolve) */
};

/* One call in flight. Fields are InterCon's own. */
struct intercon_call {
    enum intercon_state state;
    struct intercon *owner;
    int task_id;      /* native task id */
    struct conn conn; /* the connection to the peer, while has_conn */
    bool has_conn;
    bool is_ip; /* host was an IP literal: no prompt check */
    bool is_retried;
    uint16_t port;
    char host[INTERCON_HOST_MAX]; /* without :port */
    char ip[INTERCON_IP_MAX];
    char prompt[INTERCON_HOST_MAX + 4]; /* "<devfid> $" from the greeting */
    char cmd[SHELL_LINE_MAX];           /* the command sent, no newline */
    size_t cmd_len;                     /* bytes of cmd to send */
    char in[INTERCON_REPLY_MAX];        /* peer output of the current phase */
    size_t in_len;
    bool is_in_cut;        /* output beyond INTERCON_REPLY_MAX was dropped from the middle */
    struct ev_timer timer; /* start, retry and timeouts */
    struct hal_resolve *rsv; /* name lookup in flight, or NULL */
};

/* One resolver cache entry (what `system hosts` shows). */
struct intercon_host {
    char name[INTERCON_HOST_MAX];
    char ip[INTERCON_IP_MAX];
    uint64_t used_ms; /* last use, for replacing the least recently used */
};

struct intercon_stats {
    uint64_t calls;  /* calls started */
    uint64_t ok;     /* replies stored */
    uint64_t failed; /* calls ended by an error */
    uint64_t busy;   /* calls refused: no free call slot */
    uint64_t cache_hits;
};

struct intercon {
    struct node *node;
    uint16_t port; /* default peer port: our own shell port */
    struct intercon_call call[INTERCON_CALLS_MAX];
    struct intercon_host cache[INTERCON_CACHE_MAX];
    struct intercon_stats stats;
};

/* Prepares ic for node (node->loop, node->cfg and node->tasks must be set); port is the
 * default peer port (our own shell port). Allocates nothing. */
void intercon_init(struct intercon *ic, struct node *node, uint16_t port);
/* Closes every call in flight (their tasks stay as they are) and forgets the cache. */
void intercon_deinit(struct intercon *ic);
/* node_intercon_fn: starts `c >>c->remote` (node->intercon_arg is the struct intercon) and
 * fills res with the immediate task reply. */
void intercon_run(struct node *node, const struct cmd *c, struct arena *a, struct exec_result *res);
/* node_hosts_fn: adds the resolver cache to d as name -> ip (node->intercon_arg is the
 * struct intercon). */
void intercon_hosts(struct node *node, struct arena *a, struct val *d);
/* Writes the task target for host (no port): the last two octets of an IPv4 (1.72), all
 * labels but the last of a dotted name (node02), else the name. Returns the length. */
size_t intercon_target(const char *host, char *out, size_t cap);

#endif
