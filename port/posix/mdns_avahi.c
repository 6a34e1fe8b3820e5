/* mdns_avahi.c - hal_mdns on Linux: an Avahi client driven by the node's event loop.
 *
 * Avahi's event-loop integration is an AvahiPoll: a table of watch and timeout functions
 * that we implement on core/ev fd watchers and timers (no avahi threaded poll, no blocking).
 * D-Bus may watch one fd twice (read and write), so watches are multiplexed per fd. The host
 * name `<devfid>.local` is an address record in our own entry group (the daemon keeps its
 * own host name); AVAHI_PUBLISH_NO_REVERSE leaves the reverse record to the daemon. */
#include "../../hal/hal_mdns.h"

#include "../../core/err.h"
#include "../../core/log.h"
#include "mdns_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MICROS_HAVE_AVAHI
#include <arpa/inet.h>
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-common/watch.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/time.h>

struct AvahiWatch {
    int fd;
    AvahiWatchEvent want, got;
    AvahiWatchCallback cb;
    void *ud;
    bool is_dead;
    struct AvahiWatch *next;
};

struct AvahiTimeout {
    struct ev_timer t;
    AvahiTimeoutCallback cb;
    void *ud;
};

static struct {
    struct ev_loop *loop;
    AvahiPoll api;
    struct AvahiWatch *watches;
    int dispatching;
    AvahiClient *client;
    AvahiEntryGroup *group;
    struct hal_mdns_info info;
    bool has_info, is_started;
    const char *state;
    char detail[160];
    struct ev_timer retry;
} s_a;

