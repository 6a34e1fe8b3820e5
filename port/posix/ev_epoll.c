/* ev_epoll.c - the event loop backend on Linux epoll(7): the kernel keeps the interest set,
 * so a wait costs what is ready, not what is watched (poll(2) copies every fd each pass).
 * Waits are to the microsecond with epoll_pwait2 (Linux 5.11, glibc 2.35); on an older kernel
 * (ENOSYS) or C library the wait falls back to epoll_wait with the timeout rounded up to the
 * next millisecond, so a timer is never early, only up to 1 ms late. */
#include "core/ev_backend.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ev.h"
#include "ev_clock.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define HAVE_EPOLL_PWAIT2 1
#else
#define HAVE_EPOLL_PWAIT2 0
#endif

struct epollset {
    int epfd;
    bool has_pwait2; /* cleared when the kernel answers ENOSYS */
    size_t cap;
    struct epoll_event evs[]; /* cap entries, filled by epoll_wait */
};

void *ev_backend_create(size_t max_fds)
{
    if (max_fds == 0 || max_fds > INT_MAX ||
        max_fds > (SIZE_MAX - sizeof(struct epollset)) / sizeof(struct epoll_event))
        return NULL;
    struct epollset *set = calloc(1, sizeof(*set) + max_fds * sizeof(struct epoll_event));
    if (!set)
        return NULL;
    set->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (set->epfd < 0) {
        free(set);
        return NULL;
    }
    set->cap = max_fds;
    set->has_pwait2 = HAVE_EPOLL_PWAIT2;
    ev_clock_tight_slack();
    return set;
}

void ev_backend_destroy(void *set)
{
    struct epollset *es = set;
    close(es->epfd);
    free(es);
}

static int map_errno(int e)
{
    switch (e) {
    case ENOMEM:
    case ENOSPC: return ERR_NOMEM;
    case EINVAL:
    case EFAULT:
    case EBADF: return ERR_INVAL;
    case EPERM: return ERR_PERM;
    default: return ERR_IO;
    }
}

int ev_backend_ctl(void *set, int fd, unsigned old_ev, unsigned new_ev)
{
    struct epollset *es = set;
    struct epoll_event ev = {.data.fd = fd};
    if (new_ev & EV_READ)
        ev.events |= EPOLLIN;
    if (new_ev & EV_WRITE)
        ev.events |= EPOLLOUT;
    /* Nothing wanted (a paused watcher) leaves the set, so a lasting hang-up does not wake
     * the loop again and again (epoll reports EPOLLHUP whatever was asked for). */
    int op = !new_ev ? EPOLL_CTL_DEL : !old_ev ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (!new_ev && !old_ev)
        return 0;
    if (epoll_ctl(es->epfd, op, fd, &ev) == 0)
        return 0;
    if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
        return 0; /* closed before it was stopped: the kernel dropped it already */
    if (op == EPOLL_CTL_MOD && errno == ENOENT && epoll_ctl(es->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        return 0; /* the fd was closed and reused under the watcher */
    return map_errno(errno);
}

bool ev_backend_wants_list(void)
{
    return false;
}

int ev_backend_wait(void *set, const struct ev_ready *want, size_t n, struct ev_ready *out,
                    size_t cap, int64_t timeout_us)
{
    (void)want;
    (void)n;
    struct epollset *es = set;
    size_t max = cap < es->cap ? cap : es->cap;
    int rc = -1;
#if HAVE_EPOLL_PWAIT2
    if (es->has_pwait2) {
        struct timespec ts = ev_clock_ts(timeout_us < 0 ? 0 : timeout_us);
        rc = epoll_pwait2(es->epfd, es->evs, (int)max, timeout_us < 0 ? NULL : &ts, NULL);
        if (rc < 0 && errno == ENOSYS)
            es->has_pwait2 = false;
    }
    if (!es->has_pwait2)
#endif
        rc = epoll_wait(es->epfd, es->evs, (int)max, ev_clock_ms_up(timeout_us));
    if (rc < 0)
        return errno == EINTR ? 0 : map_errno(errno);
    for (int i = 0; i < rc; i++) {
        uint32_t re = es->evs[i].events;
        unsigned ev = 0;
        if (re & EPOLLIN)
            ev |= EV_READ;
        if (re & EPOLLOUT)
            ev |= EV_WRITE;
        if (re & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            ev |= EV_ERROR | EV_READ;
        out[i].fd = es->evs[i].data.fd;
        out[i].events = ev;
    }
    return rc;
}

uint64_t ev_backend_now_us(void)
{
    return ev_clock_us();
}
