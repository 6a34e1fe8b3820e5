/* auth.h - password checks with a per-address back-off, shared by every transport.
 *
 * Every password a client offers (shell login, the x-micros-auth header of a sudo web
 * endpoint, a module's pwd= argument) goes through auth_check with the client's address.
 * An address that failed is given a back-off window: 0 s after the first failure, then
 * 0.25 s, 0.5 s, 1 s ... doubling up to AUTH_BACKOFF_MAX_MS. A guess offered inside the
 * window is refused without being compared (the right password too): the decision itself
 * waits, not just the answer, so closing the connection early gains nothing. An address is
 * forgotten after AUTH_FORGET_MS without a failure, or on a successful login.
 *
 * The table is bounded (AUTH_TRACK addresses); when it is full the least recently failed
 * address is dropped. Every failure writes one syslog line (address, count, window), never
 * the guess. */
#ifndef AUTH_H
#define AUTH_H

#include "../core/str.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef AUTH_TRACK
#define AUTH_TRACK 128 /* addresses remembered */
#endif
#ifndef AUTH_BACKOFF_MAX_MS
#define AUTH_BACKOFF_MAX_MS 32000u /* longest back-off window */
#endif
#ifndef AUTH_FORGET_MS
#define AUTH_FORGET_MS (10u * 60 * 1000) /* quiet time after which failures are forgotten */
#endif

struct syslog;

struct auth_entry {
    char ip[48];       /* address without the port; "" = free */
    uint32_t fails;    /* failures in a row */
    uint64_t until_ms; /* no guess is compared before this time */
    uint64_t last_ms;  /* last failure */
};

struct auth_stats {
    uint64_t checks;    /* guesses compared */
    uint64_t failures;  /* compared and wrong */
    uint64_t backoff;   /* refused inside a window, not compared */
    uint64_t evictions; /* addresses dropped because the table was full */
};

struct auth {
    struct syslog *log; /* may be NULL */
    struct auth_entry e[AUTH_TRACK];
    struct auth_stats stats;
};

enum auth_verdict {
    AUTH_OK,      /* the right password */
    AUTH_WRONG,   /* compared and wrong (or no password is set) */
    AUTH_BACKOFF, /* not compared: the address is inside its back-off window */
};

/* Prepares au; log receives the failure lines (may be NULL). */
void auth_init(struct auth *au, struct syslog *log);
/* Checks guess against want for the client at peer ("ip:port" or "ip") over transport
 * (a word for the log line: "shell", "http", "sudo"). *wait_ms gets how long until the
 * address may try again (0 after AUTH_OK). An empty want never matches. */
enum auth_verdict auth_check(struct auth *au, const char *peer, const char *transport,
                             const char *want, struct str guess, uint64_t now_ms,
                             uint64_t *wait_ms);
/* Milliseconds until peer may try again (0 = now). */
uint64_t auth_wait(const struct auth *au, const char *peer, uint64_t now_ms);
/* The Retry-After value for a wait: whole seconds, rounded up, at least 1. */
static inline uint64_t auth_retry_after_s(uint64_t wait_ms)
{
    return wait_ms > 1000 ? (wait_ms + 999) / 1000 : 1;
}

#endif
