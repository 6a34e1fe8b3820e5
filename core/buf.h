/* buf.h - a growable byte buffer with a hard upper bound.
 *
 * Used for connection input/output and rendered replies. Growth stops at max;
 * a write that would pass it fails with ERR_FULL and sets is_full, and the
 * buffer keeps what it had. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *p;
    size_t len; /* bytes held */
    size_t cap; /* bytes allocated */
    size_t max; /* bytes allowed */
    bool is_full;
};

/* Prepares an empty buffer that may grow to max bytes; allocates nothing yet. */
void buf_init(struct buf *b, size_t max);
/* Frees the storage and empties the buffer. */
void buf_free(struct buf *b);
/* Appends n bytes. Returns 0, or ERR_FULL/ERR_NOMEM (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t n);
/* Appends a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s);
/* Appends one byte. */
int buf_putc(struct buf *b, char c);
/* Appends formatted text. Returns 0 or ERR_FULL/ERR_NOMEM. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends formatted text from a va_list. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Makes room for at least want more bytes (fewer when max allows fewer) and returns where they
 * go, with the room in *room; NULL when the buffer is full (ERR_FULL) or out of memory. Bytes
 * written there count after buf_commit. For reading straight into the buffer (net/conn.c). */
char *buf_space(struct buf *b, size_t want, size_t *room);
/* Adds n bytes written into the room buf_space gave (n <= room). */
void buf_commit(struct buf *b, size_t n);
/* Drops the first n bytes (all of them if n >= len). */
void buf_consume(struct buf *b, size_t n);
/* Empties the buffer and clears is_full, keeping its storage. */
void buf_clear(struct buf *b);
/* Makes sure p[len] is a NUL (storage permitting) and returns p, or "" when empty. */
const char *buf_cstr(struct buf *b);

#endif
