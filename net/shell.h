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

#ifndef SHELL_AUTHFAIL_TRACK
#define SHELL_AUTHFAIL_TRACK 32 /* addresses whose failed logins are remembered */
#endif

struct shell_session;

struct shell_authfail {
    char ip[48];
    uint32_t fails;
    uint64_t last_ms;
};

struct shell_stats {
    uint64_t accepted, commands, busy_replies, auth_failures, long_lines;
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
    struct shell_authfail authfail[SHELL_AUTHFAIL_TRACK];
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
