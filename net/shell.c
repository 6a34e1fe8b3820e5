/* shell.c - ShellCli server. */
#include "shell.h"

#include "../config.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../hal/hal_net.h"
#include "../svc/cfg.h"
#include "../svc/exec.h"
#include "../svc/lm.h"
#include "../svc/syslog.h"
#include "conn.h"
#include "shell_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `help` (COMPAT §1.4) without the webrepl line (Part A 4). */
static const char s_help[] =
    "[MICROS]\n"
    "   hello     - hello msg - for device identification\n"
    "   modules   - show active Load Modules\n"
    "   version   - returns micrOS version\n"
    "   exit      - exit shell session\n"
    "   reboot    - system soft reboot (vm), hard reboot (hw): reboot -h\n"
    "[CONF] Configuration mode\n"
    "  conf       - Enter conf mode\n"
    "    dump       - Dump all data, filter: dump <str>\n"
    "    key        - Get value\n"
    "    key value  - Set value\n"
    "  noconf     - Exit conf mode\n"
    "[TASK] Task operations\n"
    "  task list         - list tasks by tags\n"
    "  task kill <tag>   - stop task\n"
    "  task show <tag>   - show task output\n"
    "[EXEC] Command mode, syntax(...): <module> <function> <params> <postfix>\n"
    "  Postfix hints:\n"
    "    ... &<x>            - start one-shot task\n"
    "    ... &&<x>           - start periodic task, where <x>: delay ms [x min: 20ms]\n"
    "    ... >json           - request json formatted output\n"
    "    ... >>hostname      - remote command execution (intercon)\n"
    "  help lm           - list ALL available LoadModules\n";

struct shell_session {
    struct conn conn;
    struct shell *sh;
    int slot; /* admission slot, -1 once released */
    bool is_used;
    bool is_dead; /* closed: freed by the sweep */
    bool is_conf;
    bool is_auth_required;
    bool is_authed;
    bool is_locked; /* a failed login is being answered after a delay */
    char devfid[64];
    struct ev_timer delay_timer;
};

/* --- output helpers --- */

static void send_prompt(struct shell_session *s)
{
    struct buf *o = &s->sh->out;
    buf_clear(o);
    if (s->is_auth_required && !s->is_authed)
        buf_puts(o, "[password] ");
    if (s->is_conf)
        buf_puts(o, "[configure] ");
    buf_printf(o, "%s $ ", s->devfid);
    conn_send(&s->conn, o->p, o->len);
}

/* Sends text as one message: the text, a newline, then the prompt. */
static void reply(struct shell_session *s, const char *text, size_t len)
{
    if (conn_send(&s->conn, text, len) < 0 || conn_send(&s->conn, "\n", 1) < 0)
        return;
    send_prompt(s);
}

static void reply_c(struct shell_session *s, const char *text)
{
    reply(s, text, strlen(text));
}

static void bye(struct shell_session *s)
{
    conn_puts(&s->conn, "Bye!\n");
    conn_drain_close(&s->conn);
}

/* --- session lifecycle --- */

static void sweep_later(struct shell *sh)
{
    if (!sh->sweep_timer.is_active)
        ev_timer_start(sh->loop, &sh->sweep_timer, 0, sh->sweep_timer.cb);
}

static int64_t on_sweep(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct shell *sh = t->arg;
    for (size_t i = 0; i < sh->nsessions; i++) {
        struct shell_session *s = &sh->sessions[i];
        if (s->is_used && s->is_dead) {
            ev_timer_stop(sh->loop, &s->delay_timer);
            s->is_used = false;
        }
    }
    return EV_DONE;
}

static void on_conn(struct conn *c, enum conn_event ev, void *arg);

/* Evicted by the admission table to make room: close without a word (micrOS). */
static void on_evict(void *owner)
{
    struct shell_session *s = owner;
    s->slot = -1;
    LOG_I("shell: evicting idle client %s", s->conn.peer);
    conn_close(&s->conn);
}

