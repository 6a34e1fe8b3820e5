/* multipart.c - incremental multipart/form-data parsing (see multipart.h). */
#include "multipart.h"

#include <string.h>

#define MP_HEADERS_MAX 16 /* header lines per part */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq_prefix(struct str s, const char *pre)
{
    size_t n = strlen(pre);
    if (s.len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s.p[i]) != pre[i])
            return false;
    return true;
}

static bool boundary_ok(struct str b)
{
    if (b.len == 0 || b.len > MP_BOUNDARY_MAX)
        return false;
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '\r' || b.p[i] == '\n' || b.p[i] == '\0' || b.p[i] == '"')
            return false;
    return true;
}

/* Walks the ";"-separated parameters of a header value: calls fn for each key=value, with
 * quotes removed into val (backslash escapes resolved). */
typedef void param_fn(struct str key, const char *val, size_t vlen, bool truncated, void *arg);

static void each_param(struct str v, param_fn *fn, void *arg)
{
    size_t i = 0;
    while (i < v.len && v.p[i] != ';')
        i++;
    while (i < v.len) {
        i++; /* ';' */
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        size_t ks = i;
        while (i < v.len && v.p[i] != '=' && v.p[i] != ';')
            i++;
        struct str key = str_trim((struct str){v.p + ks, i - ks});
        char val[MP_NAME_MAX];
        size_t vl = 0;
        bool truncated = false;
        if (i < v.len && v.p[i] == '=') {
            i++;
            while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
                i++;
            if (i < v.len && v.p[i] == '"') {
                for (i++; i < v.len && v.p[i] != '"'; i++) {
                    if (v.p[i] == '\\' && i + 1 < v.len)
                        i++;
                    if (vl + 1 < sizeof val)
                        val[vl++] = v.p[i];
                    else
                        truncated = true;
                }
                while (i < v.len && v.p[i] != ';')
                    i++;
            } else {
                size_t vs = i;
                while (i < v.len && v.p[i] != ';')
                    i++;
                struct str t = str_trim((struct str){v.p + vs, i - vs});
                vl = t.len < sizeof val - 1 ? t.len : sizeof val - 1;
                truncated = t.len >= sizeof val;
                memcpy(val, t.p, vl);
            }
        }
        val[vl] = '\0';
        fn(key, val, vl, truncated, arg);
    }
}

struct str mp_boundary(struct str ct)
{
    ct = str_trim(ct);
    if (!ieq_prefix(ct, "multipart/form-data"))
        return STR_NULL;
    /* boundary points into ct: find "boundary=" case-insensitively */
    for (size_t i = 0; i + 9 <= ct.len; i++) {
        if (!ieq_prefix((struct str){ct.p + i, ct.len - i}, "boundary="))
            continue;
        if (i > 0 && ct.p[i - 1] != ';' && ct.p[i - 1] != ' ' && ct.p[i - 1] != '\t')
            continue;
        size_t s = i + 9, e;
        if (s < ct.len && ct.p[s] == '"') {
            s++;
            for (e = s; e < ct.len && ct.p[e] != '"'; e++)
                ;
            if (e == ct.len)
                return STR_NULL;
        } else {
            for (e = s; e < ct.len && ct.p[e] != ';' && ct.p[e] != ' ' && ct.p[e] != '\t'; e++)
                ;
        }
        struct str b = {ct.p + s, e - s};
        return boundary_ok(b) ? b : STR_NULL;
    }
    return STR_NULL;
}

bool mp_init(struct mp *m, struct str boundary, const struct mp_callbacks *cb, void *ctx)
{
    memset(m, 0, sizeof *m);
    if (!boundary_ok(boundary))
        return false;
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary.p, boundary.len);
    m->dlen = 4 + boundary.len;
    m->match = 2; /* the first boundary may open the body: its CRLF counts as seen */
    m->state = MP_PREAMBLE;
    m->cb = cb;
    m->ctx = ctx;
    return true;
}

static int fail(struct mp *m, const char *why)
{
    m->state = MP_ERROR;
    m->err = why;
    return -1;
}

static void on_disposition(struct str key, const char *val, size_t vlen, bool truncated, void *arg)
{
    struct mp_part *pt = arg;
    (void)vlen;
    if (key.len == 4 && ieq_prefix(key, "name")) {
        memcpy(pt->name, val, strlen(val) + 1);
    } else if (ieq_prefix(key, "filename*")) {
        pt->has_ext_filename = true;
    } else if (ieq_prefix(key, "filename") && key.len == 8) {
        memcpy(pt->filename, val, strlen(val) + 1);
        pt->has_filename = true;
        if (truncated)
            pt->has_ext_filename = true; /* too long to be a valid name: refused later */
    }
}

