/* fuzz_render.c - libFuzzer target: the renderers on random value trees. The input bytes are a
 * little program that builds a value (None, bool, int, float incl. inf/nan, str with any
 * bytes, nested list/tuple/dict); it is then rendered as shell text, repr, str and JSON, and
 * the JSON must parse back with cJSON. */
#include "core/arena.h"
#include "core/buf.h"
#include "svc/render.h"
#include "svc/val.h"

#include <cjson/cJSON.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 24

static unsigned char s_mem[256 * 1024];

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t take64(struct reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | take(r);
    return v;
}

static struct val *build(struct reader *r, struct arena *a, int depth)
{
    uint8_t op = take(r);
    switch (op % 8) {
    case 0: return val_none(a);
    case 1: return val_bool(a, op & 8);
    case 2: return val_int(a, (int64_t)take64(r));
    case 3: {
        uint64_t bits = take64(r);
        double d;
        memcpy(&d, &bits, sizeof d);
        return val_float(a, d);
    }
    case 4: {
        size_t len = take(r);
        if (len > r->n)
            len = r->n;
        struct val *v = val_strn(a, (const char *)r->p, len);
        r->p += len;
        r->n -= len;
        return v;
    }
    default: {
        if (depth >= MAX_DEPTH)
            return val_int(a, depth);
        struct val *c = op % 8 == 5 ? val_list(a) : op % 8 == 6 ? val_tuple(a) : val_dict(a);
        size_t items = take(r) % 8;
        for (size_t i = 0; i < items && r->n > 0; i++) {
            struct val *item = build(r, a, depth + 1);
            if (op % 8 == 7) {
                if (take(r) & 1) {
                    val_dict_set_ikey(a, c, (int64_t)take64(r), item);
                } else {
                    char key[16];
                    size_t kl = take(r) % sizeof key;
                    for (size_t j = 0; j < kl; j++)
                        key[j] = (char)(take(r) | 1); /* no NUL inside a C-string key */
                    key[kl] = '\0';
                    val_dict_set(a, c, key, item);
                }
            } else {
                val_append(c, item);
            }
        }
        return c;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, s_mem, sizeof s_mem);
    struct reader r = {data, size};
    struct val *v = build(&r, &a, 0);
    if (!v || a.is_full)
        return 0;
    struct buf out;
    buf_init(&out, 4 * 1024 * 1024);
    render_text(&out, v, false);
    buf_clear(&out);
    render_text(&out, v, true);
    buf_clear(&out);
    render_repr(&out, v);
    buf_clear(&out);
    render_str(&out, v);
    buf_clear(&out);
    if (render_json(&out, v) == 0) {
        cJSON *back = cJSON_ParseWithLength(out.p ? out.p : "", out.len);
        if (!back)
            abort(); /* our JSON must be JSON */
        cJSON_Delete(back);
    }
    buf_free(&out);
    return 0;
}
