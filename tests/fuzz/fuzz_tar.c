/* fuzz_tar.c - libFuzzer target: the streaming tar reader (core/tar.c) and the bundle name
 * rules (svc/bundle.c). The input is read twice, whole and in pieces of sizes taken from its
 * first byte; both runs must see the same entries, data and verdict, the data handed over must
 * never exceed the input, and every name the rules accept must be a clean relative path. */
#include "core/tar.h"
#include "svc/bundle.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
    unsigned char out[4096];
    size_t len, total, entries, ends;
};

static void put(struct rec *r, const void *p, size_t n)
{
    for (size_t i = 0; i < n && r->len < sizeof r->out; i++)
        r->out[r->len++] = ((const unsigned char *)p)[i];
}

static int on_entry(void *arg, const char *name, int type, uint64_t size)
{
    struct rec *r = arg;
    r->entries++;
    size_t nl = strlen(name);
    if (nl > TAR_NAME_MAX)
        abort();
    put(r, name, nl);
    put(r, &type, 1);
    char out[TAR_NAME_MAX + 1], why[400];
    if (bundle_name_check(name, type, out, sizeof out, why, sizeof why) == 1) {
        if (out[0] == '/' || strstr(out, "..") == out || strstr(out, "/../") || strstr(out, "//") ||
            (strncmp(out, "modules/", 8) != 0 && strncmp(out, "web/", 4) != 0))
            abort();
    }
    (void)size;
    return 0;
}

static int on_data(void *arg, const void *p, size_t n)
{
    struct rec *r = arg;
    if (n == 0)
        abort();
    r->total += n;
    put(r, p, n);
    return 0;
}

static int on_end(void *arg)
{
    struct rec *r = arg;
    r->ends++;
    return 0;
}

static const struct tar_ops s_ops = {on_entry, on_data, on_end};
static struct tar s_t1, s_t2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0] % 200 + 1;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    static struct rec whole, parts;
    memset(&whole, 0, sizeof whole);
    memset(&parts, 0, sizeof parts);
    tar_init(&s_t1, &s_ops, &whole);
    tar_init(&s_t2, &s_ops, &parts);
    int r1 = tar_feed(&s_t1, in, n);
    int r2 = 0;
    for (size_t i = 0; i < n && r2 == 0; i += step)
        r2 = tar_feed(&s_t2, in + i, n - i < step ? n - i : step);
    if (r1 != r2 || whole.entries != parts.entries || whole.ends != parts.ends ||
        whole.total != parts.total || whole.len != parts.len ||
        memcmp(whole.out, parts.out, whole.len) != 0 || tar_done(&s_t1) != tar_done(&s_t2))
        abort();
    if (whole.total > n || whole.ends > whole.entries)
        abort();
    return 0;
}
