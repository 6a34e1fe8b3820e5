/* resolve.c - hal_resolve on Linux: c-ares on the node's event loop for DNS, Avahi for .local.
 *
 * c-ares reports the sockets it wants watched through its socket-state callback and its
 * next deadline through ares_timeout, so one channel runs on core/ev without threads (glibc's
 * getaddrinfo_a would run a thread per lookup). Every result is handed to the caller from a
 * 0 ms timer, so a callback never runs inside hal_resolve_start. */
#include "../../hal/hal_resolve.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "mdns_priv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef MICROS_HAVE_CARES
#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#endif

#define NAME_MAX_LEN 253

enum phase { PH_DNS, PH_MDNS, PH_DONE };

struct hal_resolve {
    struct ev_loop *loop;
    char name[NAME_MAX_LEN + 1];
    enum phase phase;
    bool is_cancelled; /* the caller is gone; freed when c-ares lets go */
    bool is_dns_busy;  /* c-ares still holds a pointer to us */
    struct mdns_lookup *ml;
    struct ev_timer timeout, done; /* overall limit; result delivery */
    int rc;
    char ip[48];
    char detail[160];
    hal_resolve_fn *cb;
    void *arg;
};

static void try_release(struct hal_resolve *r)
{
    if (r->is_cancelled && !r->is_dns_busy)
        free(r);
}

static int64_t on_done(struct ev_loop *loop, struct ev_timer *t)
{
    struct hal_resolve *r = t->arg;
    ev_timer_stop(loop, &r->timeout);
    ev_timer_stop(loop, &r->done); /* before r may be freed below */
    hal_resolve_fn *cb = r->cb;
    void *arg = r->arg;
    int rc = r->rc;
    char ip[48], detail[160];
    snprintf(ip, sizeof ip, "%s", r->ip);
    snprintf(detail, sizeof detail, "%s", r->detail);
    r->is_cancelled = true; /* the handle ends here */
    try_release(r);
    cb(arg, rc, rc == 0 ? ip : NULL, detail);
    return EV_DONE;
}

static void finish(struct hal_resolve *r, int rc, const char *ip, const char *detail)
{
    if (r->phase == PH_DONE || r->is_cancelled)
        return;
    r->phase = PH_DONE;
    r->rc = rc;
    snprintf(r->ip, sizeof r->ip, "%s", ip ? ip : "");
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
    r->done.arg = r;
    ev_timer_start(r->loop, &r->done, 0, on_done);
}

static void on_mdns(void *arg, int rc, const char *ip, const char *detail)
{
    struct hal_resolve *r = arg;
    r->ml = NULL;
    char why[160];
    snprintf(why, sizeof why, "mDNS: %s", detail && detail[0] ? detail : "no answer");
    finish(r, rc, ip, rc == 0 ? "" : why);
}

static void start_mdns(struct hal_resolve *r, const char *name, const char *dns_why)
{
    r->phase = PH_MDNS;
    const char *env = getenv("MICROS_MDNS");
    r->ml = env && !strcmp(env, "off") ? NULL : mdns_lookup_start(name, on_mdns, r);
    if (!r->ml) {
        char why[160];
        snprintf(why, sizeof why, "%s%sno mDNS (avahi-daemon not running)", dns_why,
                 dns_why[0] ? "; " : "");
        finish(r, ERR_NOHOST, NULL, why);
    }
}

static bool is_local(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && !strcasecmp(name + n - 6, ".local");
}

#ifdef MICROS_HAVE_CARES

static struct {
    bool is_init;
    ares_channel ch;
    struct ev_loop *loop;
    struct ev_timer tick;
} s_c;

static void on_sock(struct ev_loop *loop, int fd, unsigned events, void *arg);
static void rearm(void);

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    (void)data;
    unsigned want = (readable ? EV_READ : 0u) | (writable ? EV_WRITE : 0u);
    if (!want) {
        ev_io_stop(s_c.loop, fd);
        return;
    }
    if (ev_io_modify(s_c.loop, fd, want) == ERR_NOENT &&
        ev_io_start(s_c.loop, fd, want, on_sock, NULL) < 0)
        LOG_W("resolve: cannot watch a DNS socket (event loop table full)");
}

static void on_sock(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)arg;
    ares_process_fd(s_c.ch, events & (EV_READ | EV_ERROR) ? fd : ARES_SOCKET_BAD,
                    events & EV_WRITE ? fd : ARES_SOCKET_BAD);
    rearm();
}

