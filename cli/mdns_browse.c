/* mdns_browse.c - `_micros._tcp` browsing for microsctl search and the gateway: an Avahi
 * client on avahi's simple poll (microsctl is a command-line tool; it may wait). */
#include "mdns_browse.h"

#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MICROS_HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>

struct browse {
    AvahiSimplePoll *poll;
    AvahiClient *client;
    struct mdns_found *out;
    size_t cap, n;
    int pending;   /* resolvers in flight */
    bool all_seen; /* the browser reported ALL_FOR_NOW */
    bool failed;
};

static void maybe_done(struct browse *b)
{
    if (b->all_seen && b->pending == 0)
        avahi_simple_poll_quit(b->poll);
}

static void on_resolve(AvahiServiceResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
                       AvahiResolverEvent ev, const char *name, const char *type,
                       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags, void *ud)
{
    (void)ifi;
    (void)proto;
    (void)type;
    (void)domain;
    (void)host;
    (void)flags;
    struct browse *b = ud;
    if (ev == AVAHI_RESOLVER_FOUND && a && b->n < b->cap) {
        struct mdns_found f;
        memset(&f, 0, sizeof f);
        snprintf(f.name, sizeof f.name, "%s", name);
        avahi_address_snprint(f.ip, sizeof f.ip, a);
        f.port = port;
        for (AvahiStringList *t = txt; t; t = t->next) {
            const char *kv = (const char *)t->text;
            if (t->size > 4 && !strncmp(kv, "uid=", 4))
                snprintf(f.uid, sizeof f.uid, "%.*s", (int)t->size - 4, kv + 4);
            else if (t->size > 8 && !strncmp(kv, "webport=", 8))
                f.web_port = (unsigned)strtoul(kv + 8, NULL, 10);
        }
        bool dup = false;
        for (size_t i = 0; i < b->n; i++)
            if (!strcmp(b->out[i].name, f.name) && !strcmp(b->out[i].ip, f.ip))
                dup = true;
        if (!dup)
            b->out[b->n++] = f;
    }
    avahi_service_resolver_free(r);
    b->pending--;
    maybe_done(b);
}

static void on_browse(AvahiServiceBrowser *sb, AvahiIfIndex ifi, AvahiProtocol proto,
                      AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
                      AvahiLookupResultFlags flags, void *ud)
{
    (void)sb;
    (void)flags;
    struct browse *b = ud;
    switch (ev) {
    case AVAHI_BROWSER_NEW:
        if (avahi_service_resolver_new(b->client, ifi, proto, name, type, domain, AVAHI_PROTO_INET,
                                       0, on_resolve, b))
            b->pending++;
        break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
        b->all_seen = true;
        maybe_done(b);
        break;
    case AVAHI_BROWSER_FAILURE:
        b->failed = true;
        avahi_simple_poll_quit(b->poll);
        break;
    default: break;
    }
}

static void on_client(AvahiClient *c, AvahiClientState st, void *ud)
{
    (void)c;
    struct browse *b = ud;
    if (st == AVAHI_CLIENT_FAILURE) {
        b->failed = true;
        avahi_simple_poll_quit(b->poll);
    }
}

long mdns_browse(struct mdns_found *out, size_t cap, unsigned wait_ms, char *why, size_t whycap)
{
    struct browse b = {.out = out, .cap = cap};
    b.poll = avahi_simple_poll_new();
    if (!b.poll) {
        snprintf(why, whycap, "out of memory");
        return -1;
    }
    int err = 0;
    b.client = avahi_client_new(avahi_simple_poll_get(b.poll), 0, on_client, &b, &err);
    if (!b.client) {
        snprintf(why, whycap, "no avahi-daemon: %s", avahi_strerror(err));
        avahi_simple_poll_free(b.poll);
        return -1;
    }
    AvahiServiceBrowser *sb = avahi_service_browser_new(b.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET,
                                                        "_micros._tcp", NULL, 0, on_browse, &b);
    if (!sb) {
        snprintf(why, whycap, "cannot browse: %s", avahi_strerror(avahi_client_errno(b.client)));
        avahi_client_free(b.client);
        avahi_simple_poll_free(b.poll);
        return -1;
    }
    uint64_t end = conn_now_ms() + wait_ms;
    while (!b.failed && !(b.all_seen && b.pending == 0)) {
        uint64_t now = conn_now_ms();
        if (now >= end)
            break;
        if (avahi_simple_poll_iterate(b.poll, (int)(end - now > 100 ? 100 : end - now)) != 0)
            break;
    }
    bool failed = b.failed;
    avahi_client_free(b.client); /* frees the browser and resolvers */
    avahi_simple_poll_free(b.poll);
    if (failed && b.n == 0) {
        snprintf(why, whycap, "mDNS browsing failed");
        return -1;
    }
    return (long)b.n;
}

#else

long mdns_browse(struct mdns_found *out, size_t cap, unsigned wait_ms, char *why, size_t whycap)
{
    (void)out;
    (void)cap;
    (void)wait_ms;
    snprintf(why, whycap, "built without libavahi-client");
    return -1;
}

#endif