static struct shell_session *session_new(struct shell *sh)
{
    for (size_t i = 0; i < sh->nsessions; i++)
        if (!sh->sessions[i].is_used)
            return &sh->sessions[i];
    return NULL;
}

/* Opens a session on an admitted fd and greets with the bare prompt. */
static void session_open(struct shell *sh, int fd, const char *peer, int slot)
{
    struct shell_session *s = session_new(sh);
    if (!s) {
        admit_release(sh->admit, slot);
        hal_sock_close(fd);
        return;
    }
    memset(s, 0, sizeof *s);
    s->is_used = true;
    s->sh = sh;
    s->slot = slot;
    const struct cfg *cfg = sh->node->cfg;
    snprintf(s->devfid, sizeof s->devfid, "%s", cfg_get_str(cfg, "devfid"));
    s->is_auth_required = cfg_get_bool(cfg, "auth");
    sh->admit->slots[slot].owner = s;
    if (conn_open(&s->conn, sh->loop, fd, peer, SHELL_LINE_MAX * 4, SHELL_OUT_MAX, on_conn, s) <
        0) {
        admit_release(sh->admit, slot);
        s->is_used = false;
        return;
    }
    sh->stats.accepted++;
    send_prompt(s);
}

/* --- authentication --- */

static struct shell_authfail *authfail_entry(struct shell *sh, const char *peer, uint64_t now)
{
    char ip[48];
    const char *colon = strrchr(peer, ':');
    snprintf(ip, sizeof ip, "%.*s", colon ? (int)(colon - peer) : (int)strlen(peer), peer);
    struct shell_authfail *oldest = &sh->authfail[0];
    for (size_t i = 0; i < SHELL_AUTHFAIL_TRACK; i++) {
        struct shell_authfail *f = &sh->authfail[i];
        if (f->fails && now - f->last_ms > 10 * 60 * 1000)
            f->fails = 0; /* forgotten after ten quiet minutes */
        if (f->fails && strcmp(f->ip, ip) == 0)
            return f;
        if (f->last_ms < oldest->last_ms || !f->fails)
            oldest = f;
    }
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->ip, sizeof oldest->ip, "%s", ip);
    return oldest;
}

static int64_t on_authfail_delay(struct ev_loop *loop, struct ev_timer *t)
{
    (void)loop;
    struct shell_session *s = t->arg;
    if (!s->conn.is_closed) {
        conn_puts(&s->conn, "AuthFailed\n");
        bye(s);
    }
    return EV_DONE;
}

/* Handles the first input of an unauthenticated session: the password. */
static void check_password(struct shell_session *s, struct str word)
{
    struct shell *sh = s->sh;
    uint64_t now = ev_now(sh->loop);
    struct shell_authfail *f = authfail_entry(sh, s->conn.peer, now);
    struct str appwd = str_c(cfg_get_str(sh->node->cfg, "appwd"));
    if (appwd.len > 0 && str_eq_secret(word, appwd)) {
        f->fails = 0;
        s->is_authed = true;
        reply_c(s, "AuthOk");
        return;
    }
    sh->stats.auth_failures++;
    f->fails++;
    f->last_ms = now;
    syslog_write(sh->node->log, "[WARN] shell: failed login from %s (%u in a row)", s->conn.peer,
                 (unsigned)f->fails);
    /* Repeated failures from one address are answered ever more slowly. */
    uint64_t delay = 0;
    if (f->fails > 1) {
        unsigned shift = f->fails - 2 < 7 ? f->fails - 2 : 7;
        delay = 250u << shift;
    }
    s->is_locked = true;
    s->delay_timer.arg = s;
    ev_timer_start(sh->loop, &s->delay_timer, delay, on_authfail_delay);
}

/* --- built-ins --- */

