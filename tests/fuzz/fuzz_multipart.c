/* fuzz_multipart.c - libFuzzer target: the incremental multipart parser (net/multipart.c).
 * The input is parsed twice, whole and in pieces of sizes taken from its first byte; both
 * runs must give the same parts, the same data and the same verdict, and the data handed
 * over must never exceed the input. */
#include "net/multipart.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
    char out[4096];
    size_t len;
    size_t parts, ends;
    size_t total;
};

static int on_begin(void *ctx, const struct mp_part *pt)
{
    struct rec *r = ctx;
    r->parts++;
    if (strlen(pt->name) >= MP_NAME_MAX || strlen(pt->filename) >= MP_NAME_MAX)
        abort();
    if (r->len < sizeof r->out)
        r->out[r->len++] = '[';
    return 0;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    struct rec *r = ctx;
    if (n == 0)
        abort();
    r->total += n;
    for (size_t i = 0; i < n && r->len < sizeof r->out; i++)
        r->out[r->len++] = p[i];
    return 0;
}

static int on_end(void *ctx)
{
    struct rec *r = ctx;
    r->ends++;
    if (r->len < sizeof r->out)
        r->out[r->len++] = ']';
    return 0;
}

static const struct mp_callbacks s_cb = {on_begin, on_data, on_end};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0] % 13 + 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    struct str b = STR_LIT("XyZ");
    struct rec whole = {0}, parts = {0};
    struct mp m1, m2;
    if (!mp_init(&m1, b, &s_cb, &whole) || !mp_init(&m2, b, &s_cb, &parts))
        abort();
    int r1 = mp_feed(&m1, in, n);
    int r2 = 0;
    for (size_t i = 0; i < n && r2 == 0; i += step)
        r2 = mp_feed(&m2, in + i, n - i < step ? n - i : step);
    if (r1 != r2 || whole.parts != parts.parts || whole.ends != parts.ends ||
        whole.total != parts.total || whole.len != parts.len ||
        memcmp(whole.out, parts.out, whole.len) != 0)
        abort();
    if (whole.total > n || whole.ends > whole.parts)
        abort();
    /* the content-type parser on the same bytes */
    struct str ct = mp_boundary((struct str){in, n});
    if (ct.p && (ct.p < in || ct.p + ct.len > in + n || ct.len > MP_BOUNDARY_MAX))
        abort();
    return 0;
}
