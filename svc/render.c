/* render.c - shell text, Python repr and JSON renderings of values. */
#include "render.h"

#include "../core/err.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

/* Writes f as Python's repr() does into dst (at least 32 bytes): the fewest significant
 * digits that read back as f, positional for exponents -4..15, else d.ddde+XX. */
static void float_repr(char *dst, size_t cap, double f)
{
    if (isnan(f)) {
        snprintf(dst, cap, "nan");
        return;
    }
    if (isinf(f)) {
        snprintf(dst, cap, f < 0 ? "-inf" : "inf");
        return;
    }
    char sci[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, f);
        if (strtod(sci, NULL) == f)
            break;
    }
    /* sci is "[-]d[.ddd]e[+-]XX": collect the digits and the exponent. */
    const char *p = sci;
    bool is_neg = *p == '-';
    if (is_neg)
        p++;
    char dig[24];
    size_t n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.' && n < sizeof(dig) - 1)
            dig[n++] = *p;
    int exp = *p == 'e' ? atoi(p + 1) : 0;
    while (n > 1 && dig[n - 1] == '0')
        n--;
    dig[n] = '\0';

    size_t o = 0;
    char out[48];
    if (is_neg)
        out[o++] = '-';
    if (exp >= 16 || exp < -4) {
        out[o++] = dig[0];
        if (n > 1) {
            out[o++] = '.';
            memcpy(out + o, dig + 1, n - 1);
            o += n - 1;
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "e%c%02d", exp < 0 ? '-' : '+',
                              exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int z = 0; z < -exp - 1; z++)
            out[o++] = '0';
        memcpy(out + o, dig, n);
        o += n;
    } else {
        size_t ipart = (size_t)exp + 1;
        for (size_t k = 0; k < ipart; k++)
            out[o++] = k < n ? dig[k] : '0';
        out[o++] = '.';
        if (n > ipart) {
            memcpy(out + o, dig + ipart, n - ipart);
            o += n - ipart;
        } else {
            out[o++] = '0';
        }
    }
    out[o] = '\0';
    snprintf(dst, cap, "%s", out);
}

/* Length of the UTF-8 sequence starting at s[i] when it is a well-formed 2-byte sequence
 * for a code point Python does not print (U+0080..U+00A0, U+00AD), else 0. */
static unsigned nonprintable_latin1(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] != 0xc2 || i + 1 >= len)
        return 0;
    unsigned c = s[i + 1];
    return (c >= 0x80 && c <= 0xa0) || c == 0xad ? c : 0;
}

static int repr_string(struct buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    bool has_sq = memchr(s, '\'', len) != NULL;
    bool has_dq = memchr(s, '"', len) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    TRY(buf_putc(out, q));
    size_t run = 0; /* start of the pending run of bytes written as they are */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = u[i];
        const char *esc = NULL;
        char hex[12];
        int hexcp = -1;     /* code point to write as \\xNN, or -1 */
        size_t i_extra = 0; /* bytes of a 2-byte sequence after the first */
        if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == (unsigned char)q)
            esc = q == '\'' ? "\\'" : "\\\"";
        else if (c < 0x20 || c == 0x7f)
            hexcp = c;
        else if (nonprintable_latin1(u, len, i) != 0) {
            hexcp = (int)nonprintable_latin1(u, len, i);
            i_extra = 1;
        }
        if (hexcp >= 0) {
            snprintf(hex, sizeof(hex), "\\x%02x", (unsigned)hexcp);
            esc = hex;
        }
        if (!esc)
            continue;
        TRY(buf_append(out, s + run, i - run));
        TRY(buf_puts(out, esc));
        i += i_extra;
        run = i + 1;
    }
    TRY(buf_append(out, s + run, len - run));
    return buf_putc(out, q);
}

