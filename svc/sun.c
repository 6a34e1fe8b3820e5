/* sun.c - the NOAA solar position and event search. */
#include "sun.h"

#include <math.h>
#include <stdlib.h>

#define DEG           (3.14159265358979323846 / 180.0)
#define SCAN_STEP_S   600   /* altitude sampling step; crossings are bisected to 1 s */
#define SCAN_SPAN_S   86400 /* look this far ahead for an event */
#define JD_UNIX_EPOCH 2440587.5

double sun_altitude(double lat, double lon, int64_t utc)
{
    double jd = JD_UNIX_EPOCH + (double)utc / 86400.0;
    double t = (jd - 2451545.0) / 36525.0; /* Julian century */
    double l0 = fmod(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0);
    double m = 357.52911 + t * (35999.05029 - 0.0001537 * t);
    double e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
    double c = sin(m * DEG) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
               sin(2 * m * DEG) * (0.019993 - 0.000101 * t) + sin(3 * m * DEG) * 0.000289;
    double true_long = l0 + c;
    double omega = 125.04 - 1934.136 * t;
    double app_long = true_long - 0.00569 - 0.00478 * sin(omega * DEG);
    double eps0 =
        23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0;
    double eps = eps0 + 0.00256 * cos(omega * DEG);
    double decl = asin(sin(eps * DEG) * sin(app_long * DEG));
    double y = tan(eps * DEG / 2) * tan(eps * DEG / 2);
    double eqtime = 4.0 / DEG *
                    (y * sin(2 * l0 * DEG) - 2 * e * sin(m * DEG) +
                     4 * e * y * sin(m * DEG) * cos(2 * l0 * DEG) -
                     0.5 * y * y * sin(4 * l0 * DEG) - 1.25 * e * e * sin(2 * m * DEG));
    double day_min = fmod((double)(utc % 86400 + 86400) / 60.0, 1440.0);
    double tst = fmod(day_min + eqtime + 4.0 * lon, 1440.0); /* true solar time, minutes */
    double ha = tst / 4.0 - 180.0;                           /* hour angle, degrees */
    double cosz = sin(lat * DEG) * sin(decl) + cos(lat * DEG) * cos(decl) * cos(ha * DEG);
    if (cosz > 1.0)
        cosz = 1.0;
    if (cosz < -1.0)
        cosz = -1.0;
    return 90.0 - acos(cosz) / DEG;
}

enum sun_state sun_next(double lat, double lon, enum sun_event ev, int64_t from, int64_t *at)
{
    double target = (ev == SUN_RISE || ev == SUN_SET) ? SUN_ALT_HORIZON : SUN_ALT_CIVIL;
    bool rising = ev == SUN_RISE || ev == SUN_DAWN;
    double a0 = sun_altitude(lat, lon, from) - target;
    int64_t t0 = from;
    for (int64_t step = SCAN_STEP_S; step <= SCAN_SPAN_S; step += SCAN_STEP_S) {
        int64_t t1 = from + step;
        double a1 = sun_altitude(lat, lon, t1) - target;
        bool crossed = rising ? (a0 < 0 && a1 >= 0) : (a0 >= 0 && a1 < 0);
        if (crossed) {
            int64_t lo = t0, hi = t1; /* invariant: lo before the crossing, hi after */
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                double am = sun_altitude(lat, lon, mid) - target;
                if (rising ? am < 0 : am >= 0)
                    lo = mid;
                else
                    hi = mid;
            }
            /* Round to the nearer second: the crossing lies between lo and hi. */
            double alo = fabs(sun_altitude(lat, lon, lo) - target);
            double ahi = fabs(sun_altitude(lat, lon, hi) - target);
            *at = alo < ahi && lo >= from ? lo : hi;
            return SUN_OK;
        }
        t0 = t1;
        a0 = a1;
    }
    return a0 >= 0 ? SUN_ALWAYS_UP : SUN_NEVER_UP; /* where the sun stays at the end */
}

bool sun_parse_geoloc(const char *text, double *lat, double *lon)
{
    if (!text)
        return false;
    char *end = NULL;
    double la = strtod(text, &end);
    if (end == text)
        return false;
    while (*end == ' ')
        end++;
    if (*end != ',')
        return false;
    const char *p = end + 1;
    double lo = strtod(p, &end);
    if (end == p)
        return false;
    while (*end == ' ')
        end++;
    if (*end != '\0' || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180))
        return false;
    *lat = la;
    *lon = lo;
    return true;
}

const char *sun_state_str(enum sun_state st)
{
    switch (st) {
    case SUN_ALWAYS_UP: return "always up";
    case SUN_NEVER_UP: return "never up";
    case SUN_OK: break;
    }
    return "";
}
