/* main.c - the micros program on Linux: options, signals, run, reboot by re-exec. */
#include "../../app/app.h"
#include "../../config.h"
#include "../../core/err.h"
#include "../../core/log.h"
#include "../../hal/hal_sys.h"
#include "../../svc/cfg.h"
#include "sd_notify.h"
#include "../../hal/hal_update.h"
#include "../../svc/bundle.h"
#include "../../svc/update.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t s_signalled;

static void on_signal(int sig)
{
    s_signalled = sig;
}

static void log_to_stderr(enum log_level level, const char *line, void *arg)
{
    (void)arg;
    static const char *const names[] = {"ERR", "WARN", "INFO", "DEBUG"};
    fprintf(stderr, "micros [%s] %s\n", names[level], line);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: micros [options]\n"
               "Runs a micrOS-C node: the micrOS shell (TCP, default port 9008) and, when the\n"
               "config says webui=True, the web UI and REST API.\n"
               "\n"
               "Options:\n"
               "  --data DIR      the node's data folder (config/ modules/ web/ data/ logs/);\n"
               "                  default: $MICROS_DATA, else $XDG_DATA_HOME/micros,\n"
               "                  else ~/.local/share/micros\n"
               "  --port N        shell port for this run (overrides socport)\n"
               "  --webport N     HTTP port for this run (overrides webport)\n"
               "  --bind ADDR     listen address (default 0.0.0.0; 127.0.0.1 for local only)\n"
               "  --maxconn N     admit up to N clients at once (default: aioqueue, 5-20)\n"
               "  --verbose       log debug lines to stderr\n"
               "  --quiet         log only errors to stderr\n"
               "  --version       print the version and exit\n"
               "  --help          print this help and exit\n");
}

/* Parses a port number; returns -1 when s is not one. */
static int parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > 65535)
        return -1;
    return (int)v;
}

/* Raises the soft descriptor limit to want (at most the hard limit) for a big client table. */
static void raise_fd_limit(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
        LOG_W("descriptor limit %llu is below the %llu that --maxconn needs",
              (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

/* Picks the documented default data folder. */
static void default_data_dir(char *out, size_t cap)
{
    const char *env = getenv("MICROS_DATA");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(out, cap, "%s", env);
    else if (xdg && *xdg)
        snprintf(out, cap, "%s/micros", xdg);
    else if (home && *home)
        snprintf(out, cap, "%s/.local/share/micros", home);
    else
        snprintf(out, cap, "./micros-data");
}

/* Prints where the node can be reached once it listens (shell, web UI, data folder) to stdout,
 * and tells systemd the node is ready (Type=notify) with the same summary as its status. */
static void report_ready(struct app *app, const char *data_dir)
{
    /* A wildcard bind is reached on loopback from this machine. */
    const char *host = app->opt.bind_addr;
    if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
        host = "127.0.0.1";
    char abs[PATH_MAX];
    if (!realpath(data_dir, abs))
        snprintf(abs, sizeof abs, "%s", data_dir);
    char web[96] = "off (webui is False)";
    if (cfg_get_bool(&app->cfg, CFG_K_webui))
        snprintf(web, sizeof web, "http://%s:%u/", host, (unsigned)app->http.port);
    printf("micros is running.\n"
           "  shell:       %s %u   (e.g. nc %s %u, or microsctl)\n"
           "  web UI:      %s\n"
           "  data folder: %s\n"
           "  stop:        Ctrl-C\n",
           host, (unsigned)app->shell.port, host, (unsigned)app->shell.port, web, abs);
    fflush(stdout);
    char state[PATH_MAX + 256];
    snprintf(state, sizeof state, "READY=1\nSTATUS=shell on port %u, web UI %s, data %s",
             (unsigned)app->shell.port, web, abs);
    int rc = sd_notify_send(state);
    if (rc < 0)
        LOG_W("cannot notify systemd (NOTIFY_SOCKET): %s", err_str(rc));
}

int main(int argc, char **argv)
{
    hal_sys_set_argv(argc, argv);
    hal_update_set_argv(argc, argv);
    static char data_dir[PATH_MAX];
    struct app_options opt = {.data_dir = NULL, .bind_addr = "0.0.0.0", .port = -1, .webport = -1};
    enum log_level level = LOG_INFO;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("micros %s (micrOS-C)\n", MICROS_VERSION);
            return 0;
        } else if (!strcmp(a, "--update-trial")) {
            /* started by a self-update on trial (svc/update.h) */
        } else if (!strcmp(a, "--verbose")) {
            level = LOG_DEBUG;
        } else if (!strcmp(a, "--quiet")) {
            level = LOG_ERR;
        } else if (!strcmp(a, "--maxconn") && v) {
            int n = parse_port(v);
            if (n < 1 || n > CLIENT_MAX) {
                fprintf(stderr, "micros: --maxconn needs a number 1-%d, not '%s'\n", CLIENT_MAX, v);
                return 2;
            }
            opt.maxconn = n;
            i++;
        } else if ((!strcmp(a, "--data") || !strcmp(a, "--bind")) && v) {
            if (!strcmp(a, "--data"))
                snprintf(data_dir, sizeof data_dir, "%s", v);
            else
                opt.bind_addr = v;
            i++;
        } else if ((!strcmp(a, "--port") || !strcmp(a, "--webport")) && v) {
            int p = parse_port(v);
            if (p < 0) {
                fprintf(stderr, "micros: %s needs a port number 0-65535, not '%s'\n", a, v);
                return 2;
            }
            *(!strcmp(a, "--port") ? &opt.port : &opt.webport) = p;
            i++;
        } else {
            fprintf(stderr, "micros: unknown or incomplete option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!data_dir[0])
        default_data_dir(data_dir, sizeof data_dir);
    opt.data_dir = data_dir;
    log_set_sink(log_to_stderr, NULL, level);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR and we notice */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (opt.maxconn > 0)
        raise_fd_limit((rlim_t)opt.maxconn + 64);

    update_boot(opt.data_dir, hal_update_is_trial());
    bundle_boot(opt.data_dir);
    static struct app app;
    if (app_init(&app, &opt) < 0) {
        app_deinit(&app);
        return 1;
    }
    report_ready(&app, data_dir);
    enum app_exit how = APP_EXIT;
    while (!s_signalled) {
        if (ev_poll(&app.loop, -1) < 0 && !s_signalled)
            continue;
        if (app.loop.is_stopping) {
            how = app.is_reboot_requested ? APP_REBOOT : APP_EXIT;
            break;
        }
    }
    sd_notify_send(how == APP_REBOOT ? "RELOADING=1" : "STOPPING=1");
    app_deinit(&app);
    if (how == APP_REBOOT && update_pending()) {
        LOG_I("update: switching to the new program");
        int rc = update_switch();
        LOG_E("update: switch failed (%s), re-executing this program", err_str(rc));
    }
    if (how == APP_REBOOT) {
        LOG_I("rebooting: re-executing %s", argv[0]);
        int rc = hal_sys_reexec();
        LOG_E("reboot failed: %s", err_str(rc));
        return 1;
    }
    LOG_I("stopped");
    return 0;
}
