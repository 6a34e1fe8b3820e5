/* tar.c - streaming tar reader (core/tar.h). */
#include "tar.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

enum { T_HEAD, T_DATA, T_META, T_PAD, T_END, T_FAIL };

void tar_init(struct tar *t, const struct tar_ops *ops, void *arg)
{
    memset(t, 0, sizeof *t);
    t->ops = ops;
    t->arg = arg;
    t->state = T_HEAD;
    t->pax_size = -1;
}

bool tar_done(const struct tar *t)
{
    return t->state == T_END;
}

static int fail(struct tar *t, const char *why)
{
    snprintf(t->err, sizeof t->err, "%s", why);
    t->state = T_FAIL;
    return ERR_INVAL;
}

/* An octal number field (NUL/space padded). Returns false when it is not one (a base-256
 * number, used for sizes of 8 GiB and more, counts as not one: far beyond any limit). */
static bool octal(const unsigned char *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    bool any = false;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3))
            return false;
        v = v << 3 | (uint64_t)(f[i] - '0');
        any = true;
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            return false;
    *out = v;
    return any;
}

static bool checksum_ok(const unsigned char *h)
{
    uint64_t want;
    if (!octal(h + 148, 8, &want))
        return false;
    unsigned long u = 0;
    long s = 0;
    for (size_t i = 0; i < 512; i++) {
        unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
        u += c;
        s += (signed char)c; /* some old tars summed signed bytes */
    }
    return want == u || (long)want == s;
}

/* Copies a NUL-or-length-terminated field. */
static size_t field(char *out, const unsigned char *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i])
        i++;
    memcpy(out, f, i);
    out[i] = '\0';
    return i;
}

/* Reads the "path" and "size" records of a pax header into the state for the next entry. */
static int pax_parse(struct tar *t)
{
    size_t i = 0;
    while (i < t->meta_len) {
        size_t len = 0, j = i;
        while (j < t->meta_len && t->meta[j] >= '0' && t->meta[j] <= '9' && len < TAR_META_MAX)
            len = len * 10 + (size_t)(t->meta[j++] - '0');
        if (j >= t->meta_len || t->meta[j] != ' ' || len <= j - i + 1 || i + len > t->meta_len ||
            t->meta[i + len - 1] != '\n')
            return fail(t, "malformed pax header");
        const char *kv = t->meta + j + 1;
        size_t kvlen = i + len - 1 - (j + 1);
        const char *eq = memchr(kv, '=', kvlen);
        if (!eq)
            return fail(t, "malformed pax header");
        size_t klen = (size_t)(eq - kv), vlen = kvlen - klen - 1;
        if (klen == 4 && memcmp(kv, "path", 4) == 0) {
            if (vlen == 0 || vlen > TAR_NAME_MAX || memchr(eq + 1, '\0', vlen))
                return fail(t, "entry name too long (pax path)");
            memcpy(t->long_name, eq + 1, vlen);
            t->long_name[vlen] = '\0';
        } else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
            int64_t v = 0;
            for (size_t k = 0; k < vlen; k++) {
                char c = eq[1 + k];
                if (c < '0' || c > '9' || v > INT64_MAX / 10 - 10)
                    return fail(t, "malformed pax size");
                v = v * 10 + (c - '0');
            }
            t->pax_size = v;
        }
        i += len;
    }
    return 0;
}

static int meta_end(struct tar *t)
{
    if (t->meta_type == 'x')
        return pax_parse(t);
    if (t->meta_type == 'L') {
        size_t n = 0;
        while (n < t->meta_len && t->meta[n])
            n++;
        if (n == 0 || n > TAR_NAME_MAX)
            return fail(t, "entry name too long (GNU long name)");
        memcpy(t->long_name, t->meta, n);
        t->long_name[n] = '\0';
    }
    return 0; /* 'g' (global pax) and 'K' (long link target) are read and ignored */
}

