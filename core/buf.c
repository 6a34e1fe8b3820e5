#include "buf.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->is_full = false;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->is_full = false;
}

/* Grows storage to hold need bytes plus a NUL. */
static int reserve(struct buf *b, size_t need)
{
    if (need > b->max) {
        b->is_full = true;
        return ERR_FULL;
    }
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->p, cap);
    if (!p)
        return ERR_NOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

char *buf_space(struct buf *b, size_t want, size_t *room)
{
    size_t left = b->max > b->len ? b->max - b->len : 0;
    if (want > left)
        want = left;
    if (want == 0 || reserve(b, b->len + want) < 0) {
        b->is_full = b->is_full || want == 0;
        return NULL;
    }
    *room = b->cap - 1 - b->len;
    if (*room > left)
        *room = left;
    return b->p + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
    b->p[b->len] = '\0';
}

int buf_append(struct buf *b, const void *data, size_t n)
{
    int rc = reserve(b, b->len + n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERR_INVAL;
    int rc = reserve(b, b->len + (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

void buf_clear(struct buf *b)
{
    b->len = 0;
    b->is_full = false;
    if (b->p)
        b->p[0] = '\0';
}

const char *buf_cstr(struct buf *b)
{
    return b->p ? b->p : "";
}
