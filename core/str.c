#include "str.h"

#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

struct str str_c(const char *s)
{
    return s ? (struct str){s, strlen(s)} : (struct str){"", 0};
}

bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool str_eqc(struct str a, const char *c)
{
    return str_eq(a, str_c(c));
}

bool str_starts(struct str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

bool str_ends(struct str a, const char *suffix)
{
    size_t n = strlen(suffix);
    return a.len >= n && memcmp(a.p + a.len - n, suffix, n) == 0;
}

bool str_contains(struct str a, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (size_t i = 0; i + n <= a.len; i++)
        if (memcmp(a.p + i, needle, n) == 0)
            return true;
    return false;
}

struct str str_trim(struct str a)
{
    while (a.len > 0 && is_space(a.p[0])) {
        a.p++;
        a.len--;
    }
    while (a.len > 0 && is_space(a.p[a.len - 1]))
        a.len--;
    return a;
}

struct str str_from(struct str a, size_t off)
{
    if (off >= a.len)
        return (struct str){a.p + a.len, 0};
    return (struct str){a.p + off, a.len - off};
}

size_t str_copy(char *dst, size_t cap, struct str a)
{
    if (cap == 0)
        return 0;
    size_t n = a.len < cap - 1 ? a.len : cap - 1;
    if (n > 0)
        memcpy(dst, a.p, n);
    dst[n] = '\0';
    return n;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool str_eqc_nocase(struct str a, const char *c)
{
    size_t n = strlen(c);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a.p[i]) != lower(c[i]))
            return false;
    return true;
}

bool str_contains_nocase(struct str a, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= a.len; i++)
        if (str_eqc_nocase((struct str){a.p + i, n}, needle))
            return true;
    return false;
}

int str_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool str_to_int(struct str s, bool is_signed, int64_t max_mag, int64_t *out)
{
    size_t i = 0;
    bool is_neg = false;
    if (is_signed && i < s.len && (s.p[i] == '+' || s.p[i] == '-'))
        is_neg = s.p[i++] == '-';
    if (i == s.len)
        return false;
    int64_t v = 0;
    for (; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        int d = s.p[i] - '0';
        if (d > max_mag || v > (max_mag - d) / 10) /* checked before it could overflow */
            return false;
        v = v * 10 + d;
    }
    *out = is_neg ? -v : v;
    return true;
}

struct str str_next_word(struct str *rest)
{
    size_t i = 0;
    while (i < rest->len && is_space(rest->p[i]))
        i++;
    size_t start = i;
    while (i < rest->len && !is_space(rest->p[i]))
        i++;
    struct str w = {rest->p + start, i - start};
    *rest = str_from(*rest, i);
    return w;
}

bool str_eq_secret(struct str a, struct str b)
{
    unsigned diff = (unsigned)(a.len ^ b.len);
    for (size_t i = 0; i < a.len; i++)
        diff |= (unsigned char)a.p[i] ^ (unsigned char)(b.len ? b.p[i % b.len] : 0);
    return diff == 0;
}

char *str_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
