/* clock.c - calendar, POSIX TZ rules and the node's wall clock. */
#include "clock.h"

#include "../core/err.h"
#include "../hal/hal_time.h"

#include <stdio.h>
#include <string.h>

#define DAY_S         86400
#define DEFAULT_RULE  "M3.2.0,M11.1.0" /* a dst name without rules: the US rule (glibc) */
#define RULE_TIME_MAX (167 * 3600)     /* POSIX extension: -167h..167h */
#define OFFSET_MAX    (25 * 3600)      /* offsets beyond +-24:59:59 are refused */

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool clock_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int clock_month_days(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && clock_is_leap(y) ? 29 : days[m - 1];
}

/* Counts in 400-year eras that start on March 1st, so that the leap day ends an era year. */
int64_t clock_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* from March 1st */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void clock_tm_from_epoch(int64_t s, struct clock_tm *t)
{
    int64_t days = floor_div(s, DAY_S);
    int64_t secs = s - days * DAY_S;
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = yoe + era * 400 + (t->month <= 2);
    t->hour = (int)(secs / 3600);
    t->minute = (int)(secs / 60 % 60);
    t->sec = (int)(secs % 60);
    t->wday = (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3) */
    t->yday = (int)(days - clock_days_from_civil(t->year, 1, 1) + 1);
}

int64_t clock_epoch_from_tm(const struct clock_tm *t)
{
    return clock_days_from_civil(t->year, t->month, t->mday) * DAY_S + t->hour * 3600 +
           t->minute * 60 + t->sec;
}

/* ---- TZ rule parser ---- */

struct parser {
    const char *p;
    char *err;
    size_t cap;
};

static int fail(struct parser *ps, const char *what)
{
    if (ps->err && ps->cap)
        snprintf(ps->err, ps->cap, "%s at '%.12s'", what, ps->p);
    return ERR_SYNTAX;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_name(struct parser *ps, char *out, size_t cap)
{
    size_t n = 0;
    if (*ps->p == '<') {
        ps->p++;
        while (*ps->p && *ps->p != '>') {
            if (n + 1 < cap)
                out[n++] = *ps->p;
            ps->p++;
        }
        if (*ps->p != '>')
            return fail(ps, "unterminated <name>");
        ps->p++;
    } else {
        while (is_alpha(*ps->p)) {
            if (n + 1 < cap)
                out[n++] = *ps->p;
            ps->p++;
        }
    }
    out[n] = '\0';
    if (n < 3)
        return fail(ps, "zone name needs 3 or more letters");
    return 0;
}

static int parse_num(struct parser *ps, int max, int *out)
{
    if (!is_digit(*ps->p))
        return fail(ps, "number expected");
    int v = 0;
    while (is_digit(*ps->p)) {
        v = v * 10 + (*ps->p - '0');
        if (v > max)
            return fail(ps, "number out of range");
        ps->p++;
    }
    *out = v;
    return 0;
}

/* [+-]hh[:mm[:ss]] into seconds (sign applied), hours up to max_h. */
static int parse_hms(struct parser *ps, int max_h, int32_t *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*ps->p == '+' || *ps->p == '-')
        sign = *ps->p++ == '-' ? -1 : 1;
    int rc = parse_num(ps, max_h, &h);
    if (rc == 0 && *ps->p == ':') {
        ps->p++;
        rc = parse_num(ps, 59, &m);
        if (rc == 0 && *ps->p == ':') {
            ps->p++;
            rc = parse_num(ps, 59, &s);
        }
    }
    *out = (int32_t)(sign * (h * 3600 + m * 60 + s));
    return rc;
}

static int parse_rule(struct parser *ps, struct clock_rule *r)
{
    int rc;
    memset(r, 0, sizeof *r);
    if (*ps->p == 'J') {
        ps->p++;
        r->kind = CLOCK_RULE_J;
        rc = parse_num(ps, 365, &r->day);
        if (rc == 0 && r->day < 1)
            return fail(ps, "Jn day must be 1..365");
    } else if (*ps->p == 'M') {
        ps->p++;
        r->kind = CLOCK_RULE_M;
        rc = parse_num(ps, 12, &r->month);
        if (rc == 0 && (r->month < 1 || *ps->p != '.'))
            return fail(ps, "Mm.w.d expected");
        if (rc == 0) {
            ps->p++;
            rc = parse_num(ps, 5, &r->week);
        }
        if (rc == 0 && (r->week < 1 || *ps->p != '.'))
            return fail(ps, "Mm.w.d week must be 1..5");
        if (rc == 0) {
            ps->p++;
            rc = parse_num(ps, 6, &r->day);
        }
    } else {
        r->kind = CLOCK_RULE_N;
        rc = parse_num(ps, 365, &r->day);
    }
    if (rc < 0)
        return rc;
    r->time_s = 2 * 3600;
    if (*ps->p == '/') {
        ps->p++;
        rc = parse_hms(ps, 167, &r->time_s);
    }
    return rc;
}