static int64_t on_tick(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    ares_process_fd(s_c.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm();
    return EV_DONE;
}

/* Arms the tick for c-ares's next deadline (nothing when no query is pending). */
static void rearm(void)
{
    struct timeval tv, *tvp = ares_timeout(s_c.ch, NULL, &tv);
    if (!tvp) {
        ev_timer_stop(s_c.loop, &s_c.tick);
        return;
    }
    uint64_t ms = (uint64_t)tvp->tv_sec * 1000u + (uint64_t)tvp->tv_usec / 1000u;
    ev_timer_start(s_c.loop, &s_c.tick, ms, on_tick);
}

/* The DNS servers: $MICROS_DNS wins over the `dns` key; "system" = /etc/resolv.conf. */
static char s_servers[128] = "system";

static int cares_init(struct ev_loop *loop)
{
    if (s_c.is_init)
        return 0;
    const char *env = getenv("MICROS_DNS");
    const char *servers = env && *env ? env : s_servers;
    if (!strcmp(servers, "off"))
        return ERR_NOTSUP;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return ERR_NOMEM;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.sock_state_cb = sock_state;
    o.timeout = 1000; /* ms per try (ARES_OPT_TIMEOUTMS) */
    o.tries = 2;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    int rc = ares_init_options(&s_c.ch, &o, mask);
    if (rc != ARES_SUCCESS) {
        LOG_W("resolve: DNS client: %s", ares_strerror(rc));
        return ERR_IO;
    }
    if (strcmp(servers, "system") != 0) {
        rc = ares_set_servers_ports_csv(s_c.ch, servers);
        if (rc != ARES_SUCCESS) {
            LOG_W("resolve: dns servers '%s': %s", servers, ares_strerror(rc));
            ares_destroy(s_c.ch);
            return ERR_INVAL;
        }
    }
    s_c.loop = loop;
    s_c.is_init = true;
    return 0;
}

void hal_resolve_set_dns(const char *servers)
{
    snprintf(s_servers, sizeof s_servers, "%s", servers && *servers ? servers : "system");
}

static void on_host(void *arg, int status, int timeouts, struct hostent *h)
{
    (void)timeouts;
    struct hal_resolve *r = arg;
    r->is_dns_busy = false;
    if (r->is_cancelled) {
        try_release(r);
        return;
    }
    if (status == ARES_SUCCESS && h && h->h_addrtype == AF_INET && h->h_addr_list[0]) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, h->h_addr_list[0], ip, sizeof ip);
        finish(r, 0, ip, "");
        return;
    }
    char why[160];
    snprintf(why, sizeof why, "DNS: %s", ares_strerror(status));
    if (status != ARES_EDESTRUCTION && !strchr(r->name, '.')) {
        char alt[NAME_MAX_LEN + 8];
        snprintf(alt, sizeof alt, "%s.local", r->name);
        start_mdns(r, alt, why);
        return;
    }
    finish(r, ERR_NOHOST, NULL, why);
}

static int start_dns(struct hal_resolve *r)
{
    int rc = cares_init(r->loop);
    if (rc < 0)
        return rc;
    r->phase = PH_DNS;
    r->is_dns_busy = true;
    ares_gethostbyname(s_c.ch, r->name, AF_INET, on_host, r);
    if (s_c.is_init)
        rearm();
    return 0;
}

#else

static int start_dns(struct hal_resolve *r)
{
    (void)r;
    return ERR_NOTSUP;
}

void hal_resolve_set_dns(const char *servers)
{
    (void)servers;
}

#endif

static int64_t on_timeout(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct hal_resolve *r = t->arg;
    if (r->ml) {
        mdns_lookup_cancel(r->ml);
        r->ml = NULL;
    }
    finish(r, ERR_TIMEOUT, NULL, r->phase == PH_MDNS ? "no mDNS answer" : "no DNS answer");
    return EV_DONE;
}

int hal_resolve_start(struct ev_loop *loop, const char *name, uint32_t timeout_ms,
                      hal_resolve_fn *cb, void *arg, struct hal_resolve **out)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                                  "QRSTUVWXYZ0123456789-._") != n)
        return ERR_INVAL;
    struct hal_resolve *r = calloc(1, sizeof *r);
    if (!r)
        return ERR_NOMEM;
    r->loop = loop;
    memcpy(r->name, name, n + 1);
    r->cb = cb;
    r->arg = arg;
    r->timeout.arg = r;
    ev_timer_start(loop, &r->timeout, timeout_ms, on_timeout);
    if (is_local(name)) {
        start_mdns(r, name, "");
    } else if (start_dns(r) < 0) {
        if (!strchr(name, '.')) {
            char alt[NAME_MAX_LEN + 8];
            snprintf(alt, sizeof alt, "%s.local", name);
            start_mdns(r, alt, "DNS off (dns=off or not built)");
        } else {
            finish(r, ERR_NOHOST, NULL, "DNS off (dns=off or not built)");
        }
    }
    *out = r;
    return 0;
}

void hal_resolve_cancel(struct hal_resolve *r)
{
    if (!r)
        return;
    ev_timer_stop(r->loop, &r->timeout);
    ev_timer_stop(r->loop, &r->done);
    if (r->ml) {
        mdns_lookup_cancel(r->ml);
        r->ml = NULL;
    }
    r->is_cancelled = true;
    try_release(r);
}
