/* cfg_rules.c - what a stored value may be: integers and booleans as micrOS writes them, the
 * ranges of the integer keys, and the rule every string key follows. */
#include "cfg_rules.h"

#include <stdio.h>

/* Python's int() on a decimal literal: optional sign, digits only. Values beyond 2^53 are
 * refused so that what we write is what we read back (JSON numbers are doubles in cJSON). */
bool cfg_parse_int(struct str s, int64_t *out)
{
    return str_to_int(s, true, CFG_INT_LIMIT, out);
}

/* Ranges of the integer keys whose other values are plainly wrong (a port, a QoS, a time
 * offset, a count that must be positive). Checked on set and at load (a value outside is
 * refused with the range; from the file the default is kept and the problem reported). */
struct int_range {
    enum cfg_key_id key;
    int64_t min, max;
};
static const struct int_range s_ranges[] = {
    {.key = CFG_K_socport, .min = 1, .max = 65535},
    {.key = CFG_K_webport, .min = 1, .max = 65535},
    {.key = CFG_K_mqtt_port, .min = 1, .max = 65535},
    {.key = CFG_K_mqtt_qos, .min = 0, .max = 2},
    {.key = CFG_K_mqtt_period, .min = 5, .max = 86400},
    {.key = CFG_K_utc, .min = -1439, .max = 1439},
    {.key = CFG_K_soctout, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_aioqueue, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_webui_max_con, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_timirqseq, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_irq_prell_ms, .min = 0, .max = CFG_INT_LIMIT},
    {.key = CFG_K_persist_ms, .min = 0, .max = CFG_INT_LIMIT},
    {.key = CFG_K_dns_timeout_ms, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_update_deadline, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_upload_max, .min = 1, .max = CFG_INT_LIMIT},
    {.key = CFG_K_http_first_ms, .min = 100, .max = 60000},
    {.key = CFG_K_http_head_ms, .min = 100, .max = 60000},
    {.key = CFG_K_login_ms, .min = 1000, .max = 600000},
};

/* Writes why n is out of key i's range into out (cap bytes); false when n is in range. */
bool cfg_int_out_of_range(enum cfg_key_id key, int64_t n, char *out, size_t cap)
{
    for (size_t r = 0; r < sizeof s_ranges / sizeof s_ranges[0]; r++) {
        const struct int_range *g = &s_ranges[r];
        if (g->key != key || (n >= g->min && n <= g->max))
            continue;
        if (g->max == CFG_INT_LIMIT)
            snprintf(out, cap, "must be at least %lld", (long long)g->min);
        else
            snprintf(out, cap, "must be %lld-%lld", (long long)g->min, (long long)g->max);
        return true;
    }
    return false;
}

bool cfg_parse_bool(struct str s, bool *out)
{
    if (str_eqc_nocase(s, "true"))
        *out = true;
    else if (str_eqc_nocase(s, "false"))
        *out = false;
    else
        return false;
    return true;
}

/* COMPAT A11: 8-64 characters with a digit, a lower- and an upper-case letter. */
static bool password_ok(struct str s)
{
    bool digit = false, low = false, up = false;
    if (s.len < 8 || s.len > 64)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        digit |= c >= '0' && c <= '9';
        low |= c >= 'a' && c <= 'z';
        up |= c >= 'A' && c <= 'Z';
    }
    return digit && low && up;
}

const char cfg_pwd_rule[] = "password rule";

/* Length of the UTF-8 sequence starting at p (at most n bytes), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = (p[0] & 0xE0) == 0xC0   ? 2
                 : (p[0] & 0xF0) == 0xE0 ? 3
                 : (p[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (len == 0 || len > n || (len == 2 && p[0] < 0xC2) || (len == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return len;
}

/* The rule every stored string follows: valid UTF-8 without control characters, and a
 * per-key rule for the keys that end up in prompts, host names and passwords. Returns NULL
 * when v is acceptable, else the reason (one line, never the value). */
const char *cfg_str_rule(enum cfg_key_id id, struct str v)
{
    if (v.len > CFG_STR_MAX)
        return "value too long";
    for (size_t i = 0; i < v.len;) {
        unsigned char c = (unsigned char)v.p[i];
        bool is_text_ws =
            (cfg_schema[id].flags & CFG_OFFLOAD) && (c == '\n' || c == '\r' || c == '\t');
        if ((c < 0x20 || c == 0x7F) && !is_text_ws) /* offloaded JSON (guimeta) may be pretty */
            return "control characters (newline, tab, ...) are not allowed";
        size_t n = utf8_len((const unsigned char *)v.p + i, v.len - i);
        if (n == 0)
            return "not valid UTF-8";
        i += n;
    }
    if (id == CFG_K_appwd) {
        for (size_t i = 0; i < v.len; i++)
            if (v.p[i] == ' ' || (unsigned char)v.p[i] >= 0x80)
                return "Password must be printable ASCII without spaces";
        if (!password_ok(v))
            return cfg_pwd_rule;
    } else if (id == CFG_K_devfid) {
        if (v.len == 0 || v.len > 63)
            return "Device name must be 1-63 characters";
        for (size_t i = 0; i < v.len; i++) {
            char c = v.p[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
            if (!ok)
                return "Device name may use only letters, digits, '-' and '_' (a host name)";
        }
        if (v.p[0] == '-')
            return "Device name cannot start with '-'";
    } else if (id == CFG_K_icpeers || id == CFG_K_staessid || id == CFG_K_stapwd) {
        if (v.len > 512)
            return "value longer than 512 bytes";
    } else if (id == CFG_K_nwmd || id == CFG_K_geoloc || id == CFG_K_tz || id == CFG_K_gpiochip ||
               id == CFG_K_boardmap || id == CFG_K_irq1_trig || id == CFG_K_irq2_trig ||
               id == CFG_K_irq3_trig || id == CFG_K_irq4_trig) {
        if (v.len > 64)
            return "value longer than 64 bytes";
        for (size_t i = 0; i < v.len; i++)
            if (v.p[i] == ' ' && id != CFG_K_geoloc)
                return "spaces are not allowed";
    }
    return NULL;
}
