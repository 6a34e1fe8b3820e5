/* auth.c - password checks with a per-address back-off (see auth.h). */
#include "auth.h"

#include "syslog.h"

#include <stdio.h>
#include <string.h>

void auth_init(struct auth *au, struct syslog *log)
{
    memset(au, 0, sizeof *au);
    au->log = log;
}

/* The address part of "ip:port", "[v6]:port" or "ip". */
static void peer_ip(const char *peer, char *out, size_t cap)
{
    const char *p = peer ? peer : "";
    size_t n = strlen(p);
    if (p[0] == '[') {
        const char *end = strchr(p, ']');
        n = end ? (size_t)(end - p - 1) : n - 1;
        p++;
    } else {
        const char *colon = strrchr(p, ':');
        /* one colon: ip:port; more: a bare IPv6 address without a port */
        if (colon && strchr(p, ':') == colon)
            n = (size_t)(colon - p);
    }
    snprintf(out, cap, "%.*s", (int)n, p);
}

static struct auth_entry *find(struct auth *au, const char *ip, uint64_t now)
{
    for (size_t i = 0; i < AUTH_TRACK; i++) {
        struct auth_entry *e = &au->e[i];
        if (e->ip[0] && now >= e->until_ms && now - e->last_ms > AUTH_FORGET_MS)
            e->ip[0] = '\0'; /* forgotten after a quiet time */
        if (e->ip[0] && strcmp(e->ip, ip) == 0)
            return e;
    }
    return NULL;
}

/* A slot for ip: a free one, else the least recently failed one outside its window. */
static struct auth_entry *take(struct auth *au, const char *ip)
{
    struct auth_entry *victim = NULL;
    for (size_t i = 0; i < AUTH_TRACK; i++) {
        struct auth_entry *e = &au->e[i];
        if (!e->ip[0]) {
            victim = e;
            break;
        }
        if (!victim || e->last_ms < victim->last_ms)
            victim = e;
    }
    if (victim->ip[0])
        au->stats.evictions++;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->ip, sizeof victim->ip, "%s", ip);
    return victim;
}

/* Back-off after n failures in a row: none after the first, then 250 ms doubling. */
static uint64_t window_ms(uint32_t n)
{
    if (n <= 1)
        return 0;
    uint32_t shift = n - 2 < 16 ? n - 2 : 16;
    uint64_t d = 250ull << shift;
    return d < AUTH_BACKOFF_MAX_MS ? d : AUTH_BACKOFF_MAX_MS;
}

uint64_t auth_wait(const struct auth *au, const char *peer, uint64_t now_ms)
{
    char ip[48];
    peer_ip(peer, ip, sizeof ip);
    for (size_t i = 0; i < AUTH_TRACK; i++)
        if (au->e[i].ip[0] && strcmp(au->e[i].ip, ip) == 0)
            return au->e[i].until_ms > now_ms ? au->e[i].until_ms - now_ms : 0;
    return 0;
}

enum auth_verdict auth_check(struct auth *au, const char *peer, const char *transport,
                             const char *want, struct str guess, uint64_t now_ms, uint64_t *wait_ms)
{
    char ip[48];
    peer_ip(peer, ip, sizeof ip);
    struct auth_entry *e = find(au, ip, now_ms);
    if (e && now_ms < e->until_ms) {
        au->stats.backoff++;
        *wait_ms = e->until_ms - now_ms;
        return AUTH_BACKOFF;
    }
    au->stats.checks++;
    struct str w = str_c(want ? want : "");
    if (w.len > 0 && str_eq_secret(guess, w)) {
        if (e)
            e->ip[0] = '\0';
        *wait_ms = 0;
        return AUTH_OK;
    }
    au->stats.failures++;
    if (!e)
        e = take(au, ip);
    e->fails++;
    e->last_ms = now_ms;
    uint64_t d = window_ms(e->fails);
    e->until_ms = now_ms + d;
    *wait_ms = d;
    if (au->log)
        syslog_write(au->log,
                     "[WARN] auth: failed login from %s over %s (%u in a row, next try "
                     "in %llu ms)",
                     ip, transport, (unsigned)e->fails, (unsigned long long)d);
    return AUTH_WRONG;
}
