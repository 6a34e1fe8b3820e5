/* node.h - the services of a running node, as Load Modules and transports see them.
 *
 * app/ fills one struct node at start-up and passes it down; nothing here is
 * global. Every pointer is owned by app/. */
#ifndef NODE_H
#define NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct cfg;
struct syslog;
struct tasks;
struct sched;
struct node;
struct endpoints;
struct auth;
struct lm_dyn;

/* Sends one unsolicited "~~~ <text>" line to every shell client. */
typedef void node_push_fn(struct node *node, const char *text);
struct cmd;
struct arena;
struct exec_result;
/* Runs a command on another node (>>host, InterCon); fills res with the immediate reply. */
typedef void node_intercon_fn(struct node *node, const struct cmd *c, struct arena *a,
                              struct exec_result *res);
struct val;
/* Adds InterCon's resolver cache (name -> ip) to dict d, for `system hosts`. */
typedef void node_hosts_fn(struct node *node, struct arena *a, struct val *d);
/* Adds an optional service's facts to dict d (`system mdns`). */
typedef void node_facts_fn(struct node *node, struct arena *a, struct val *d);
struct buf;
/* Appends a text the node produces (the metrics exposition) to out. Returns 0 or ERR_*. */
typedef int node_text_fn(struct node *node, struct buf *out);
/* Asks the node to reboot (re-exec) once the current reply has been sent. */
typedef void node_reboot_fn(struct node *node, bool hard);
struct buf;
/* Starts HTTP services on demand (micrOS's `web load`, `fileserver load`): what is a mask of
 * NODE_WEB_*; one line per service is appended to out, '\n'-separated ("Dashboard
 * initialized, endpoint: /dashboard"). Returns 0 or ERR_*. */
typedef int node_web_load_fn(struct node *node, unsigned what, struct buf *out);
#define NODE_WEB_DASHBOARD  1u /* GET /dashboard */
#define NODE_WEB_FILESERVER 2u /* the /fs file server */
#define NODE_WEB_MOUNTS     4u /* its $modules/$data/$logs mounts */
#define NODE_WEB_CONFIG     8u /* GET /config/ui */

struct persist;
/* Notifications (svc/notify.h): op NODE_NOTIFY_SEND fans text out to every enabled channel;
 * NODE_NOTIFY_QUERY/_ON/_OFF report (and set) the global switch. out gets micrOS's verdict. */
enum node_notify_op { NODE_NOTIFY_SEND, NODE_NOTIFY_QUERY, NODE_NOTIFY_ON, NODE_NOTIFY_OFF };
typedef void node_notify_fn(struct node *node, enum node_notify_op op, const char *text, char *out,
                            size_t cap);
struct mqtt;

/* Who asked for the command being run (svc/exec.h sets node->caller around each call): the
 * pwd= check of sudo functions counts a wrong guess against this address in the back-off of
 * svc/auth.h, like a wrong shell login. A task keeps its creator's caller. */
struct node_caller {
    char peer[48];   /* "ip:port" of the client; "" = the node itself (cron, boothook, timers) */
    const char *via; /* transport word for the log line ("shell", "http"...); a static string */
    uint64_t refused_ms; /* out: a pwd= was refused inside a back-off window of this long */
};

struct node {
    struct ev_loop *loop;
    struct cfg *cfg;
    struct syslog *log;
    struct tasks *tasks;  /* NULL until the task manager is up */
    struct sched *sched;  /* clock, cron, timirq, irq (svc/sched.h); NULL until up */
    const char *data_dir; /* the node's data folder, no trailing '/' */
    const char *version;  /* micrOS-format release "X.Y.Z-N" */
    bool is_release;      /* hello's 4th field: rel or dev */
    uint64_t boot_ms;     /* monotonic time at start */
    node_push_fn *push;
    node_reboot_fn *reboot;
    node_intercon_fn *intercon;             /* NULL until InterCon is up */
    void *intercon_arg;                     /* InterCon's state, for intercon and hosts */
    node_hosts_fn *hosts;                   /* NULL until InterCon is up */
    void *app;                              /* back pointer for app/ */
    const struct lm_module *const *modules; /* built-in modules, NULL-terminated */
    const struct lm_dyn *dyn;               /* run-time (Lua) modules, or NULL (svc/lm.h) */
    bool *is_loaded;                        /* per module: loaded since boot ("active") */
    uint32_t load_order[64];                /* indexes of loaded modules, in load order */
    uint32_t nloaded;
    struct endpoints *endpoints; /* HTTP endpoints modules may register (svc/endpoint.h) */
    struct auth *auth;           /* password back-off shared by every transport (svc/auth.h) */
    struct persist *persist;     /* write-behind for state files (svc/persist.h); NULL = at once */
    node_notify_fn *notify;      /* NULL until notifications are up (svc/notify.h) */
    void *notify_arg;            /* struct notify */
    struct mqtt *mqtt;           /* the MQTT client (svc/mqtt.h), NULL when not built */
    node_facts_fn *mdns_facts;   /* `system mdns`; NULL when no announcer runs */
    node_text_fn *metrics_text;  /* `system metrics`; NULL until metrics are up */
    node_web_load_fn *web_load;  /* NULL while the HTTP server is off */
    struct node_caller *caller;  /* the client of the command running now; NULL = the node */
};

#endif