static void set_state(const char *state, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_state(const char *state, const char *fmt, ...)
{
    char line[sizeof s_a.detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s_a.state == state && !strcmp(line, s_a.detail))
        return;
    s_a.state = state;
    snprintf(s_a.detail, sizeof s_a.detail, "%s", line);
    LOG_I("mdns: %s", line);
}

/* ---- AvahiPoll on core/ev ---- */

static unsigned to_ev(AvahiWatchEvent e)
{
    return (e & AVAHI_WATCH_IN ? EV_READ : 0u) | (e & AVAHI_WATCH_OUT ? EV_WRITE : 0u);
}

static void on_fd(struct ev_loop *loop, int fd, unsigned events, void *arg);

/* Re-computes what the loop watches on fd from the live watches of fd. */
static void fd_sync(int fd)
{
    unsigned want = 0;
    for (struct AvahiWatch *w = s_a.watches; w; w = w->next)
        if (w->fd == fd && !w->is_dead)
            want |= to_ev(w->want);
    if (!want) {
        ev_io_stop(s_a.loop, fd);
        return;
    }
    if (ev_io_modify(s_a.loop, fd, want) == ERR_NOENT &&
        ev_io_start(s_a.loop, fd, want, on_fd, NULL) < 0)
        LOG_W("mdns: cannot watch fd %d (event loop table full)", fd);
}

static void sweep_dead(void)
{
    struct AvahiWatch **pp = &s_a.watches;
    while (*pp) {
        struct AvahiWatch *w = *pp;
        if (w->is_dead) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void on_fd(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)arg;
    AvahiWatchEvent got = (events & EV_READ ? AVAHI_WATCH_IN : 0) |
                          (events & EV_WRITE ? AVAHI_WATCH_OUT : 0) |
                          (events & EV_ERROR ? AVAHI_WATCH_HUP : 0);
    s_a.dispatching++;
    for (struct AvahiWatch *w = s_a.watches; w; w = w->next) {
        if (w->fd != fd || w->is_dead)
            continue;
        AvahiWatchEvent mine = got & (w->want | AVAHI_WATCH_HUP | AVAHI_WATCH_ERR);
        if (!mine)
            continue;
        w->got = mine;
        w->cb(w, fd, mine, w->ud);
        if (!w->is_dead)
            w->got = 0;
    }
    if (--s_a.dispatching == 0)
        sweep_dead();
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
                             AvahiWatchCallback cb, void *ud)
{
    (void)api;
    struct AvahiWatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->fd = fd;
    w->want = event;
    w->cb = cb;
    w->ud = ud;
    w->next = s_a.watches;
    s_a.watches = w;
    fd_sync(fd);
    return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
    w->want = event;
    fd_sync(w->fd);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
    return w->got;
}

static void watch_free(AvahiWatch *w)
{
    w->is_dead = true;
    fd_sync(w->fd);
    if (!s_a.dispatching)
        sweep_dead();
}

static int64_t on_timeout(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct AvahiTimeout *to = t->arg;
    to->cb(to, to->ud); /* may update or free to */
    return EV_DONE;
}

static void timeout_arm(struct AvahiTimeout *to, const struct timeval *tv)
{
    ev_timer_stop(s_a.loop, &to->t);
    if (!tv)
        return;
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t ms = (int64_t)(tv->tv_sec - now.tv_sec) * 1000 + (tv->tv_usec - now.tv_usec) / 1000;
    if (ms < 0)
        ms = 0;
    to->t.arg = to;
    if (ev_timer_start(s_a.loop, &to->t, (uint64_t)ms, on_timeout) < 0)
        LOG_W("mdns: event loop timer table full");
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
                                 AvahiTimeoutCallback cb, void *ud)
{
    (void)api;
    struct AvahiTimeout *to = calloc(1, sizeof *to);
    if (!to)
        return NULL;
    to->cb = cb;
    to->ud = ud;
    timeout_arm(to, tv);
    return to;
}

static void timeout_update(AvahiTimeout *to, const struct timeval *tv)
{
    timeout_arm(to, tv);
}

static void timeout_free(AvahiTimeout *to)
{
    ev_timer_stop(s_a.loop, &to->t);
    free(to);
}

/* ---- publishing ---- */

static void on_group(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
    (void)ud;
    if (g != s_a.group)
        return;
    switch (st) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        set_state("announced", "announced %s.local, _micros._tcp port %u%s%.0u", s_a.info.devfid,
                  (unsigned)s_a.info.shell_port, s_a.info.web_port ? ", _http._tcp port " : "",
                  (unsigned)s_a.info.web_port);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION:
        set_state("collision",
                  "%s.local or its services are taken by another host on this network: not "
                  "announced (choose another devfid)",
                  s_a.info.devfid);
        break;
    case AVAHI_ENTRY_GROUP_FAILURE:
        set_state("failed", "announcing failed: %s",
                  avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
    default: break;
    }
}

/* Adds <devfid>.local -> our IPv4 address(es). Returns the number added or an Avahi error. */
static int add_addresses(const char *host)
{
    int added = 0;
    AvahiAddress addr = {.proto = AVAHI_PROTO_INET};
    const char *bind = s_a.info.bind_addr;
    if (bind[0] && strcmp(bind, "0.0.0.0") != 0) {
        if (inet_pton(AF_INET, bind, &addr.data.ipv4.address) != 1 ||
            !strncmp(bind, "127.", 4))
            return 0;
        int rc = avahi_entry_group_add_address(s_a.group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET,
                                               AVAHI_PUBLISH_NO_REVERSE, host, &addr);
        return rc < 0 ? rc : 1;
    }
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return 0;
    for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
        if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET || (p->ifa_flags & IFF_LOOPBACK) ||
            !(p->ifa_flags & IFF_UP))
            continue;
        addr.data.ipv4.address = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr;
        int rc = avahi_entry_group_add_address(s_a.group, (AvahiIfIndex)if_nametoindex(p->ifa_name),
                                               AVAHI_PROTO_INET, AVAHI_PUBLISH_NO_REVERSE, host,
                                               &addr);
        if (rc >= 0)
            added++;
    }
    freeifaddrs(ifa);
    return added;
}

