/* rest_path.c - REST path decoding and command-line building. */
#include "rest_path.h"

#include "../core/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int rest_pct_decode(struct str in, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        if (c == '%' && i + 2 < in.len) {
            int hi = str_hex_digit(in.p[i + 1]), lo = str_hex_digit(in.p[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
            }
        }
        if (n + 1 >= cap)
            return ERR_TOOBIG;
        out[n++] = c;
    }
    if (cap == 0)
        return ERR_TOOBIG;
    out[n] = '\0';
    return (int)n;
}

/* True when the command parser reads s as exactly one token: no whitespace outside
 * quotes and every quote closed. */
static bool is_one_token(const char *s, size_t len)
{
    char q = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (q) {
            if (c == '\\' && i + 1 < len)
                i++;
            else if (c == q)
                q = 0;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            return false;
        }
    }
    return q == 0;
}

/* Length of a leading "identifier=" in s, or 0. */
static size_t keyword_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
                       (s[i] >= 'A' && s[i] <= 'Z') || (i > 0 && s[i] >= '0' && s[i] <= '9')))
        i++;
    return i > 0 && i < len && s[i] == '=' ? i + 1 : 0;
}

struct line {
    char *p;
    size_t len, cap;
    bool is_full;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (l->is_full || l->len + n + 1 > l->cap) {
        l->is_full = true;
        return;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
}

/* Appends s as a single-quoted string literal with escapes. */
static void put_quoted(struct line *l, const char *s, size_t n)
{
    put(l, "'", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '\\' || c == '\'') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c == '\t') {
            put(l, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            put(l, esc, 4);
        } else {
            put(l, (const char *)&s[i], 1);
        }
    }
    put(l, "'", 1);
}

/* Appends one decoded token, quoting it when it would not parse as one token. */
static void put_token(struct line *l, const char *s, size_t n)
{
    if (l->len > 0)
        put(l, " ", 1);
    if (n == 0) {
        put(l, "''", 2);
        return;
    }
    if (is_one_token(s, n)) {
        put(l, s, n);
        return;
    }
    size_t kw = keyword_len(s, n);
    put(l, s, kw);
    put_quoted(l, s + kw, n - kw);
}

/* True for the tokens the parser takes off the end: >json, >>host, &, &&, &ms, &&ms. */
static bool is_postfix(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '>' && (s[1] == '>' || (n == 5 && memcmp(s, ">json", 5) == 0)))
        return true;
    if (n == 0 || s[0] != '&')
        return false;
    size_t i = 0;
    while (i < n && i < 3 && s[i] == '&')
        i++;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Decodes one segment into scratch; returns its length or ERR_*. */
static int decode(struct str seg, char *scratch, size_t cap)
{
    int n = rest_pct_decode(seg, scratch, cap);
    if (n > 0 && memchr(scratch, '\0', (size_t)n))
        return ERR_INVAL;
    return n;
}

int rest_build_line(struct str path, struct str query, char *out, size_t cap)
{
    struct line l = {out, 0, cap, false};
    if (cap == 0)
        return ERR_TOOBIG;
    out[0] = '\0';
    char seg[REST_LINE_MAX];
    /* Where the trailing postfixes start, so query keywords go before them. */
    size_t postfix_at = 0;
    bool in_postfix = false;
    size_t i = 0;
    while (i <= path.len) {
        size_t j = i;
        while (j < path.len && path.p[j] != '/')
            j++;
        if (j > i) {
            int n = decode((struct str){path.p + i, j - i}, seg, sizeof seg);
            if (n < 0)
                return n;
            if (n > 0) {
                bool pf = is_postfix(seg, (size_t)n);
                if (pf && !in_postfix)
                    postfix_at = l.len;
                in_postfix = pf;
                put_token(&l, seg, (size_t)n);
            }
        }
        i = j + 1;
    }
    if (!in_postfix)
        postfix_at = l.len;
    /* Query items, inserted at postfix_at. */
    char tail[REST_LINE_MAX];
    size_t tail_len = l.len - postfix_at;
    if (tail_len >= sizeof tail)
        return ERR_TOOBIG;
    memcpy(tail, out + postfix_at, tail_len);
    l.len = postfix_at;
    out[l.len] = '\0';
    for (size_t a = 0; a < query.len;) {
        size_t b = a;
        while (b < query.len && query.p[b] != '&')
            b++;
        if (b > a) {
            int n = decode((struct str){query.p + a, b - a}, seg, sizeof seg);
            if (n < 0)
                return n;
            if (n > 0)
                put_token(&l, seg, (size_t)n);
        }
        a = b + 1;
    }
    if (tail_len > 0) {
        /* the tail starts with its separating space unless it was the first token */
        size_t skip = tail[0] == ' ' ? 1 : 0;
        if (l.len > 0)
            put(&l, " ", 1);
        put(&l, tail + skip, tail_len - skip);
    }
    if (l.is_full)
        return ERR_TOOBIG;
    return (int)l.len;
}
