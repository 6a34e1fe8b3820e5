/* ev_backend.h - what a port provides to the event loop (port/posix: epoll(7) on Linux,
 * poll(2) elsewhere and in tests).
 *
 * The loop keeps the readiness set in an opaque pollset that the backend
 * allocates; the portable loop never includes an OS header. */
#ifndef EV_BACKEND_H
#define EV_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_ready {
    int fd;
    unsigned events; /* EV_READ | EV_WRITE | EV_ERROR */
};

/* Allocates a backend set for up to max_fds descriptors; NULL on failure. */
void *ev_backend_create(size_t max_fds);
/* Frees a set made by ev_backend_create. */
void ev_backend_destroy(void *set);
/* Tells the backend that fd's watched events change from old_ev to new_ev (0 = not
 * watched). Returns 0 or ERR_*. A backend that reads the want list on every wait ignores it. */
int ev_backend_ctl(void *set, int fd, unsigned old_ev, unsigned new_ev);
/* True when ev_backend_wait needs the full want list on every call (poll); false when the
 * backend keeps its own interest set from ev_backend_ctl (epoll). */
bool ev_backend_wants_list(void);
/* Waits up to timeout_us microseconds (-1 = forever; a backend that cannot wait to the us
 * rounds up, never down) for any of the n (fd, events) pairs in want to become
 * ready; writes at most cap results to out. Returns the count, 0 on timeout, or ERR_*. */
int ev_backend_wait(void *set, const struct ev_ready *want, size_t n, struct ev_ready *out,
                    size_t cap, int64_t timeout_us);
/* Returns a monotonic clock in microseconds. */
uint64_t ev_backend_now_us(void);

#endif