static void do_help(struct shell_session *s, const struct str *tok, size_t ntok)
{
    struct node *node = s->sh->node;
    bool all = false;
    for (size_t i = 1; i < ntok; i++)
        all |= str_contains(tok[i], "lm");
    struct buf *o = &s->sh->out;
    buf_clear(o);
    buf_puts(o, s_help);
    buf_puts(o, "\n");
    for (uint32_t k = 0; node->modules && node->modules[k]; k++) {
        uint32_t idx = all ? k : (k < node->nloaded ? node->load_order[k] : UINT32_MAX);
        if (!all && k >= node->nloaded)
            break;
        const struct lm_module *m = node->modules[idx];
        size_t pad = strlen(m->name) + 2;
        buf_printf(o, "  %s\n", m->name);
        for (const struct lm_func *f = m->funcs; f->name; f++)
            buf_printf(o, "%*s%s\n", (int)pad, "", f->name);
        buf_printf(o, "%*shelp\n", (int)pad, "");
    }
    conn_send(&s->conn, o->p, o->len);
    send_prompt(s);
}

static void do_conf(struct shell_session *s, const struct str *tok, size_t ntok)
{
    struct cfg *cfg = s->sh->node->cfg;
    struct buf *o = &s->sh->out;
    buf_clear(o);
    if (str_eqc(tok[0], "dump")) {
        cfg_dump(cfg, ntok == 2 ? tok[1] : STR_NULL, o);
    } else if (ntok == 1) {
        cfg_get_text(cfg, tok[0], o);
    } else {
        /* the value: the remaining tokens joined by one space */
        char value[CFG_STR_MAX];
        size_t n = 0;
        for (size_t i = 1; i < ntok && n < sizeof value; i++) {
            int w =
                snprintf(value + n, sizeof value - n, "%s%.*s", i > 1 ? " " : "", STR_FMT(tok[i]));
            n += w > 0 ? (size_t)w : 0;
        }
        if (n >= sizeof value) {
            buf_puts(o, "node_config write error: value too long\nFailed to save");
        } else {
            char msg[256];
            enum cfg_set_result r = cfg_set(cfg, tok[0], (struct str){value, n}, msg, sizeof msg);
            if (msg[0])
                buf_printf(o, "%s\n", msg);
            buf_puts(o, r == CFG_SAVED         ? "Saved"
                        : r == CFG_INVALID_KEY ? "Invalid key"
                                               : "Failed to save");
        }
    }
    reply(s, o->p ? o->p : "", o->len);
}

static void do_exec(struct shell_session *s, struct str line)
{
    struct shell *sh = s->sh;
    struct exec_result res;
    arena_reset(&sh->arena);
    exec_run(sh->node, line, EXEC_SHELL, &sh->arena, &res);
    buf_clear(&sh->out);
    if (exec_render_text(&res, &sh->out) < 0) {
        buf_clear(&sh->out);
        buf_puts(&sh->out, "Core error: reply too large");
    }
    reply(s, buf_cstr(&sh->out), sh->out.len);
}