int clock_tz_parse(const char *text, struct clock_tz *out, char *err, size_t cap)
{
    struct parser ps = {text ? text : "", err, cap};
    struct clock_tz tz;
    memset(&tz, 0, sizeof tz);
    if (err && cap)
        err[0] = '\0';
    if (*ps.p == ':')
        return fail(&ps, "zone file names are not supported, use a POSIX rule such as "
                         "CET-1CEST,M3.5.0,M10.5.0/3");
    int32_t west = 0;
    int rc = parse_name(&ps, tz.std_name, sizeof tz.std_name);
    if (rc < 0)
        return rc;
    if (!is_digit(*ps.p) && *ps.p != '+' && *ps.p != '-')
        return fail(&ps, "UTC offset (hours west, e.g. -1 for CET) expected after the name");
    rc = parse_hms(&ps, 24, &west);
    if (rc < 0)
        return rc;
    tz.std_off = -west;
    tz.dst_off = tz.std_off + 3600;
    if (*ps.p) {
        tz.has_dst = true;
        rc = parse_name(&ps, tz.dst_name, sizeof tz.dst_name);
        if (rc == 0 && *ps.p && *ps.p != ',') {
            rc = parse_hms(&ps, 24, &west);
            tz.dst_off = -west;
        }
        if (rc < 0)
            return rc;
        struct parser def = {DEFAULT_RULE, err, cap};
        struct parser *rp = &ps;
        if (*ps.p == ',')
            ps.p++;
        else
            rp = &def;
        rc = parse_rule(rp, &tz.start);
        if (rc == 0 && *rp->p != ',')
            return fail(rp, "',end' expected");
        if (rc == 0) {
            rp->p++;
            rc = parse_rule(rp, &tz.end);
        }
        if (rc < 0)
            return rc;
        if (rp == &ps && *ps.p)
            return fail(&ps, "unexpected text");
    }
    if (tz.std_off > OFFSET_MAX || tz.std_off < -OFFSET_MAX || tz.dst_off > OFFSET_MAX ||
        tz.dst_off < -OFFSET_MAX)
        return fail(&ps, "offset out of range");
    *out = tz;
    return 0;
}

void clock_tz_fixed(struct clock_tz *tz, int32_t off_s)
{
    memset(tz, 0, sizeof *tz);
    tz->std_off = tz->dst_off = off_s;
    snprintf(tz->std_name, sizeof tz->std_name, "UTC");
}

/* ---- conversions ---- */

/* Day number (since 1970) of rule r in year. */
static int64_t rule_day(const struct clock_rule *r, int64_t year)
{
    int64_t jan1 = clock_days_from_civil(year, 1, 1);
    switch (r->kind) {
    case CLOCK_RULE_J: return jan1 + r->day - 1 + (clock_is_leap(year) && r->day >= 60);
    case CLOCK_RULE_N: return jan1 + r->day;
    case CLOCK_RULE_M: break;
    }
    int64_t first = clock_days_from_civil(year, r->month, 1);
    int wd_first = (int)(((first % 7) + 7 + 4) % 7); /* 0 = Sunday; 1970-01-01 was Thursday */
    int64_t d = first + (r->day - wd_first + 7) % 7 + (int64_t)(r->week - 1) * 7;
    int64_t limit = first + clock_month_days(year, r->month);
    while (d >= limit)
        d -= 7;
    return d;
}

/* UTC instants when DST starts and ends in year. */
static void transitions(const struct clock_tz *tz, int64_t year, int64_t *start, int64_t *end)
{
    *start = rule_day(&tz->start, year) * DAY_S + tz->start.time_s - tz->std_off;
    *end = rule_day(&tz->end, year) * DAY_S + tz->end.time_s - tz->dst_off;
}