/* One complete header line (CR stripped). Returns 0, or -1 after fail(). */
static int header_line(struct mp *m)
{
    struct str l = {m->line, m->line_len};
    if (++m->nheaders > MP_HEADERS_MAX)
        return fail(m, "too many part headers");
    const char *colon = memchr(l.p, ':', l.len);
    if (!colon || colon == l.p)
        return fail(m, "malformed part header");
    struct str name = {l.p, (size_t)(colon - l.p)};
    struct str val = str_trim((struct str){colon + 1, l.len - name.len - 1});
    if (name.len == 19 && ieq_prefix(name, "content-disposition")) {
        if (!ieq_prefix(val, "form-data"))
            return fail(m, "part is not form-data");
        each_param(val, on_disposition, &m->part);
    } else if (name.len == 12 && ieq_prefix(name, "content-type")) {
        str_copy(m->part.content_type, sizeof m->part.content_type, val);
    }
    return 0;
}

/* Handles bytes in MP_PREAMBLE or MP_DATA from p[*i]: data is passed on (in DATA) until a
 * full delimiter is matched. Returns 0, or -2 when a callback stopped. */
static int scan(struct mp *m, const char *p, size_t n, size_t *pi)
{
    bool emit = m->state == MP_DATA;
    size_t i = *pi;
    size_t run = i; /* start of data not yet passed on */
    while (i < n) {
        if (m->match == 0) {
            const char *cr = memchr(p + i, '\r', n - i);
            if (!cr) {
                i = n;
                break;
            }
            i = (size_t)(cr - p);
            /* a CR that cannot start the delimiter (the bytes after it that are here say
             * so) stays in the run: binary data holds a CR every 256 bytes on average, and
             * cutting the run at each would call part_data for every few hundred bytes */
            size_t avail = n - i < m->dlen ? n - i : m->dlen;
            if (memcmp(p + i, m->delim, avail) != 0) {
                i++;
                continue;
            }
            if (emit && i > run && m->cb->part_data(m->ctx, p + run, i - run))
                return -2;
            m->match = 1;
            i++;
            continue;
        }
        if (p[i] == m->delim[m->match]) {
            m->match++;
            i++;
            if (m->match == m->dlen) {
                m->match = 0;
                if (emit && m->cb->part_end(m->ctx))
                    return -2;
                m->state = MP_AFTER_DELIM;
                *pi = i;
                return 0;
            }
            continue;
        }
        /* mismatch: the held bytes were data after all */
        if (emit && m->cb->part_data(m->ctx, m->delim, m->match))
            return -2;
        m->match = 0;
        run = i;
    }
    if (emit && m->match == 0 && i > run && m->cb->part_data(m->ctx, p + run, i - run))
        return -2;
    *pi = i;
    return 0;
}

int mp_feed(struct mp *m, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        switch (m->state) {
        case MP_ERROR: return m->err ? -1 : -2;
        case MP_EPILOGUE: return 1;
        case MP_PREAMBLE:
        case MP_DATA:
            if (scan(m, p, n, &i) < 0) {
                m->state = MP_ERROR;
                m->err = NULL;
                return -2;
            }
            break;
        case MP_AFTER_DELIM: {
            char c = p[i++];
            if (c == '-')
                m->state = MP_AFTER_DELIM_DASH;
            else if (c == '\r')
                m->state = MP_AFTER_DELIM_CR;
            else if (c != ' ' && c != '\t')
                return fail(m, "malformed boundary line");
            break;
        }
        case MP_AFTER_DELIM_DASH:
            if (p[i++] != '-')
                return fail(m, "malformed closing boundary");
            m->state = MP_EPILOGUE;
            return 1;
        case MP_AFTER_DELIM_CR:
            if (p[i++] != '\n')
                return fail(m, "malformed boundary line");
            m->state = MP_HEADERS;
            memset(&m->part, 0, sizeof m->part);
            m->line_len = 0;
            m->nheaders = 0;
            break;
        case MP_HEADERS: {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t take = nl ? (size_t)(nl - (p + i)) : n - i;
            if (m->line_len + take >= sizeof m->line)
                return fail(m, "part header too long");
            memcpy(m->line + m->line_len, p + i, take);
            m->line_len += take;
            i += take;
            if (!nl)
                break;
            i++; /* '\n' */
            if (m->line_len > 0 && m->line[m->line_len - 1] == '\r')
                m->line_len--;
            if (m->line_len == 0) {
                m->parts++;
                m->state = MP_DATA;
                m->match = 0;
                if (m->cb->part_begin(m->ctx, &m->part)) {
                    m->state = MP_ERROR;
                    return -2;
                }
                break;
            }
            if (header_line(m) < 0)
                return -1;
            m->line_len = 0;
            break;
        }
        }
    }
    if (m->state == MP_EPILOGUE)
        return 1;
    if (m->state == MP_ERROR)
        return m->err ? -1 : -2;
    return 0;
}
