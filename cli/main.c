/* main.c - microsctl: command line parsing and dispatch to the subcommands. */
#include "../core/err.h"
#include "batch.h"
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Option bits, to say which options a subcommand takes. */
#define O_PWD      1u
#define O_PORT     2u
#define O_TIMEOUT  4u
#define O_JSON     8u
#define O_SUBNET   16u
#define O_PORTS    32u
#define O_PARALLEL 64u
#define O_BIND     128u
#define O_NOMDNS   256u
#define O_WEB      512u
#define O_CONN     (O_PWD | O_PORT | O_TIMEOUT)
#define O_FILES    (O_PWD | O_PORT | O_TIMEOUT | O_WEB)

struct subcmd {
    const char *name;
    int (*fn)(struct ctl_opts *o, int argc, char **argv);
    int min_args, max_args; /* positional; -1 = any */
    unsigned opts;
    const char *usage;
    const char *help;
};

static const struct subcmd s_cmds[] = {
    {"connect", ctl_connect, 1, 1, O_CONN, "connect <device>",
     "Interactive shell on a node: the node's prompt, line editing, history (kept in the\n"
     "config folder), tab completion of shell built-ins, modules and functions (from the\n"
     "node's 'help lm') and, in conf mode, of config keys. Ctrl-D or 'exit' leaves.\n"},
    {"run", ctl_run, 2, -1, O_CONN | O_JSON, "run <device> '<cmd>' ['<cmd>' ...]",
     "Runs the commands in order on one connection and prints each reply. --json appends\n"
     ">json to each command (not to shell built-ins or in conf mode) and prints a JSON array\n"
     "of {\"cmd\", \"reply\", \"ok\"}; a reply that is JSON is embedded as JSON.\n"
     "Exit status: 0 every command succeeded, 1 a command failed (Core error, the shell's\n"
     "hint for an unknown command, AuthFailed, conf-mode Invalid key / Failed to save /\n"
     "None), 2 usage, 3 no session (unknown device, refused, timeout, busy, auth).\n"},
    {"search", ctl_search, 0, 0,
     O_PORT | O_TIMEOUT | O_SUBNET | O_PORTS | O_PARALLEL | O_JSON | O_NOMDNS,
     "search [--subnet CIDR] [--port N | --ports A-B] [--timeout ms] [--parallel N] [--no-mdns]",
     "Without --subnet/--ports, first browses _micros._tcp over mDNS (avahi-daemon; about a\n"
     "second) and stops there when nodes answered. Otherwise (or with --no-mdns):\n"
     "scans the shell port of every host of a subnet (default: this host's /24, network and\n"
     "broadcast addresses left out) with 'hello', --parallel connections at a time (default\n"
     "64, at most 512; one poll loop, no threads), each probe bounded by --timeout (default\n"
     "1500 ms). Found nodes are added to the device cache.\n"},
    {"status", ctl_status, 0, 0, O_CONN | O_JSON | O_PARALLEL, "status [--json]",
     "The devToolKit -stat table for every cached device, queried in parallel: uid, fuid,\n"
     "ip, ONLINE/OFFLINE (or BUSY, LOCKED = needs a password, NOSHELL = no prompt), version,\n"
     "mode (hello's 4th field), COMM SEC (connect + hello + version, seconds) and the webui,\n"
     "espnow, cron and timirq flags read in conf mode.\n"},
    {"backup", ctl_backup, 1, 2, O_CONN, "backup <device> [file]",
     "Saves the node's whole config (conf mode 'dump', plus the offloaded guimeta) as a JSON\n"
     "object like node_config.json, typed as the node types it. Default file:\n"
     "node_config_<devfid>.json in the current folder. The file holds the passwords.\n"},
    {"restore", ctl_restore, 2, 2, O_CONN, "restore <device> <file>",
     "Checks every key of a backup first: it must be known to the node, have the node's type\n"
     "(bool, int, string) and be settable over the shell. Nothing is changed when a check\n"
     "fails. Then sets each value that differs (equal values are skipped) and reports what\n"
     "changed. Keys the node maintains itself (version, hwuid, devip) are left alone.\n"},
    {"list", ctl_list, 0, 0, O_JSON, "list [--json]", "Prints the device cache.\n"},
    {"gateway", ctl_gateway, 0, 0, O_PWD | O_PORT | O_PARALLEL | O_BIND,
     "gateway [--bind ADDR] [--port N]",
     "Serves micrOS Gateway's REST API for the devices in the cache (default 0.0.0.0:5005):\n"
     "/list/, /search/ (mDNS), /status, /sendcmd/<device>/<cmd>, /metrics/<device>/<cmd>\n"
     "(micrOS_<board>__<module>_<function>_<key> gauges) and /metrics for the whole fleet\n"
     "(up{node} and every node's metrics with a node label), polling the nodes in parallel\n"
     "over their shell. See docs/metrics.md.\n"},
    {"put", ctl_put, 2, 3, O_FILES, "put <device> <file> [name | folder/]",
     "Uploads a file to the node's file server (POST /fs/files): into the public folder, or a\n"
     "mount ('$modules/' for a Lua module; mounts need config fs_mounts_rw True). Streams with a\n"
     "progress bar; a dropped link fails clearly and the node keeps no partial file.\n"},
    {"get", ctl_get, 2, 3, O_FILES, "get <device> <path> [local file]",
     "Downloads a file (user_data/x.txt, $logs/err.sys.log) to a temp file, renamed when\n"
     "complete.\n"},
    {"ls", ctl_ls, 1, 2, O_FILES | O_JSON, "ls <device> [folder]",
     "Lists a file server folder (/user_data, $modules, $data, $logs).\n"},
    {"rm", ctl_rm, 2, 2, O_FILES, "rm <device> <path>", "Deletes a file on the file server.\n"},
    {"update", ctl_update, 2, 2, O_FILES, "update <device> <micros program | bundle>",
     "Self-update: sends the program with its SHA-256 to POST /update and follows the switch\n"
     "until the node confirms the new version (exit 0) or has gone back to the old one by\n"
     "itself (exit 1). A bundle (.tar.gz or .tar of modules/ and web/, see 'bundle') goes to\n"
     "POST /update/bundle; the node restarts and reports it applied (exit 0). Always needs\n"
     "the node password (--password or MICROS_PASSWORD).\n"},
    {"bundle", ctl_bundle, 2, 2, 0, "bundle <folder> <file.tar.gz | file.tar>",
     "Packs <folder>/modules (Lua modules, flat) and <folder>/web (web files) into an update\n"
     "bundle for 'update', checking every name with the node's rules first. The same as\n"
     "'tar -czf <file> -C <folder> modules web'.\n"},
    {"rollback", ctl_rollback, 1, 1, O_FILES, "rollback <device>",
     "Puts back the files the last bundle replaced (and removes the ones it added); the node\n"
     "restarts. Running it again re-applies the bundle. Needs the node password.\n"},
    {"pacman", ctl_pacman, 2, -1, O_CONN, "pacman <device> <function> [args...]",
     "Runs 'pacman <function> <args>' on the node (ls, cat, listmods, delmod, ...).\n"},
};

