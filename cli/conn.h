/* conn.h - a non-blocking micrOS shell client (COMPAT §1.7, the rules of micrOS's own client).
 *
 * A connection is a small state machine driven by poll(2): connect, wait for the greeting (the
 * prompt is its last two whitespace tokens, e.g. "node01 $", and the text before them on that
 * line is the pre-prompt such as "[password] "), optionally log in, then one command at a time:
 * the command is sent without a newline and its reply ends when the last line of the stripped
 * data contains the prompt or "Bye!". A greeting with "Bye!" and "busy" is a busy node.
 * Many connections can be driven by one poll loop (batch.c); conn_wait() drives one alone. */
#ifndef CONN_H
#define CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONN_PROMPT_MAX 128
#define CONN_REPLY_MAX  (4u << 20) /* longest reply kept, bytes: a larger one is an error */

enum conn_state {
    CONN_IDLE,       /* not started, or closed */
    CONN_CONNECTING, /* TCP connect in progress */
    CONN_GREETING,   /* waiting for the prompt */
    CONN_AUTH,       /* password sent, waiting for AuthOk */
    CONN_READY,      /* prompt seen: a command may be sent (or the reply of the last one read) */
    CONN_WAITING,    /* command sent, reading its reply */
    CONN_FAILED,     /* see err and msg; the socket is closed */
};

struct conn {
    int fd;
    enum conn_state state;
    int err;                      /* ERR_* once FAILED */
    char msg[256];                /* what went wrong, for a person */
    struct sockaddr_in addr;      /* the node */
    char prompt[CONN_PROMPT_MAX]; /* "node01 $" */
    char pre[CONN_PROMPT_MAX];    /* pre-prompt of the last prompt line: "[configure] " */
    bool is_locked;               /* the node asks for a password ("[password] ") */
    bool is_closed_by_node;       /* the last reply ended with Bye! / EOF */
    unsigned timeout_ms;          /* connect + greeting + login */
    unsigned reply_timeout_ms;    /* per command reply */
    uint64_t deadline;            /* monotonic ms of the current wait */
    char *in;                     /* received data of the current wait (heap) */
    size_t in_len, in_cap;
    char out[2048]; /* pending output */
    size_t out_len, out_off;
    size_t reply_len; /* after a reply: bytes of in that are the reply text */
};

/* Returns monotonic milliseconds. */
uint64_t conn_now_ms(void);
/* Returns monotonic microseconds. */
uint64_t conn_now_us(void);
/* Parses "a.b.c.d" or "a.b.c.d:port" (port default def_port) into addr. Returns 0 or ERR_INVAL. */
int conn_parse_addr(const char *text, unsigned def_port, struct sockaddr_in *addr);
/* Formats addr as "ip:port" into out (at least 24 bytes). */
void conn_addr_text(const struct sockaddr_in *addr, char *out, size_t cap);

/* Initialises c (no allocation) with its timeouts. */
void conn_init(struct conn *c, unsigned timeout_ms, unsigned reply_timeout_ms);
/* Starts a non-blocking connect to addr. On failure c is FAILED; returns 0 or ERR_*. */
int conn_start(struct conn *c, const struct sockaddr_in *addr);
/* Returns the poll events c waits for (0 when it waits for nothing). */
short conn_events(const struct conn *c);
/* Advances c with the poll result revents at time now (also checks its deadline). */
void conn_step(struct conn *c, short revents, uint64_t now);
/* Sends a command (no newline added) when READY; the reply is read in WAITING. Returns 0 or
 * ERR_INVAL (not READY, or the command does not fit). */
int conn_send(struct conn *c, const char *cmd);
/* Sends the password when READY and locked; c goes through AUTH to READY or FAILED. */
int conn_login(struct conn *c, const char *pwd);
/* The reply text of the last command (the prompt line removed; borrowed, valid until the next
 * send). */
const char *conn_reply(const struct conn *c, size_t *len);
/* Drives c alone until it is READY or FAILED. Returns 0 or c->err. */
int conn_wait(struct conn *c);
/* Connects and reads the greeting (blocking). Returns 0 or ERR_*. */
int conn_open(struct conn *c, const struct sockaddr_in *addr);
/* Runs one command and waits for its reply (blocking). Returns 0 or ERR_*. */
int conn_cmd(struct conn *c, const char *cmd);
/* Closes the socket and frees the buffer; c can be started again. */
void conn_close(struct conn *c);

/* Returns true when a reply means the command failed: a Core error, the shell's hint for an
 * unknown command, AuthFailed, Bye!, or a conf-mode Invalid key / Failed to save / None. */
bool conn_reply_is_error(const char *reply, size_t len, bool conf_mode);

#endif
