/* clock.h - the node's clock: UTC from a wall-clock source, local time from the `utc` key
 * (minutes) or a POSIX TZ rule in `tz` (COMPAT A12), the civil calendar.
 *
 * The TZ rule parser and the conversions are our own, in portable C11: no setenv("TZ"), no
 * localtime. A rule is "std offset [dst [offset] [,start[/time],end[/time]]]" with names of
 * three or more letters or <quoted> (<+0530>), offsets [+-]hh[:mm[:ss]] west of Greenwich
 * (so CET-1 is one hour east), and start/end as Jn (1..365, Feb 29 never counted), n
 * (0..365) or Mm.w.d (day d, 0 = Sunday, of week w, 5 = last, of month m), time default
 * 02:00:00 (may be negative or up to 167 h). A dst name without rules uses M3.2.0,M11.1.0.
 *
 * Local to UTC is explicit about DST: a local time that does not exist (the spring gap)
 * maps to the first valid instant after it, and one that exists twice (the autumn overlap)
 * maps to its first occurrence. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLOCK_TZ_MAX 64 /* longest TZ rule text, bytes */

/* A broken-down time, as MicroPython's localtime() gives it. */
struct clock_tm {
    int64_t year;
    int month; /* 1..12 */
    int mday;  /* 1..31 */
    int hour, minute, sec;
    int wday; /* 0 = Monday (micrOS) */
    int yday; /* 1..366 */
};

enum clock_rule_kind { CLOCK_RULE_J, CLOCK_RULE_N, CLOCK_RULE_M };

/* When DST starts or ends: a day of the year and a local time of that day. */
struct clock_rule {
    enum clock_rule_kind kind;
    int day;         /* J: 1..365, N: 0..365, M: weekday 0..6 (0 = Sunday) */
    int month, week; /* M only: 1..12, 1..5 */
    int32_t time_s;  /* seconds after local midnight (-167h..167h) */
};

/* A parsed zone: offsets are seconds EAST of UTC (local = UTC + offset). */
struct clock_tz {
    int32_t std_off, dst_off;
    bool has_dst;
    struct clock_rule start, end; /* DST starts (in standard time), ends (in DST) */
    char std_name[16], dst_name[16];
};

/* Result of a local-to-UTC conversion. */
enum clock_local_kind {
    CLOCK_LOCAL_OK = 0,   /* the local time exists once */
    CLOCK_LOCAL_GAP = 1,  /* it does not exist: the first valid instant after it was given */
    CLOCK_LOCAL_FOLD = 2, /* it exists twice: the first occurrence was given */
};

/* Wall-clock source: milliseconds since 1970-01-01 UTC (tests inject a test clock). */
typedef int64_t clock_wall_fn(void *arg);

struct clock {
    struct clock_tz tz;
    char rule[CLOCK_TZ_MAX]; /* the tz rule in use, or "" for a fixed utc offset */
    clock_wall_fn *wall;     /* NULL = hal_wall_ms */
    void *wall_arg;
};

/* --- calendar (proleptic Gregorian; days since 1970-01-01) --- */

/* Returns true for a leap year. */
bool clock_is_leap(int64_t year);
/* Returns the number of days of month (1..12) in year. */
int clock_month_days(int64_t year, int month);
/* Returns the days from 1970-01-01 to year-month-mday (mday may run past the month). */
int64_t clock_days_from_civil(int64_t year, int month, int mday);
/* Fills tm from seconds since 1970-01-01 (no offset applied). */
void clock_tm_from_epoch(int64_t s, struct clock_tm *tm);
/* Returns seconds since 1970-01-01 of tm's date and time (wday, yday ignored). */
int64_t clock_epoch_from_tm(const struct clock_tm *tm);

/* --- zones --- */

/* Makes tz a fixed offset of off_s seconds east of UTC, without DST. */
void clock_tz_fixed(struct clock_tz *tz, int32_t off_s);
/* Parses a POSIX TZ rule into tz. Returns 0, or ERR_SYNTAX with a reason in err (cap bytes);
 * tz is unchanged on failure. */
int clock_tz_parse(const char *text, struct clock_tz *tz, char *err, size_t cap);
/* Returns the offset (seconds east of UTC) in force at the UTC instant utc. */
int32_t clock_tz_offset(const struct clock_tz *tz, int64_t utc);
/* Converts local seconds to UTC (gap: first valid instant after; fold: first occurrence). */
enum clock_local_kind clock_tz_to_utc(const struct clock_tz *tz, int64_t local, int64_t *utc);
/* Returns the first UTC instant after utc at which the offset changes, or INT64_MAX. */
int64_t clock_tz_next_change(const struct clock_tz *tz, int64_t utc);

/* --- the node's clock --- */

/* Initialises c as UTC+0 on the hal wall clock. */
void clock_init(struct clock *c);
/* Replaces the wall-clock source (fn NULL restores hal_wall_ms). */
void clock_set_wall(struct clock *c, clock_wall_fn *fn, void *arg);
/* Uses a fixed offset of utc_min minutes (the `utc` key); clears any tz rule. */
void clock_set_utc_minutes(struct clock *c, int64_t utc_min);
/* Uses the POSIX TZ rule text. Returns 0 or ERR_SYNTAX with a reason in err (nothing
 * changes on failure). */
int clock_set_tz(struct clock *c, const char *text, char *err, size_t cap);
/* Returns wall-clock milliseconds since 1970 (UTC). */
int64_t clock_now_ms(const struct clock *c);
/* Returns wall-clock seconds since 1970 (UTC). */
int64_t clock_now(const struct clock *c);
/* Returns the offset east of UTC in seconds at the UTC instant utc. */
int32_t clock_offset(const struct clock *c, int64_t utc);
/* Fills tm with the local time of the UTC instant utc. */
void clock_local(const struct clock *c, int64_t utc, struct clock_tm *tm);
/* Converts local seconds to UTC (see clock_tz_to_utc). */
enum clock_local_kind clock_to_utc(const struct clock *c, int64_t local, int64_t *utc);

#endif