static const char *s_common_help =
    "Devices are named by uid, devfid (fuid), IP or IP:port (the device cache maps\n"
    "uid -> [ip, port, fuid]; see 'microsctl search').\n"
    "Options:\n"
    "  --password P        node password for auth nodes (else $MICROS_PASSWORD, else asked)\n"
    "  --port N            shell port for IP addresses and search (default 9008)\n"
    "  --webport N         HTTP port for put/get/ls/rm/update (default 8000)\n"
    "  --ports A-B         search: a port range\n"
    "  --subnet CIDR       search: addresses to scan, e.g. 192.168.1.0/24 or 127.0.0.1/32\n"
    "  --timeout MS        connect + greeting (+ login) limit (default 8000; search 1500)\n"
    "  --reply-timeout MS  limit for one reply (default 20000)\n"
    "  --parallel N        search/status: connections at once (default 64)\n"
    "  --json              machine-readable output\n"
    "Cache file: $MICROS_CTL_CACHE, else $XDG_CONFIG_HOME/microsctl/device_conn_cache.json,\n"
    "else ~/.config/microsctl/device_conn_cache.json; history is kept next to it.\n";

static void usage_all(FILE *f)
{
    fprintf(f, "usage: microsctl <command> [options] [args]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        fprintf(f, "  microsctl %s\n", s_cmds[i].usage);
    fprintf(f, "\n%s\n'microsctl <command> --help' explains one command.\n", s_common_help);
}

static void usage_one(FILE *f, const struct subcmd *s)
{
    fprintf(f, "usage: microsctl %s\n\n%s\n%s", s->usage, s->help, s_common_help);
}

static bool parse_uint(const char *text, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (!*text || *end || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        if (argc >= 3 && !strcmp(argv[1], "help")) {
            for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
                if (!strcmp(argv[2], s_cmds[i].name)) {
                    usage_one(stdout, &s_cmds[i]);
                    return 0;
                }
        }
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    const struct subcmd *s = NULL;
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        if (!strcmp(argv[1], s_cmds[i].name))
            s = &s_cmds[i];
    if (!s) {
        fprintf(stderr, "microsctl: unknown command '%s'\n", argv[1]);
        usage_all(stderr);
        return CTL_EXIT_USAGE;
    }
    struct ctl_opts o = {
        .port = CTL_DEFAULT_PORT,
        .webport = CTL_DEFAULT_WEBPORT,
        .timeout_ms = CTL_DEFAULT_TIMEOUT,
        .reply_timeout_ms = CTL_DEFAULT_REPLY_TMO,
        .parallel = CTL_DEFAULT_PARALLEL,
    };
    o.password = getenv("MICROS_PASSWORD");
    o.is_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    char **pos = calloc((size_t)argc, sizeof *pos);
    if (!pos)
        return CTL_EXIT_FAIL;
    int npos = 0;
    bool is_opts_done = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (is_opts_done || a[0] != '-' || a[1] != '-') {
            pos[npos++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            is_opts_done = true;
            continue;
        }
        if (!strcmp(a, "--help")) {
            usage_one(stdout, s);
            free(pos);
            return CTL_EXIT_OK;
        }
        unsigned need = 0;
        bool has_value = true;
        if (!strcmp(a, "--json")) {
            need = O_JSON;
            has_value = false;
        } else if (!strcmp(a, "--no-mdns")) {
            need = O_NOMDNS;
            has_value = false;
        } else if (!strcmp(a, "--bind"))
            need = O_BIND;
        else if (!strcmp(a, "--password"))
            need = O_PWD;
        else if (!strcmp(a, "--port"))
            need = O_PORT;
        else if (!strcmp(a, "--webport"))
            need = O_WEB;
        else if (!strcmp(a, "--ports"))
            need = O_PORTS;
        else if (!strcmp(a, "--subnet"))
            need = O_SUBNET;
        else if (!strcmp(a, "--timeout") || !strcmp(a, "--reply-timeout"))
            need = O_TIMEOUT;
        else if (!strcmp(a, "--parallel"))
            need = O_PARALLEL;
        if (!need || !(s->opts & need)) {
            fprintf(stderr, "microsctl %s: unknown option '%s' (see microsctl %s --help)\n",
                    s->name, a, s->name);
            free(pos);
            return CTL_EXIT_USAGE;
        }
        const char *v = NULL;
        if (has_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "microsctl %s: option '%s' needs a value\n", s->name, a);
                free(pos);
                return CTL_EXIT_USAGE;
            }
            v = argv[++i];
        }
        bool is_ok = true;
        if (need == O_JSON)
            o.is_json = true;
        else if (need == O_PWD)
            o.password = v;
        else if (need == O_NOMDNS)
            o.is_no_mdns = true;
        else if (need == O_BIND)
            o.bind = v;
        else if (need == O_PORT) {
            is_ok = parse_uint(v, 1, 65535, &o.port);
            o.is_port_set = true;
        } else if (need == O_WEB)
            is_ok = parse_uint(v, 1, 65535, &o.webport);
        else if (need == O_PORTS)
            o.ports = v;
        else if (need == O_SUBNET)
            o.subnet = v;
        else if (need == O_PARALLEL)
            is_ok = parse_uint(v, 1, BATCH_PARALLEL_MAX, &o.parallel);
        else if (!strcmp(a, "--timeout")) {
            is_ok = parse_uint(v, 1, 3600000, &o.timeout_ms);
            o.is_timeout_set = true;
        } else
            is_ok = parse_uint(v, 1, 3600000, &o.reply_timeout_ms);
        if (!is_ok) {
            fprintf(stderr, "microsctl %s: bad value '%s' for %s\n", s->name, v, a);
            free(pos);
            return CTL_EXIT_USAGE;
        }
    }
    if (npos < s->min_args || (s->max_args >= 0 && npos > s->max_args)) {
        usage_one(stderr, s);
        free(pos);
        return CTL_EXIT_USAGE;
    }
    char path[1024];
    if (cache_path_default(path, sizeof path)) {
        fprintf(stderr, "microsctl: no HOME: set MICROS_CTL_CACHE\n");
        free(pos);
        return CTL_EXIT_USAGE;
    }
    int rc = cache_load(&o.cache, path);
    if (rc) {
        fprintf(stderr, "microsctl: cannot read the device cache %s: %s\n", path, err_str(rc));
        free(pos);
        return CTL_EXIT_FAIL;
    }
    ctl_files_init();
    int status = s->fn(&o, npos, pos);
    cache_free(&o.cache);
    free(pos);
    return status;
}
