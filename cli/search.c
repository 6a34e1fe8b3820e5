/* search.c - 'microsctl search': a bounded parallel scan of the shell port with hello. */
#include "../core/err.h"
#include "batch.h"
#include "ctl.h"
#include "mdns_browse.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_PROBES_MAX (1u << 20) /* addresses x ports in one search */
#define SEARCH_CHUNK      4096u      /* jobs allocated at once */

struct found {
    char uid[96], fuid[128], ip[INET_ADDRSTRLEN];
    unsigned port;
};

struct search_state {
    struct found *found;
    size_t nfound, cap;
    size_t refused, timeouts, busy, other;
};

/* The host's first non-loopback IPv4 address as a /24. */
static int default_subnet(uint32_t *base, unsigned *prefix)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return ERR_IO;
    int rc = ERR_NOENT;
    for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
        if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET || (p->ifa_flags & IFF_LOOPBACK) ||
            !(p->ifa_flags & IFF_UP))
            continue;
        uint32_t a = ntohl(((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr);
        *base = a & 0xffffff00u;
        *prefix = 24;
        rc = 0;
        break;
    }
    freeifaddrs(ifa);
    return rc;
}

static int parse_cidr(const char *text, uint32_t *base, unsigned *prefix)
{
    char ip[64];
    snprintf(ip, sizeof ip, "%s", text);
    char *slash = strchr(ip, '/');
    unsigned long p = 32;
    if (slash) {
        char *end;
        *slash = '\0';
        p = strtoul(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p > 32)
            return ERR_INVAL;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1 || p < 8)
        return ERR_INVAL;
    uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
    *base = ntohl(a.s_addr) & mask;
    *prefix = (unsigned)p;
    return 0;
}

static int parse_ports(const char *text, unsigned *lo, unsigned *hi)
{
    char *end;
    unsigned long a = strtoul(text, &end, 10), b = a;
    if (end == text)
        return ERR_INVAL;
    if (*end == '-') {
        const char *s = end + 1;
        b = strtoul(s, &end, 10);
        if (end == s)
            return ERR_INVAL;
    }
    if (*end || a < 1 || b > 65535 || a > b)
        return ERR_INVAL;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

static void on_probe(struct batch_job *j, void *arg)
{
    struct search_state *st = arg;
    if (j->err == ERR_CONNREFUSED)
        st->refused++;
    else if (j->err == ERR_TIMEOUT)
        st->timeouts++;
    else if (j->err == ERR_BUSY)
        st->busy++;
    else if (j->err || j->ndone < 1 || !j->replies[0])
        st->other++;
    else {
        /* hello:<fuid>:<uid>:<mode> */
        const char *r = j->replies[0];
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(r, "\r\n"), r);
        char *f1 = strchr(line, ':'), *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
        if (strncmp(line, "hello:", 6) != 0 || !f2) {
            st->other++;
        } else if (st->nfound < st->cap) {
            struct found *f = &st->found[st->nfound++];
            *f2 = '\0';
            char *f3 = strchr(f2 + 1, ':');
            if (f3)
                *f3 = '\0';
            snprintf(f->fuid, sizeof f->fuid, "%s", f1 + 1);
            snprintf(f->uid, sizeof f->uid, "%s", f2 + 1);
            inet_ntop(AF_INET, &j->addr.sin_addr, f->ip, sizeof f->ip);
            f->port = ntohs(j->addr.sin_port);
        }
    }
    batch_job_free(j);
}

/* mDNS first: every node that announces _micros._tcp, in about a second. Returns the exit
 * status when nodes were found, or -1 to go on with the TCP scan. */
