/* fuzz_rest_path.c - libFuzzer target: REST URL decoding (net/rest_path.c). Input: byte 0
 * picks an output size, the rest is "<path>?<query>" (split at the first '?'). Oracles:
 * rest_pct_decode never writes past its size, is never longer than its input and never fails
 * with room for the input; rest_build_line returns the line's length (NUL-terminated, no NUL
 * inside) or ERR_TOOBIG / ERR_INVAL, gives the same line with any size that fits it and
 * ERR_TOOBIG with any size that does not. */
#include "core/err.h"
#include "net/rest_path.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG (REST_LINE_MAX * 4)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > BIG / 2)
        return 0;
    size_t cap = (size_t)data[0] % 96 + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    const char *q = memchr(in, '?', len);
    struct str path = {in, q ? (size_t)(q - in) : len};
    struct str query = q ? (struct str){q + 1, len - path.len - 1} : (struct str){in + len, 0};

    static char big[BIG + 1], small[BIG + 1];
    /* decoding */
    int d = rest_pct_decode((struct str){in, len}, big, len + 1);
    if (d < 0 || (size_t)d > len || big[d] != '\0')
        abort();
    memset(small, 0x5a, cap + 8);
    int ds = rest_pct_decode((struct str){in, len}, small, cap);
    if (ds >= 0 ? ((size_t)ds >= cap || memcmp(small, big, (size_t)ds + 1) != 0) : ds != ERR_TOOBIG)
        abort();
    for (size_t i = cap; i < cap + 8; i++)
        if (small[i] != 0x5a)
            abort(); /* wrote past its size */

    /* the whole line */
    int n = rest_build_line(path, query, big, BIG);
    if (n < 0) {
        if (n != ERR_TOOBIG && n != ERR_INVAL)
            abort();
        return 0;
    }
    if ((size_t)n >= BIG || strlen(big) != (size_t)n)
        abort();
    memset(small, 0x5a, cap + 8);
    int m = rest_build_line(path, query, small, cap);
    if ((size_t)n < cap) {
        if (m != n || memcmp(small, big, (size_t)n + 1) != 0)
            abort();
    } else if (m != ERR_TOOBIG) {
        abort();
    }
    for (size_t i = cap; i < cap + 8; i++)
        if (small[i] != 0x5a)
            abort();
    return 0;
}