int render_repr(struct buf *out, const struct val *v)
{
    if (!v)
        return buf_puts(out, "None");
    char num[48];
    switch (v->type) {
    case VAL_NONE: return buf_puts(out, "None");
    case VAL_BOOL: return buf_puts(out, v->u.b ? "True" : "False");
    case VAL_INT: return buf_printf(out, "%" PRId64, v->u.i);
    case VAL_FLOAT: float_repr(num, sizeof(num), v->u.f); return buf_puts(out, num);
    case VAL_STR: return repr_string(out, v->u.s.p, v->u.s.len);
    case VAL_LIST:
    case VAL_TUPLE:
        TRY(buf_putc(out, v->type == VAL_LIST ? '[' : '('));
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_puts(out, ", "));
            TRY(render_repr(out, it));
        }
        if (v->type == VAL_TUPLE && v->u.c.n == 1)
            TRY(buf_putc(out, ','));
        return buf_putc(out, v->type == VAL_LIST ? ']' : ')');
    case VAL_DICT:
        TRY(buf_putc(out, '{'));
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_puts(out, ", "));
            TRY(render_repr(out, it->key));
            TRY(buf_puts(out, ": "));
            TRY(render_repr(out, it));
        }
        return buf_putc(out, '}');
    }
    return buf_puts(out, "None");
}

int render_str(struct buf *out, const struct val *v)
{
    if (v && v->type == VAL_STR)
        return buf_append(out, v->u.s.p, v->u.s.len);
    return render_repr(out, v);
}

int render_text(struct buf *out, const struct val *v, bool is_help)
{
    if (v && v->type == VAL_DICT) {
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_putc(out, '\n'));
            TRY(buf_putc(out, ' '));
            TRY(render_str(out, it->key));
            TRY(buf_puts(out, ": "));
            TRY(render_str(out, it));
        }
        return 0;
    }
    if (is_help && v && (v->type == VAL_LIST || v->type == VAL_TUPLE)) {
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_putc(out, '\n'));
            TRY(buf_putc(out, ' '));
            TRY(render_str(out, it));
            TRY(buf_putc(out, ','));
        }
        return 0;
    }
    return render_str(out, v);
}

int render_json_string(struct buf *out, const char *s, size_t len)
{
    TRY(buf_putc(out, '"'));
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char hex[12];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(hex, sizeof(hex), "\\u%04x", c);
                esc = hex;
            }
        }
        if (!esc)
            continue;
        TRY(buf_append(out, s + run, i - run));
        TRY(buf_puts(out, esc));
        run = i + 1;
    }
    TRY(buf_append(out, s + run, len - run));
    return buf_putc(out, '"');
}

int render_json(struct buf *out, const struct val *v)
{
    if (!v)
        return buf_puts(out, "null");
    char num[48];
    switch (v->type) {
    case VAL_NONE: return buf_puts(out, "null");
    case VAL_BOOL: return buf_puts(out, v->u.b ? "true" : "false");
    case VAL_INT: return buf_printf(out, "%" PRId64, v->u.i);
    case VAL_FLOAT:
        if (!isfinite(v->u.f))
            return buf_puts(out, "null");
        float_repr(num, sizeof(num), v->u.f);
        return buf_puts(out, num);
    case VAL_STR: return render_json_string(out, v->u.s.p, v->u.s.len);
    case VAL_LIST:
    case VAL_TUPLE:
        TRY(buf_putc(out, '['));
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_puts(out, ", "));
            TRY(render_json(out, it));
        }
        return buf_putc(out, ']');
    case VAL_DICT:
        TRY(buf_putc(out, '{'));
        for (const struct val *it = v->u.c.head; it; it = it->next) {
            if (it != v->u.c.head)
                TRY(buf_puts(out, ", "));
            if (it->key && it->key->type == VAL_STR) {
                TRY(render_json_string(out, it->key->u.s.p, it->key->u.s.len));
            } else if (it->key && it->key->type == VAL_INT) {
                /* json.dumps writes an int key as a string: {"2": ...} */
                TRY(buf_printf(out, "\"%" PRId64 "\"", it->key->u.i));
            } else {
                TRY(buf_puts(out, "\"null\""));
            }
            TRY(buf_puts(out, ": "));
            TRY(render_json(out, it));
        }
        return buf_putc(out, '}');
    }
    return buf_puts(out, "null");
}
