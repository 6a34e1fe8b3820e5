/* ev_backend.c - Cortex-M port: the event loop's wait with no descriptors.
 *
 * With no network interface no descriptor ever becomes ready, so a wait is a sleep until the
 * next timer: the core sleeps (WFI) between SysTick interrupts. */
#include "../../core/err.h"
#include "../../core/ev_backend.h"
#include "../../hal/hal_time.h"

static char s_set; /* the loop only needs a non-NULL handle */

void *ev_backend_create(size_t max_fds)
{
    (void)max_fds;
    return &s_set;
}

void ev_backend_destroy(void *set)
{
    (void)set;
}

int ev_backend_ctl(void *set, int fd, unsigned old_ev, unsigned new_ev)
{
    (void)set;
    (void)fd;
    (void)old_ev;
    (void)new_ev;
    return 0; /* no descriptors here: nothing to track */
}

bool ev_backend_wants_list(void)
{
    return true; /* like poll: the (always empty) want list is passed to every wait */
}

int ev_backend_wait(void *set, const struct ev_ready *want, size_t n, struct ev_ready *out,
                    size_t cap, int64_t timeout_us)
{
    (void)set;
    (void)want;
    (void)n;
    (void)out;
    (void)cap;
    if (timeout_us < 0)
        return ERR_NOTSUP; /* nothing could ever wake us */
    uint64_t end = hal_mono_us() + (uint64_t)timeout_us;
    while (hal_mono_us() < end)
        __asm__ volatile("wfi");
    return 0;
}

uint64_t ev_backend_now_us(void)
{
    return hal_mono_us();
}
