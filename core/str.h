/* str.h - non-owning string views for parsing.
 *
 * A struct str points into someone else's buffer; it never owns memory and
 * is not NUL-terminated. Copy it (str_copy) when you need to keep it. */
#ifndef STR_H
#define STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
    const char *p;
    size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
#define STR_NULL   ((struct str){NULL, 0})
/* printf helper: printf("%.*s", STR_FMT(s)) */
#define STR_FMT(s) (int)(s).len, (s).p

/* Returns a view of a NUL-terminated string (NULL gives an empty view). */
struct str str_c(const char *s);
/* Returns true when both views hold the same bytes. */
bool str_eq(struct str a, struct str b);
/* Returns true when the view equals the NUL-terminated string c. */
bool str_eqc(struct str a, const char *c);
/* Returns true when a begins with the NUL-terminated prefix. */
bool str_starts(struct str a, const char *prefix);
/* Returns true when a ends with the NUL-terminated suffix. */
bool str_ends(struct str a, const char *suffix);
/* Returns true when the NUL-terminated needle occurs in a. */
bool str_contains(struct str a, const char *needle);
/* Returns a without leading and trailing ASCII whitespace. */
struct str str_trim(struct str a);
/* Returns the bytes of a from offset off on (empty when off is past the end). */
struct str str_from(struct str a, size_t off);
/* Copies a into dst (size cap) with a terminating NUL, truncating if needed.
 * Returns the number of bytes copied, without the NUL. */
size_t str_copy(char *dst, size_t cap, struct str a);
/* Compares a and b in time that depends only on their lengths (for secrets). */
bool str_eq_secret(struct str a, struct str b);
/* Returns true when a equals the NUL-terminated c, ASCII letters compared without case. */
bool str_eqc_nocase(struct str a, const char *c);
/* Returns true when needle occurs in a, ASCII letters compared without case ("" always does). */
bool str_contains_nocase(struct str a, const char *needle);
/* Returns the value of the hex digit c (0-9, a-f, A-F), or -1 when it is none. */
int str_hex_digit(char c);
/* Parses the whole of s as a decimal integer (digits only; a leading '+' or '-' only when
 * is_signed) whose magnitude is at most max_mag. Returns false, leaving *out alone, when s is
 * empty, holds anything else, or is out of range. */
bool str_to_int(struct str s, bool is_signed, int64_t max_mag, int64_t *out);
/* Splits the next whitespace-separated word off *rest and returns it (empty at the end). */
struct str str_next_word(struct str *rest);
/* A heap copy of the C string s for free() (strdup is POSIX, not C11); NULL when out of
 * memory. */
char *str_dup(const char *s);

#endif
