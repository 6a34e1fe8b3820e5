/* cfg_schema.c - every configuration key, in micrOS's dump order (COMPAT §4), then our own
 * keys (COMPAT A12). Order matters: dump and the JSON file follow this table. */
#include "cfg.h"

#define B CFG_BOOL
#define I CFG_INT
#define S CFG_STR

const struct cfg_key cfg_schema[] = {
    {"version", S, "n/a", CFG_SYSTEM | CFG_NOWEB, "Node release, set when a shell session starts"},
    {"auth", B, "False", CFG_NOWEB, "Ask for appwd on shell connections and REST config access"},
    {"staessid", S, "your_wifi_name", 0, "WiFi network names to join, ';'-separated"},
    {"stapwd", S, "your_wifi_passwd", CFG_SECRET, "WiFi passwords, ';'-separated, same order"},
    {"devfid", S, "node01", 0, "Device name: prompt, hostname, AP name"},
    {"appwd", S, "ADmin123", CFG_SECRET,
     "Node password: 8-64 chars with a digit, a lower- and an upper-case letter"},
    {"dbg", B, "True", 0, "Console debug output and status LED"},
    {"nwmd", S, "STA", 0, "Network mode: STA, or AP when it contains AP"},
    {"hwuid", S, "n/a", CFG_SYSTEM | CFG_NOWEB, "Hardware unique id, set at network start"},
    {"soctout", I, "30", CFG_NOWEB, "Idle seconds before a shell client may be evicted (min 5)"},
    {"socport", I, "9008", CFG_NOWEB, "Shell TCP port"},
    {"webui", B, "True", 0, "Start the HTTP server (REST API and web UI; micrOS: False)"},
    {"webui_max_con", I, "3", 0, "Most simultaneous HTTP connections"},
    {"devip", S, "n/a", CFG_SYSTEM, "Last station IP address, reused as static IP"},
    {"cron", B, "False", 0, "Run the cron scheduler"},
    {"crontasks", S, "n/a", CFG_LIVE, "Cron jobs: WD:H:M:S!cmd or sunrise/sunset[+-min]!cmd, ';'"},
    {"timirq", B, "False", 0, "Run timirqcbf periodically"},
    {"timirqcbf", S, "n/a", 0, "Commands run by the periodic timer, ';'-separated"},
    {"timirqseq", I, "1000", 0, "Periodic timer period, ms"},
    {"irq1", B, "False", 0, "Enable external event input 1"},
    {"irq1_cbf", S, "n/a", 0, "Commands run on input 1 events"},
    {"irq1_trig", S, "n/a", 0, "Input 1 edge: up, down or both"},
    {"irq2", B, "False", 0, "Enable external event input 2"},
    {"irq2_cbf", S, "n/a", 0, "Commands run on input 2 events"},
    {"irq2_trig", S, "n/a", 0, "Input 2 edge: up, down or both"},
    {"irq3", B, "False", 0, "Enable external event input 3"},
    {"irq3_cbf", S, "n/a", 0, "Commands run on input 3 events"},
    {"irq3_trig", S, "n/a", 0, "Input 3 edge: up, down or both"},
    {"irq4", B, "False", 0, "Enable external event input 4"},
    {"irq4_cbf", S, "n/a", 0, "Commands run on input 4 events"},
    {"irq4_trig", S, "n/a", 0, "Input 4 edge: up, down or both"},
    {"irq_prell_ms", I, "300", 0, "Event input debounce time, ms"},
    {"boothook", S, "n/a", 0, "Commands run at boot, ';'-separated ($pwd = appwd)"},
    {"aioqueue", I, "5", 0, "Most simultaneous tasks and shell clients"},
    {"utc", I, "60", CFG_LIVE, "Local time offset from UTC, minutes"},
    {"boostmd", B, "True", 0, "High CPU clock"},
    {"guimeta", S, "...", CFG_LIVE | CFG_OFFLOAD | CFG_NOWEB,
     "App and widget metadata, kept in config/.guimeta.key"},
    {"cstmpmap", S, "n/a", 0, "Custom pin map: [ioname;]pin:num;..."},
    {"espnow", B, "False", 0, "ESP-NOW peer communication"},
    {"ha", B, "True", 0, "Watchdog and network self-healing"},
    /* Our keys (COMPAT A12). */
    {"webport", I, "8000", 0,
     "HTTP port (micrOS used 80; 8000 so a node not running as root can bind it)"},
    {"geoloc", S, "n/a", CFG_LIVE, "Location \"<lat>,<lon>\" for local sunrise/sunset"},
    {"tz", S, "n/a", CFG_LIVE, "POSIX TZ rule, e.g. CET-1CEST,M3.5.0,M10.5.0/3; wins over utc"},
    {"gpiochip", S, "sim", 0, "GPIO backend: sim (simulated pins) or a gpiochip (gpiochip0)"},
    {"boardmap", S, "auto", 0,
     "Pin map: esp32, esp32s3, tinypico, rp2, rpi; auto = esp32 on sim, rpi on a gpiochip"},
    {"fileserver", B, "False", 0,
     "Start the /fs file server at boot (as `web load fileserver=True`; writes need auth)"},
    {"fs_mounts_rw", B, "False", 0,
     "File server: $modules, $data, $logs writable (else read-only)"},
    {"update_deadline", I, "30", 0,
     "Self-update: seconds the new program has to confirm, else the old one comes back"},
    {"upload_max", I, "64", 0, "Largest HTTP upload (file server, update), MiB; larger -> 413"},
};

const size_t cfg_schema_len = sizeof cfg_schema / sizeof cfg_schema[0];
