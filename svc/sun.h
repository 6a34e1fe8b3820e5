/* sun.h - sunrise, sunset, civil dawn and dusk from the NOAA solar equations (COMPAT A13).
 *
 * The sun's position at any UTC instant comes from NOAA's solar calculator equations (Julian
 * century, mean longitude and anomaly, equation of centre, apparent longitude, corrected
 * obliquity, declination, equation of time). An event is the instant the sun's centre crosses
 * an altitude: -0°50' for sunrise and sunset (refraction + semi-diameter, no pressure or
 * temperature correction), -6° for civil dawn and dusk. Events are found by stepping the
 * altitude forward and bisecting each crossing to the second, so every latitude works: when
 * there is no crossing in the next 24 hours the answer is a state, "always up" or "never up"
 * (midnight sun, polar night), not a time. No network, no tables. */
#ifndef SUN_H
#define SUN_H

#include <stdbool.h>
#include <stdint.h>

#define SUN_ALT_HORIZON (-50.0 / 60.0) /* sunrise/sunset altitude, degrees */
#define SUN_ALT_CIVIL   (-6.0)         /* civil dawn/dusk altitude, degrees */

enum sun_event { SUN_RISE, SUN_SET, SUN_DAWN, SUN_DUSK };

/* What sun_next found. */
enum sun_state {
    SUN_OK = 0,        /* the event happens; *at holds it */
    SUN_ALWAYS_UP = 1, /* no crossing in the next 24 h, sun above the event's altitude */
    SUN_NEVER_UP = 2,  /* no crossing in the next 24 h, sun below it */
};

/* Returns the altitude of the sun's centre in degrees (no refraction) at lat/lon (degrees,
 * north and east positive) at the UTC instant utc (seconds since 1970). */
double sun_altitude(double lat, double lon, int64_t utc);
/* Finds the first event ev at or after the UTC instant from and within 24 h. Returns SUN_OK
 * with *at set (UTC seconds), or SUN_ALWAYS_UP / SUN_NEVER_UP. */
enum sun_state sun_next(double lat, double lon, enum sun_event ev, int64_t from, int64_t *at);
/* Parses "lat,lon" (the geoloc key) into degrees. Returns true when both are numbers in range
 * (-90..90, -180..180). */
bool sun_parse_geoloc(const char *text, double *lat, double *lon);
/* Returns "always up" or "never up" for a polar state, "" for SUN_OK. */
const char *sun_state_str(enum sun_state st);

#endif
