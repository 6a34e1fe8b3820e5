/* cmd.c - split a command line, take its postfixes off, parse argument literals. */
#include "cmd.h"

#include "../core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX_DEPTH 8 /* nesting allowed in list literals: bounds the recursion */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static bool is_quote(char c)
{
    return c == '\'' || c == '"';
}

/* Returns the index just past the quoted run that starts at s.p[i] (a quote), or 0 when
 * the run is unterminated. A backslash escapes the next character. */
static size_t skip_quoted(struct str s, size_t i)
{
    char q = s.p[i++];
    while (i < s.len && s.p[i] != q)
        i += s.p[i] == '\\' ? 2 : 1;
    return i < s.len ? i + 1 : 0;
}

static void set_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errcap, const char *fmt, ...)
{
    if (!err || errcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

int cmd_help_line(const struct cmd_help *h, struct buf *out)
{
    if (!h->text)
        return buf_printf(out, "%*s%s\n", (int)h->indent, "", h->left);
    int width = h->col > h->indent ? (int)(h->col - h->indent) : 0;
    return buf_printf(out, "%*s%-*s- %s\n", (int)h->indent, "", width, h->left, h->text);
}

bool cmd_is_ident(struct str s)
{
    if (s.len == 0 || !is_ident_start(s.p[0]))
        return false;
    for (size_t i = 1; i < s.len; i++)
        if (!is_ident_char(s.p[i]))
            return false;
    return true;
}

/* Task postfix: every '&' counted and dropped; what is left, if only digits, is the delay. */
static void take_task_postfix(struct cmd *c, struct str t)
{
    size_t amps = 0, digits = 0, others = 0;
    uint64_t ms = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (t.p[i] == '&') {
            amps++;
        } else if (is_digit(t.p[i])) {
            digits++;
            ms = ms * 10 + (uint64_t)(t.p[i] - '0');
            if (ms > UINT32_MAX)
                ms = UINT32_MAX; /* saturates: stays above every real period */
        } else {
            others++;
        }
    }
    c->is_task = true;
    c->is_loop = amps == 2;
    c->task_ms = digits && !others ? (uint32_t)ms : CMD_TASK_DEFAULT_MS;
    if (c->task_ms < CMD_TASK_MIN_MS)
        c->task_ms = CMD_TASK_MIN_MS;
}

/* Returns true when s (after ">>") is a host[:port] InterCon target. */
static bool is_remote_host(struct str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        if (!(is_ident_char(ch) && ch != '_') && ch != '.' && ch != '-' && ch != ':')
            return false;
    }
    return true;
}

int cmd_split(struct str line, bool is_quoted, struct str *tok, size_t cap, size_t *ntok)
{
    size_t i = 0;
    *ntok = 0;
    for (;;) {
        while (i < line.len && is_ws(line.p[i]))
            i++;
        if (i >= line.len)
            break;
        size_t start = i;
        while (i < line.len && !is_ws(line.p[i])) {
            if (is_quoted && is_quote(line.p[i])) {
                i = skip_quoted(line, i);
                if (i == 0)
                    return ERR_SYNTAX;
            } else {
                i++;
            }
        }
        if (*ntok == cap)
            return ERR_TOOBIG;
        tok[(*ntok)++] = (struct str){line.p + start, i - start};
    }
    return 0;
}

int cmd_parse(struct str line, struct cmd *c)
{
    memset(c, 0, sizeof(*c));
    c->task_ms = CMD_TASK_DEFAULT_MS;
    int rc = cmd_split(line, true, c->tok, CMD_MAX_TOKENS, &c->ntok);
    if (rc < 0)
        return rc;

    /* The postfixes, in micrOS's order (COMPAT §2.1). */
    if (c->ntok > 2 && memchr(c->tok[c->ntok - 1].p, '&', c->tok[c->ntok - 1].len))
        take_task_postfix(c, c->tok[--c->ntok]);
    if (c->ntok > 0 && str_eqc(c->tok[c->ntok - 1], ">json")) {
        c->ntok--;
        c->is_json = true;
    }
    if (c->ntok > 0 && str_starts(c->tok[c->ntok - 1], ">>")) {
        c->has_bare_remote = true;
        struct str host = str_from(c->tok[c->ntok - 1], 2);
        if (is_remote_host(host)) {
            c->ntok--;
            c->is_remote = true;
            c->remote = host;
        }
    }
    return 0;
}

/* ---- literals ---- */

static struct val *parse_value(struct str t, struct arena *a, char *err, size_t errcap, int depth);