static int search_mdns(struct ctl_opts *o)
{
    static struct mdns_found found[1024];
    char why[160] = "";
    uint64_t t0 = conn_now_ms();
    long n = mdns_browse(found, sizeof found / sizeof found[0], 1500, why, sizeof why);
    if (n <= 0) {
        if (!o->is_json)
            fprintf(stderr, "mDNS: %s; scanning TCP instead\n",
                    n < 0 ? why : "no _micros._tcp service answered");
        return -1;
    }
    cJSON *arr = o->is_json ? cJSON_CreateArray() : NULL;
    if (!arr)
        printf("%-24s%-22s%s\n", "[ UID ]", "[ FUID ]", "[ IP:PORT ]");
    for (long i = 0; i < n; i++) {
        struct mdns_found *f = &found[i];
        const char *uid = f->uid[0] ? f->uid : f->name;
        cache_put(&o->cache, uid, f->ip, f->port, f->name);
        if (arr) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "uid", uid);
            cJSON_AddStringToObject(e, "fuid", f->name);
            cJSON_AddStringToObject(e, "ip", f->ip);
            cJSON_AddNumberToObject(e, "port", f->port);
            cJSON_AddItemToArray(arr, e);
        } else {
            printf("%-23s %-21s %s:%u\n", uid, f->name, f->ip, f->port);
        }
    }
    int rc = cache_save(&o->cache);
    if (arr) {
        char *s = cJSON_Print(arr);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(arr);
    }
    fprintf(stderr, "Found %ld micrOS node(s) over mDNS in %.2f s%s%s\n", n,
            (double)(conn_now_ms() - t0) / 1000.0,
            rc ? "; cannot write the cache " : "; cache: ", o->cache.path);
    return rc ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int ctl_search(struct ctl_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!o->is_no_mdns && !o->subnet && !o->ports) {
        int rc = search_mdns(o);
        if (rc >= 0)
            return rc;
    }
    uint32_t base;
    unsigned prefix;
    unsigned plo = o->port;
    unsigned phi = plo;
    if (o->subnet ? parse_cidr(o->subnet, &base, &prefix) : default_subnet(&base, &prefix)) {
        fprintf(stderr,
                o->subnet ? "microsctl search: bad --subnet '%s' (a.b.c.d/N, N 8..32)\n"
                          : "microsctl search: no network interface%s: give --subnet\n",
                o->subnet ? o->subnet : "");
        return CTL_EXIT_USAGE;
    }
    if (o->ports && parse_ports(o->ports, &plo, &phi)) {
        fprintf(stderr, "microsctl search: bad --ports '%s' (A-B or N)\n", o->ports);
        return CTL_EXIT_USAGE;
    }
    uint64_t size = 1ull << (32 - prefix);
    uint64_t first = base, last = base + size - 1;
    if (prefix <= 30) { /* leave out the network and broadcast addresses */
        first++;
        last--;
    }
    uint64_t nhosts = last - first + 1, nports = phi - plo + 1, total = nhosts * nports;
    if (total > SEARCH_PROBES_MAX) {
        fprintf(stderr,
                "microsctl search: %llu probes (%llu addresses x %llu ports) exceed the limit of "
                "%u: narrow --subnet or --ports\n",
                (unsigned long long)total, (unsigned long long)nhosts, (unsigned long long)nports,
                SEARCH_PROBES_MAX);
        return CTL_EXIT_USAGE;
    }
    unsigned tmo = o->is_timeout_set ? o->timeout_ms : CTL_SEARCH_TIMEOUT;
    struct search_state st = {.cap = 4096};
    st.found = calloc(st.cap, sizeof *st.found);
    size_t chunk = total < SEARCH_CHUNK ? (size_t)total : SEARCH_CHUNK;
    struct batch_job *jobs = calloc(chunk ? chunk : 1, sizeof *jobs);
    if (!st.found || !jobs) {
        free(st.found);
        free(jobs);
        fprintf(stderr, "microsctl search: out of memory\n");
        return CTL_EXIT_FAIL;
    }
    static const char *const hello[] = {"hello"};
    char netbuf[INET_ADDRSTRLEN];
    struct in_addr na = {.s_addr = htonl(base)};
    inet_ntop(AF_INET, &na, netbuf, sizeof netbuf);
    if (!o->is_json)
        fprintf(stderr, "Searching %s/%u ports %u-%u: %llu probes, %u at a time, %u ms each\n",
                netbuf, prefix, plo, phi, (unsigned long long)total, o->parallel, tmo);
    uint64_t t0 = conn_now_ms();
    uint64_t done = 0;
    while (done < total) {
        size_t n = 0;
        memset(jobs, 0, chunk * sizeof *jobs);
        for (; n < chunk && done + n < total; n++) {
            uint64_t k = done + n;
            uint32_t ip = (uint32_t)(first + k / nports);
            unsigned port = plo + (unsigned)(k % nports);
            struct batch_job *j = &jobs[n];
            j->addr.sin_family = AF_INET;
            j->addr.sin_addr.s_addr = htonl(ip);
            j->addr.sin_port = htons((uint16_t)port);
            j->cmds = hello;
            j->ncmds = 1;
        }
        batch_run(jobs, n, o->parallel, tmo, tmo, on_probe, &st);
        done += n;
    }
    double secs = (double)(conn_now_ms() - t0) / 1000.0;
    cJSON *arr = o->is_json ? cJSON_CreateArray() : NULL;
    if (!arr)
        printf("%-24s%-22s%s\n", "[ UID ]", "[ FUID ]", "[ IP:PORT ]");
    for (size_t i = 0; i < st.nfound; i++) {
        struct found *f = &st.found[i];
        for (size_t k = 0; k < i; k++)
            if (!strcmp(st.found[k].uid, f->uid))
                fprintf(stderr,
                        "microsctl search: warning: uid %s answers at %s:%u and %s:%u (the cache "
                        "keeps the last)\n",
                        f->uid, st.found[k].ip, st.found[k].port, f->ip, f->port);
        cache_put(&o->cache, f->uid, f->ip, f->port, f->fuid);
        if (arr) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "uid", f->uid);
            cJSON_AddStringToObject(e, "fuid", f->fuid);
            cJSON_AddStringToObject(e, "ip", f->ip);
            cJSON_AddNumberToObject(e, "port", f->port);
            cJSON_AddItemToArray(arr, e);
        } else {
            printf("%-23s %-21s %s:%u\n", f->uid, f->fuid, f->ip, f->port);
        }
    }
    int rc = cache_save(&o->cache);
    if (arr) {
        char *s = cJSON_Print(arr);
        puts(s ? s : "[]");
        free(s);
        cJSON_Delete(arr);
    }
    fprintf(stderr,
            "Found %zu micrOS node(s) in %.2f s (%llu probes: %zu refused, %zu timed out, %zu "
            "busy, %zu not micrOS)%s%s\n",
            st.nfound, secs, (unsigned long long)total, st.refused, st.timeouts, st.busy, st.other,
            rc ? "; cannot write the cache " : "; cache: ", o->cache.path);
    free(st.found);
    free(jobs);
    return rc ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
