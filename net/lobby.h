/* lobby.h - newcomers waiting for a client slot (COMPAT §1.6).
 *
 * When the shared client table is full, an accepted connection waits here. Every
 * LOBBY_POLL_MS the owner's try_admit is asked to take it; once wait_ms have passed
 * without a slot, refuse is called (the shell says "Connection is busy. Bye!", HTTP
 * answers 503). Both take over the fd. The shell and the HTTP server each own one. */
#ifndef LOBBY_H
#define LOBBY_H

#include "../core/ev.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef LOBBY_MAX
#define LOBBY_MAX 32 /* newcomers waiting at once per server */
#endif
#define LOBBY_POLL_MS 100

/* Tries to admit fd now; returns true when it took the fd over. */
typedef bool lobby_try_fn(void *owner, int fd, const char *peer);
/* Sends fd away busy and closes it. */
typedef void lobby_refuse_fn(void *owner, int fd);

struct lobby_entry {
    int fd; /* -1 when unused */
    char peer[64];
    uint64_t deadline_ms;
};

struct lobby {
    struct ev_loop *loop;
    struct lobby_entry entries[LOBBY_MAX];
    struct ev_timer timer;
    uint64_t wait_ms;
    lobby_try_fn *try_admit;
    lobby_refuse_fn *refuse;
    void *owner;
};

/* Prepares an empty lobby; newcomers wait at most wait_ms. Allocates nothing. */
void lobby_init(struct lobby *l, struct ev_loop *loop, uint64_t wait_ms, lobby_try_fn *try_admit,
                lobby_refuse_fn *refuse, void *owner);
/* Parks fd until a slot frees or its wait ends; a full lobby refuses the longest waiter of the
 * address with the most entries (the newcomer's own count included) to make room. Returns 0,
 * or ERR_FULL (no timer: the caller still owns fd and should refuse it). */
int lobby_add(struct lobby *l, int fd, const char *peer);
/* Returns the number of waiting newcomers. */
int lobby_count(const struct lobby *l);
/* Closes every waiting fd (without a reply) and stops the timer. Safe before lobby_init
 * only if the struct was zeroed. */
void lobby_deinit(struct lobby *l);

#endif