int32_t clock_tz_offset(const struct clock_tz *tz, int64_t utc)
{
    if (!tz->has_dst)
        return tz->std_off;
    struct clock_tm tm;
    clock_tm_from_epoch(utc + tz->std_off, &tm);
    int64_t s, e;
    transitions(tz, tm.year, &s, &e);
    bool is_dst = s < e ? (utc >= s && utc < e) : !(utc >= e && utc < s);
    return is_dst ? tz->dst_off : tz->std_off;
}

enum clock_local_kind clock_tz_to_utc(const struct clock_tz *tz, int64_t local, int64_t *utc)
{
    int64_t u1 = local - tz->std_off, u2 = local - tz->dst_off;
    bool ok1 = clock_tz_offset(tz, u1) == tz->std_off;
    bool ok2 = tz->has_dst && clock_tz_offset(tz, u2) == tz->dst_off;
    if (ok1 && ok2 && u1 != u2) {
        *utc = u1 < u2 ? u1 : u2;
        return CLOCK_LOCAL_FOLD;
    }
    if (ok1 || ok2) {
        *utc = ok1 ? u1 : u2;
        return CLOCK_LOCAL_OK;
    }
    /* The gap: the offset changes between the two candidates; the first instant with the
     * new offset is the first valid local time after the missing one. */
    int64_t lo = u1 < u2 ? u1 : u2, hi = u1 < u2 ? u2 : u1;
    int32_t off_lo = clock_tz_offset(tz, lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (clock_tz_offset(tz, mid) == off_lo)
            lo = mid;
        else
            hi = mid;
    }
    *utc = hi;
    return CLOCK_LOCAL_GAP;
}

int64_t clock_tz_next_change(const struct clock_tz *tz, int64_t utc)
{
    if (!tz->has_dst)
        return INT64_MAX;
    struct clock_tm tm;
    clock_tm_from_epoch(utc + tz->std_off, &tm);
    int64_t best = INT64_MAX;
    for (int64_t y = tm.year - 1; y <= tm.year + 1; y++) {
        int64_t s, e;
        transitions(tz, y, &s, &e);
        if (s > utc && s < best)
            best = s;
        if (e > utc && e < best)
            best = e;
    }
    return best;
}

/* ---- the node's clock ---- */

void clock_init(struct clock *c)
{
    memset(c, 0, sizeof *c);
    clock_tz_fixed(&c->tz, 0);
}

void clock_set_wall(struct clock *c, clock_wall_fn *fn, void *arg)
{
    c->wall = fn;
    c->wall_arg = arg;
}

void clock_set_utc_minutes(struct clock *c, int64_t utc_min)
{
    if (utc_min > OFFSET_MAX / 60 || utc_min < -OFFSET_MAX / 60)
        utc_min = 0;
    clock_tz_fixed(&c->tz, (int32_t)(utc_min * 60));
    c->rule[0] = '\0';
}

int clock_set_tz(struct clock *c, const char *text, char *err, size_t cap)
{
    struct clock_tz tz;
    if (strlen(text) >= sizeof c->rule) {
        if (err && cap)
            snprintf(err, cap, "rule longer than %d bytes", CLOCK_TZ_MAX - 1);
        return ERR_SYNTAX;
    }
    int rc = clock_tz_parse(text, &tz, err, cap);
    if (rc < 0)
        return rc;
    c->tz = tz;
    snprintf(c->rule, sizeof c->rule, "%s", text);
    return 0;
}

int64_t clock_now_ms(const struct clock *c)
{
    return c->wall ? c->wall(c->wall_arg) : hal_wall_ms();
}

int64_t clock_now(const struct clock *c)
{
    return floor_div(clock_now_ms(c), 1000);
}

int32_t clock_offset(const struct clock *c, int64_t utc)
{
    return clock_tz_offset(&c->tz, utc);
}

void clock_local(const struct clock *c, int64_t utc, struct clock_tm *tm)
{
    clock_tm_from_epoch(utc + clock_offset(c, utc), tm);
}

enum clock_local_kind clock_to_utc(const struct clock *c, int64_t local, int64_t *utc)
{
    return clock_tz_to_utc(&c->tz, local, utc);
}
