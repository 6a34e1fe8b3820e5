/* httpc_none.c - hal_httpc when the build has no libcurl: every call answers ERR_NOTSUP. */
#include "../../hal/hal_httpc.h"

#include "../../core/err.h"

#if !defined(MICROS_HAVE_CURL) || !MICROS_HAVE_CURL
int hal_httpc_init(struct ev_loop *loop, size_t max_inflight)
{
    (void)loop;
    (void)max_inflight;
    return ERR_NOTSUP;
}

void hal_httpc_deinit(void) {}

int hal_httpc_request(const struct hal_httpc_req *req, hal_httpc_done_fn *cb, void *arg)
{
    (void)req;
    (void)cb;
    (void)arg;
    return ERR_NOTSUP;
}

void hal_httpc_cancel(int id)
{
    (void)id;
}

size_t hal_httpc_inflight(void)
{
    return 0;
}

void hal_httpc_set_base(const char *base)
{
    (void)base;
}

void hal_httpc_set_ca(const char *file)
{
    (void)file;
}
#endif