/* Runs one command line (COMPAT §1.3 dispatch order). */
static void run_line(struct shell_session *s, struct str line)
{
    struct shell *sh = s->sh;
    struct node *node = sh->node;
    struct str tok[CMD_MAX_TOKENS];
    size_t ntok = 0;
    struct str rest = line;
    while (ntok < CMD_MAX_TOKENS) {
        struct str w = str_next_word(&rest);
        if (w.len == 0)
            break;
        tok[ntok++] = w;
    }
    if (ntok == 0)
        return;
    sh->stats.commands++;
    if (ntok == 1 && str_eqc(tok[0], "exit")) {
        bye(s);
        return;
    }
    bool local = s->is_conf || !str_starts(tok[ntok - 1], ">>");
    if (local && str_eqc(tok[0], "hello")) {
        struct buf *o = &sh->out;
        buf_clear(o);
        buf_printf(o, "hello:%s:%s:%s", s->devfid, cfg_get_str(node->cfg, "hwuid"),
                   node->is_release ? "rel" : "dev");
        reply(s, o->p, o->len);
        return;
    }
    if (s->is_auth_required && !s->is_authed) {
        check_password(s, tok[0]);
        return;
    }
    if (local && str_eqc(tok[0], "version")) {
        reply_c(s, node->version);
        return;
    }
    if (local && str_starts(tok[0], "webrepl")) { /* COMPAT C.4: no WebREPL here */
        reply_c(s, "webrepl: not available on micrOS-C (no MicroPython); update the node with "
                   "`microsctl update <node> <file>`");
        return;
    }
    if (local && str_eqc(tok[0], "reboot")) {
        bool hard = ntok >= 2 && str_contains(tok[1], "-h");
        conn_puts(&s->conn, hard ? "[HARD] Reboot micrOS system.\n" : "Reboot micrOS system.\n");
        bye(s);
        syslog_write(node->log, "[BOOT] %s reboot requested from shell %s", hard ? "hard" : "soft",
                     s->conn.peer);
        if (node->reboot)
            node->reboot(node, hard);
        return;
    }
    if (local && str_starts(tok[0], "conf")) {
        s->is_conf = true;
        send_prompt(s);
        return;
    }
    if (local && str_starts(tok[0], "noconf")) {
        s->is_conf = false;
        send_prompt(s);
        return;
    }
    if (local && str_eqc(tok[0], "help")) {
        do_help(s, tok, ntok);
        return;
    }
    if (s->is_conf) {
        do_conf(s, tok, ntok);
        return;
    }
    do_exec(s, line);
}

/* Splits the received bytes into lines and runs them (COMPAT Part A 1). */
static void on_input(struct shell_session *s)
{
    struct shell *sh = s->sh;
    struct buf *in = &s->conn.in;
    if (s->is_locked) {
        buf_clear(in);
        return;
    }
    if (str_trim((struct str){in->p, in->len}).len == 0) {
        buf_clear(in);
        bye(s);
        return;
    }
    struct str rest = {in->p, in->len};
    while (!s->conn.is_closed && !s->conn.is_draining && !s->is_locked) {
        struct str line;
        enum shell_frame k = shell_frame_next(&rest, &line, SHELL_LINE_MAX);
        if (k == SHELL_FRAME_END)
            break;
        if (k == SHELL_FRAME_TOO_LONG) {
            sh->stats.long_lines++;
            char msg[96];
            snprintf(msg, sizeof msg, "Shell: line too long (%zu bytes, limit %d), not executed",
                     line.len, SHELL_LINE_MAX);
            reply_c(s, msg);
            continue;
        }
        run_line(s, line);
    }
    if (!s->conn.is_closed)
        buf_clear(in);
}

static void on_conn(struct conn *c, enum conn_event ev, void *arg)
{
    struct shell_session *s = arg;
    struct shell *sh = s->sh;
    switch (ev) {
    case CONN_EV_READ:
        on_input(s);
        if (!c->is_closed)
            admit_touch(sh->admit, s->slot, ev_now(sh->loop), c->out.len > 0);
        break;
    case CONN_EV_DRAIN: admit_touch(sh->admit, s->slot, ev_now(sh->loop), false); break;
    case CONN_EV_CLOSE:
        admit_release(sh->admit, s->slot);
        s->slot = -1;
        s->is_dead = true;
        sweep_later(sh);
        break;
    }
}

/* --- accepting and the waiting room --- */

static void refuse_busy(struct shell *sh, int fd)
{
    static const char busy[] = "Connection is busy. Bye!\n";
    hal_sock_send(fd, busy, sizeof busy - 1);
    hal_sock_close(fd);
    sh->stats.busy_replies++;
    sh->admit->refused++;
}

/* The lobby asks again whether a waiting newcomer fits now. */
static bool try_admit(void *owner, int fd, const char *peer)
{
    struct shell *sh = owner;
    int slot = admit_take(sh->admit, 'S', peer, ev_now(sh->loop), on_evict, NULL);
    if (slot < 0)
        return false;
    session_open(sh, fd, peer, slot);
    return true;
}