/* Writes code point cp as UTF-8 to out; returns the bytes written. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Reads n hex digits at s.p[i]; returns the value or -1. */
static long read_hex(struct str s, size_t i, size_t n)
{
    if (i + n > s.len)
        return -1;
    long v = 0;
    for (size_t k = 0; k < n; k++) {
        int h = str_hex_digit(s.p[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A quoted string filling the whole token, with Python's escapes. \xNN, \ooo and \uNNNN
 * name code points and are stored as UTF-8; an unknown escape stays as written. */
static struct val *parse_quoted(struct str t, struct arena *a, char *err, size_t errcap)
{
    char q = t.p[0];
    char *out = arena_alloc(a, t.len + 1); /* decoding never makes the text longer */
    if (!out) {
        set_err(err, errcap, "out of memory");
        return NULL;
    }
    size_t n = 0, i = 1;
    for (;;) {
        if (i >= t.len)
            goto bad; /* unterminated */
        char ch = t.p[i];
        if (ch == q)
            break;
        if (ch != '\\') {
            out[n++] = ch;
            i++;
            continue;
        }
        if (i + 1 >= t.len)
            goto bad;
        char e = t.p[i + 1];
        i += 2;
        long cp = -1;
        switch (e) {
        case '\\': out[n++] = '\\'; break;
        case '\'': out[n++] = '\''; break;
        case '"': out[n++] = '"'; break;
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'a': out[n++] = '\a'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'v': out[n++] = '\v'; break;
        case 'x':
        case 'u':
            cp = read_hex(t, i, e == 'x' ? 2 : 4);
            if (cp < 0 || (cp >= 0xd800 && cp <= 0xdfff))
                goto bad;
            i += e == 'x' ? 2 : 4;
            break;
        default:
            if (e >= '0' && e <= '7') {
                cp = e - '0';
                for (int k = 0; k < 2 && i < t.len && t.p[i] >= '0' && t.p[i] <= '7'; k++)
                    cp = cp * 8 + (t.p[i++] - '0');
            } else {
                out[n++] = '\\';
                out[n++] = e;
            }
        }
        if (cp >= 0)
            n += put_utf8(out + n, (uint32_t)cp);
    }
    if (i != t.len - 1)
        goto bad; /* text after the closing quote */
    out[n] = '\0';
    struct val *v = val_strn(a, "", 0);
    if (!v) {
        set_err(err, errcap, "out of memory");
        return NULL;
    }
    v->u.s.p = out; /* the decoded text is already in the arena */
    v->u.s.len = n;
    return v;
bad:
    set_err(err, errcap, "invalid syntax");
    return NULL;
}

/* [a, b, ...]: elements are literals, split at top-level commas; a trailing comma is allowed. */
static struct val *parse_list(struct str t, struct arena *a, char *err, size_t errcap, int depth)
{
    if (depth >= LIST_MAX_DEPTH) {
        set_err(err, errcap, "invalid syntax");
        return NULL;
    }
    struct val *list = val_list(a);
    if (!list) {
        set_err(err, errcap, "out of memory");
        return NULL;
    }
    int level = 1;
    size_t seg = 1, i = 1;
    while (i < t.len) {
        char ch = t.p[i];
        if (is_quote(ch)) {
            i = skip_quoted(t, i);
            if (i == 0)
                break;
            continue;
        }
        if (ch == '[') {
            level++;
        } else if (ch == ']' || (ch == ',' && level == 1)) {
            if (ch == ']' && --level > 0) {
                i++;
                continue;
            }
            struct str item = str_trim((struct str){t.p + seg, i - seg});
            if (item.len == 0) {
                /* "[]" and the tail of "[1,]" are fine; "[,]" and "[1,,2]" are not */
                if (ch == ',')
                    break;
            } else {
                struct val *v = parse_value(item, a, err, errcap, depth + 1);
                if (!v)
                    return NULL;
                val_append(list, v);
            }
            if (ch == ']') {
                if (i != t.len - 1)
                    break; /* text after the closing bracket */
                return list;
            }
            seg = i + 1;
        }
        i++;
    }
    set_err(err, errcap, "invalid syntax"); /* unbalanced, or a misplaced comma */
    return NULL;
}

/* Integer per Python's grammar: [+-] then 0x.., 0b.., 0o.. or decimal (no leading zeros
 * but for zero itself). Returns 1 when t is one (in range), 0 when t is not an integer,
 * -1 when it is one but out of int64 range. */
static int parse_int(struct str t, int64_t *out)
{
    size_t i = 0;
    bool is_neg = false;
    if (i < t.len && (t.p[i] == '+' || t.p[i] == '-'))
        is_neg = t.p[i++] == '-';
    int base = 10;
    if (i + 1 < t.len && t.p[i] == '0') {
        char b = t.p[i + 1];
        base = b == 'x' || b == 'X' ? 16 : b == 'b' || b == 'B' ? 2 : b == 'o' || b == 'O' ? 8 : 10;
        if (base != 10)
            i += 2;
    }
    if (i >= t.len)
        return 0;
    if (base == 10 && t.p[i] == '0')
        for (size_t k = i; k < t.len; k++)
            if (t.p[k] != '0')
                return 0;
    const uint64_t limit = is_neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    bool is_over = false;
    for (; i < t.len; i++) {
        int d = str_hex_digit(t.p[i]);
        if (d < 0 || d >= base)
            return 0;
        if (mag > (limit - (uint64_t)d) / (uint64_t)base)
            is_over = true;
        else
            mag = mag * (uint64_t)base + (uint64_t)d;
    }
    if (is_over)
        return -1;
    *out = is_neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return 1;
}

/* Float per Python's grammar: [+-] digits [. digits] [e [+-] digits], with a '.' or an
 * exponent and at least one mantissa digit (1.5, .5, 5., -2e3). */
static bool parse_float(struct str t, struct arena *a, double *out)
{
    size_t i = 0, mant = 0;
    bool has_dot = false, has_exp = false;
    if (i < t.len && (t.p[i] == '+' || t.p[i] == '-'))
        i++;
    for (; i < t.len && is_digit(t.p[i]); i++)
        mant++;
    if (i < t.len && t.p[i] == '.') {
        has_dot = true;
        for (i++; i < t.len && is_digit(t.p[i]); i++)
            mant++;
    }
    if (mant == 0)
        return false;
    if (i < t.len && (t.p[i] == 'e' || t.p[i] == 'E')) {
        has_exp = true;
        i++;
        if (i < t.len && (t.p[i] == '+' || t.p[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < t.len && is_digit(t.p[i]); i++)
            exp_digits++;
        if (exp_digits == 0)
            return false;
    }
    if (i != t.len || (!has_dot && !has_exp))
        return false;
    char small[64];
    char *z = t.len < sizeof(small) ? small : arena_alloc(a, t.len + 1);
    if (!z)
        return false;
    memcpy(z, t.p, t.len);
    z[t.len] = '\0';
    *out = strtod(z, NULL);
    return true;
}

static struct val *parse_value(struct str t, struct arena *a, char *err, size_t errcap, int depth)
{
    if (t.len == 0) {
        set_err(err, errcap, "invalid syntax");
        return NULL;
    }
    if (is_quote(t.p[0]))
        return parse_quoted(t, a, err, errcap);
    if (t.p[0] == '[')
        return parse_list(t, a, err, errcap, depth);
    if (memchr(t.p, '\'', t.len) || memchr(t.p, '"', t.len)) {
        set_err(err, errcap, "invalid syntax");
        return NULL;
    }
    struct val *v;
    int64_t i;
    double f;
    int rc = parse_int(t, &i);
    if (rc < 0) {
        set_err(err, errcap, "integer out of range: %.*s", STR_FMT(t));
        return NULL;
    }
    if (rc > 0)
        v = val_int(a, i);
    else if (parse_float(t, a, &f))
        v = val_float(a, f);
    else if (str_eqc(t, "True") || str_eqc(t, "true"))
        v = val_bool(a, true);
    else if (str_eqc(t, "False") || str_eqc(t, "false"))
        v = val_bool(a, false);
    else if (str_eqc(t, "None") || str_eqc(t, "null"))
        v = val_none(a);
    else
        v = val_strn(a, t.p, t.len); /* a bare word is a string (COMPAT A2) */
    if (!v)
        set_err(err, errcap, "out of memory");
    return v;
}

struct val *cmd_parse_literal(struct str tok, struct arena *a, char *err, size_t errcap)
{
    return parse_value(tok, a, err, errcap, 0);
}

int cmd_parse_args(const struct cmd *c, struct arena *a, struct cmd_arg *out, size_t cap, char *err,
                   size_t errcap)
{
    size_t n = 0;
    bool has_kw = false;
    for (size_t t = 2; t < c->ntok; t++) {
        struct str tok = c->tok[t];
        struct str key = STR_NULL;
        size_t k = 0;
        while (k < tok.len && is_ident_char(tok.p[k]))
            k++;
        /* "k=v" is a keyword argument; "k==v" is not */
        if (k > 0 && is_ident_start(tok.p[0]) && k < tok.len && tok.p[k] == '=' &&
            (k + 1 == tok.len || tok.p[k + 1] != '=')) {
            key = (struct str){tok.p, k};
            tok = str_from(tok, k + 1);
            for (size_t j = 0; j < n; j++) {
                if (str_eq(out[j].key, key)) {
                    set_err(err, errcap, "keyword argument repeated: %.*s", STR_FMT(key));
                    return ERR_SYNTAX;
                }
            }
            has_kw = true;
        } else if (has_kw) {
            set_err(err, errcap, "positional argument follows keyword argument");
            return ERR_SYNTAX;
        }
        if (n == cap) {
            set_err(err, errcap, "too many arguments");
            return ERR_TOOBIG;
        }
        struct val *v = cmd_parse_literal(tok, a, err, errcap);
        if (!v)
            return a->is_full ? ERR_NOMEM : ERR_SYNTAX;
        out[n].key = key;
        out[n].v = v;
        n++;
    }
    return (int)n;
}
