/* ev_backend.h - what a port provides to the event loop (port/posix: poll(2)).
 *
 * The loop keeps the readiness set in an opaque pollset that the backend
 * allocates; the portable loop never includes an OS header. */
#ifndef EV_BACKEND_H
#define EV_BACKEND_H

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
/* Waits up to timeout_ms (-1 = forever) for any of the n (fd, events) pairs in want to become
 * ready; writes at most cap results to out. Returns the count, 0 on timeout, or ERR_*. */
int ev_backend_wait(void *set, const struct ev_ready *want, size_t n, struct ev_ready *out,
                    size_t cap, int timeout_ms);
/* Returns a monotonic clock in milliseconds. */
uint64_t ev_backend_now_ms(void);

#endif