static void publish(void)
{
    if (!s_a.client || !s_a.has_info ||
        avahi_client_get_state(s_a.client) != AVAHI_CLIENT_S_RUNNING)
        return;
    if (!s_a.group)
        s_a.group = avahi_entry_group_new(s_a.client, on_group, NULL);
    else
        avahi_entry_group_reset(s_a.group);
    if (!s_a.group) {
        set_state("failed", "cannot create an entry group: %s",
                  avahi_strerror(avahi_client_errno(s_a.client)));
        return;
    }
    char host[HAL_MDNS_NAME_MAX + 8], uid[96], ver[48], web[32];
    snprintf(host, sizeof host, "%s.local", s_a.info.devfid);
    int naddr = add_addresses(host);
    if (naddr < 0) {
        set_state("failed", "cannot add %s: %s", host, avahi_strerror(naddr));
        return;
    }
    snprintf(uid, sizeof uid, "uid=%s", s_a.info.uid);
    snprintf(ver, sizeof ver, "version=%s", s_a.info.version);
    snprintf(web, sizeof web, "webport=%u", (unsigned)s_a.info.web_port);
    const char *target = naddr > 0 ? host : NULL; /* else the daemon's own host name */
    int rc = avahi_entry_group_add_service(s_a.group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, 0,
                                           s_a.info.devfid, "_micros._tcp", NULL, target,
                                           s_a.info.shell_port, uid, ver, web, NULL);
    if (rc >= 0 && s_a.info.web_port)
        rc = avahi_entry_group_add_service(s_a.group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, 0,
                                           s_a.info.devfid, "_http._tcp", NULL, target,
                                           s_a.info.web_port, "path=/", NULL);
    if (rc >= 0)
        rc = avahi_entry_group_commit(s_a.group);
    if (rc < 0) {
        set_state(rc == AVAHI_ERR_COLLISION ? "collision" : "failed", "cannot announce %s: %s",
                  host, avahi_strerror(rc));
        return;
    }
    if (naddr == 0)
        LOG_W("mdns: no non-loopback IPv4 address: services point at the daemon's host name");
    set_state("registering", "registering %s.local", s_a.info.devfid);
}

static void client_start(void);

static int64_t on_retry(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    (void)t;
    client_start();
    return EV_DONE;
}