static void refuse_busy_cb(void *owner, int fd)
{
    refuse_busy(owner, fd);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
    (void)fd;
    (void)events;
    struct shell *sh = arg;
    for (int n = 0; n < 64; n++) {
        char peer[64];
        int cfd = hal_tcp_accept(sh->lfd, peer, sizeof peer);
        if (cfd == ERR_AGAIN)
            return;
        if (cfd < 0) {
            LOG_W("shell: accept failed: %s", err_str(cfd));
            return;
        }
        uint64_t now = ev_now(loop);
        int slot = admit_take(sh->admit, 'S', peer, now, on_evict, NULL);
        if (slot >= 0) {
            session_open(sh, cfd, peer, slot);
            continue;
        }
        /* Full of active clients: wait up to SHELL_BUSY_WAIT_MS for a slot (micrOS). */
        if (lobby_add(&sh->lobby, cfd, peer) < 0)
            refuse_busy(sh, cfd);
    }
}

int shell_start(struct shell *sh, struct node *node, struct admit *admit, const char *addr,
                uint16_t port)
{
    memset(sh, 0, sizeof *sh);
    sh->node = node;
    sh->admit = admit;
    sh->loop = node->loop;
    sh->lfd = -1;
    lobby_init(&sh->lobby, sh->loop, SHELL_BUSY_WAIT_MS, try_admit, refuse_busy_cb, sh);
    sh->sweep_timer.arg = sh;
    sh->sweep_timer.cb = on_sweep;
    buf_init(&sh->out, SHELL_OUT_MAX);
    /* Room for every admitted client plus as many closed ones waiting for the sweep:
     * an eviction frees an admission slot before its session memory. */
    sh->nsessions = 2 * admit->limit;
    sh->sessions = calloc(sh->nsessions, sizeof *sh->sessions);
    sh->arena_mem = malloc(CMD_ARENA_SIZE);
    if (!sh->sessions || !sh->arena_mem) {
        shell_stop(sh);
        return ERR_NOMEM;
    }
    arena_init(&sh->arena, sh->arena_mem, CMD_ARENA_SIZE);
    int lfd = hal_tcp_listen(addr, port, 64);
    if (lfd < 0) {
        shell_stop(sh);
        return lfd;
    }
    sh->lfd = lfd;
    sh->port = hal_sock_port(lfd);
    int rc = ev_io_start(sh->loop, lfd, EV_READ, on_accept, sh);
    if (rc < 0) {
        shell_stop(sh);
        return rc;
    }
    return 0;
}

void shell_stop(struct shell *sh)
{
    if (!sh->node)
        return; /* never started */
    for (size_t i = 0; sh->sessions && i < sh->nsessions; i++) {
        struct shell_session *s = &sh->sessions[i];
        if (s->is_used && !s->conn.is_closed)
            conn_close(&s->conn);
        if (s->is_used)
            ev_timer_stop(sh->loop, &s->delay_timer);
    }
    lobby_deinit(&sh->lobby);
    if (sh->lfd >= 0) {
        ev_io_stop(sh->loop, sh->lfd);
        hal_sock_close(sh->lfd);
        sh->lfd = -1;
    }
    ev_timer_stop(sh->loop, &sh->sweep_timer);
    free(sh->sessions);
    sh->sessions = NULL;
    free(sh->arena_mem);
    sh->arena_mem = NULL;
    buf_free(&sh->out);
}

void shell_push(struct shell *sh, const char *text)
{
    for (size_t i = 0; i < sh->nsessions; i++) {
        struct shell_session *s = &sh->sessions[i];
        if (!s->is_used || s->is_dead || s->conn.is_closed || s->conn.is_draining)
            continue;
        if (s->is_auth_required && !s->is_authed)
            continue;
        conn_puts(&s->conn, "~~~ ");
        conn_puts(&s->conn, text);
        conn_puts(&s->conn, "\n");
    }
}