/* A complete header block. */
static int header(struct tar *t)
{
    const unsigned char *h = t->hdr;
    bool zero = true;
    for (size_t i = 0; i < 512 && zero; i++)
        zero = h[i] == 0;
    if (zero) {
        if (++t->zero_blocks == 2)
            t->state = T_END;
        return 0;
    }
    if (t->zero_blocks)
        return fail(t, "data after an end-of-archive block");
    if (!checksum_ok(h))
        return fail(t, "bad header checksum (not a tar archive, or a damaged one)");
    uint64_t size;
    if (!octal(h + 124, 12, &size))
        return fail(t, "bad entry size (or an entry of 8 GiB or more)");
    int type = h[156];
    t->pad = (size_t)((512 - size % 512) % 512);
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        if (size > TAR_META_MAX)
            return fail(t, "pax header or long name too large");
        t->meta_type = type;
        t->meta_len = 0;
        t->left = size;
        t->state = size ? T_META : T_PAD;
        if (!size)
            return meta_end(t);
        return 0;
    }
    char name[TAR_NAME_MAX + 1];
    if (t->long_name[0]) {
        snprintf(name, sizeof name, "%s", t->long_name);
        t->long_name[0] = '\0';
    } else {
        char base[101], prefix[156];
        field(base, h, 100);
        /* POSIX ustar ("ustar\0" "00") has a name prefix; GNU's old format uses that space
         * for other fields */
        bool posix = memcmp(h + 257, "ustar\0", 6) == 0;
        size_t pl = posix ? field(prefix, h + 345, 155) : 0;
        if (pl)
            snprintf(name, sizeof name, "%s/%s", prefix, base);
        else
            snprintf(name, sizeof name, "%s", base);
    }
    if (t->pax_size >= 0 && (uint64_t)t->pax_size != size)
        return fail(t, "entry larger than its header says (pax size)");
    t->pax_size = -1;
    if (type == '\0' || type == '7')
        type = TAR_FILE;
    int rc = t->ops->entry(t->arg, name, type, size);
    if (rc < 0) {
        t->state = T_FAIL;
        return rc;
    }
    t->left = size;
    t->meta_type = 0;
    if (size)
        t->state = T_DATA;
    else {
        t->state = T_PAD;
        rc = t->ops->entry_end(t->arg);
        if (rc < 0)
            t->state = T_FAIL;
    }
    return rc;
}

int tar_feed(struct tar *t, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        switch (t->state) {
        case T_HEAD: {
            size_t take = 512 - t->hdr_len < n ? 512 - t->hdr_len : n;
            memcpy(t->hdr + t->hdr_len, p, take);
            t->hdr_len += take;
            p += take;
            n -= take;
            if (t->hdr_len == 512) {
                t->hdr_len = 0;
                int rc = header(t);
                if (rc < 0)
                    return rc;
            }
            break;
        }
        case T_DATA:
        case T_META: {
            size_t take = t->left < n ? (size_t)t->left : n;
            int rc = 0;
            if (t->state == T_DATA)
                rc = t->ops->data(t->arg, p, take);
            else {
                memcpy(t->meta + t->meta_len, p, take);
                t->meta_len += take;
            }
            if (rc < 0) {
                t->state = T_FAIL;
                return rc;
            }
            p += take;
            n -= take;
            t->left -= take;
            if (t->left == 0) {
                rc = t->state == T_DATA ? t->ops->entry_end(t->arg) : meta_end(t);
                if (rc < 0) {
                    t->state = T_FAIL;
                    return rc;
                }
                t->state = T_PAD;
            }
            break;
        }
        case T_PAD: {
            size_t take = t->pad < n ? t->pad : n;
            p += take;
            n -= take;
            t->pad -= take;
            if (t->pad == 0)
                t->state = T_HEAD;
            break;
        }
        case T_END: return 0;
        default: return ERR_INVAL;
        }
    }
    if (t->state == T_PAD && t->pad == 0)
        t->state = T_HEAD;
    return 0;
}