static void on_client(AvahiClient *c, AvahiClientState st, void *ud)
{
    (void)ud;
    switch (st) {
    case AVAHI_CLIENT_S_RUNNING:
        s_a.client = c;
        publish();
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        if (s_a.group)
            avahi_entry_group_reset(s_a.group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        set_state("no daemon",
                  "no avahi-daemon is running: %s.local and _micros._tcp are not announced "
                  "(waiting for the daemon)",
                  s_a.has_info ? s_a.info.devfid : "<devfid>");
        break;
    case AVAHI_CLIENT_FAILURE: {
        int err = avahi_client_errno(c);
        set_state("no daemon", "avahi-daemon went away (%s): retrying in 5 s", avahi_strerror(err));
        /* The client is freed outside its own callback. */
        s_a.group = NULL;
        ev_timer_start(s_a.loop, &s_a.retry, 0, on_retry);
        break;
    }
    }
}

static void client_start(void)
{
    if (s_a.client && avahi_client_get_state(s_a.client) == AVAHI_CLIENT_FAILURE) {
        avahi_client_free(s_a.client);
        s_a.client = NULL;
        s_a.group = NULL;
        ev_timer_start(s_a.loop, &s_a.retry, 5000, on_retry);
        return;
    }
    if (s_a.client)
        return;
    int err = 0;
    AvahiClient *c = avahi_client_new(&s_a.api, AVAHI_CLIENT_NO_FAIL, on_client, NULL, &err);
    if (!c) {
        set_state("no daemon", "no D-Bus system bus or avahi-daemon (%s): %s.local is not "
                               "announced; retrying in 30 s",
                  avahi_strerror(err), s_a.has_info ? s_a.info.devfid : "<devfid>");
        ev_timer_start(s_a.loop, &s_a.retry, 30000, on_retry);
        return;
    }
    s_a.client = c;
}

int hal_mdns_start(struct ev_loop *loop)
{
    if (s_a.is_started)
        return 0;
    const char *env = getenv("MICROS_MDNS");
    if (env && !strcmp(env, "off")) {
        LOG_I("mdns: off ($MICROS_MDNS=off)");
        return ERR_NOTSUP;
    }
    s_a.loop = loop;
    s_a.api = (AvahiPoll){NULL,       watch_new,      watch_update, watch_get_events,
                          watch_free, timeout_new, timeout_update, timeout_free};
    s_a.state = "starting";
    s_a.is_started = true;
    client_start();
    return 0;
}

void hal_mdns_announce(const struct hal_mdns_info *info)
{
    if (s_a.has_info && !memcmp(&s_a.info, info, sizeof *info))
        return;
    s_a.info = *info;
    s_a.has_info = true;
    publish();
}

void hal_mdns_stop(void)
{
    if (!s_a.is_started)
        return;
    ev_timer_stop(s_a.loop, &s_a.retry);
    if (s_a.client)
        avahi_client_free(s_a.client); /* frees the group and every watch and timeout */
    s_a.client = NULL;
    s_a.group = NULL;
    sweep_dead();
    s_a.is_started = false;
    s_a.has_info = false;
    s_a.state = "off";
}

const char *hal_mdns_state(char *detail, size_t cap)
{
    if (detail && cap)
        snprintf(detail, cap, "%s", s_a.is_started ? s_a.detail : "mDNS is off (mdns=False)");
    return s_a.is_started ? s_a.state : "off";
}

/* ---- .local lookups ---- */

struct mdns_lookup {
    AvahiHostNameResolver *r;
    mdns_lookup_fn *cb;
    void *arg;
};

bool mdns_can_resolve(void)
{
    return s_a.client && avahi_client_get_state(s_a.client) == AVAHI_CLIENT_S_RUNNING;
}

static void on_resolved(AvahiHostNameResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
                        AvahiResolverEvent ev, const char *name, const AvahiAddress *a,
                        AvahiLookupResultFlags flags, void *ud)
{
    (void)ifi;
    (void)proto;
    (void)name;
    (void)flags;
    struct mdns_lookup *l = ud;
    char ip[AVAHI_ADDRESS_STR_MAX] = "";
    mdns_lookup_fn *cb = l->cb;
    void *arg = l->arg;
    if (ev == AVAHI_RESOLVER_FOUND && a)
        avahi_address_snprint(ip, sizeof ip, a);
    const char *why = ev == AVAHI_RESOLVER_FOUND
                          ? ""
                          : avahi_strerror(avahi_client_errno(avahi_host_name_resolver_get_client(r)));
    avahi_host_name_resolver_free(r);
    free(l);
    if (ip[0])
        cb(arg, 0, ip, "");
    else
        cb(arg, ERR_NOHOST, NULL, why);
}

struct mdns_lookup *mdns_lookup_start(const char *name, mdns_lookup_fn *cb, void *arg)
{
    if (!mdns_can_resolve())
        return NULL;
    struct mdns_lookup *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cb = cb;
    l->arg = arg;
    l->r = avahi_host_name_resolver_new(s_a.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, name,
                                        AVAHI_PROTO_INET, 0, on_resolved, l);
    if (!l->r) {
        free(l);
        return NULL;
    }
    return l;
}

void mdns_lookup_cancel(struct mdns_lookup *l)
{
    if (!l)
        return;
    avahi_host_name_resolver_free(l->r);
    free(l);
}

#else /* no Avahi in this build */

int hal_mdns_start(struct ev_loop *loop)
{
    (void)loop;
    LOG_W("mdns: this build has no Avahi client: <devfid>.local is not announced");
    return ERR_NOTSUP;
}

void hal_mdns_announce(const struct hal_mdns_info *info)
{
    (void)info;
}

void hal_mdns_stop(void) {}

const char *hal_mdns_state(char *detail, size_t cap)
{
    if (detail && cap)
        snprintf(detail, cap, "built without libavahi-client");
    return "not built";
}

bool mdns_can_resolve(void)
{
    return false;
}

struct mdns_lookup *mdns_lookup_start(const char *name, mdns_lookup_fn *cb, void *arg)
{
    (void)name;
    (void)cb;
    (void)arg;
    return NULL;
}

void mdns_lookup_cancel(struct mdns_lookup *l)
{
    (void)l;
}

#endif
