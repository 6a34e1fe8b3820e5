/* shell.h - ShellCli: micrOS's TCP shell (COMPAT §1 with Part A 1, 4–7).
 *
 * Greets with the bare prompt, splits input into lines (input without a
 * newline runs as one command at once), runs the shell built-ins (hello,
 * version, reboot, conf/noconf and conf mode, help, exit) itself and every
 * other command through exec_run. Admission goes through the client table it
 * shares with HTTP. */
#ifndef SHELL_H
#define SHELL_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/ev.h"
#include "../svc/node.h"
#include "admit.h"
#include "server.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef SHELL_PW_MAX
#define SHELL_PW_MAX 128 /* bytes gathered before the login line ends */
#endif
#define SHELL_PW_MIN 8 /* shortest valid appwd (COMPAT A11) */
#ifndef SHELL_LOGIN_MS
#define SHELL_LOGIN_MS 20000 /* without a config: auth on, log in within this (login_ms) */
#endif
#ifndef SHELL_PW_GATHER_MS
#define SHELL_PW_GATHER_MS 300 /* a short login write waits this long for the rest */
#endif

struct shell_session;

struct shell_stats {
    uint64_t accepted, commands, busy_replies, auth_failures, long_lines, login_timeouts;
};

struct shell {
    struct node *node;
    struct admit *admit;
    struct ev_loop *loop;
    uint16_t port;
    struct server srv; /* listener, admission, sessions */
    struct arena arena;
    void *arena_mem;
    struct buf out; /* scratch for one reply */
    struct shell_stats stats;
};

/* Listens on addr:port (port 0 = any free port, see sh->port) and serves the shell.
 * Returns 0, or ERR_ADDRINUSE / ERR_PERM / ERR_NOMEM. */
int shell_start(struct shell *sh, struct node *node, struct admit *admit, const char *addr,
                uint16_t port);
/* Closes every session and the listener. */
void shell_stop(struct shell *sh);
/* Sends "~~~ <text>\n" to every authenticated shell session (micrOS's reply_all). */
void shell_push(struct shell *sh, const char *text);

#endif
