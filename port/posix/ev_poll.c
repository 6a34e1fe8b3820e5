/* ev_poll.c - the event loop backend on poll(2) (ppoll(2) where it exists, for waits to the
 * microsecond), and the loop's monotonic clock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll in glibc */
#endif
#include "core/ev_backend.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "core/err.h"
#include "core/ev.h"
#include "ev_clock.h"

struct pollset {
    size_t cap;
    struct pollfd fds[]; /* cap entries, rebuilt on every wait */
};

void *ev_backend_create(size_t max_fds)
{
    if (max_fds > (SIZE_MAX - sizeof(struct pollset)) / sizeof(struct pollfd))
        return NULL;
    struct pollset *set = calloc(1, sizeof(*set) + max_fds * sizeof(struct pollfd));
    if (set)
        set->cap = max_fds;
    ev_clock_tight_slack();
    return set;
}

void ev_backend_destroy(void *set)
{
    free(set);
}

int ev_backend_ctl(void *set, int fd, unsigned old_ev, unsigned new_ev)
{
    (void)set;
    (void)fd;
    (void)old_ev;
    (void)new_ev;
    return 0; /* the want list is read on every wait */
}

bool ev_backend_wants_list(void)
{
    return true;
}

static int map_errno(int e)
{
    switch (e) {
    case ENOMEM: return ERR_NOMEM;
    case EINVAL:
    case EFAULT: return ERR_INVAL;
    default: return ERR_IO;
    }
}

int ev_backend_wait(void *set, const struct ev_ready *want, size_t n, struct ev_ready *out,
                    size_t cap, int64_t timeout_us)
{
    struct pollset *ps = set;
    if (n > ps->cap)
        return ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        short ev = 0;
        if (want[i].events & EV_READ)
            ev |= POLLIN;
        if (want[i].events & EV_WRITE)
            ev |= POLLOUT;
        /* Nothing wanted (a paused watcher): a negative fd makes poll skip it, so a
         * lasting hang-up does not wake the loop again and again. */
        ps->fds[i].fd = ev ? want[i].fd : -1;
        ps->fds[i].events = ev;
        ps->fds[i].revents = 0;
    }
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
    struct timespec ts = ev_clock_ts(timeout_us < 0 ? 0 : timeout_us);
    int rc = ppoll(ps->fds, (nfds_t)n, timeout_us < 0 ? NULL : &ts, NULL);
#else
    int rc = poll(ps->fds, (nfds_t)n, ev_clock_ms_up(timeout_us));
#endif
    if (rc < 0)
        return errno == EINTR ? 0 : map_errno(errno);

    size_t count = 0;
    for (size_t i = 0; i < n && count < cap && count < INT_MAX; i++) {
        short re = ps->fds[i].revents;
        if (re == 0 || ps->fds[i].fd < 0)
            continue;
        unsigned ev = 0;
        if (re & POLLIN)
            ev |= EV_READ;
        if (re & POLLOUT)
            ev |= EV_WRITE;
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            ev |= EV_ERROR | EV_READ;
        out[count].fd = ps->fds[i].fd;
        out[count].events = ev;
        count++;
    }
    return (int)count;
}

uint64_t ev_backend_now_us(void)
{
    return ev_clock_us();
}
