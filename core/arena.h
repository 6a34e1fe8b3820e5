/* arena.h - a bump allocator over caller-owned memory.
 *
 * Used for everything one command builds (parsed arguments, reply values):
 * allocate freely while the command runs, then arena_reset. Exhaustion is
 * sticky (is_full) so builders can check once at the end. */
#ifndef ARENA_H
#define ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena {
    char *base;
    size_t cap;
    size_t used;
    bool is_full; /* an allocation failed since the last reset */
};

/* Uses mem (cap bytes, owned by the caller) as the arena's storage. */
void arena_init(struct arena *a, void *mem, size_t cap);
/* Forgets every allocation and clears is_full. */
void arena_reset(struct arena *a);
/* Returns n bytes aligned for any type, or NULL (and sets is_full) when out of room. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies n bytes of s plus a NUL into the arena; NULL when out of room. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena; NULL when out of room. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vprintf into the arena; NULL when out of room. */
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
