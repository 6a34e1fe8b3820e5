/* ctl.h - microsctl, the host toolkit: shared options and one entry point per subcommand. */
#ifndef CTL_H
#define CTL_H

#include "cache.h"
#include "conn.h"

#include <stdbool.h>

/* Exit statuses. */
enum {
    CTL_EXIT_OK = 0,    /* everything succeeded */
    CTL_EXIT_FAIL = 1,  /* a command failed (Core error, hint, conf error, restore refused) */
    CTL_EXIT_USAGE = 2, /* bad command line */
    CTL_EXIT_CONN = 3,  /* no session: unknown device, refused, timeout, busy, auth */
};

#define CTL_DEFAULT_PORT      9008
#define CTL_DEFAULT_WEBPORT   8000
#define CTL_DEFAULT_TIMEOUT   8000  /* ms: connect + greeting; above the node's 5 s busy wait */
#define CTL_DEFAULT_REPLY_TMO 20000 /* ms: one reply (micrOS's client uses 20 s) */
#define CTL_DEFAULT_PARALLEL  64
#define CTL_SEARCH_TIMEOUT    1500 /* ms: one search probe */

struct ctl_opts {
    const char *password;      /* --password, else $MICROS_PASSWORD, else NULL */
    unsigned port;             /* --port: shell port for IP addresses and search */
    unsigned webport;          /* --webport: the node's HTTP port (put/get/ls/rm/update) */
    const char *ports;         /* --ports A-B (search) */
    const char *subnet;        /* --subnet CIDR (search) */
    unsigned timeout_ms;       /* --timeout */
    unsigned reply_timeout_ms; /* --reply-timeout */
    unsigned parallel;         /* --parallel */
    bool is_timeout_set;
    bool is_port_set; /* --port was given (gateway: its own HTTP port) */
    const char *bind; /* --bind ADDR (gateway) */
    bool is_no_mdns;  /* --no-mdns (search: TCP scan only) */
    bool is_json;     /* --json */
    bool is_color;    /* stdout is a terminal and NO_COLOR is unset */
    struct cache cache;
};

/* Opens a session to a device name (cache uid/fuid, IP, IP:port, host name) and logs in when the
 * node asks for a password (opts->password, else asked on the terminal when ask is true).
 * Prints the reason to stderr on failure. Returns 0 or ERR_*. */
int ctl_open(struct ctl_opts *o, const char *device, struct conn *c, struct cache_dev *dev,
             bool ask);
/* Reads a password from the terminal without echo into out. Returns 0 or ERR_IO. */
int ctl_read_password(const char *prompt, char *out, size_t cap);

/* Subcommands: argv holds the positional arguments only. Each returns an exit status. */
int ctl_connect(struct ctl_opts *o, int argc, char **argv);
int ctl_run(struct ctl_opts *o, int argc, char **argv);
int ctl_search(struct ctl_opts *o, int argc, char **argv);
int ctl_status(struct ctl_opts *o, int argc, char **argv);
int ctl_backup(struct ctl_opts *o, int argc, char **argv);
int ctl_restore(struct ctl_opts *o, int argc, char **argv);
int ctl_list(struct ctl_opts *o, int argc, char **argv);
int ctl_gateway(struct ctl_opts *o, int argc, char **argv);
int ctl_put(struct ctl_opts *o, int argc, char **argv);
int ctl_bundle(struct ctl_opts *o, int argc, char **argv);
int ctl_rollback(struct ctl_opts *o, int argc, char **argv);
int ctl_get(struct ctl_opts *o, int argc, char **argv);
int ctl_ls(struct ctl_opts *o, int argc, char **argv);
int ctl_rm(struct ctl_opts *o, int argc, char **argv);
int ctl_update(struct ctl_opts *o, int argc, char **argv);
int ctl_pacman(struct ctl_opts *o, int argc, char **argv);
/* Decides whether transfers draw a progress bar (stderr is a terminal). */
void ctl_files_init(void);

#endif
